#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <libpq-fe.h>

#include "security/crypto.h"
#include "../support/test_engine.h"

#ifndef CARDCORE_BINARY
#error "CARDCORE_BINARY must be defined (path of the built cardcore server)"
#endif

extern char** environ;

namespace apitest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::unique_ptr<Server> ApiTest::server_;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

HttpResponse do_request(uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const Headers& headers) {
  HttpResponse out;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  bhttp::verb v = bhttp::string_to_verb(method);
  if (v == bhttp::verb::unknown) req.method_string(method);
  else req.method(v);
  req.target(target);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(bhttp::field::connection, "close");
  for (const auto& [k, val] : headers) req.set(k, val);
  req.body() = body;
  req.prepare_payload();

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  boost::system::error_code connect_ec, write_ec, read_ec;
  bool read_done = false;
  stream.expires_after(30s);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](boost::system::error_code ec) {
                         connect_ec = ec;
                         if (ec) return;
                         // Read concurrently with the write: a server may answer early (413) and
                         // close before it has read the whole body.
                         bhttp::async_read(stream, buffer, parser, [&](boost::system::error_code rec, size_t) {
                           read_ec = rec;
                           read_done = true;
                         });
                         bhttp::async_write(stream, req, [&](boost::system::error_code wec, size_t) {
                           write_ec = wec;
                         });
                       });
  ioc.run();
  if (connect_ec) {
    out.transport_error = "connect: " + connect_ec.message();
    return out;
  }
  if (!read_done || (read_ec && !parser.is_header_done())) {
    out.transport_error = "read: " + read_ec.message() + (write_ec ? "; write: " + write_ec.message() : "");
    return out;
  }
  if (read_ec) out.transport_error = "read (partial): " + read_ec.message();
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  // A repeated header (Set-Cookie) keeps every value, one per line.
  for (const auto& f : res) {
    std::string& slot = out.headers[lower(std::string(f.name_string()))];
    slot += (slot.empty() ? "" : "\n") + std::string(f.value());
  }
  out.body = res.body();
  out.j = json::parse(out.body, nullptr, false);
  out.is_json = !out.j.is_discarded();
  return out;
}

// DIR/test-postgres.dsn: the DSN (and so the schema) of the servers started on DIR (PostgreSQL only).
constexpr const char* kPostgresDsnFile = "test-postgres.dsn";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Spawns `args` (argv[0] looked up on PATH when it has no slash) with stdin from /dev/null and
// stdout and stderr into the files named (the same file when equal); in a process group of its
// own when `own_group`. Returns the pid, or -1 (ADD_FAILURE).
pid_t spawn_process(std::vector<std::string> args, char* const* envp, const std::string& out_path,
                    const std::string& err_path, bool own_group) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (err_path == out_path) posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (own_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << args[0] << ": " << std::strerror(rc);
    return -1;
  }
  return pid;
}

// Spawns CARDCORE_BINARY with `args` and an environment without the developer's CARDCORE_*
// variables; stdout and stderr go to the files named. Returns the pid, or -1 (ADD_FAILURE).
pid_t spawn_cardcore(std::vector<std::string> args, const std::string& out_path, const std::string& err_path) {
  args.insert(args.begin(), CARDCORE_BINARY);
  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "CARDCORE_", 9) == 0) continue;  // nothing from the developer's shell
    env_store.emplace_back(*e);
  }
  env_store.push_back(std::string("CARDCORE_ADMIN_KEY=") + kAdminKey);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  return spawn_process(std::move(args), envp.data(), out_path, err_path, false);
}

