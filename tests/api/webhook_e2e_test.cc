// Webhooks end to end: the real server delivers its outbox to a real HTTP receiver run by the
// test (Boost.Beast on 127.0.0.1). Covers the event shape and headers, the signature, retries
// after a 5xx answer, a receiver that is down for a while, a server restart with events still
// pending (none lost; a duplicate only ever repeats the same event id) and secret rotation.
//
// Every wait is a bounded poll (kWait); nothing asserts on how long anything took.
#include <fcntl.h>
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "security/crypto.h"

namespace apitest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kWait = 20s;              // upper bound of every wait for a delivery
constexpr auto kReceiverMaxRun = 180s;   // a receiver thread never outlives this
const json kWebhookConfig = {{"webhookPollIntervalMs", 50}, {"webhookBaseBackoffSeconds", 1}};

// One POST the receiver got, and the status it answered.
struct Delivery {
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  json j;  // parsed body (discarded when not JSON)
  int answered = 0;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool ok() const { return answered >= 200 && answered <= 299; }
  std::string id() const { return j.is_object() ? j.value("id", "") : ""; }
  std::string type() const { return j.is_object() ? j.value("type", "") : ""; }
  const json& data() const {
    static const json kNull;
    return j.is_object() && j.contains("data") ? j["data"] : kNull;
  }
};

// A local webhook receiver: accepts connections on 127.0.0.1 in its own thread, records every
// request, answers 200 (or 500 while fail_next() is counting down). stop() closes the port;
// start() opens it again on the same port number.
class Receiver {
 public:
  Receiver() = default;
  ~Receiver() { stop(); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Binds 127.0.0.1:port() (an ephemeral port the first time) and starts serving.
  bool start() {
    stop();
    ioc_ = std::make_unique<asio::io_context>();
    acceptor_ = std::make_unique<tcp::acceptor>(*ioc_);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {  // the old port may be briefly unavailable; retry the bind (bounded)
      boost::system::error_code ec;
      acceptor_->open(tcp::v4(), ec);
      // Not inherited by the cardcore processes the test spawns: a child holding the listening
      // socket would keep the port open after stop().
      if (!ec) set_cloexec(acceptor_->native_handle());
      if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) acceptor_->bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
      if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
      if (!ec) break;
      acceptor_->close();
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "receiver cannot listen on port " << port_ << ": " << ec.message();
        acceptor_.reset();
        ioc_.reset();
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    port_ = acceptor_->local_endpoint().port();
    accept();
    thread_ = std::thread([ioc = ioc_.get()] { ioc->run_for(kReceiverMaxRun); });
    return true;
  }

  void stop() {
    if (!ioc_) return;
    asio::post(*ioc_, [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
    ioc_->stop();
    if (thread_.joinable()) thread_.join();
    acceptor_.reset();
    ioc_.reset();  // destroys the sessions still in flight (their sockets close)
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/cardcore"; }

  // The next n requests are answered 500.
  void fail_next(int n) {
    std::lock_guard lock(mu_);
    fail_remaining_ = n;
  }

  std::vector<Delivery> deliveries() const {
    std::lock_guard lock(mu_);
    return log_;
  }

  // Waits (bounded) until `pred` holds for the deliveries so far; true when it does.
  bool wait_for(const std::function<bool(const std::vector<Delivery>&)>& pred,
                std::chrono::steady_clock::duration limit = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return pred(log_); });
  }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, Receiver& r) : stream(std::move(s)), owner(r) {}
    beast::tcp_stream stream;
    Receiver& owner;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    bhttp::response<bhttp::string_body> res;

    void run() {
      stream.expires_after(10s);
      bhttp::async_read(stream, buffer, req, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return;
        self->res.version(11);
        self->res.result(self->owner.record(self->req));
        self->res.set(bhttp::field::content_type, "text/plain");
        self->res.keep_alive(false);
        self->res.body() = "ok";
        self->res.prepare_payload();
        bhttp::async_write(self->stream, self->res, [self](beast::error_code, size_t) {
          beast::error_code ignored;
          self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
      });
    }
  };

  static void set_cloexec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

  void accept() {
    acceptor_->async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // closed by stop()
      set_cloexec(socket.native_handle());
      std::make_shared<Session>(std::move(socket), *this)->run();
      accept();
    });
  }

  int record(const bhttp::request<bhttp::string_body>& req) {
    Delivery d;
    d.target = std::string(req.target());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      d.headers[name] = std::string(f.value());
    }
    d.body = req.body();
    d.j = json::parse(d.body, nullptr, false);
    std::lock_guard lock(mu_);
    if (req.method() != bhttp::verb::post) {
      d.answered = 405;
    } else if (fail_remaining_ > 0) {
      --fail_remaining_;
      d.answered = 500;
    } else {
      d.answered = 200;
    }
    log_.push_back(std::move(d));
    cv_.notify_all();
    return log_.back().answered;
  }

  uint16_t port_ = 0;
  std::unique_ptr<asio::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> log_;
  int fail_remaining_ = 0;
};

