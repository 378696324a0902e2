// The composition root: parses the command line and config, loads keys, opens the store, wires
// services to the HTTP adapters and runs until SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <atomic>
#include <climits>
#include <mutex>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "admin/admin_api.h"
#include "build_info.h"
#include "metrics/metrics.h"
#include "api/envelope.h"
#include "api/error_table.h"
#include "api/partner_api.h"
#include "http/log.h"
#include "http/server.h"
#include "http/static_files.h"
#include "iso8583/processor.h"
#include "iso8583/server.h"
#include "notify/sms.h"
#include "notify/webhooks.h"
#include "cli/periodic_job.h"
#include "cli/progress.h"
#include "service/authorization.h"
#include "domain/pan.h"
#include "security/crypto.h"
#include "security/pin_block.h"
#include "security/secret_hash.h"
#include "security/vault.h"
#include "service/admin.h"
#include "store/store.h"
#include "store/transfer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace cardcore {
// docs/openapi.json, compiled in (cmake/embed_file.cmake).
std::string_view openapi_document();

namespace {

struct ServeOptions {
  std::string data_dir = "./data";
  std::string http_address = "127.0.0.1";
  int http_port = 8080;
  // ISO 8583 on the HTTP address. Default 8583; when neither flag nor config names it and the
  // HTTP port is ephemeral (tests), the ISO port is ephemeral too. DIR/server.json has both.
  int iso_port = 8583;
  bool iso_port_given = false;
  int iso_max_connections = 256;
  int iso_idle_timeout_seconds = 300;
  std::string mode = "sandbox";
  std::string config_file;
  size_t body_limit_bytes = 64 * 1024;
  int threads = 2;
  // Threads that run requests and messages that touch the store; each waits there for its
  // (group) commit, so their number bounds how many units share one commit.
  int workers = 64;
  // The ISO 8583 listener's own: the network offers messages at its rate, not one per client
  // waiting. -1: 256 on SQLite, where every waiting unit joins the next group commit
  // (bench/iso_load.sh at 5,000/s offered: about 1.8× the approvals of 64); 64 on PostgreSQL,
  // where units past the pool's connections wait for one after the decision budget was checked
  // (256 there: p99 4.7 s against 2.1 s at 5,000/s offered).
  int iso_workers = -1;
  int http_queue_budget_ms = 2000;   // shed with 503 past this wait for a worker
  int iso_decision_budget_ms = 1000; // answer 91 past this wait for a worker
  int iso_shed_after_wait_ms = -1;    // answer 91 at the door while workers take messages up later than this
  int iso_max_in_flight = 256;       // per connection; past it a message is answered 91 at once
  std::string sms_gateway_url;
  std::string sms_gateway_token;
  int64_t argon2_mem_kib = 19 * 1024;
  ServiceConfig service;
  std::string postgres_dsn;  // empty: embedded SQLite
  int postgres_pool_size = 8;  // connections a serving node keeps (units in flight at once)
  WebhookOptions webhooks;
  int64_t hold_expiry_interval_seconds = 60;
  std::string web_root = CARDCORE_WEB_ROOT;  // /docs: web/docs and web/node_modules/swagger-ui-dist
  bool no_migrate = false;  // refuse to start on a schema that is not current instead of migrating
};

// Exits at once: during start-up the HTTP threads already run, so no destructor may race them.
[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "cardcore: %s\n", msg.c_str());
  std::fflush(nullptr);
  std::_Exit(2);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Creates `path` with mode 0600 holding `content`; false when it already exists.
bool write_secret_file(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    die("cannot create " + path + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) die("cannot write " + path);
  return true;
}

std::string trim_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A secret from the environment, else from a file under the data dir, else newly generated.
std::string load_or_create_secret(const char* env, const std::string& path, bool& created) {
  created = false;
  if (const char* v = std::getenv(env); v && *v) return v;
  if (fs::exists(path)) return trim_line(read_file(path));
  std::string fresh = crypto::random_hex(32);
  created = write_secret_file(path, fresh + "\n");
  return created ? fresh : trim_line(read_file(path));
}

void apply_config_file(ServeOptions& o) {
  if (o.config_file.empty()) return;
  json c = json::parse(read_file(o.config_file), nullptr, false);
  if (c.is_discarded() || !c.is_object()) die("config " + o.config_file + ": not a JSON object");
  auto get = [&](const char* k, auto& out) {
    if (c.contains(k)) {
      try {
        c.at(k).get_to(out);
      } catch (const std::exception&) {
        die(std::string("config ") + o.config_file + ": " + k + " has the wrong type");
      }
    }
  };
  get("dataDir", o.data_dir);
  get("httpAddress", o.http_address);
  get("httpPort", o.http_port);
  get("isoPort", o.iso_port);
  if (c.contains("isoPort")) o.iso_port_given = true;
  get("isoMaxConnections", o.iso_max_connections);
  get("isoIdleTimeoutSeconds", o.iso_idle_timeout_seconds);
  get("mode", o.mode);
  get("bodyLimitBytes", o.body_limit_bytes);
  get("threads", o.threads);
  get("workers", o.workers);
  get("isoWorkers", o.iso_workers);
  get("httpQueueBudgetMs", o.http_queue_budget_ms);
  get("isoDecisionBudgetMs", o.iso_decision_budget_ms);
  get("isoShedAfterWaitMs", o.iso_shed_after_wait_ms);
  get("isoMaxInFlight", o.iso_max_in_flight);
  get("smsGatewayUrl", o.sms_gateway_url);
  get("smsGatewayToken", o.sms_gateway_token);
  get("postgresDsn", o.postgres_dsn);
  get("postgresPoolSize", o.postgres_pool_size);
  get("accessTokenTtlSeconds", o.service.access_token_ttl_seconds);
  get("refreshTokenTtlSeconds", o.service.refresh_token_ttl_seconds);
  get("otpTtlSeconds", o.service.otp_ttl_seconds);
  get("consoleSessionSeconds", o.service.console_session_seconds);
  get("otpMaxPerCardPerHour", o.service.otp_max_per_card_per_hour);
  get("defaultBin", o.service.default_bin);
  get("argon2MemKib", o.argon2_mem_kib);
  get("holdExpiryDays", o.service.hold_expiry_days);
  get("holdExpiryIntervalSeconds", o.hold_expiry_interval_seconds);
  get("overCaptureTolerancePercent", o.service.over_capture_tolerance_percent);
  get("allowNegativeForcePost", o.service.allow_negative_force_post);
  get("webhookPollIntervalMs", o.webhooks.poll_interval_ms);
  get("webhookTimeoutMs", o.webhooks.timeout_ms);
  get("webhookBaseBackoffSeconds", o.webhooks.base_backoff_seconds);
  get("webhookMaxBackoffSeconds", o.webhooks.max_backoff_seconds);
  get("webhookMaxAgeSeconds", o.webhooks.max_age_seconds);
  get("webRoot", o.web_root);
}

// `cardcore ledger verify`: recomputes every balance from the postings. Exit 0 clean, 1 not.
// The store: PostgreSQL when a DSN is given (flag, config or CARDCORE_POSTGRES_DSN), else the
// embedded SQLite database in the data directory.
Result<std::unique_ptr<Store>> open_store(const std::string& data_dir, const std::string& postgres_dsn,
                                          int postgres_pool_size = 8, const MigrateOptions& migrations = {}) {
  if (!postgres_dsn.empty()) {
    return open_postgres_store(postgres_dsn, static_cast<size_t>(postgres_pool_size), migrations);
  }
  return open_sqlite_store(data_dir + "/cardcore.db", migrations);
}

std::string schema_behind(const SchemaStatus& s) {
  return "the schema is at version " + std::to_string(s.version) + "; this build needs " + std::to_string(s.latest);
}

// `cardcore migrate`: applies the migrations (up to --to) and says which; exit 0, 2 on failure.
int migrate(const std::string& data_dir, std::string postgres_dsn, int to_version) {
  if (const char* v = std::getenv("CARDCORE_POSTGRES_DSN"); v && *v && postgres_dsn.empty()) postgres_dsn = v;
  if (postgres_dsn.empty()) {
    ::umask(077);
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    if (ec) die("cannot create data dir " + data_dir + ": " + ec.message());
  }
  MigrateOptions m;
  m.to_version = to_version;
  int applied = 0;
  m.on_applied = [&](const Migration& mig) {
    std::printf("applied %s\n", mig.name.c_str());
    std::fflush(stdout);
    ++applied;
  };
  auto store = open_store(data_dir, postgres_dsn, 1, m);
  if (!store) die("store: " + store.error().message);
  auto status = schema_status(**store);
  if (!status) die("store: " + status.error().message);
  if (applied == 0) std::printf("nothing to apply: ");
  std::printf("schema at version %lld (this build's latest: %d)\n", static_cast<long long>(status->version),
              status->latest);
  return 0;
}

int ledger_verify(const std::string& data_dir, std::string postgres_dsn) {
  if (const char* v = std::getenv("CARDCORE_POSTGRES_DSN"); v && *v && postgres_dsn.empty()) postgres_dsn = v;
  std::string path = data_dir + "/cardcore.db";
  if (postgres_dsn.empty() && !fs::exists(path)) die("no database at " + path);
  auto store = open_store(data_dir, postgres_dsn);
  if (!store) die("store: " + store.error().message);
  cli::Progress progress("ledger verify", 0, "checks");
  auto problems = transact_read(**store, [&](Tx& tx) {
    return tx.verify_ledger([&](int i, int n) {
      progress.set_total(static_cast<uint64_t>(n));
      progress.update(static_cast<uint64_t>(i));
    });
  });
  progress.finish();
  if (!problems) die("verify: " + problems.error().message);
  for (const std::string& p : *problems) std::printf("PROBLEM %s\n", p.c_str());
  if (problems->empty()) {
    std::printf("ledger clean\n");
    return 0;
  }
  std::printf("ledger has %zu problem(s)\n", problems->size());
  return 1;
}

// `cardcore migrate-data --from DIR --to DSN`: moves an embedded installation to PostgreSQL.
// Exit 0 moved and verified, 1 verification found differences, 3 stopped by --batches (run again
// to go on), 2 failed.
int migrate_data(const std::string& from_dir, const std::string& dsn, int64_t batch_rows, int64_t max_batches) {
  if (dsn.empty()) die("migrate-data needs --to DSN (the PostgreSQL database to move into)");
  const std::string db = from_dir + "/cardcore.db";
  if (!fs::exists(db)) die("no database at " + db);
  // A server still writing the source would leave rows behind: refuse while its pid lives.
  json info = json::parse(read_file(from_dir + "/server.json"), nullptr, false);
  if (info.is_object() && info.contains("pid") && info["pid"].is_number_integer()) {
    const pid_t pid = info["pid"].get<pid_t>();
    if (pid > 0 && ::kill(pid, 0) == 0) {
      die("a cardcore server (pid " + std::to_string(pid) + ") is running on " + from_dir + ": stop it first");
    }
  }
  cli::Progress progress("migrate-data", 0, "rows");
  TransferOptions options;
  options.batch_rows = static_cast<size_t>(batch_rows);
  options.max_batches = max_batches;
  options.progress = [&](uint64_t done, uint64_t total) {
    progress.set_total(total);
    progress.update(done);
  };
  std::printf("moving %s to PostgreSQL\n", db.c_str());
  std::fflush(stdout);
  auto moved = copy_sqlite_to_postgres(db, dsn, options);
  progress.finish();
  if (!moved) die("migrate-data: " + moved.error().message);
  if (moved->resumed) std::printf("resumed the move an earlier run began\n");
  std::printf("%-28s %12s %12s\n", "table", "source rows", "target rows");
  for (const TableTransfer& t : moved->tables) {
    std::printf("%-28s %12lld %12lld\n", t.table.c_str(), static_cast<long long>(t.source_rows),
                static_cast<long long>(t.target_rows));
  }
  if (moved->stopped) {
    std::printf("stopped after %lld batches (--batches): run the same command again to go on\n",
                static_cast<long long>(max_batches));
    return 3;
  }
  bool ok = true;
  for (const TableTransfer& t : moved->tables) ok = ok && t.source_rows == t.target_rows;
  std::printf("row counts: %s\n", ok ? "equal" : "DIFFER");
  for (const std::string& d : moved->balance_differences) std::printf("BALANCE %s\n", d.c_str());
  std::printf("balances: %lld accounts compared, %zu differ\n", static_cast<long long>(moved->accounts_compared),
              moved->balance_differences.size());
  ok = ok && moved->balance_differences.empty();
  auto target = open_postgres_store(dsn, 1);
  if (!target) die("store: " + target.error().message);
  auto problems = transact_read(**target, [](Tx& tx) { return tx.verify_ledger(); });
  if (!problems) die("verify: " + problems.error().message);
  for (const std::string& p : *problems) std::printf("PROBLEM %s\n", p.c_str());
  std::printf("ledger verify on the target: %s\n", problems->empty() ? "clean" : "PROBLEMS");
  ok = ok && problems->empty();
  if (!ok) return 1;
  std::printf("moved: serve with --postgres and the same vault.keys, hmac.key and zpk.key\n");
  return 0;
}

// `cardcore backup --to FILE`: an online copy of the SQLite database (the server may run).
int backup(const std::string& data_dir, std::string postgres_dsn, const std::string& to) {
  if (const char* v = std::getenv("CARDCORE_POSTGRES_DSN"); v && *v && postgres_dsn.empty()) postgres_dsn = v;
  if (!postgres_dsn.empty()) {
    die("backup copies the embedded SQLite store; back up PostgreSQL with pg_dump or pg_basebackup "
        "(docs/operations.md, Backups)");
  }
  cli::Progress progress("backup", 0, "pages");
  Status st = backup_sqlite_store(data_dir + "/cardcore.db", to, [&](uint64_t done, uint64_t total) {
    progress.set_total(total);
    progress.update(done);
  });
  progress.finish();
  if (!st) die("backup: " + st.error().message);
  std::error_code ec;
  const auto bytes = fs::file_size(to, ec);
  std::printf("backed up %s/cardcore.db to %s (%.1f MiB)\n", data_dir.c_str(), to.c_str(),
              ec ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0));
  std::printf("the keys are not in it: keep vault.keys, hmac.key and zpk.key backed up apart\n");
  return 0;
}

