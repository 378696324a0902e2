// What operators run the server with: GET /metrics (Prometheus text, counts that match the
// traffic sent, no secret in it, accepted by promtool), GET /readyz while the store's migrations
// wait and after, `cardcore migrate` and `serve --no-migrate`.
#include <libpq-fe.h>
#include <sys/wait.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "harness.h"
#include "test_engine.h"

namespace apitest {
namespace {

using namespace std::chrono_literals;

// Runs `promtool check metrics` on the text; its exit code and output.
int promtool_check(const std::string& dir, const std::string& text, std::string* output) {
  const std::string in = dir + "/metrics.txt", out = dir + "/promtool.log";
  { std::ofstream(in) << text; }
  int rc = std::system(("promtool check metrics < '" + in + "' > '" + out + "' 2>&1").c_str());
  std::ifstream f(out);
  *output = std::string(std::istreambuf_iterator<char>(f), {});
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

struct Card {
  PartnerCreds p;
  std::string account, card;
  Headers headers() const { return {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id}}; }
  json auth(const json& amount) const {
    return {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card},
            {"amount", amount},          {"channel", "POS"},         {"merchantName", "Metrics Mart"},
            {"mcc", "5411"}};
  }
};

// A fresh partner's account (its pool funded with `pool_rupees`) and one card on it.
Card funded_card(const Server& s, const std::string& partner_name, int pool_rupees = 1000) {
  Card c;
  c.p = s.admin_create_partner(partner_name);
  c.account = s.create_account(c.p);
  c.card = s.create_card(c.p, c.account).value("enKashCardId", "");
  EXPECT_FALSE(c.card.empty());
  EXPECT_TRUE(IsOkA(s.admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                                  {"cardAccountId", c.account},
                                                                  {"amount", pool_rupees},
                                                                  {"reference", "POOL-" + c.account}})));
  return c;
}

