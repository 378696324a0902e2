// WebhookWorker against a real store of the run's engine (SQLite or PostgreSQL, test_store.h)
// and a loopback HTTP receiver; the clock is a variable the tests advance, so backoff and leases
// are exercised without sleeping.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "notify/webhooks.h"
#include "security/vault.h"
#include "store/store.h"
#include "test_store.h"

namespace cardcore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr char kPartner[] = "CR0000001";
constexpr char kSecret[] = "whsec_0123456789abcdef";
constexpr int64_t kStart = 1'800'000'000;

// A loopback HTTP receiver. Connection i is answered with statuses[min(i, size - 1)]. Bound to
// `port` (0: any free one). Runs on its own io_context and thread, at most 20 s, and stops
// when destroyed.
class Receiver {
 public:
  explicit Receiver(std::vector<unsigned> statuses, unsigned short port = 0)
      : statuses_(std::move(statuses)), acceptor_(ioc_) {
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run_for(std::chrono::seconds(20)); });
  }
  ~Receiver() {
    ioc_.stop();
    thread_.join();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::vector<http::request<http::string_body>> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
    for (size_t i = 0; i < 1000; ++i) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(ioc_, answer(std::move(socket), statuses_[std::min(i, statuses_.size() - 1)]), asio::detached);
    }
  }
  asio::awaitable<void> answer(tcp::socket socket, unsigned status) {
    constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [read_ec, n] = co_await http::async_read(socket, buffer, req, kNoThrow);
    if (read_ec) co_return;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.body() = "ok";
    res.prepare_payload();
    co_await http::async_write(socket, res, kNoThrow);
  }

  const std::vector<unsigned> statuses_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::mutex mu_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

// A loopback port with nothing listening on it (connections are refused).
unsigned short free_port() {
  asio::io_context ioc;
  tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return probe.local_endpoint().port();
}

std::string url_for(unsigned short port) { return "http://127.0.0.1:" + std::to_string(port) + "/hooks/cardcore"; }

std::string payload_for(const std::string& event_id) {
  return R"({"id":")" + event_id + R"(","type":"card.status_changed","createdOn":"2027-01-15T13:30:00+05:30",)"
         R"("partnerId":"CR0000001","data":{"enKashCardId":"CRD1","cardStatus":"BL"}})";
}


class WebhookWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(store_.get(), nullptr);
    auto vault = Vault::from_text(Vault::new_key_entry());
    ASSERT_TRUE(vault) << vault.error().message;
    vault_ = std::make_unique<Vault>(std::move(*vault));
  }
  void TearDown() override { worker_.reset(); }

  void reopen() {
    worker_.reset();
    store_.reopen();
    ASSERT_NE(store_.get(), nullptr);
  }
  WebhookWorker& worker(WebhookOptions options = {}) {
    worker_ = std::make_unique<WebhookWorker>(*store_, *vault_, [this] { return now_.load(); }, options);
    return *worker_;
  }

  void add_partner(const std::string& partner_id, const std::string& url, const std::string& secret = kSecret) {
    PartnerRow p;
    p.partner_id = partner_id;
    p.name = "Acme";
    p.mobile = "9876543210";
    p.webhook_url = url;
    p.encryption = "none";
    p.client_id = "CEK" + partner_id.substr(2);
    p.client_secret_hash = "unused";
    p.payload_key = vault_->seal("0123456789abcdef", partner_id);
    p.created_at = kStart;
    if (!secret.empty()) p.webhook_secret = vault_->seal(secret, partner_id);
    ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.insert_partner(p); }));
  }
  void add_event(const std::string& event_id, int64_t created_at, const std::string& partner_id = kPartner) {
    const WebhookEventRow row{event_id, partner_id, "card.status_changed", payload_for(event_id),
                              created_at, created_at, 0, "PENDING", "", ""};
    ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.insert_webhook_event(row); }));
  }
  WebhookEventRow event(const std::string& event_id, const std::string& partner_id = kPartner) {
    auto rows = transact(*store_, [&](Tx& tx) { return tx.list_webhook_events(partner_id, 100); });
    EXPECT_TRUE(rows);
    for (const auto& r : *rows)
      if (r.event_id == event_id) return r;
    ADD_FAILURE() << "no event " << event_id;
    return {};
  }
  std::vector<WebhookAttemptRow> attempts(const std::string& event_id) {
    auto rows = transact(*store_, [&](Tx& tx) { return tx.list_webhook_attempts(event_id); });
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<WebhookAttemptRow>{};
  }

  testsupport::TestStore store_;
  std::unique_ptr<Vault> vault_;
  std::unique_ptr<WebhookWorker> worker_;
  std::atomic<int64_t> now_{kStart};
};