// `cardcore keys init`: provisions vault.keys, hmac.key and zpk.key for a new installation (production
// refuses to start without them). Never overwrites an existing key.
int keys_init(const std::string& data_dir) {
  ::umask(077);
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) die("cannot create data dir " + data_dir + ": " + ec.message());
  bool vault_new = write_secret_file(data_dir + "/vault.keys", Vault::new_key_entry() + "\n");
  bool hmac_new = write_secret_file(data_dir + "/hmac.key", crypto::random_hex(32) + "\n");
  // The zone PIN key shared with the card network/processor (src/iso8583/README.md).
  bool zpk_new = write_secret_file(data_dir + "/zpk.key", crypto::random_hex(16) + "\n");
  std::printf("%s/vault.keys: %s\n%s/hmac.key: %s\n", data_dir.c_str(), vault_new ? "created" : "kept (exists)",
              data_dir.c_str(), hmac_new ? "created" : "kept (exists)");
  auto zpk = pin_block::ZonePinKey::from_hex(trim_line(read_file(data_dir + "/zpk.key")));
  std::printf("%s/zpk.key: %s (key check value %s)\n", data_dir.c_str(), zpk_new ? "created" : "kept (exists)",
              zpk ? zpk->check_value().c_str() : "INVALID");
  return 0;
}