// ---- signature ----

// The receiver's check: "t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>".
::testing::AssertionResult SignedWith(const Delivery& d, const std::string& secret) {
  const std::string sig = d.header("x-cardcore-signature");
  std::string t, v1;
  size_t pos = 0;
  while (pos <= sig.size()) {
    size_t comma = sig.find(',', pos);
    std::string field = sig.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (field.rfind("t=", 0) == 0) t = field.substr(2);
    if (field.rfind("v1=", 0) == 0) v1 = field.substr(3);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (t.empty() || v1.empty()) return ::testing::AssertionFailure() << "malformed signature header '" << sig << "'";
  if (t != d.header("x-cardcore-timestamp")) {
    return ::testing::AssertionFailure() << "signature t=" << t << " but X-Cardcore-Timestamp "
                                         << d.header("x-cardcore-timestamp");
  }
  const std::string expected = cardcore::crypto::to_hex(cardcore::crypto::hmac_sha256(secret, t + "." + d.body));
  if (v1 != expected) {
    return ::testing::AssertionFailure() << "signature of event " << d.id() << " does not verify with this secret";
  }
  return ::testing::AssertionSuccess();
}

// Shape and headers of one event delivery.
::testing::AssertionResult WellFormed(const Delivery& d, const std::string& partner_id) {
  if (d.target != "/hooks/cardcore") return ::testing::AssertionFailure() << "target " << d.target;
  if (!d.j.is_object()) return ::testing::AssertionFailure() << "body is not a JSON object: " << d.body;
  const std::set<std::string> want = {"id", "type", "createdOn", "partnerId", "data"};
  std::set<std::string> keys;
  for (auto it = d.j.begin(); it != d.j.end(); ++it) keys.insert(it.key());
  if (keys != want) return ::testing::AssertionFailure() << "keys of " << d.body;
  if (!id_like(d.id(), "EVT", 16)) return ::testing::AssertionFailure() << "event id " << d.id();
  if (d.type() != "card.status_changed" && d.type() != "transaction.created") {
    return ::testing::AssertionFailure() << "type " << d.type();
  }
  if (d.j.value("partnerId", "") != partner_id) return ::testing::AssertionFailure() << "partnerId in " << d.body;
  if (!d.j["createdOn"].is_string() || d.j["createdOn"].get<std::string>().find("+05:30") == std::string::npos) {
    return ::testing::AssertionFailure() << "createdOn in " << d.body;
  }
  if (!d.data().is_object()) return ::testing::AssertionFailure() << "data in " << d.body;
  if (d.header("x-cardcore-event-id") != d.id()) {
    return ::testing::AssertionFailure() << "X-Cardcore-Event-Id " << d.header("x-cardcore-event-id");
  }
  if (d.header("x-cardcore-event-type") != d.type()) {
    return ::testing::AssertionFailure() << "X-Cardcore-Event-Type " << d.header("x-cardcore-event-type");
  }
  if (d.header("content-type").rfind("application/json", 0) != 0) {
    return ::testing::AssertionFailure() << "Content-Type " << d.header("content-type");
  }
  if (d.header("user-agent") != "cardcore-webhooks") {
    return ::testing::AssertionFailure() << "User-Agent " << d.header("user-agent");
  }
  if (!all_digits(d.header("x-cardcore-timestamp"), d.header("x-cardcore-timestamp").size()) ||
      d.header("x-cardcore-timestamp").empty()) {
    return ::testing::AssertionFailure() << "X-Cardcore-Timestamp " << d.header("x-cardcore-timestamp");
  }
  return ::testing::AssertionSuccess();
}

// ---- matching events ----

using EventPred = std::function<bool(const Delivery&)>;

// card.status_changed of this card from `from` ("" = issued: previousStatus null) to `to`.
EventPred status_event(const std::string& card_id, const std::string& from, const std::string& to) {
  return [=](const Delivery& d) {
    if (d.type() != "card.status_changed" || d.data().value("enKashCardId", "") != card_id ||
        d.data().value("cardStatus", "") != to || !d.data().contains("previousStatus")) {
      return false;
    }
    const json& prev = d.data()["previousStatus"];
    return from.empty() ? prev.is_null() : prev == json(from);
  };
}

EventPred txn_event(const std::string& reference) {
  return [=](const Delivery& d) {
    return d.type() == "transaction.created" && d.data().value("pgReferenceNumber", "") == reference;
  };
}

bool delivered(const std::vector<Delivery>& log, const EventPred& pred) {
  for (const Delivery& d : log)
    if (d.ok() && pred(d)) return true;
  return false;
}

bool all_delivered(const std::vector<Delivery>& log, const std::vector<EventPred>& preds) {
  for (const EventPred& p : preds)
    if (!delivered(log, p)) return false;
  return true;
}

bool seen(const std::vector<Delivery>& log, const EventPred& pred) {
  for (const Delivery& d : log)
    if (pred(d)) return true;
  return false;
}

// Every delivery matching `pred`.
std::vector<Delivery> matching(const std::vector<Delivery>& log, const EventPred& pred) {
  std::vector<Delivery> out;
  for (const Delivery& d : log)
    if (pred(d)) out.push_back(d);
  return out;
}

// Duplicates are allowed only as repeats of the same event: one id per logical event, and one
// body per id.
void ExpectOneIdPerEvent(const std::vector<Delivery>& log, const std::vector<EventPred>& events) {
  std::map<std::string, std::string> body_of;
  for (const Delivery& d : log) {
    auto [it, inserted] = body_of.emplace(d.id(), d.body);
    EXPECT_EQ(it->second, d.body) << "event " << d.id() << " was delivered with two different bodies";
  }
  std::set<std::string> all_ids;
  for (const EventPred& p : events) {
    std::set<std::string> ids;
    for (const Delivery& d : matching(log, p)) ids.insert(d.id());
    EXPECT_EQ(ids.size(), 1u) << "one logical event must keep one id across redeliveries";
    for (const std::string& id : ids) EXPECT_TRUE(all_ids.insert(id).second) << "id " << id << " used twice";
  }
}

// ---- fixture ----

struct WebhookPartner {
  PartnerCreds p;
  std::string secret;
  std::string account;
};

class ApiWebhook : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(receiver_.start());
    ServerOptions opt;
    opt.extra_config = kWebhookConfig;
    server_ = Server::start(opt);
    ASSERT_TRUE(server_ && server_->running());
  }

  Server& srv() { return *server_; }

  // A partner whose webhookUrl is the receiver, with a funded MEAL account.
  WebhookPartner partner_with_webhook(int64_t pool_rupees = 100000) {
    WebhookPartner w;
    HttpResponse r = srv().admin_post("/admin/v1/partners", {{"name", "Webhook Partner"}, {"webhookUrl", receiver_.url()}});
    EXPECT_TRUE(IsOkA(r));
    if (!IsOkA(r)) return w;
    const json& p = r.j["payload"];
    w.p.partner_id = p.value("partnerId", "");
    w.p.company_id = p.value("companyId", "");
    w.p.company_name = p.value("companyName", "");
    w.p.client_id = p.value("clientId", "");
    w.p.client_secret = p.value("clientSecret", "");
    w.p.username = p.value("username", "");
    w.p.password = p.value("password", "");
    w.p.plan_master_id = p.value("planMasterId", "");
    w.secret = p.value("webhookSecret", "");
    EXPECT_FALSE(w.secret.empty()) << r.describe();
    HttpResponse t = srv().token(w.p);
    EXPECT_EQ(t.status, 200) << t.describe();
    w.account = srv().create_account(w.p);
    HttpResponse f = srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", w.p.company_id},
                                                                      {"cardAccountId", w.account},
                                                                      {"amount", pool_rupees},
                                                                      {"reference", "FUND-" + w.account}});
    EXPECT_TRUE(IsOkA(f));
    return w;
  }

  std::string new_card(const WebhookPartner& w, const json& extra = json::object()) {
    json card = srv().create_card(w.p, w.account, extra);
    return card.is_object() ? card.value("enKashCardId", "") : "";
  }

  ::testing::AssertionResult lock(const WebhookPartner& w, const std::string& card_id, const std::string& code) {
    return IsOkA(srv().partner_post(w.p, "/block", srv().block_body(w.p, w.account, card_id, code)));
  }

  ::testing::AssertionResult load(const WebhookPartner& w, const std::string& card_id, const std::string& reference,
                                  double rupees = 100) {
    return IsOkA(srv().partner_post(w.p, "/balance",
                                    {{"companyId", w.p.company_id},
                                     {"cardAccountId", w.account},
                                     {"enKashCardId", card_id},
                                     {"amount", rupees},
                                     {"transactionType", "CR"},
                                     {"uniqueReferenceNumber", reference}}));
  }

  std::string describe_log() const {
    std::string s;
    for (const Delivery& d : receiver_.deliveries()) s += std::to_string(d.answered) + " " + d.body.substr(0, 300) + "\n";
    return s.empty() ? "(no deliveries)" : s;
  }

  Receiver receiver_;
  std::unique_ptr<Server> stopped_;  // a stopped server whose data directory server_ reuses
  std::unique_ptr<Server> server_;   // destroyed (stopped) before stopped_ removes the directory
};