TEST_F(WebhookWorkerTest, DeliversTheSignedPayloadOnce) {
  Receiver receiver({200});
  add_partner(kPartner, url_for(receiver.port()));
  add_event("EVT1", kStart);
  auto& w = worker();

  EXPECT_EQ(w.run_once(), 1u);
  const auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& req = reqs[0];
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.target(), "/hooks/cardcore");
  EXPECT_EQ(req.body(), payload_for("EVT1"));
  EXPECT_EQ(req[http::field::content_type], "application/json");
  EXPECT_EQ(req[http::field::user_agent], "cardcore-webhooks");
  EXPECT_EQ(req["X-Cardcore-Event-Id"], "EVT1");
  EXPECT_EQ(req["X-Cardcore-Event-Type"], "card.status_changed");
  EXPECT_EQ(req["X-Cardcore-Timestamp"], std::to_string(kStart));
  const std::string signature(req["X-Cardcore-Signature"]);
  EXPECT_TRUE(signature.starts_with("t=" + std::to_string(kStart) + ",v1=")) << signature;
  // What a partner's receiver does, with its own clock a little later.
  EXPECT_TRUE(verify_webhook_signature(kSecret, signature, req.body(), kStart + 3));

  const auto e = event("EVT1");
  EXPECT_EQ(e.state, "DELIVERED");
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.last_error, "");
  const auto log = attempts("EVT1");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].attempt, 1);
  EXPECT_EQ(log[0].http_status, 200);
  EXPECT_EQ(log[0].at, kStart);

  now_ += 3600;
  EXPECT_EQ(w.run_once(), 0u);  // delivered is never sent again
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(w.counters().delivered, 1u);
}

TEST_F(WebhookWorkerTest, Non2xxIsRetriedWithDoublingBackoffUntilDelivered) {
  Receiver receiver({500, 503, 200});
  add_partner(kPartner, url_for(receiver.port()));
  add_event("EVT1", kStart);
  auto& w = worker();  // base 10 s, max 3600 s

  EXPECT_EQ(w.run_once(), 1u);
  auto e = event("EVT1");
  EXPECT_EQ(e.state, "PENDING");
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.last_error, "HTTP 500");
  EXPECT_EQ(e.next_attempt_at, kStart + 10);

  now_ = kStart + 9;
  EXPECT_EQ(w.run_once(), 0u);  // not due yet
  now_ = kStart + 10;
  EXPECT_EQ(w.run_once(), 1u);
  e = event("EVT1");
  EXPECT_EQ(e.state, "PENDING");
  EXPECT_EQ(e.attempts, 2);
  EXPECT_EQ(e.last_error, "HTTP 503");
  EXPECT_EQ(e.next_attempt_at, kStart + 10 + 20);

  now_ = kStart + 30;
  EXPECT_EQ(w.run_once(), 1u);
  e = event("EVT1");
  EXPECT_EQ(e.state, "DELIVERED");
  EXPECT_EQ(e.attempts, 3);

  const auto log = attempts("EVT1");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].http_status, 500);
  EXPECT_EQ(log[0].error, "HTTP 500");
  EXPECT_EQ(log[1].http_status, 503);
  EXPECT_EQ(log[1].at, kStart + 10);
  EXPECT_EQ(log[2].http_status, 200);
  EXPECT_EQ(log[2].error, "");
  EXPECT_EQ(receiver.requests().size(), 3u);
}