void validate_options(const ServeOptions& o) {
  if (o.http_port < 0 || o.http_port > 65535) die("httpPort must be 0..65535");
  if (o.iso_port < 0 || o.iso_port > 65535) die("isoPort must be 0..65535");
  if (o.iso_max_connections < 1 || o.iso_max_connections > 10000) die("isoMaxConnections must be 1..10000");
  if (o.iso_idle_timeout_seconds < 1 || o.iso_idle_timeout_seconds > 86400) die("isoIdleTimeoutSeconds must be 1..86400");
  if (o.threads < 1 || o.threads > 64) die("threads must be 1..64");
  if (o.workers < 1 || o.workers > 1024) die("workers must be 1..1024");
  if (o.iso_workers != -1 && (o.iso_workers < 1 || o.iso_workers > 1024)) {
    die("isoWorkers must be -1 (256 on SQLite, 64 on PostgreSQL) or 1..1024");
  }
  if (o.http_queue_budget_ms < 0 || o.http_queue_budget_ms > 600000) die("httpQueueBudgetMs must be 0..600000");
  if (o.iso_decision_budget_ms < 0 || o.iso_decision_budget_ms > 600000) die("isoDecisionBudgetMs must be 0..600000");
  if (o.iso_shed_after_wait_ms < -1 || o.iso_shed_after_wait_ms > 600000) {
    die("isoShedAfterWaitMs must be -1 (half of isoDecisionBudgetMs) or 0..600000");
  }
  if (o.iso_max_in_flight < 1 || o.iso_max_in_flight > 65536) die("isoMaxInFlight must be 1..65536");
  if (o.postgres_pool_size < 1 || o.postgres_pool_size > 256) die("postgresPoolSize must be 1..256");
  if (o.body_limit_bytes < 1024 || o.body_limit_bytes > 16 * 1024 * 1024) die("bodyLimitBytes must be 1 KiB..16 MiB");
  if (!pan::valid_bin(o.service.default_bin)) die("defaultBin must be 6 to 8 digits");
  if (o.service.otp_ttl_seconds < 1 || o.service.otp_ttl_seconds > 3600) die("otpTtlSeconds must be 1..3600");
  if (o.service.console_session_seconds < 60 || o.service.console_session_seconds > 7 * 86400) die("consoleSessionSeconds must be 60..604800");
  if (o.service.access_token_ttl_seconds < 1) die("accessTokenTtlSeconds must be at least 1");
  if (o.service.otp_max_per_card_per_hour < 1) die("otpMaxPerCardPerHour must be at least 1");
  if (o.service.refresh_token_ttl_seconds < o.service.access_token_ttl_seconds) {
    die("refreshTokenTtlSeconds must be at least accessTokenTtlSeconds");
  }
  if (o.service.hold_expiry_days < 0 || o.service.hold_expiry_days > 60) die("holdExpiryDays must be 0..60");
  if (o.hold_expiry_interval_seconds < 1 || o.hold_expiry_interval_seconds > 86400) {
    die("holdExpiryIntervalSeconds must be 1..86400");
  }
  if (o.service.over_capture_tolerance_percent < 0 || o.service.over_capture_tolerance_percent > 100) {
    die("overCaptureTolerancePercent must be 0..100");
  }
  if (o.argon2_mem_kib < 8 || o.argon2_mem_kib > 1024 * 1024) die("argon2MemKib must be 8..1048576");
  if (!o.sms_gateway_url.empty() && o.sms_gateway_url.rfind("http://", 0) != 0 &&
      o.sms_gateway_url.rfind("https://", 0) != 0) {
    die("smsGatewayUrl must be an http:// or https:// URL");
  }
}