// Runs CARDCORE_BINARY with `args` to its end, stdout and stderr both into `log_path`; SIGKILL
// after `limit`. Returns the exit code, or -1 when it could not run or did not exit by itself.
int run_cardcore(const std::vector<std::string>& args, const std::string& log_path, std::chrono::seconds limit) {
  pid_t pid = spawn_cardcore(args, log_path, log_path);
  if (pid < 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "cardcore did not exit within " << limit.count() << " s";
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer reports (the sanitizer build).
bool has_sanitizer_report(const std::string& log) {
  return log.find("ERROR: AddressSanitizer") != std::string::npos ||
         log.find("ERROR: LeakSanitizer") != std::string::npos || log.find(": runtime error: ") != std::string::npos;
}

// On PostgreSQL every fresh data directory gets a schema of its own (tests/support).
using testsupport::create_test_schema;
using testsupport::drop_test_schema;

}  // namespace

std::string test_engine() { return testsupport::test_engine(); }

std::string HttpResponse::describe() const {
  std::string s = "HTTP " + std::to_string(status) + " " + body.substr(0, 600);
  if (!transport_error.empty()) s += " [transport: " + transport_error + "]";
  return s;
}

// ---------------------------------------------------------------------------------------------

std::unique_ptr<Server> Server::prepare(const ServerOptions& opt) {
  std::unique_ptr<Server> s(new Server());
  if (!opt.data_dir.empty()) {
    s->dir_ = opt.data_dir;
    s->owns_dir_ = false;
    std::error_code ec;
    fs::remove(s->dir_ + "/server.json", ec);  // the previous run's port; wait for the new one
  } else {
    std::string tmpl = (fs::temp_directory_path() / "cardcore-api-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) {
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
      return nullptr;
    }
    s->dir_ = buf.data();
  }
  if ((opt.engine.empty() ? test_engine() : opt.engine) == "postgres") {
    // The data dir names its schema, so a restart on the same dir finds the same data.
    s->postgres_dsn_ = trim(slurp(s->dir_ + "/" + kPostgresDsnFile));
    if (s->postgres_dsn_.empty()) {
      s->postgres_dsn_ = create_test_schema();
      if (s->postgres_dsn_.empty()) return nullptr;
      s->owns_schema_ = true;
      std::ofstream(s->dir_ + "/" + kPostgresDsnFile) << s->postgres_dsn_ << "\n";
    }
  }
  json cfg = {{"argon2MemKib", 64}};
  for (auto it = opt.extra_config.begin(); it != opt.extra_config.end(); ++it) cfg[it.key()] = it.value();
  const std::string cfg_path = s->dir_ + "/test-config.json";
  std::ofstream(cfg_path) << cfg.dump() << "\n";
  s->serve_args_ = {"serve", "--data", s->dir_, "--http-port", "0", "--config", cfg_path};
  if (!s->postgres_dsn_.empty()) {
    s->serve_args_.push_back("--postgres");
    s->serve_args_.push_back(s->postgres_dsn_);
  }
  return s;
}

std::unique_ptr<Server> Server::start(const ServerOptions& opt) {
  std::unique_ptr<Server> s = prepare(opt);
  if (!s || !s->launch()) return nullptr;
  return s;
}

bool Server::launch(bool wait_until_ready, const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = serve_args_;
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::error_code ec;
  fs::remove(dir_ + "/server.json", ec);
  pid_t pid = spawn_cardcore(args, dir_ + "/stdout.log", dir_ + "/stderr.log");
  if (pid < 0) return false;
  pid_ = pid;

  // Bounded wait for server.json: it appears once HTTP listens and says "ready" once the store
  // is open and migrated and both listeners are up.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid_ = -1;
      ADD_FAILURE() << "cardcore exited during start-up (status " << status << "); stderr:\n"
                    << read_file("stderr.log") << "\nstdout:\n" << read_file("stdout.log");
      return false;
    }
    json info = json::parse(read_file("server.json"), nullptr, false);
    if (info.is_object() && info.contains("httpPort") && info["httpPort"].is_number_integer()) {
      port_ = static_cast<uint16_t>(info["httpPort"].get<int>());
      if (!wait_until_ready) return true;
      // Not /readyz: a draining server (httpQueueBudgetMs 0) is rightly not ready, yet serves.
      if (info.value("ready", false) && get("/healthz").status == 200) return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "cardcore did not come up within 20 s; stderr:\n" << read_file("stderr.log");
  stop();
  return false;
}

int Server::run_cli(std::vector<std::string> args, std::string* output, bool name_store) const {
  if (name_store && postgres_dsn_.empty()) args.insert(args.end(), {"--data", dir_});
  if (name_store && !postgres_dsn_.empty()) args.insert(args.end(), {"--postgres", postgres_dsn_});
  const std::string log = dir_ + "/cli.log";
  int rc = run_cardcore(args, log, 120s);
  if (output) *output = slurp(log);
  return rc;
}

int Server::run_serve_until_exit(const std::vector<std::string>& extra_args, std::string* output) const {
  std::vector<std::string> args = serve_args_;
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string log = dir_ + "/run-until-exit.log";
  int rc = run_cardcore(args, log, 30s);
  if (output) *output = slurp(log);
  return rc;
}

int Server::run_until_exit(const ServerOptions& opt, std::string* output) {
  std::unique_ptr<Server> s = prepare(opt);
  if (!s) return -1;
  const std::string log = s->dir_ + "/run-until-exit.log";
  int rc = run_cardcore(s->serve_args_, log, 30s);
  if (output) *output = slurp(log);
  return rc;
}

int Server::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = -1;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0) {
      status = -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
  expect_no_sanitizer_report();
  return status;
}