// ---------------------------------------------------------------------------------------------

TEST_F(ApiWebhook, StatusChangeAndLoadEventsAreShapedAndSigned) {
  WebhookPartner w = partner_with_webhook();
  ASSERT_FALSE(w.account.empty());
  EXPECT_EQ(w.secret.rfind("whsec_", 0), 0u) << w.secret;
  const std::string card = new_card(w);
  ASSERT_FALSE(card.empty());
  ASSERT_TRUE(lock(w, card, "L"));
  ASSERT_TRUE(load(w, card, "WH-LOAD-1", 250.5));
  // Create Card with loadAmount: the load at issue is a transaction too.
  const std::string loaded_card = new_card(w, {{"loadAmount", 100}});
  ASSERT_FALSE(loaded_card.empty());

  const std::vector<EventPred> events = {status_event(card, "", "UL"), status_event(card, "UL", "L"), txn_event("WH-LOAD-1"),
                                         status_event(loaded_card, "", "UL"), txn_event("ISSUE-" + loaded_card)};
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return all_delivered(log, events); })) << describe_log();

  const std::vector<Delivery> log = receiver_.deliveries();
  for (const Delivery& d : log) {
    EXPECT_TRUE(WellFormed(d, w.p.partner_id)) << d.body;
    EXPECT_TRUE(SignedWith(d, w.secret)) << d.body;
    EXPECT_FALSE(SignedWith(d, w.secret + "x")) << "a wrong secret must not verify";
  }
  ExpectOneIdPerEvent(log, events);

  // The lock: previous and new status, the request's reason, the channel.
  const Delivery locked = matching(log, status_event(card, "UL", "L")).front();
  EXPECT_EQ(locked.data().value("previousStatus", ""), "UL");
  EXPECT_EQ(locked.data().value("cardAccountId", ""), w.account);
  EXPECT_EQ(locked.data().value("companyId", ""), w.p.company_id);
  EXPECT_EQ(locked.data().value("reason", ""), "api test");
  EXPECT_EQ(locked.data().value("channel", ""), "API");
  // Issue: no previous status.
  EXPECT_TRUE(matching(log, status_event(card, "", "UL")).front().data()["previousStatus"].is_null());

  // The load: the transaction object of /transaction/all.
  const Delivery txn = matching(log, txn_event("WH-LOAD-1")).front();
  EXPECT_EQ(txn.data().value("enkashCardId", ""), card);
  EXPECT_EQ(txn.data().value("cardTransactionType", ""), "CR");
  EXPECT_EQ(txn.data().value("type", ""), "LOAD_MONEY");
  EXPECT_EQ(txn.data()["principalAmount"], json(250.5));
  EXPECT_EQ(txn.data()["balance"], json(250.5));
  EXPECT_TRUE(id_like(txn.data().value("enKashCardTransactionId", ""), "ECTR", 9)) << txn.body;
  HttpResponse got = srv().partner_post(w.p, "/transaction/all",
                                        {{"companyId", w.p.company_id}, {"cardAccountId", w.account},
                                         {"enKashCardId", card}, {"pgReferenceNumber", "WH-LOAD-1"}});
  ASSERT_TRUE(IsOkA(got));
  EXPECT_EQ(got.j["payload"], txn.data()) << "the event carries the same object as the API";

  const Delivery issue_load = matching(log, txn_event("ISSUE-" + loaded_card)).front();
  EXPECT_EQ(issue_load.data()["principalAmount"], json(100));
  EXPECT_EQ(issue_load.data().value("type", ""), "LOAD_MONEY");
}