TEST(ApiOps, MetricsCountTheTrafficSentAndHoldNoSecret) {
  auto s = Server::start();
  ASSERT_TRUE(s);
  Card c = funded_card(*s, "Metrics Co");
  for (int i = 0; i < 3; ++i) {
    HttpResponse l = s->partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                       {"enKashCardId", c.card}, {"amount", 100},
                                                       {"transactionType", "CR"},
                                                       {"uniqueReferenceNumber", "LOAD-" + std::to_string(i)}});
    ASSERT_TRUE(IsOkA(l)) << l.describe();
  }
  std::string auth_id;
  for (int i = 0; i < 2; ++i) {
    HttpResponse a = s->post_json("/api/v0/sandbox/authorizations", c.auth(10), c.headers());
    ASSERT_TRUE(IsOkA(a)) << a.describe();
    ASSERT_EQ(a.j["payload"].value("responseCode", ""), "00") << a.describe();
    auth_id = a.j["payload"].value("authorizationId", "");
  }
  HttpResponse declined = s->post_json("/api/v0/sandbox/authorizations", c.auth(5000), c.headers());
  ASSERT_EQ(declined.j["payload"].value("responseCode", ""), "51") << declined.describe();
  HttpResponse capture = s->post_json("/api/v0/sandbox/authorizations/" + auth_id + "/capture", json::object(),
                                      c.headers());
  ASSERT_TRUE(IsOkA(capture)) << capture.describe();
  EXPECT_EQ(s->post_json("/api/v0/sandbox/authorizations/" + auth_id + "/bogus", json::object(), c.headers()).status,
            404);

  HttpResponse m = s->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u) << m.header("content-type");
  const std::string& text = m.body;
  EXPECT_EQ(metric_value(text, R"(cardcore_http_requests_total{code="200",route="/api/v0/partner/enKashCard/balance"})"), 3)
      << text;
  EXPECT_EQ(metric_value(text, R"(cardcore_http_requests_total{code="200",route="/api/v0/sandbox/authorizations"})"), 3);
  EXPECT_EQ(metric_value(text, R"(cardcore_http_requests_total{code="200",route="/api/v0/sandbox/authorizations/{authorizationId}/capture"})"),
            1);
  EXPECT_EQ(metric_value(text, R"(cardcore_http_requests_total{code="404",route="unmatched"})"), 1);
  EXPECT_EQ(metric_value(text, R"(cardcore_authorizations_total{approved="true",response_code="00",source="SANDBOX"})"), 2);
  EXPECT_EQ(metric_value(text, R"(cardcore_authorizations_total{approved="false",response_code="51",source="SANDBOX"})"), 1);
  EXPECT_EQ(metric_value(text, R"(cardcore_http_request_duration_seconds_count{route="/api/v0/partner/enKashCard/balance"})"),
            3);
  {
    std::smatch info;
    ASSERT_TRUE(std::regex_search(text, info, std::regex(R"re(\ncardcore_build_info\{commit="([0-9a-f]{12}(\+dirty)?|unknown)",engine="([a-z]+)",version="([0-9.]+)"\} 1\n)re")))
        << text;
    EXPECT_EQ(info[3].str(), test_engine());
  }
  // Every unit above committed: commits counted, and units per commit counted for each.
  const double commits = metric_value(text, "cardcore_store_commit_duration_seconds_count");
  EXPECT_GE(commits, 10);
  EXPECT_EQ(metric_value(text, "cardcore_store_units_per_commit_count"), commits);
  EXPECT_GE(metric_value(text, "cardcore_store_units_per_commit_sum"), commits);
  EXPECT_GE(metric_value(text, "cardcore_webhook_outbox_pending"), 0);
  EXPECT_GE(metric_value(text, R"(cardcore_webhook_deliveries_total{result="delivered"})"), 0);
  // No id a caller sent, no token, no secret: labels are templates and codes.
  for (const std::string& secret : {c.p.access_token, c.p.client_secret, c.p.password, c.card, auth_id,
                                    std::string(kAdminKey)}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  std::string promtool;
  EXPECT_EQ(promtool_check(s->dir(), text, &promtool), 0) << promtool;
}