std::atomic<http::Server*> g_server{nullptr};

// The zone PIN key that decrypts ISO 8583 field 52: env CARDCORE_ZPK, else DIR/zpk.key (32 or
// 48 hex characters). Created only with a brand-new sandbox, like the other keys; anywhere else
// it must be provisioned (`cardcore keys init`) and shared with the processor.
pin_block::ZonePinKey load_zone_pin_key(const std::string& data_dir, bool may_create) {
  std::string path = data_dir + "/zpk.key";
  std::string hex;
  if (const char* v = std::getenv("CARDCORE_ZPK"); v && *v) {
    hex = v;
  } else if (fs::exists(path)) {
    hex = trim_line(read_file(path));
  } else if (may_create) {
    std::string fresh = crypto::random_hex(16);
    hex = write_secret_file(path, fresh + "\n") ? fresh : trim_line(read_file(path));
  } else {
    die("missing " + path + " (or env CARDCORE_ZPK): the ISO 8583 interface needs the zone PIN key it shares "
        "with the card network; create it with `cardcore keys init --data " + data_dir +
        "` and exchange it with the processor (src/iso8583/README.md)");
  }
  auto zpk = pin_block::ZonePinKey::from_hex(hex);
  if (!zpk) die("zone PIN key: " + zpk.error().message);
  return *zpk;
}

// What the HTTP threads may read of a server that is still starting.
struct Startup {
  std::atomic<bool> ready{false};  // set once everything below is written (release/acquire)
  std::mutex mu;
  std::string phase = "opening the store";  // under mu
  std::function<http::Response(const http::Request&)> app;
  Store* store = nullptr;

  void set_phase(std::string p) {
    std::lock_guard lock(mu);
    phase = std::move(p);
  }
  std::string current_phase() {
    std::lock_guard lock(mu);
    return phase;
  }
};

// GET /readyz: 200 when the store answers and its schema is current, else 503 and why.
http::Response readiness(Startup& startup) {
  if (!startup.ready.load(std::memory_order_acquire)) {
    return api::json_response(503, {{"status", "starting"}, {"reason", startup.current_phase()}});
  }
  auto s = schema_status(*startup.store);
  if (!s) return api::json_response(503, {{"status", "unavailable"}, {"reason", "store: " + s.error().message}});
  if (!s->current()) {
    return api::json_response(503, {{"status", "not ready"},
                                    {"reason", schema_behind(*s) + ": run `cardcore migrate`"},
                                    {"schemaVersion", s->version}});
  }
  return api::json_response(200, {{"status", "ready"}, {"schemaVersion", s->version}});
}

void write_server_json(const std::string& data_dir, const json& info) {
  std::string tmp = data_dir + "/server.json.tmp";
  std::ofstream(tmp) << info.dump() << "\n";
  fs::rename(tmp, data_dir + "/server.json");
}