int Server::kill_hard() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  int status = -1;
  if (::waitpid(pid_, &status, 0) != pid_) status = -1;
  pid_ = -1;
  expect_no_sanitizer_report();
  return status;
}

void Server::expect_no_sanitizer_report() const {
  std::string err = read_file("stderr.log");
  if (has_sanitizer_report(err)) ADD_FAILURE() << "sanitizer report from cardcore serve:\n" << err;
}

Server::~Server() {
  stop();
  if (std::getenv("API_TEST_KEEP_DIR")) return;
  if (owns_schema_) drop_test_schema(postgres_dsn_);
  if (owns_dir_ && !dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string Server::read_file(const std::string& name) const { return slurp(dir_ + "/" + name); }

std::string Server::stored_bytes() const {
  if (postgres_dsn_.empty()) return read_file("cardcore.db") + read_file("cardcore.db-wal");
  std::string out;
  PGconn* c = PQconnectdb(postgres_dsn_.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << "postgres: " << PQerrorMessage(c);
    PQfinish(c);
    return out;
  }
  PGresult* tables = PQexec(c, "SELECT quote_ident(table_name) FROM information_schema.tables "
                               "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
  for (int t = 0; t < PQntuples(tables); ++t) {
    const std::string name = PQgetvalue(tables, t, 0);
    PGresult* rows = PQexec(c, ("SELECT t::text FROM " + name + " t").c_str());
    if (PQresultStatus(rows) != PGRES_TUPLES_OK) ADD_FAILURE() << name << ": " << PQresultErrorMessage(rows);
    for (int r = 0; r < PQntuples(rows); ++r) out.append(PQgetvalue(rows, r, 0)).append("\n");
    PQclear(rows);
  }
  PQclear(tables);
  PQfinish(c);
  return out;
}

HttpResponse Server::request(const std::string& method, const std::string& target, const std::string& body,
                             const Headers& headers) const {
  return do_request(port_, method, target, body, headers);
}

HttpResponse Server::get(const std::string& target, const Headers& headers) const {
  return request("GET", target, "", headers);
}

HttpResponse Server::post_raw(const std::string& target, const std::string& body, const Headers& headers) const {
  Headers h = headers;
  bool has_ct = false;
  for (auto& [k, v] : h) has_ct = has_ct || lower(k) == "content-type";
  if (!has_ct) h.emplace_back("Content-Type", "application/json");
  return request("POST", target, body, h);
}

HttpResponse Server::post_json(const std::string& target, const json& body, const Headers& headers) const {
  return post_raw(target, body.dump(), headers);
}

HttpResponse Server::post_form(const std::string& target, const std::string& form, const Headers& headers) const {
  Headers h = headers;
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return request("POST", target, form, h);
}

HttpResponse Server::admin_post(const std::string& path, const json& body) const {
  return post_json(path, body, {{"X-Admin-Key", kAdminKey}});
}

PartnerCreds Server::admin_create_partner(const std::string& name, const std::string& mobile,
                                          const std::string& encryption, bool login) const {
  json body = {{"name", name}};
  if (!mobile.empty()) body["mobile"] = mobile;
  if (!encryption.empty()) body["encryption"] = encryption;
  HttpResponse r = admin_post("/admin/v1/partners", body);
  PartnerCreds c;
  if (!IsOkA(r)) {
    ADD_FAILURE() << "create partner: " << r.describe();
    return c;
  }
  const json& p = r.j["payload"];
  c.partner_id = p.value("partnerId", "");
  c.company_id = p.value("companyId", "");
  c.company_name = p.value("companyName", "");
  c.client_id = p.value("clientId", "");
  c.client_secret = p.value("clientSecret", "");
  c.username = p.value("username", "");
  c.password = p.value("password", "");
  c.plan_master_id = p.value("planMasterId", "");
  if (login) {
    HttpResponse t = token(c);
    if (t.status != 200) ADD_FAILURE() << "token: " << t.describe();
  }
  return c;
}

json Server::card_history(const std::string& card_id) const {
  HttpResponse r = admin_post("/admin/v1/cards/history", {{"enKashCardId", card_id}});
  if (!IsOkA(r)) {
    ADD_FAILURE() << "history: " << r.describe();
    return nullptr;
  }
  return r.j["payload"];
}

namespace {
}  // namespace

HttpResponse Server::token_request(const PartnerCreds& c, const std::string& password) const {
  std::string form = "grant_type=password&username=" + percent_encode(c.username) + "&password=" +
                     percent_encode(password) + "&clientId=" + percent_encode(c.client_id);
  return post_form("/oauth/token", form,
                   {{"Authorization", "Basic " + base64(c.client_id + ":" + c.client_secret)}});
}

HttpResponse Server::token(PartnerCreds& c) const {
  HttpResponse r = token_request(c, c.password);
  if (r.status == 200 && r.is_json) {
    c.access_token = r.j.value("access_token", "");
    c.refresh_token = r.j.value("refresh_token", "");
  }
  return r;
}

HttpResponse Server::refresh(const PartnerCreds& c, const std::string& refresh_token) const {
  return post_form("/oauth/token", "grant_type=refresh_token&refresh_token=" + percent_encode(refresh_token),
                   {{"Authorization", "Basic " + base64(c.client_id + ":" + c.client_secret)}});
}

HttpResponse Server::partner_post_raw(const PartnerCreds& c, const std::string& path, const std::string& body,
                                      Headers extra) const {
  Headers h = {{"authorization", "Bearer " + c.access_token}, {"partnerId", c.partner_id}};
  for (auto& e : extra) h.push_back(e);
  return post_raw(std::string(kBase) + path, body, h);
}

HttpResponse Server::partner_post(const PartnerCreds& c, const std::string& path, const json& body) const {
  return partner_post_raw(c, path, body.dump());
}

HttpResponse Server::fund_pool(const PartnerCreds& c, const std::string& account_id, const json& amount,
                               const std::string& reference) const {
  return admin_post("/admin/v1/cardAccounts/fund",
                    {{"companyId", c.company_id}, {"cardAccountId", account_id}, {"amount", amount}, {"reference", reference}});
}

HttpResponse Server::load_card(const PartnerCreds& c, const std::string& account_id, const std::string& card_id,
                               const json& amount, const std::string& reference) const {
  return partner_post(c, "/balance", {{"companyId", c.company_id}, {"cardAccountId", account_id}, {"enKashCardId", card_id},
                                      {"amount", amount}, {"transactionType", "CR"}, {"uniqueReferenceNumber", reference}});
}

std::string Server::create_account(const PartnerCreds& c, const std::string& mobile) const {
  HttpResponse r = partner_post(c, "/cardAccount/create",
                                {{"companyId", c.company_id},
                                 {"companyName", c.company_name},
                                 {"planMasterId", c.plan_master_id},
                                 {"email", "holder@example.com"},
                                 {"mobile", mobile},
                                 {"accountTitle", "Meal wallet"},
                                 {"accountType", "MEAL"}});
  if (!IsOkA(r)) {
    ADD_FAILURE() << "create account: " << r.describe();
    return {};
  }
  return r.j["payload"].value("cardAccountId", "");
}

json Server::create_card(const PartnerCreds& c, const std::string& account_id, const json& extra) const {
  json body = {{"companyId", c.company_id},
               {"cardAccountId", account_id},
               {"email", "asha@example.com"},
               {"mobile", "9876543210"},
               {"firstName", "Asha"},
               {"lastName", "Rao"},
               {"gender", "F"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  HttpResponse r = partner_post(c, "", body);
  if (!IsOkA(r)) {
    ADD_FAILURE() << "create card: " << r.describe();
    return nullptr;
  }
  return r.j["payload"];
}

json Server::search_card(const PartnerCreds& c, const std::string& account_id, const std::string& card_id) const {
  HttpResponse r = partner_post(c, "/search",
                                {{"companyId", c.company_id}, {"cardAccountId", account_id}, {"enKashCardId", card_id}});
  if (!IsOkB(r)) {
    ADD_FAILURE() << "search: " << r.describe();
    return nullptr;
  }
  return r.j["payload"];
}

std::string Server::card_status(const PartnerCreds& c, const std::string& account_id,
                                const std::string& card_id) const {
  json card = search_card(c, account_id, card_id);
  if (!card.is_object() || !card.contains("cardStatus")) return "?";
  return card["cardStatus"].value("name", "?");
}

std::pair<std::string, std::string> Server::otp(const PartnerCreds& c, const std::string& account_id,
                                                const std::string& card_id, const std::string& action) const {
  HttpResponse r = partner_post(c, "/otp",
                                {{"cardAccountId", account_id}, {"enKashCardId", card_id}, {"cardOtpAction", action}});
  if (!IsOkA(r)) {
    ADD_FAILURE() << "otp: " << r.describe();
    return {};
  }
  std::string id = r.j["payload"].value("otpRequestId", "");
  auto code = outbox_code(id);
  if (!code) ADD_FAILURE() << "no SMS in the outbox for " << id;
  return {id, code.value_or("")};
}

std::optional<std::string> Server::outbox_code(const std::string& otp_request_id) const {
  std::istringstream in(read_file("sms-outbox.jsonl"));
  std::optional<std::string> found;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("otpRequestId", "") != otp_request_id) continue;
    std::string text = j.value("text", "");
    if (text.size() >= 6) found = text.substr(0, 6);
  }
  return found;
}

json Server::block_body(const PartnerCreds& c, const std::string& account_id, const std::string& card_id,
                        const std::string& block_code) const {
  return {{"companyId", c.company_id}, {"cardAccountId", account_id}, {"enKashCardId", card_id},
          {"blockCode", block_code},   {"reason", "api test"},        {"otpMedium", "MOBILE"},
          {"otpRequired", false}};
}

// ---------------------------------------------------------------------------------------------

void ApiTest::SetUpTestSuite() {
  if (!server_ || !server_->running()) server_ = Server::start();
}

void ApiTest::TearDownTestSuite() { server_.reset(); }

void ApiTest::SetUp() { ASSERT_TRUE(server_ && server_->running()) << "the cardcore server is not running"; }

ApiTest::Fixture ApiTest::fresh(const json& card_extra) {
  Fixture f;
  f.p = srv().admin_create_partner();
  f.account = srv().create_account(f.p);
  f.card = srv().create_card(f.p, f.account, card_extra);
  if (f.card.is_object()) f.card_id = f.card.value("enKashCardId", "");
  return f;
}

// ---------------------------------------------------------------------------------------------

::testing::AssertionResult IsOkA(const HttpResponse& r) {
  if (r.status == 200 && r.is_json && r.j.is_object() && r.j.value("code", -1) == 0 &&
      r.j.value("message", "") == "Success" && r.j.contains("payload")) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected envelope A success, got " << r.describe();
}

::testing::AssertionResult IsOkB(const HttpResponse& r) {
  if (r.status == 200 && r.is_json && r.j.is_object() && r.j.value("response_code", -1) == 0 &&
      r.j.value("response_message", "") == "Success" && r.j.contains("payload") && !r.j.contains("code")) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected envelope B success, got " << r.describe();
}

::testing::AssertionResult IsErr(const HttpResponse& r, int http_status, int code, const std::string& msg_part,
                                 bool b) {
  const char* ck = b ? "response_code" : "code";
  const char* mk = b ? "response_message" : "message";
  if (r.status != http_status || !r.is_json || !r.j.is_object() || !r.j.contains(ck) || !r.j[ck].is_number() ||
      r.j[ck].get<int>() != code || !r.j.contains(mk) || !r.j[mk].is_string() || !r.j.contains("payload") ||
      !r.j["payload"].is_null()) {
    return ::testing::AssertionFailure() << "expected HTTP " << http_status << " with " << ck << " " << code
                                         << ", got " << r.describe();
  }
  if (!msg_part.empty() && r.j[mk].get<std::string>().find(msg_part) == std::string::npos) {
    return ::testing::AssertionFailure() << "expected message containing '" << msg_part << "', got "
                                         << r.describe();
  }
  return ::testing::AssertionSuccess();
}

double metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

HelperProcess::HelperProcess(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)), pid_(spawn_process(std::move(argv), environ, log_path_, log_path_, true)) {}

HelperProcess::~HelperProcess() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(20ms);
  if (::waitpid(pid_, &status, WNOHANG) == 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
}

bool HelperProcess::running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

std::string HelperProcess::log() const { return slurp(log_path_); }

uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

HttpResponse http_get(uint16_t port, const std::string& target) { return do_request(port, "GET", target, "", {}); }

int ledger_verify(const std::string& data_dir, std::string* output) {
  const std::string dsn = trim(slurp(data_dir + "/" + kPostgresDsnFile));
  std::vector<std::string> args = {"ledger", "verify"};
  if (dsn.empty()) args.insert(args.end(), {"--data", data_dir});
  else args.insert(args.end(), {"--postgres", dsn});
  const std::string log = data_dir + "/ledger-verify.log";
  int rc = run_cardcore(args, log, 120s);
  if (output) *output = slurp(log);
  return rc;
}

bool all_digits(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_hex(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool id_like(const std::string& s, const std::string& prefix, size_t n) {
  if (s.size() != prefix.size() + n || s.compare(0, prefix.size(), prefix) != 0) return false;
  return std::all_of(s.begin() + static_cast<long>(prefix.size()), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

bool luhn_ok(const std::string& digits) {
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

std::string base64(const std::string& raw) { return cardcore::crypto::base64_encode(raw); }

int64_t paise(const json& v) {
  if (v.is_number()) return std::llround(v.get<double>() * 100.0);
  if (v.is_string()) return std::llround(std::stod(v.get<std::string>()) * 100.0);
  return -1;
}

std::vector<HttpResponse> in_parallel(int n, const std::function<HttpResponse(int)>& fn) {
  std::vector<HttpResponse> out(n);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      out[i] = fn(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace apitest