// Debian's Prometheus server on loopback, scraping one target every second; stopped with the object.
class Prometheus {
 public:
  Prometheus(const std::string& dir, uint16_t target_port)
      : dir_((std::filesystem::create_directories(dir), dir)),
        port_(free_loopback_port()),
        config_(write_config(dir_, target_port)),
        process_({"prometheus", "--config.file=" + config_, "--storage.tsdb.path=" + dir_ + "/data",
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
                 dir_ + "/prometheus.log") {}
  bool running() const { return process_.running(); }
  std::string log() const { return process_.log(); }
  // The value of an instant query whose answer is one sample, as Prometheus prints it; "" when
  // there is no such sample (yet).
  std::string query(const std::string& promql) const {
    HttpResponse r = http_get(port_, "/api/v1/query?query=" + percent_encode(promql));
    if (r.status != 200 || !r.is_json) return "";
    const json& result = r.j["data"]["result"];
    if (!result.is_array() || result.size() != 1) return "";
    return result[0]["value"][1].get<std::string>();
  }

 private:
  static std::string write_config(const std::string& dir, uint16_t target_port) {
    const std::string path = dir + "/prometheus.yml";
    std::ofstream(path) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                           "scrape_configs:\n  - job_name: cardcore\n    static_configs:\n"
                           "      - targets: ['127.0.0.1:"
                        << target_port << "']\n";
    return path;
  }
  std::string dir_;
  uint16_t port_;
  std::string config_;
  HelperProcess process_;
};

// A real Prometheus (Debian's package) scrapes cardcore while traffic runs; its query API then
// answers the counts that were sent.
TEST(ApiOps, ARealPrometheusScrapesTheCountsSent) {
  auto s = Server::start();
  ASSERT_TRUE(s);
  Prometheus prometheus(s->dir() + "/prometheus", s->port());
  ASSERT_TRUE(prometheus.running()) << prometheus.log();
  Card c = funded_card(*s, "Scraped Co");
  constexpr int kLoads = 4;
  for (int i = 0; i < kLoads; ++i) {
    HttpResponse l = s->partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                       {"enKashCardId", c.card}, {"amount", 50},
                                                       {"transactionType", "CR"},
                                                       {"uniqueReferenceNumber", "SCRAPE-" + std::to_string(i)}});
    ASSERT_TRUE(IsOkA(l)) << l.describe();
    std::this_thread::sleep_for(300ms);  // spread over several scrapes
  }
  HttpResponse a = s->post_json("/api/v0/sandbox/authorizations", c.auth(25), c.headers());
  ASSERT_EQ(a.j["payload"].value("responseCode", ""), "00") << a.describe();

  const std::string loads = R"(cardcore_http_requests_total{job="cardcore",route="/api/v0/partner/enKashCard/balance",code="200"})";
  const std::string approved = R"(cardcore_authorizations_total{job="cardcore",source="SANDBOX",approved="true",response_code="00"})";
  std::string seen_loads, seen_approved, up;
  for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
    seen_loads = prometheus.query(loads);
    seen_approved = prometheus.query(approved);
    up = prometheus.query(R"(up{job="cardcore"})");
    if (seen_loads == std::to_string(kLoads) && seen_approved == "1") break;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(up, "1") << prometheus.log();
  EXPECT_EQ(seen_loads, std::to_string(kLoads)) << prometheus.log();
  EXPECT_EQ(seen_approved, "1") << prometheus.log();
  EXPECT_NE(prometheus.query(R"(cardcore_build_info{job="cardcore",engine=")" + test_engine() + "\"}"), "");
}