int serve(ServeOptions o) {
  if (o.mode != "sandbox" && o.mode != "production") die("--mode must be sandbox or production");
  o.service.sandbox = o.mode == "sandbox";
  logx::init();
  std::error_code ec;
  ::umask(077);  // every file we create (database, WAL, keys, outbox) is private to this user
  fs::create_directories(o.data_dir, ec);
  if (ec) die("cannot create data dir " + o.data_dir + ": " + ec.message());
  ::chmod(o.data_dir.c_str(), 0700);
  if (const char* v = std::getenv("CARDCORE_SMS_GATEWAY_URL"); v && *v) o.sms_gateway_url = v;
  if (const char* v = std::getenv("CARDCORE_SMS_GATEWAY_TOKEN"); v && *v) o.sms_gateway_token = v;
  validate_options(o);
  secret_hash::set_cost({2, static_cast<size_t>(o.argon2_mem_kib) * 1024});
  if (const char* v = std::getenv("CARDCORE_POSTGRES_DSN"); v && *v) o.postgres_dsn = v;

  // HTTP listens first: while the store opens and migrates (which may wait for another node's
  // migration), /healthz says alive, /readyz says starting and why, /metrics answers, and every
  // other route answers 503 with Retry-After.
  std::vector<std::string> routes = api::partner_route_templates();
  for (const std::string& r : api::admin_route_templates()) routes.push_back(r);
  for (const char* r : {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/console"}) routes.emplace_back(r);
  metrics::Metrics metrics({CARDCORE_VERSION, CARDCORE_COMMIT, o.postgres_dsn.empty() ? "sqlite" : "postgres"}, routes);
  Startup startup;
  // The API reference: the document as compiled in, rendered by swagger-ui-dist from web/.
  const std::vector<std::pair<std::string, std::string>> docs_headers = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
      {"Referrer-Policy", "no-referrer"}};
  const http::StaticFiles docs_ui("/docs/swagger-ui", o.web_root + "/node_modules/swagger-ui-dist", "",
                                  docs_headers,
                                  {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"});
  const http::StaticFiles docs_page("/docs", o.web_root + "/docs", "index.html", docs_headers);
  // The operator console (docs/console.md): static files that call the admin API in a session.
  const std::vector<std::pair<std::string, std::string>> console_headers = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"}};  // (StaticFiles adds X-Content-Type-Options: nosniff)
  const http::StaticFiles console_vendor("/console/vendor", o.web_root + "/node_modules/chart.js/dist", "",
                                         console_headers, {"chart.umd.js"});
  const http::StaticFiles console_page("/console", o.web_root + "/console", "index.html", console_headers);

  http::ServerOptions so;
  so.address = o.http_address;
  so.port = static_cast<uint16_t>(o.http_port);
  so.body_limit_bytes = o.body_limit_bytes;
  so.threads = o.threads;
  so.workers = o.workers;
  so.queue_budget_ms = o.http_queue_budget_ms;
  // Cheap and never blocking: the liveness probe and the metrics scrape (answered even when every
  // worker is busy).
  so.run_inline = [](const http::Request& r) { return r.path == "/healthz" || r.path == "/metrics"; };
  so.on_answered = [&metrics](const http::Request& req, const http::Response& res, double seconds) {
    metrics.http_request(res.route.empty() ? std::string_view(req.path) : res.route, res.status, seconds);
  };
  http::Server server(
      so,
      [&](const http::Request& req) -> http::Response {
        if (req.path == "/healthz") return api::json_response(200, {{"status", "ok"}});
        if (req.path == "/readyz") return readiness(startup);
        if (req.path == "/metrics") {
          http::Response r;
          r.body = metrics.render();
          r.content_type = metrics::Metrics::kContentType;
          return r;
        }
        if (req.path == "/openapi.json") {
          http::Response r;
          r.body = std::string(openapi_document());
          r.headers.emplace_back("Access-Control-Allow-Origin", "*");  // for client generators and viewers
          return r;
        }
        if (auto r = docs_ui.handle(req)) {
          if (r->status == 200) r->route = "/docs";
          return *r;
        }
        if (auto r = docs_page.handle(req)) {
          if (r->status == 200) r->route = "/docs";
          return *r;
        }
        for (const http::StaticFiles* files : {&console_vendor, &console_page}) {
          if (auto r = files->handle(req)) {
            if (r->status == 200) r->route = "/console";
            return *r;
          }
        }
        if (!startup.ready.load(std::memory_order_acquire)) {
          http::Response r = api::error(Error{code::kUnavailable,
                                              "server starting (" + startup.current_phase() + "): retry shortly", ""});
          r.headers.emplace_back("Retry-After", "1");
          return r;
        }
        return startup.app(req);
      },
      [](int status, std::string_view message) {
        int c = api::code_for_transport_status(status);
        return api::error(Error{c, std::string(message), c == code::kPayloadTooLarge ? "body" : ""});
      });
  uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& e) {
    die("cannot listen on " + o.http_address + ":" + std::to_string(o.http_port) + ": " + e.what());
  }
  std::string base = "http://" + o.http_address + ":" + std::to_string(port);
  g_server = &server;
  std::thread signals([] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    logx::info("shutdown", {{"signal", sig}});
    if (auto* s = g_server.load()) s->stop();
  });
  signals.detach();
  std::thread io([&server] { server.run(); });
  write_server_json(o.data_dir, {{"httpPort", port}, {"baseUrl", base}, {"pid", ::getpid()}, {"ready", false}});

  MigrateOptions migrations;
  migrations.apply = !o.no_migrate;
  migrations.on_applied = [&startup](const Migration& m) {
    logx::info("migration applied", {{"migration", m.name}});
    startup.set_phase("applying migrations (" + m.name + " done)");
  };
  startup.set_phase(o.no_migrate ? "opening the store" : "opening the store and applying its migrations");
  auto store = open_store(o.data_dir, o.postgres_dsn, o.postgres_pool_size, migrations);
  if (!store) die("store: " + store.error().message);
  if (o.no_migrate) {
    auto status = schema_status(**store);
    if (!status) die("store: " + status.error().message);
    if (!status->current()) die(schema_behind(*status) + ": --no-migrate refuses it; run `cardcore migrate` first");
  }
  (*store)->set_commit_observer([&metrics](uint64_t micros, size_t units) { metrics.store_commit(micros, units); });
  startup.set_phase("loading keys");

  // Keys are created only for a brand-new sandbox. Anywhere else a missing key means data that
  // could no longer be read (card numbers) or checked (PAN uniqueness): refuse to start. "Fresh"
  // is read from the database, not the data dir: a PostgreSQL database lives elsewhere and may
  // already hold the data of other nodes, whose keys this node must be given, never make up.
  auto partners = transact(**store, [](Tx& tx) { return tx.count_partners(); });
  if (!partners) die("store: " + partners.error().message);
  bool fresh_store = *partners == 0;
  bool may_create_keys = o.service.sandbox && fresh_store;
  auto require_key = [&](const char* env, const std::string& file) {
    if (const char* v = std::getenv(env); v && *v) return;
    if (fs::exists(file) || may_create_keys) return;
    die(std::string("missing ") + file + " (or env " + env + "): " +
        (fresh_store ? "production mode needs keys provisioned before the first start"
                     : "the existing database cannot be used without its keys; restore them"));
  };
  require_key("CARDCORE_VAULT_KEYS", o.data_dir + "/vault.keys");
  require_key("CARDCORE_HMAC_KEY", o.data_dir + "/hmac.key");
  pin_block::ZonePinKey zpk = load_zone_pin_key(o.data_dir, may_create_keys);
  auto vault = Vault::load_or_create(o.data_dir + "/vault.keys");
  if (!vault) die("vault: " + vault.error().message);
  bool created = false;
  std::string hmac_key = load_or_create_secret("CARDCORE_HMAC_KEY", o.data_dir + "/hmac.key", created);
  std::string admin_key;
  if (const char* v = std::getenv("CARDCORE_ADMIN_KEY"); v && *v) {
    admin_key = v;
  } else if (!o.service.sandbox) {
    die("production mode needs an explicit admin key: set CARDCORE_ADMIN_KEY");
  } else {
    admin_key = load_or_create_secret("CARDCORE_ADMIN_KEY", o.data_dir + "/admin.key", created);
    if (created) {
      std::printf("Admin key (shown once; also in %s/admin.key, mode 0600): %s\n", o.data_dir.c_str(),
                  admin_key.c_str());
    }
  }
  if (admin_key.size() < 16) die("the admin key must be at least 16 characters");

  std::unique_ptr<SmsChannel> sms;

  if (!o.sms_gateway_url.empty()) {
    sms = make_gateway_sms(o.sms_gateway_url, o.sms_gateway_token);
  } else if (o.service.sandbox) {
    sms = make_outbox_file_sms(o.data_dir + "/sms-outbox.jsonl");
  } else {
    die("production mode needs an SMS gateway: set smsGatewayUrl or CARDCORE_SMS_GATEWAY_URL");
  }

  auto wall_clock = [] { return static_cast<int64_t>(::time(nullptr)); };
  Context ctx{**store, *vault, hmac_key, o.service, *sms, wall_clock};
  ctx.on_decision = [&metrics](std::string_view source, bool approved, std::string_view rc) {
    metrics.authorization(source, approved, rc);
  };
  // Delivers the webhook outbox; events were written in the same units as the changes.
  WebhookWorker webhooks(**store, *vault, wall_clock, o.webhooks);
  webhooks.start();
  metrics.set_deliveries([&webhooks] {
    const WebhookCounters c = webhooks.counters();
    const uint64_t settled = c.delivered + c.failed;
    return metrics::DeliveryTotals{c.delivered, c.attempted > settled ? c.attempted - settled : 0, c.failed};
  });
  Store& the_store = **store;
  // The outbox backlog is read every 5 s here, not at each scrape: /metrics is answered on the
  // I/O thread, so a scrape never waits for the store or for a worker (it must work under overload).
  std::atomic<int64_t> outbox_pending{-1};
  auto read_outbox_pending = [&the_store, &outbox_pending] {
    auto n = transact_read(the_store, [](Tx& tx) { return tx.count_pending_webhooks(); });
    outbox_pending.store(n ? *n : -1, std::memory_order_relaxed);
  };
  read_outbox_pending();
  PeriodicJob outbox_gauge(std::chrono::seconds(5), read_outbox_pending);
  metrics.set_outbox_pending([&outbox_pending]() -> std::optional<int64_t> {
    const int64_t n = outbox_pending.load(std::memory_order_relaxed);
    if (n < 0) return std::nullopt;
    return n;
  });
  // Releases authorization holds older than holdExpiryDays.
  PeriodicJob hold_expiry(std::chrono::seconds(o.hold_expiry_interval_seconds), [&ctx] {
    auto n = authorization::expire_old_holds(ctx);
    if (!n) {
      logx::warn("hold expiry failed", {{"error", n.error().message}});
    } else if (*n > 0) {
      logx::info("holds expired", {{"count", *n}});
    }
  });

  // ISO 8583 for the card network: same address, its own I/O threads, same service calls.
  iso8583::Processor iso_processor(ctx, zpk);
  iso8583::ServerOptions iso_options;
  iso_options.address = o.http_address;
  iso_options.port = static_cast<uint16_t>(!o.iso_port_given && o.http_port == 0 ? 0 : o.iso_port);
  iso_options.threads = o.threads;
  iso_options.workers = o.iso_workers != -1 ? o.iso_workers : o.postgres_dsn.empty() ? 256 : 64;
  iso_options.decision_budget_ms = o.iso_decision_budget_ms;
  iso_options.shed_after_wait_ms = o.iso_shed_after_wait_ms;
  iso_options.max_in_flight = o.iso_max_in_flight;
  iso_options.max_connections = o.iso_max_connections;
  iso_options.idle_timeout_seconds = o.iso_idle_timeout_seconds;
  iso_options.on_answered = [&metrics](std::string_view mti, std::string_view rc, double seconds) {
    metrics.iso_message(mti, rc, seconds);
  };
  iso8583::Server iso_server(
      iso_options, [&](const iso8583::Message& m) { return iso_processor.handle(m); },
      [](const iso8583::Message& m) { return m.mti == "0800"; });  // network management: no store
  uint16_t iso_port = 0;
  try {
    iso_port = iso_server.listen();
  } catch (const std::exception& e) {
    die("cannot listen for ISO 8583 on " + o.http_address + ":" + std::to_string(iso_options.port) + ": " + e.what());
  }
  iso_server.start();

  // The demo partner of a sandbox, created with a fresh store (a credentials file left in the data
  // dir by an earlier database is replaced), or again when its file is gone.
  std::string creds_path = o.data_dir + "/sandbox-credentials.json";
  if (o.service.sandbox && (fresh_store || !fs::exists(creds_path))) {
    fs::remove(creds_path, ec);
    auto c = admin::create_partner(ctx, {"Sandbox Demo Partner", "", "", "none"});
    if (!c) die("sandbox partner: " + c.error().message);
    json j{{"partnerId", c->partner_id}, {"companyId", c->company_id}, {"companyName", c->company_name},
           {"clientId", c->client_id}, {"clientSecret", c->client_secret}, {"username", c->username},
           {"password", c->password}, {"planMasterId", c->plan_master_id},
           {"webhookSecret", c->webhook_secret}};
    write_secret_file(creds_path, j.dump(2) + "\n");
  }
  if (o.service.sandbox && fs::exists(creds_path)) {
    json c = json::parse(read_file(creds_path), nullptr, false);
    if (c.is_object()) {
      std::string basic = crypto::base64_encode(c.value("clientId", "") + ":" + c.value("clientSecret", ""));
      std::printf("Sandbox credentials (also in %s):\n%s\n", creds_path.c_str(), c.dump(2).c_str());
      std::printf("Get a token:\n  curl -s -X POST %s/oauth/token -H 'Authorization: Basic %s' "
                  "-d 'grant_type=password&username=%s&password=%s&clientId=%s'\n",
                  base.c_str(), basic.c_str(), c.value("username", "").c_str(),
                  c.value("password", "").c_str(), c.value("clientId", "").c_str());
    }
  }

  startup.app = [&](const http::Request& req) -> http::Response {
    if (auto r = api::handle_admin(ctx, admin_key, req)) return *r;
    if (auto r = api::handle_partner(ctx, req)) return *r;
    return api::error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
  };
  startup.store = &the_store;
  startup.set_phase("ready");
  startup.ready.store(true, std::memory_order_release);
  write_server_json(o.data_dir, {{"httpPort", port}, {"isoPort", iso_port}, {"baseUrl", base}, {"pid", ::getpid()},
                                 {"ready", true}});
  std::printf("cardcore %s mode, store %s%s, listening on %s\n", o.mode.c_str(), (*store)->engine().c_str(),
              o.postgres_dsn.empty() ? (" at " + o.data_dir + "/cardcore.db").c_str() : " (PostgreSQL)",
              base.c_str());
  std::printf("ISO 8583 on %s:%u (zone PIN key check value %s)\n", o.http_address.c_str(), iso_port,
              zpk.check_value().c_str());
  std::fflush(stdout);
  logx::info("listening", {{"url", base}, {"isoPort", iso_port}, {"mode", o.mode}});

  io.join();  // until SIGTERM/SIGINT stops the HTTP server
  g_server = nullptr;
  iso_server.stop();
  hold_expiry.stop();
  outbox_gauge.stop();
  webhooks.stop();
  const StoreStats st = (*store)->stats();
  logx::info("stopped", {{"storeCommits", st.commits}, {"storeUnits", st.units},
                         {"storeCommitMicros", st.commit_micros}, {"storeSyncMicros", st.sync_micros}});
  return 0;
}

}  // namespace
}  // namespace cardcore