TEST_F(ApiWebhook, ServerErrorAnswerIsRetriedWithTheSameEvent) {
  WebhookPartner w = partner_with_webhook();
  receiver_.fail_next(2);
  const std::string card = new_card(w);
  ASSERT_FALSE(card.empty());
  const EventPred issued = status_event(card, "", "UL");
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return delivered(log, issued); })) << describe_log();

  const std::vector<Delivery> tries = matching(receiver_.deliveries(), issued);
  ASSERT_GE(tries.size(), 3u) << describe_log();
  EXPECT_EQ(tries[0].answered, 500);
  EXPECT_EQ(tries[1].answered, 500);
  EXPECT_EQ(tries[2].answered, 200);
  for (const Delivery& d : tries) {
    EXPECT_EQ(d.id(), tries[0].id()) << "a retry is the same event";
    EXPECT_EQ(d.body, tries[0].body);
    EXPECT_TRUE(WellFormed(d, w.p.partner_id));
    EXPECT_TRUE(SignedWith(d, w.secret)) << "every attempt is signed afresh";
  }
  // Delivered once it got its 2xx: no further attempts of this event afterwards.
  ASSERT_TRUE(lock(w, card, "L"));
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return delivered(log, status_event(card, "UL", "L")); }))
      << describe_log();
  EXPECT_EQ(matching(receiver_.deliveries(), issued).size(), 3u) << describe_log();
}

