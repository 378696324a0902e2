// What operators run the server with: GET /metrics (Prometheus text, counts that match the
// traffic sent, no secret in it, accepted by promtool), GET /readyz while the store's migrations
// wait and after, `cardcore migrate` and `serve --no-migrate`.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "harness.h"

namespace apitest {
namespace {

using namespace std::chrono_literals;

// The value of the sample `series` (name and labels exactly as exposed, labels sorted), or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

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

TEST(ApiOps, MetricsCountTheTrafficSentAndHoldNoSecret) {
  auto s = Server::start();
  ASSERT_TRUE(s);
  Card c;
  c.p = s->admin_create_partner("Metrics Co");
  c.account = s->create_account(c.p);
  c.card = s->create_card(c.p, c.account).value("enKashCardId", "");
  ASSERT_FALSE(c.card.empty());
  ASSERT_TRUE(IsOkA(s->admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                                   {"cardAccountId", c.account},
                                                                   {"amount", 1000},
                                                                   {"reference", "POOL-" + c.account}})));
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
  EXPECT_EQ(sample(text, R"(cardcore_http_requests_total{code="200",route="/api/v0/partner/enKashCard/balance"})"), 3)
      << text;
  EXPECT_EQ(sample(text, R"(cardcore_http_requests_total{code="200",route="/api/v0/sandbox/authorizations"})"), 3);
  EXPECT_EQ(sample(text, R"(cardcore_http_requests_total{code="200",route="/api/v0/sandbox/authorizations/{authorizationId}/capture"})"),
            1);
  EXPECT_EQ(sample(text, R"(cardcore_http_requests_total{code="404",route="unmatched"})"), 1);
  EXPECT_EQ(sample(text, R"(cardcore_authorizations_total{approved="true",response_code="00",source="SANDBOX"})"), 2);
  EXPECT_EQ(sample(text, R"(cardcore_authorizations_total{approved="false",response_code="51",source="SANDBOX"})"), 1);
  EXPECT_EQ(sample(text, R"(cardcore_http_request_duration_seconds_count{route="/api/v0/partner/enKashCard/balance"})"),
            3);
  {
    std::smatch info;
    ASSERT_TRUE(std::regex_search(text, info, std::regex(R"re(\ncardcore_build_info\{commit="([0-9a-f]{12}(\+dirty)?|unknown)",engine="([a-z]+)",version="([0-9.]+)"\} 1\n)re")))
        << text;
    EXPECT_EQ(info[3].str(), test_engine());
  }
  // Every unit above committed: commits counted, and units per commit counted for each.
  const double commits = sample(text, "cardcore_store_commit_duration_seconds_count");
  EXPECT_GE(commits, 10);
  EXPECT_EQ(sample(text, "cardcore_store_units_per_commit_count"), commits);
  EXPECT_GE(sample(text, "cardcore_store_units_per_commit_sum"), commits);
  EXPECT_GE(sample(text, "cardcore_webhook_outbox_pending"), 0);
  EXPECT_GE(sample(text, R"(cardcore_webhook_deliveries_total{result="delivered"})"), 0);
  // No id a caller sent, no token, no secret: labels are templates and codes.
  for (const std::string& secret : {c.p.access_token, c.p.client_secret, c.p.password, c.card, auth_id,
                                    std::string(kAdminKey)}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  std::string promtool;
  EXPECT_EQ(promtool_check(s->dir(), text, &promtool), 0) << promtool;
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