TEST_F(WebhookWorkerTest, BackoffStopsAtTheCeiling) {
  const unsigned short port = free_port();
  add_partner(kPartner, url_for(port));
  add_event("EVT1", kStart);
  auto& w = worker({.base_backoff_seconds = 10, .max_backoff_seconds = 50});
  int64_t previous = kStart;
  const int64_t expected_delays[] = {10, 20, 40, 50, 50};
  for (const int64_t delay : expected_delays) {
    EXPECT_EQ(w.run_once(), 1u);
    const auto e = event("EVT1");
    EXPECT_EQ(e.next_attempt_at - previous, delay);
    previous = e.next_attempt_at;
    now_ = e.next_attempt_at;
  }
}

TEST_F(WebhookWorkerTest, ReceiverDownThenUpIsDeliveredAfterTheBackoff) {
  const unsigned short port = free_port();  // nothing listens yet
  add_partner(kPartner, url_for(port));
  add_event("EVT1", kStart);
  auto& w = worker({.timeout_ms = 2000});

  EXPECT_EQ(w.run_once(), 1u);
  auto e = event("EVT1");
  EXPECT_EQ(e.state, "PENDING");
  EXPECT_EQ(e.attempts, 1);
  EXPECT_NE(e.last_error.find("connect failed"), std::string::npos) << e.last_error;
  EXPECT_EQ(e.last_error.find("EVT1\""), std::string::npos);  // never the body
  auto log = attempts("EVT1");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].http_status, 0);

  Receiver receiver({200}, port);
  EXPECT_EQ(w.run_once(), 0u);  // still backing off
  now_ += 10;
  EXPECT_EQ(w.run_once(), 1u);
  e = event("EVT1");
  EXPECT_EQ(e.state, "DELIVERED");
  EXPECT_EQ(e.attempts, 2);
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0]["X-Cardcore-Event-Id"], "EVT1");
}

TEST_F(WebhookWorkerTest, FailureAfterTheMaximumAgeIsFinal) {
  Receiver receiver({500});
  add_partner(kPartner, url_for(receiver.port()));
  const int64_t max_age = 48 * 3600;
  add_event("OLD", kStart - max_age - 1);
  add_event("EDGE", kStart - max_age);  // exactly max age: still retried
  auto& w = worker();

  EXPECT_EQ(w.run_once(), 2u);
  auto old_event = event("OLD");
  EXPECT_EQ(old_event.state, "FAILED");
  EXPECT_EQ(old_event.attempts, 1);
  EXPECT_EQ(old_event.last_error, "HTTP 500");
  EXPECT_EQ(event("EDGE").state, "PENDING");

  now_ += 3600 * 24;
  EXPECT_EQ(w.run_once(), 1u);  // EDGE only; FAILED is never claimed again
  EXPECT_EQ(event("EDGE").state, "FAILED");
  EXPECT_EQ(event("OLD").attempts, 1);
  EXPECT_EQ(w.counters().failed, 2u);
}