TEST_F(ApiWebhook, EventsWaitForAReceiverThatIsDown) {
  WebhookPartner w = partner_with_webhook();
  receiver_.stop();
  const std::string card = new_card(w);
  ASSERT_FALSE(card.empty());
  ASSERT_TRUE(lock(w, card, "L"));
  ASSERT_TRUE(load(w, card, "WH-DOWN-1"));
  // Let the worker fail against the closed port for a while (connection refused).
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(receiver_.deliveries().empty());
  ASSERT_TRUE(receiver_.start());

  const std::vector<EventPred> events = {status_event(card, "", "UL"), status_event(card, "UL", "L"), txn_event("WH-DOWN-1")};
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return all_delivered(log, events); })) << describe_log();
  for (const Delivery& d : receiver_.deliveries()) {
    EXPECT_TRUE(WellFormed(d, w.p.partner_id));
    EXPECT_TRUE(SignedWith(d, w.secret));
  }
  ExpectOneIdPerEvent(receiver_.deliveries(), events);
}

TEST_F(ApiWebhook, PendingEventsSurviveAServerRestart) {
  WebhookPartner w = partner_with_webhook();
  const std::string card = new_card(w);
  ASSERT_FALSE(card.empty());
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return delivered(log, status_event(card, "", "UL")); }))
      << describe_log();

  // Phase 1: the receiver answers 500, so these stay PENDING with attempts recorded.
  receiver_.fail_next(1'000'000);
  ASSERT_TRUE(load(w, card, "WH-RS-1"));
  ASSERT_TRUE(load(w, card, "WH-RS-2"));
  ASSERT_TRUE(lock(w, card, "L"));
  const std::vector<EventPred> phase1 = {txn_event("WH-RS-1"), txn_event("WH-RS-2"), status_event(card, "UL", "L")};
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) {
    for (const EventPred& p : phase1)
      if (!seen(log, p)) return false;
    return true;
  })) << describe_log();
  for (const EventPred& p : phase1) EXPECT_FALSE(delivered(receiver_.deliveries(), p));

  // Phase 2: the receiver is down; these may or may not have been tried before the stop.
  receiver_.stop();
  ASSERT_TRUE(load(w, card, "WH-RS-3"));
  ASSERT_TRUE(lock(w, card, "UL"));

  // SIGTERM with all of it pending, then the receiver comes back healthy and the server starts
  // again on the same data directory.
  const std::string dir = server_->dir();
  const int status = server_->stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
  receiver_.fail_next(0);
  ASSERT_TRUE(receiver_.start());
  ServerOptions opt;
  opt.extra_config = kWebhookConfig;
  opt.data_dir = dir;
  stopped_ = std::move(server_);  // owns (and finally removes) the data directory
  server_ = Server::start(opt);
  ASSERT_TRUE(server_ && server_->running());

  // The access token survives the restart; a new event after it is delivered too.
  ASSERT_TRUE(load(w, card, "WH-RS-4"));
  const std::vector<EventPred> all = {status_event(card, "", "UL"), txn_event("WH-RS-1"), txn_event("WH-RS-2"),
                                      status_event(card, "UL", "L"), txn_event("WH-RS-3"),
                                      status_event(card, "L", "UL"), txn_event("WH-RS-4")};
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return all_delivered(log, all); })) << describe_log();
  const std::vector<Delivery> log = receiver_.deliveries();
  for (const Delivery& d : log) {
    EXPECT_TRUE(WellFormed(d, w.p.partner_id)) << d.body;
    EXPECT_TRUE(SignedWith(d, w.secret)) << d.body;
  }
  ExpectOneIdPerEvent(log, all);
}

