// API test harness: starts the real cardcore binary (CARDCORE_BINARY) on an ephemeral loopback
// port with a fresh data directory, and talks HTTP/1.1 to it through a tiny synchronous
// Boost.Beast client. Helpers cover the admin API, OAuth tokens, partner calls, accounts, cards
// and the sandbox SMS outbox (where OTPs land).
//
// The engine comes from CARDCORE_TEST_ENGINE (tests/CMakeLists.txt registers every server test
// once per engine): "sqlite" (the default) keeps the database in the data directory; "postgres"
// gives every fresh data directory a brand-new, empty schema of its own on the server named by
// CARDCORE_TEST_PG_DSN (the server's DSN, which selects it, in DIR/test-postgres.dsn, so a restart
// on the directory finds the same data), dropped with the Server that created it.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apitest {

using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kAdminKey = "api-test-admin-key-0123456789abcdef-XYZ";
inline constexpr const char* kBase = "/api/v0/partner/enKashCard";

struct HttpResponse {
  int status = 0;                              // 0 when no answer was received at all
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated one: its values, one per line
  std::string body;
  json j;                 // parsed body (discarded value when not JSON)
  bool is_json = false;
  std::string transport_error;  // what went wrong on the wire, if anything

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // "HTTP 404 {...}" for assertion messages.
  std::string describe() const;
};

struct PartnerCreds {
  std::string partner_id, company_id, company_name, client_id, client_secret, username, password,
      plan_master_id;
  std::string access_token, refresh_token;
};

// "sqlite" or "postgres": the engine the servers of this test process run on.
std::string test_engine();

struct ServerOptions {
  json extra_config = json::object();  // merged into the config file
  // Start on this existing data directory instead of a fresh one (e.g. to restart a stopped
  // server on its data, and on PostgreSQL its schema); the Server then leaves both in place
  // when destroyed.
  std::string data_dir;
  // "sqlite" or "postgres" for this server whatever the run's engine (a test that moves data
  // between engines); empty: test_engine().
  std::string engine;
};

class Server {
 public:
  // Starts the binary and waits (bounded) until DIR/server.json says it is ready and /healthz
  // answers.
  // Fails the current test (ADD_FAILURE) and returns nullptr when it does not come up.
  static std::unique_ptr<Server> start(const ServerOptions& opt = {});
  // Runs `cardcore serve` as start() would, for a server that must refuse to start: waits
  // (bounded, 30 s) for it to exit and returns its exit code (-1 when it did not exit by itself),
  // its stdout and stderr into *output.
  static int run_until_exit(const ServerOptions& opt, std::string* output);
  // A data directory (and on PostgreSQL a schema) with no server running on it yet: run
  // run_cli() on it, then launch().
  static std::unique_ptr<Server> prepare(const ServerOptions& opt);
  // Starts `cardcore serve` (plus extra_args) on the prepared directory and waits, bounded, until
  // it is ready (server.json says so), or when !wait_until_ready only until HTTP listens. False after
  // ADD_FAILURE when it does not get there.
  bool launch(bool wait_until_ready = true, const std::vector<std::string>& extra_args = {});
  // Runs `cardcore <args> --data DIR` (or `--postgres DSN`; neither when !name_store) on this
  // server's store to its end: the exit code, stdout and stderr into *output.
  int run_cli(std::vector<std::string> args, std::string* output, bool name_store = true) const;
  // Runs `cardcore serve` (plus extra_args) on this directory for a server that must refuse to
  // start; as run_until_exit.
  int run_serve_until_exit(const std::vector<std::string>& extra_args, std::string* output) const;
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // SIGTERM, bounded wait, SIGKILL fallback. Returns the raw waitpid status (or -1).
  int stop();
  // SIGKILL at once (a crash: no shutdown code runs), then reaps the process. Returns the raw
  // waitpid status (or -1 when not running).
  int kill_hard();
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string read_file(const std::string& name) const;  // a file of the data dir ("" if none)
  // The DSN of the server's own schema on PostgreSQL; "" on SQLite.
  const std::string& postgres_dsn() const { return postgres_dsn_; }
  // Everything the store holds, as bytes to search: the SQLite database and WAL files, or every
  // row of every table of the PostgreSQL schema as text.
  std::string stored_bytes() const;