TEST_F(WebhookWorkerTest, PartnerWithoutUrlOrSecretFailsAtOnceWithoutSending) {
  Receiver receiver({200});
  add_partner(kPartner, "");
  add_partner("CR0000002", url_for(receiver.port()), /*secret=*/"");
  add_partner("CR0000003", "ftp://example.com/hook");
  add_event("EVT1", kStart, kPartner);
  add_event("EVT2", kStart, "CR0000002");
  add_event("EVT3", kStart, "CR0000003");
  add_event("EVT4", kStart, "CR9999999");  // no such partner
  auto& w = worker();

  EXPECT_EQ(w.run_once(), 4u);
  EXPECT_EQ(event("EVT1").state, "FAILED");
  EXPECT_EQ(event("EVT1").last_error, "no webhook URL");
  EXPECT_EQ(event("EVT2", "CR0000002").state, "FAILED");
  EXPECT_EQ(event("EVT2", "CR0000002").last_error, "no webhook secret");
  EXPECT_EQ(event("EVT3", "CR0000003").last_error, "invalid webhook URL");
  EXPECT_EQ(event("EVT4", "CR9999999").last_error, "unknown partner");
  EXPECT_EQ(attempts("EVT1").size(), 1u);
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(WebhookWorkerTest, SecretSealedForAnotherPartnerIsNotUsed) {
  Receiver receiver({200});
  add_partner(kPartner, url_for(receiver.port()));
  // Swap in a blob bound (aad) to another partner: the vault refuses to open it here.
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) {
    return tx.set_partner_webhook_secret(kPartner, vault_->seal(kSecret, "CR0000002"));
  }));
  add_event("EVT1", kStart);
  auto& w = worker();
  EXPECT_EQ(w.run_once(), 1u);
  const auto e = event("EVT1");
  EXPECT_EQ(e.state, "PENDING");  // an operator may restore the key: retried, not lost
  EXPECT_EQ(e.last_error, "webhook secret cannot be opened");
  EXPECT_EQ(e.next_attempt_at, kStart + 10);
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(WebhookWorkerTest, ABatchIsDeliveredConcurrentlyAndBounded) {
  Receiver receiver({200});
  add_partner(kPartner, url_for(receiver.port()));
  for (int i = 0; i < 7; ++i) add_event("EVT" + std::to_string(i), kStart);
  auto& w = worker({.batch = 5});

  EXPECT_EQ(w.run_once(), 5u);
  EXPECT_EQ(w.run_once(), 2u);
  EXPECT_EQ(w.run_once(), 0u);
  std::set<std::string> ids;
  for (const auto& req : receiver.requests()) ids.insert(std::string(req["X-Cardcore-Event-Id"]));
  EXPECT_EQ(ids.size(), 7u);
  EXPECT_EQ(receiver.requests().size(), 7u);
}

TEST_F(WebhookWorkerTest, RestartDeliversPendingAndLeasedEventsButNeverRedeliversDelivered) {
  Receiver receiver({200});
  add_partner(kPartner, url_for(receiver.port()));
  add_event("DONE", kStart);
  {
    auto& w = worker();
    EXPECT_EQ(w.run_once(), 1u);
  }
  add_event("PENDING", kStart);
  add_event("CLAIMED", kStart - 1);
  // A worker that claimed CLAIMED and then crashed before sending or recording it.
  auto claimed = transact(*store_, [&](Tx& tx) { return tx.claim_due_webhooks(now_.load(), 1, 60); });
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].event_id, "CLAIMED");

  reopen();  // destroys the worker and the store
  auto& w = worker();
  EXPECT_EQ(w.run_once(), 1u);  // PENDING; CLAIMED waits for its lease
  EXPECT_EQ(event("PENDING").state, "DELIVERED");
  EXPECT_EQ(event("CLAIMED").state, "PENDING");
  now_ += 59;
  EXPECT_EQ(w.run_once(), 0u);
  now_ += 1;  // the lease has passed
  EXPECT_EQ(w.run_once(), 1u);
  EXPECT_EQ(event("CLAIMED").state, "DELIVERED");
  EXPECT_EQ(event("CLAIMED").attempts, 1);
  now_ += 24 * 3600;
  EXPECT_EQ(w.run_once(), 0u);

  std::multiset<std::string> ids;
  for (const auto& req : receiver.requests()) ids.insert(std::string(req["X-Cardcore-Event-Id"]));
  EXPECT_EQ(ids, (std::multiset<std::string>{"DONE", "PENDING", "CLAIMED"}));
}