TEST_F(ApiWebhook, RotatedSecretSignsLaterEvents) {
  WebhookPartner w = partner_with_webhook();
  // Reading the secret without rotate returns the one given at creation.
  HttpResponse same = srv().admin_post("/admin/v1/partners/webhookSecret", {{"partnerId", w.p.partner_id}});
  ASSERT_TRUE(IsOkA(same));
  EXPECT_EQ(same.j["payload"].value("webhookSecret", ""), w.secret);
  EXPECT_EQ(same.j["payload"].value("partnerId", ""), w.p.partner_id);

  const std::string card = new_card(w);
  ASSERT_FALSE(card.empty());
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return delivered(log, status_event(card, "", "UL")); }))
      << describe_log();
  EXPECT_TRUE(SignedWith(matching(receiver_.deliveries(), status_event(card, "", "UL")).front(), w.secret));

  HttpResponse rotated = srv().admin_post("/admin/v1/partners/webhookSecret",
                                          {{"partnerId", w.p.partner_id}, {"rotate", true}});
  ASSERT_TRUE(IsOkA(rotated));
  const std::string fresh = rotated.j["payload"].value("webhookSecret", "");
  EXPECT_EQ(fresh.rfind("whsec_", 0), 0u) << fresh;
  ASSERT_NE(fresh, w.secret);
  HttpResponse reread = srv().admin_post("/admin/v1/partners/webhookSecret", {{"partnerId", w.p.partner_id}});
  ASSERT_TRUE(IsOkA(reread));
  EXPECT_EQ(reread.j["payload"].value("webhookSecret", ""), fresh);

  ASSERT_TRUE(lock(w, card, "L"));
  ASSERT_TRUE(load(w, card, "WH-ROT-1"));
  const std::vector<EventPred> later = {status_event(card, "UL", "L"), txn_event("WH-ROT-1")};
  ASSERT_TRUE(receiver_.wait_for([&](const auto& log) { return all_delivered(log, later); })) << describe_log();
  for (const EventPred& p : later) {
    for (const Delivery& d : matching(receiver_.deliveries(), p)) {
      EXPECT_TRUE(SignedWith(d, fresh)) << d.body;
      EXPECT_FALSE(SignedWith(d, w.secret)) << "the old secret must no longer verify: " << d.body;
    }
  }

  // Unknown partner: 412.
  EXPECT_TRUE(IsErr(srv().admin_post("/admin/v1/partners/webhookSecret", {{"partnerId", "CRNOSUCH1"}}), 404, 412));
}

}  // namespace
}  // namespace apitest