int main(int argc, char** argv) {
  // Block the shutdown signals in every thread; a dedicated thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"cardcore: a prepaid card platform (EnKash-compatible partner API)"};
  app.require_subcommand(1);
  cardcore::ServeOptions o;
  auto* serve = app.add_subcommand("serve", "Run the HTTP API server");
  serve->add_option("--data", o.data_dir, "Data directory (SQLite database, keys, sandbox files)")
      ->capture_default_str();
  serve->add_option("--http-port", o.http_port, "HTTP port on the address (0 = ephemeral)")->capture_default_str();
  serve->add_option("--http-address", o.http_address, "HTTP listen address")->capture_default_str();
  serve->add_option("--iso-port", o.iso_port, "ISO 8583 TCP port on the HTTP address (0 = ephemeral)")
      ->capture_default_str();
  serve->add_option("--mode", o.mode, "sandbox or production")->capture_default_str();
  serve->add_option("--config", o.config_file, "JSON config file (command-line flags win)");
  serve->add_option("--threads", o.threads, "I/O threads")->capture_default_str();
  serve->add_option("--workers", o.workers, "Threads of the HTTP listener that run requests touching the store")
      ->capture_default_str();
  serve->add_option("--postgres", o.postgres_dsn,
                    "PostgreSQL connection string (libpq); default: embedded SQLite in --data");
  serve->add_flag("--no-migrate", o.no_migrate,
                  "Apply no migration; refuse to start unless the schema is current (one job runs `cardcore migrate`)");
  auto* migrate = app.add_subcommand("migrate", "Apply the schema migrations this build carries, and say which");
  std::string migrate_dir = "./data", migrate_pg;
  int migrate_to = INT_MAX;
  migrate->add_option("--data", migrate_dir, "Data directory (the SQLite database)")->capture_default_str();
  migrate->add_option("--postgres", migrate_pg, "PostgreSQL connection string (default: the SQLite database in --data)");
  migrate->add_option("--to", migrate_to, "Apply those up to this version only")->check(CLI::PositiveNumber);
  auto* ledger = app.add_subcommand("ledger", "Ledger maintenance");
  ledger->require_subcommand(1);
  std::string verify_dir = "./data";
  auto* verify = ledger->add_subcommand("verify", "Recompute every balance from the postings and report differences");
  verify->add_option("--data", verify_dir, "Data directory")->capture_default_str();
  std::string verify_pg;
  verify->add_option("--postgres", verify_pg, "PostgreSQL connection string (default: the SQLite database in --data)");
  auto* migrate_data = app.add_subcommand("migrate-data", "Move an embedded (SQLite) installation into an empty PostgreSQL database");
  std::string md_from, md_to;
  int64_t md_batch = 1000, md_batches = -1;
  migrate_data->add_option("--from", md_from, "Data directory of the SQLite installation (its server stopped)")->required();
  migrate_data->add_option("--to", md_to, "PostgreSQL connection string of the target database")->required();
  migrate_data->add_option("--batch", md_batch, "Rows per target transaction")->capture_default_str()->check(CLI::Range(1, 100000));
  migrate_data->add_option("--batches", md_batches, "Stop after this many batches (run again to go on)")->check(CLI::NonNegativeNumber);
  auto* backup = app.add_subcommand("backup", "Copy the SQLite database to a new file while the server runs");
  std::string backup_dir = "./data", backup_pg, backup_to;
  backup->add_option("--data", backup_dir, "Data directory")->capture_default_str();
  backup->add_option("--postgres", backup_pg, "(refused: PostgreSQL is backed up with pg_dump or pg_basebackup)");
  backup->add_option("--to", backup_to, "The new file (never overwritten)")->required();
  auto* keys = app.add_subcommand("keys", "Key management");
  keys->require_subcommand(1);
  std::string keys_dir = "./data";
  auto* keys_init = keys->add_subcommand("init", "Create vault.keys, hmac.key and zpk.key in the data directory (never overwrites)");
  keys_init->add_option("--data", keys_dir, "Data directory")->capture_default_str();
  auto* error_codes = app.add_subcommand("error-codes", "Print the error code table (Markdown) that docs/api.md lists");
  CLI11_PARSE(app, argc, argv);
  if (error_codes->parsed()) {
    std::cout << "| code | HTTP | OAuth2 error | meaning |\n|---|---|---|---|\n";
    for (const cardcore::api::ErrorAnswer& row : cardcore::api::error_table()) {
      std::cout << "| " << row.wire_code << " | " << row.http_status << " | "
                << (row.oauth_error ? std::string("`") + row.oauth_error + "`" : std::string()) << " | " << row.meaning
                << " |\n";
    }
    return 0;
  }
  if (verify->parsed()) return cardcore::ledger_verify(verify_dir, verify_pg);
  if (migrate->parsed()) return cardcore::migrate(migrate_dir, migrate_pg, migrate_to);
  if (backup->parsed()) return cardcore::backup(backup_dir, backup_pg, backup_to);
  if (migrate_data->parsed()) return cardcore::migrate_data(md_from, md_to, md_batch, md_batches);
  if (keys_init->parsed()) return cardcore::keys_init(keys_dir);
  if (serve->parsed()) {
    // Config file first, then re-apply the flags that were given explicitly.
    cardcore::ServeOptions from_file;
    from_file.config_file = o.config_file;
    cardcore::apply_config_file(from_file);
    if (serve->count("--data")) from_file.data_dir = o.data_dir;
    if (serve->count("--http-port")) from_file.http_port = o.http_port;
    if (serve->count("--http-address")) from_file.http_address = o.http_address;
    if (serve->count("--iso-port")) {
      from_file.iso_port = o.iso_port;
      from_file.iso_port_given = true;
    }
    if (serve->count("--mode")) from_file.mode = o.mode;
    if (serve->count("--threads")) from_file.threads = o.threads;
    if (serve->count("--workers")) from_file.workers = o.workers;
    if (serve->count("--postgres")) from_file.postgres_dsn = o.postgres_dsn;
    from_file.no_migrate = o.no_migrate;
    return cardcore::serve(from_file);
  }
  return 0;
}