TEST_F(WebhookWorkerTest, BackgroundThreadDeliversAndStops) {
  Receiver receiver({200});
  add_partner(kPartner, url_for(receiver.port()));
  add_event("EVT1", kStart);
  auto& w = worker({.poll_interval_ms = 5});
  w.start();
  w.start();  // once only
  for (int i = 0; i < 1000 && event("EVT1").state != "DELIVERED"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(event("EVT1").state, "DELIVERED");
  add_event("EVT2", kStart);
  for (int i = 0; i < 1000 && event("EVT2").state != "DELIVERED"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(event("EVT2").state, "DELIVERED");
  w.stop();
  w.stop();  // idempotent
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST_F(WebhookWorkerTest, StopWithoutStartAndOptionsAreClamped) {
  auto& w = worker({.poll_interval_ms = 0, .batch = 0, .lease_seconds = 1, .timeout_ms = 10'000'000});
  w.stop();
  EXPECT_EQ(w.options().batch, 1u);
  EXPECT_EQ(w.options().poll_interval_ms, 1);
  EXPECT_EQ(w.options().timeout_ms, 60'000);
  EXPECT_GT(w.options().lease_seconds, 60);  // more than one delivery can take
  EXPECT_EQ(w.run_once(), 0u);
}

// ---- Signatures ----

TEST(WebhookSignature, KnownAnswer) {
  // HMAC-SHA256("whsec_test", "1700000000.{"id":"EVT1"}"), as any HMAC library computes it.
  EXPECT_EQ(webhook_signature("whsec_test", 1'700'000'000, R"({"id":"EVT1"})"),
            "t=1700000000,v1=a221d38bb69167addb99cc1c64937f63617b4a114c8ba006a6c6f70f09106759");
}

TEST(WebhookSignature, VerifyAcceptsTheGenuineAndRejectsTampering) {
  const std::string body = R"({"id":"EVT1","data":{"amount":100}})";
  const int64_t t = 1'700'000'000;
  const std::string header = webhook_signature(kSecret, t, body);
  EXPECT_TRUE(verify_webhook_signature(kSecret, header, body, t));
  EXPECT_TRUE(verify_webhook_signature(kSecret, header, body, t + 300));  // edge of the window
  EXPECT_TRUE(verify_webhook_signature(kSecret, header, body, t - 300));

  EXPECT_FALSE(verify_webhook_signature(kSecret, header, R"({"id":"EVT1","data":{"amount":900}})", t));
  EXPECT_FALSE(verify_webhook_signature(kSecret, header, body + " ", t));
  EXPECT_FALSE(verify_webhook_signature("whsec_other", header, body, t));
  EXPECT_FALSE(verify_webhook_signature(kSecret, header, body, t + 301));  // stale: replay refused
  EXPECT_FALSE(verify_webhook_signature(kSecret, header, body, t - 301));  // from the future
  EXPECT_TRUE(verify_webhook_signature(kSecret, header, body, t + 3600, /*tolerance_seconds=*/3600));

  // The timestamp is signed: moving it forward breaks the signature.
  const std::string v1 = header.substr(header.find(",v1="));
  EXPECT_FALSE(verify_webhook_signature(kSecret, "t=" + std::to_string(t + 100) + v1, body, t + 100));
}

TEST(WebhookSignature, VerifyParsesTheHeaderStrictly) {
  const std::string body = "{}";
  const int64_t t = 1'700'000'000;
  const std::string header = webhook_signature(kSecret, t, body);
  const std::string hex = header.substr(header.find(",v1=") + 4);
  const std::string ts = std::to_string(t);

  EXPECT_TRUE(verify_webhook_signature(kSecret, "v1=" + hex + ",t=" + ts, body, t));         // any order
  EXPECT_TRUE(verify_webhook_signature(kSecret, "t=" + ts + ", v1=" + hex, body, t));        // space
  EXPECT_TRUE(verify_webhook_signature(kSecret, "t=" + ts + ",v1=00,v1=" + hex, body, t));   // rotation
  EXPECT_TRUE(verify_webhook_signature(kSecret, "t=" + ts + ",v0=x,v1=" + hex, body, t));    // unknown scheme

  for (const std::string& bad : {std::string(""), "v1=" + hex, "t=" + ts, "t=" + ts + ",v1=",
                                 "t=abc,v1=" + hex, "t=-1,v1=" + hex, "t=" + ts + ",t=" + ts + ",v1=" + hex,
                                 "t=" + ts + ",v1=" + hex.substr(0, 63), "t=" + ts + ",v2=" + hex,
                                 "t=99999999999999999999999,v1=" + hex,
                                 "t=" + ts + ",v1=" + std::string(2000, 'a')})
    EXPECT_FALSE(verify_webhook_signature(kSecret, bad, body, t)) << bad;
  // Hex is compared as sent (lower case), so an upper-cased copy is refused rather than normalised.
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != hex) {
    EXPECT_FALSE(verify_webhook_signature(kSecret, "t=" + ts + ",v1=" + upper, body, t));
  }
}

}  // namespace
}  // namespace cardcore