// The store's migrations wait for a lock another process holds (PostgreSQL: another node
// migrating; SQLite: another process writing): HTTP
// already listens, /healthz is alive, /readyz and every API route answer 503 until the
// migrations ran, then /readyz answers 200 with the schema's version.
TEST(ApiOps, ReadyzSaysStartingUntilTheMigrationsRan) {
  auto s = Server::prepare({});
  ASSERT_TRUE(s);
  sqlite3* lite = nullptr;
  PGconn* pg = nullptr;
  if (s->postgres_dsn().empty()) {
    ASSERT_EQ(sqlite3_open((s->dir() + "/cardcore.db").c_str(), &lite), SQLITE_OK);
    // A database in WAL mode (as cardcore leaves it) whose write lock another process holds: an
    // operator's sqlite3 shell, a maintenance job.
    ASSERT_EQ(sqlite3_exec(lite, "PRAGMA journal_mode=WAL; BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  } else {
    pg = PQconnectdb(s->postgres_dsn().c_str());
    ASSERT_EQ(PQstatus(pg), CONNECTION_OK) << PQerrorMessage(pg);
    PGresult* r = PQexec(pg, "SELECT pg_advisory_lock(hashtext('cardcore.migrate.' || current_schema()))");
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(pg);
    PQclear(r);
  }
  ASSERT_TRUE(s->launch(/*wait_until_ready=*/false));
  HttpResponse starting = s->get("/readyz");
  EXPECT_EQ(starting.status, 503) << starting.describe();
  EXPECT_EQ(starting.j.value("status", ""), "starting") << starting.describe();
  EXPECT_NE(starting.j.value("reason", "").find("migrations"), std::string::npos) << starting.describe();
  EXPECT_EQ(s->get("/healthz").status, 200);
  HttpResponse token = s->post_form("/oauth/token", "grant_type=password");
  EXPECT_EQ(token.status, 503) << token.describe();
  EXPECT_EQ(token.header("retry-after"), "1");
  EXPECT_EQ(s->get("/metrics").status, 200);

  if (lite) {
    sqlite3_exec(lite, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(lite);
  }
  if (pg) PQfinish(pg);
  HttpResponse ready;
  for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
    ready = s->get("/readyz");
    if (ready.status == 200) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(ready.status, 200) << ready.describe();
  EXPECT_EQ(ready.j.value("status", ""), "ready");
  std::string out;
  ASSERT_EQ(s->run_cli({"migrate"}, &out), 0) << out;
  EXPECT_NE(out.find("nothing to apply: schema at version " + std::to_string(ready.j.value("schemaVersion", -1))),
            std::string::npos)
      << out << ready.describe();
}

// One job migrates, the servers start with --no-migrate: they refuse a schema that is behind.
TEST(ApiOps, MigrateAppliesWhatIsMissingAndNoMigrateRefusesASchemaBehind) {
  auto s = Server::prepare({});
  ASSERT_TRUE(s);
  std::string out;
  ASSERT_EQ(s->run_cli({"migrate", "--to", "1"}, &out), 0) << out;
  EXPECT_NE(out.find("applied 001_init"), std::string::npos) << out;
  EXPECT_EQ(out.find("applied 002"), std::string::npos) << out;
  EXPECT_NE(out.find("schema at version 1 "), std::string::npos) << out;

  EXPECT_EQ(s->run_serve_until_exit({"--no-migrate"}, &out), 2) << out;
  EXPECT_NE(out.find("the schema is at version 1; this build needs"), std::string::npos) << out;

  ASSERT_EQ(s->run_cli({"migrate"}, &out), 0) << out;
  EXPECT_EQ(out.find("applied 001_init"), std::string::npos) << out;
  EXPECT_NE(out.find("applied 002_ledger"), std::string::npos) << out;
  ASSERT_EQ(s->run_cli({"migrate"}, &out), 0) << out;
  EXPECT_NE(out.find("nothing to apply"), std::string::npos) << out;

  ASSERT_TRUE(s->launch(/*wait_until_ready=*/true, {"--no-migrate"}));
  HttpResponse ready = s->get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.describe();
  // And it serves: a partner can be created and log in.
  PartnerCreds p = s->admin_create_partner("After Migrate Co");
  EXPECT_FALSE(p.access_token.empty());
}

}  // namespace
}  // namespace apitest

namespace apitest {
namespace {

// `cardcore backup --to FILE` while the server runs: the copy holds what was committed before it
// and nothing after, and a server started on it (with the same keys) serves that state and its
// ledger verifies. PostgreSQL is backed up with pg_dump: the command says so and copies nothing.
TEST(ApiOps, BackupWhileServingRestoresToAWorkingStore) {
  auto s = Server::start();
  ASSERT_TRUE(s);
  Card c = funded_card(*s, "Backup Co");
  auto load = [&](const std::string& ref) {
    return s->partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                             {"enKashCardId", c.card}, {"amount", 123},
                                             {"transactionType", "CR"}, {"uniqueReferenceNumber", ref}});
  };
  ASSERT_TRUE(IsOkA(load("BACKUP-1")));
  HttpResponse hold = s->post_json("/api/v0/sandbox/authorizations", c.auth(23), c.headers());
  ASSERT_EQ(hold.j["payload"].value("responseCode", ""), "00") << hold.describe();

  const std::string restore_dir = s->dir() + "/restored";
  std::filesystem::create_directories(restore_dir);
  const std::string file = restore_dir + "/cardcore.db";
  std::string out;
  if (!s->postgres_dsn().empty()) {
    EXPECT_EQ(s->run_cli({"backup", "--to", file}, &out), 2) << out;
    EXPECT_NE(out.find("pg_dump"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(file));
    return;
  }
  ASSERT_EQ(s->run_cli({"backup", "--to", file}, &out), 0) << out;
  EXPECT_NE(out.find("backed up"), std::string::npos) << out;
  EXPECT_EQ(s->run_cli({"backup", "--to", file}, &out), 2) << "never overwrites: " << out;
  EXPECT_NE(out.find("exists"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no progress drawn into a file: " << out;
  {
    // On a terminal (script(1) gives it one) the copy draws its progress.
    const std::string log = s->dir() + "/tty.log";
    const std::string cmd = std::string("script -qec \"") + CARDCORE_BINARY + " backup --data " + s->dir() +
                            " --to " + s->dir() + "/tty-copy.db\" /dev/null > " + log + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream f(log);
    const std::string tty(std::istreambuf_iterator<char>(f), {});
    EXPECT_NE(tty.find("backup ["), std::string::npos) << tty;
    EXPECT_NE(tty.find("100.0%"), std::string::npos) << tty;
  }
  ASSERT_TRUE(IsOkA(load("BACKUP-2")));  // after the copy: not in it

  for (const char* key : {"vault.keys", "hmac.key", "zpk.key"}) {
    std::filesystem::copy_file(s->dir() + "/" + key, restore_dir + "/" + key);
  }
  ServerOptions o;
  o.data_dir = restore_dir;
  auto restored = Server::start(o);
  ASSERT_TRUE(restored);
  ASSERT_EQ(restored->token(c.p).status, 200);
  json card = restored->search_card(c.p, c.account, c.card);
  ASSERT_TRUE(card.is_object());
  EXPECT_EQ(paise(card["otbBalance"]), 100'00) << card.dump();  // ₹123 loaded, ₹23 held; the second load is not there
  EXPECT_EQ(ledger_verify(restore_dir, &out), 0) << out;
  // The running original went on: both loads and the hold.
  ASSERT_EQ(s->token(c.p).status, 200);
  EXPECT_EQ(paise(s->search_card(c.p, c.account, c.card)["otbBalance"]), 223'00);
}

}  // namespace
}  // namespace apitest

namespace apitest {
namespace {

// `cardcore migrate-data --from DIR --to DSN` on a populated SQLite installation: interrupted
// (--batches) and run again, it moves every row; cards, balances, holds and transactions read the
// same through the API of a server on the target; ledger verify is clean; a target that holds
// data is refused. The target is always a PostgreSQL schema of its own: the SQLite run of this
// test checks a move that cannot reach its target fails and leaves the source as it was.
TEST(ApiOps, MigrateDataMovesAnEmbeddedStoreToPostgres) {
  ServerOptions source_options;
  source_options.engine = "sqlite";
  auto src = Server::start(source_options);
  ASSERT_TRUE(src);
  Card c;
  c.p = src->admin_create_partner("Moving Co");
  c.account = src->create_account(c.p);
  ASSERT_TRUE(IsOkA(src->admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                                     {"cardAccountId", c.account},
                                                                     {"amount", 5000},
                                                                     {"reference", "POOL-" + c.account}})));
  std::vector<std::string> cards;
  for (int i = 0; i < 3; ++i) {
    c.card = src->create_card(c.p, c.account).value("enKashCardId", "");
    ASSERT_FALSE(c.card.empty());
    cards.push_back(c.card);
    ASSERT_TRUE(IsOkA(src->partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                          {"enKashCardId", c.card}, {"amount", 100 + i},
                                                          {"transactionType", "CR"},
                                                          {"uniqueReferenceNumber", "MOVE-" + std::to_string(i)}})));
    HttpResponse a = src->post_json("/api/v0/sandbox/authorizations", c.auth(10 + i), c.headers());
    ASSERT_EQ(a.j["payload"].value("responseCode", ""), "00") << a.describe();
    HttpResponse p = src->post_json("/api/v0/sandbox/purchases", c.auth(5), c.headers());
    ASSERT_EQ(p.j["payload"].value("responseCode", ""), "00") << p.describe();
  }
  ASSERT_TRUE(IsOkA(src->partner_post(c.p, "/block", src->block_body(c.p, c.account, cards[0], "L"))));
  auto read_state = [&](const Server& s) {
    json state = json::object();
    for (const std::string& id : cards) {
      json card = s.search_card(c.p, c.account, id);
      HttpResponse t = s.partner_post(c.p, "/transaction/all", {{"companyId", c.p.company_id},
                                                                {"cardAccountId", c.account},
                                                                {"enKashCardId", id}, {"pageSize", 100}});
      state[id] = {{"card", card}, {"transactions", t.j["payload"].value("transactions", json::array())}};
    }
    return state;
  };
  const json before = read_state(*src);
  const std::string source_dir = src->dir();
  ASSERT_EQ(src->stop(), 0);

  std::string out;
  if (test_engine() != "postgres") {
    const std::string unreachable = "host=127.0.0.1 port=1 user=nobody dbname=nothing connect_timeout=2";
    EXPECT_EQ(src->run_cli({"migrate-data", "--from", source_dir, "--to", unreachable}, &out, false), 2) << out;
    EXPECT_NE(out.find("cannot connect"), std::string::npos) << out;
    ServerOptions again;
    again.data_dir = source_dir;
    auto restarted = Server::start(again);
    ASSERT_TRUE(restarted);
    ASSERT_EQ(restarted->token(c.p).status, 200);
    EXPECT_EQ(read_state(*restarted), before);
    return;
  }

  const std::string target = testsupport::create_test_schema();
  ASSERT_FALSE(target.empty());
  std::vector<std::string> move = {"migrate-data", "--from", source_dir, "--to", target, "--batch", "3"};
  std::vector<std::string> first = move;
  first.insert(first.end(), {"--batches", "4"});
  EXPECT_EQ(src->run_cli(first, &out, false), 3) << out;
  EXPECT_NE(out.find("run the same command again"), std::string::npos) << out;
  ASSERT_EQ(src->run_cli(move, &out, false), 0) << out;
  EXPECT_NE(out.find("resumed"), std::string::npos) << out;
  EXPECT_NE(out.find("row counts: equal"), std::string::npos) << out;
  EXPECT_NE(out.find(", 0 differ"), std::string::npos) << out;
  EXPECT_NE(out.find("ledger verify on the target: clean"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no progress drawn into a file: " << out;
  EXPECT_EQ(src->run_cli(move, &out, false), 2) << out;
  EXPECT_NE(out.find("already holds data"), std::string::npos) << out;

  // A server on the target, with the installation's keys, serves the same cards.
  const std::string moved_dir = source_dir + "-moved";
  std::filesystem::create_directories(moved_dir);
  for (const char* key : {"vault.keys", "hmac.key", "zpk.key"}) {
    std::filesystem::copy_file(source_dir + "/" + key, moved_dir + "/" + key);
  }
  std::ofstream(moved_dir + "/test-postgres.dsn") << target << "\n";
  ServerOptions moved_options;
  moved_options.data_dir = moved_dir;
  moved_options.engine = "postgres";
  auto moved = Server::start(moved_options);
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->token(c.p).status, 200);
  EXPECT_EQ(read_state(*moved), before);
  // New rows get ids after the moved ones: one more load and authorization work there.
  c.card = cards[1];
  ASSERT_TRUE(IsOkA(moved->partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                          {"enKashCardId", c.card}, {"amount", 7},
                                                          {"transactionType", "CR"},
                                                          {"uniqueReferenceNumber", "AFTER-MOVE"}})));
  HttpResponse a = moved->post_json("/api/v0/sandbox/authorizations", c.auth(3), c.headers());
  EXPECT_EQ(a.j["payload"].value("responseCode", ""), "00") << a.describe();
  EXPECT_EQ(ledger_verify(moved_dir, &out), 0) << out;
  moved.reset();
  testsupport::drop_test_schema(target);
}

}  // namespace
}  // namespace apitest