  // ---- raw HTTP ----
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body,
                       const Headers& headers) const;
  HttpResponse get(const std::string& target, const Headers& headers = {}) const;
  // Content-Type application/json unless `headers` sets one.
  HttpResponse post_raw(const std::string& target, const std::string& body, const Headers& headers = {}) const;
  HttpResponse post_json(const std::string& target, const json& body, const Headers& headers = {}) const;
  HttpResponse post_form(const std::string& target, const std::string& form, const Headers& headers = {}) const;

  // ---- admin ----
  HttpResponse admin_post(const std::string& path, const json& body) const;
  // Creates a partner; the returned creds already hold an access token (unless login=false).
  PartnerCreds admin_create_partner(const std::string& name = "Api Test Partner",
                                    const std::string& mobile = "", const std::string& encryption = "",
                                    bool login = true) const;
  json card_history(const std::string& card_id) const;  // payload of /admin/v1/cards/history
  // /admin/v1/cardAccounts/fund of the account's pool; Load Card Balance (CR) of one card.
  HttpResponse fund_pool(const PartnerCreds& c, const std::string& account_id, const json& amount,
                         const std::string& reference) const;
  HttpResponse load_card(const PartnerCreds& c, const std::string& account_id, const std::string& card_id,
                         const json& amount, const std::string& reference) const;

  // ---- OAuth ----
  HttpResponse token_request(const PartnerCreds& c, const std::string& password) const;
  HttpResponse token(PartnerCreds& c) const;  // password grant; stores tokens into c on success
  HttpResponse refresh(const PartnerCreds& c, const std::string& refresh_token) const;

  // ---- partner API ----
  // POST kBase + path with authorization, partnerId and Content-Type: application/json.
  HttpResponse partner_post(const PartnerCreds& c, const std::string& path, const json& body) const;
  HttpResponse partner_post_raw(const PartnerCreds& c, const std::string& path, const std::string& body,
                                Headers extra = {}) const;
  // Creates a MEAL account on the partner's default plan; returns cardAccountId (ADD_FAILURE on error).
  std::string create_account(const PartnerCreds& c, const std::string& mobile = "9876543210") const;
  // Creates a card; returns the payload (ADD_FAILURE on error). `extra` fields are merged in.
  json create_card(const PartnerCreds& c, const std::string& account_id, const json& extra = json::object()) const;
  // /search for one card: the payload (card object), or null on failure.
  json search_card(const PartnerCreds& c, const std::string& account_id, const std::string& card_id) const;
  std::string card_status(const PartnerCreds& c, const std::string& account_id, const std::string& card_id) const;
  // /otp; returns {otpRequestId, code from the SMS outbox}.
  std::pair<std::string, std::string> otp(const PartnerCreds& c, const std::string& account_id,
                                          const std::string& card_id, const std::string& action) const;
  // The latest OTP code sent for this otpRequestId (first 6 characters of the SMS text).
  std::optional<std::string> outbox_code(const std::string& otp_request_id) const;
  // A block body with otpRequired false.
  json block_body(const PartnerCreds& c, const std::string& account_id, const std::string& card_id,
                  const std::string& block_code) const;

 private:
  Server() = default;
  // ADD_FAILURE when the stopped server's stderr holds a sanitizer report.
  void expect_no_sanitizer_report() const;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
  bool owns_dir_ = true;  // false when started on ServerOptions::data_dir
  std::string postgres_dsn_;
  bool owns_schema_ = false;  // true when this Server created the schema
  std::vector<std::string> serve_args_;
};

// Fixture with one server per test suite. Derive a suite: `class ApiBlock : public ApiTest {};`.
class ApiTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;
  static Server& srv() { return *server_; }
  static std::unique_ptr<Server> server_;

  // Fresh partner + account + one virtual card.
  struct Fixture {
    PartnerCreds p;
    std::string account;
    json card;
    std::string card_id;
    // The ids a card route names, and the partner's headers for the sandbox routes.
    json ref() const { return {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card_id}}; }
    Headers partner() const { return {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id}}; }
  };
  Fixture fresh(const json& card_extra = json::object());
};

// ---- assertions on envelopes ----

// Envelope A success: HTTP 200, code 0, message "Success".
::testing::AssertionResult IsOkA(const HttpResponse& r);
// Envelope B success: HTTP 200, response_code 0, response_message "Success".
::testing::AssertionResult IsOkB(const HttpResponse& r);
// Envelope A (or B when `b`) failure with this HTTP status and code, message containing `msg_part`.
::testing::AssertionResult IsErr(const HttpResponse& r, int http_status, int code, const std::string& msg_part = "",
                                 bool b = false);

// Runs `cardcore ledger verify` (the CARDCORE_BINARY) on the store of the servers started on
// DIR (--data DIR, or --postgres with their schema); returns its exit code (-1 when it could
// not run or was killed) and stores its stdout+stderr into *output when given.
int ledger_verify(const std::string& data_dir, std::string* output = nullptr);

// The value of the sample `series` in Prometheus text (name and labels exactly as exposed, the
// labels sorted by name), or -1 when there is none.
double metric_value(const std::string& text, const std::string& series);

// RFC 3986 percent-encoding of everything but unreserved characters (form values, query strings).
std::string percent_encode(const std::string& s);

// Another program a test runs beside cardcore (Prometheus, Prism): started in a process group
// of its own with stdout and stderr into `log_path`, stopped with the object (SIGTERM to the
// group, then SIGKILL after a bounded wait).
class HelperProcess {
 public:
  // `argv[0]` is looked up on PATH when it has no slash.
  HelperProcess(std::vector<std::string> argv, std::string log_path);
  ~HelperProcess();
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;
  bool running() const;
  std::string log() const;

 private:
  std::string log_path_;
  pid_t pid_ = -1;
};

// A loopback port that was free a moment ago (bound to port 0 and released), for a helper
// server that cannot listen on port 0 and say where (Prometheus, Prism).
uint16_t free_loopback_port();

// One HTTP/1.1 request to 127.0.0.1:port (another server than cardcore, e.g. Prometheus).
HttpResponse http_get(uint16_t port, const std::string& target);

// A rupee amount of an answer (number or numeric string) in paise; -1 when it is neither.
int64_t paise(const json& v);
// Runs fn(i) for i in [0, n) on n threads released together; the answers in index order.
std::vector<HttpResponse> in_parallel(int n, const std::function<HttpResponse(int)>& fn);

// Luhn check of a digit string.
bool luhn_ok(const std::string& digits);
bool all_digits(const std::string& s, size_t n);
bool all_hex(const std::string& s, size_t n);
// "CA" + n upper-case letters/digits.
bool id_like(const std::string& s, const std::string& prefix, size_t n);
std::string base64(const std::string& raw);

}  // namespace apitest
