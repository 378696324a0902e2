// The ISO 8583 server's shedding at the door (ServerOptions::shed_after_wait_ms), with a handler
// of its own (no store): while messages wait for a worker that takes them up late, a new message
// is answered 91 as it is read and never reaches the handler; once the queue is empty, messages
// are decided again. No time limit is asserted: the one worker is held on gates, and the
// decision budget is long enough that only the shedding can answer 91.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "domain/deadline.h"
#include "iso8583/response_codes.h"
#include "iso8583/server.h"
#include "iso_client.h"

namespace isotest {
namespace {

using cardcore::iso8583::Server;
using cardcore::iso8583::ServerOptions;

Message request(int stan) {
  char s[8];
  std::snprintf(s, sizeof s, "%06d", stan);
  return Message{"0100", {{2, "4000001234567899"}, {3, "000000"}, {4, "000000000100"}, {7, "0101120000"},
                          {11, s}, {14, "3112"}, {37, std::string("RRN000") + s}, {41, "TERM0001"}, {49, "356"}}};
}

// A handler that approves, holding the worker while the message's STAN is gated.
class GatedHandler {
 public:
  void gate(const std::string& stan) {
    std::lock_guard lock(mu_);
    gates_[stan] = std::make_shared<std::promise<void>>();
    entered_[stan] = std::make_shared<std::promise<void>>();
  }
  void open(const std::string& stan) { get(gates_, stan)->set_value(); }
  void wait_entered(const std::string& stan) { get(entered_, stan)->get_future().wait(); }
  std::set<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

  std::optional<Message> operator()(const Message& m) {
    const std::string stan = m.get(11);
    std::shared_future<void> gate;
    {
      std::lock_guard lock(mu_);
      seen_.insert(stan);
      if (auto it = gates_.find(stan); it != gates_.end()) {
        gate = it->second->get_future().share();
        entered_[stan]->set_value();
      }
    }
    if (gate.valid()) gate.wait();
    Message out{"0110", {{11, stan}, {39, "00"}}};
    return out;
  }

 private:
  using Gates = std::map<std::string, std::shared_ptr<std::promise<void>>>;
  std::shared_ptr<std::promise<void>> get(Gates& g, const std::string& stan) {
    std::lock_guard lock(mu_);
    return g.at(stan);
  }
  std::mutex mu_;
  Gates gates_, entered_;
  std::set<std::string> seen_;
};

TEST(IsoServerShedding, AMessageThatWouldQueueBehindLateWorkersIs91AtOnceAndTheQueueRecovers) {
  GatedHandler handler;
  handler.gate("000001");
  handler.gate("000002");
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.workers = 1;
  o.decision_budget_ms = 600'000;  // nothing is too old to decide here: only the shedding answers 91
  o.shed_after_wait_ms = 50;
  // Answers as they are made (before they wait for their turn on the connection).
  std::promise<void> shed_made;
  std::atomic<bool> shed_seen{false};
  o.on_answered = [&](std::string_view, std::string_view code, double) {
    if (code == "91" && !shed_seen.exchange(true)) shed_made.set_value();
  };
  Server server(o, [&](const Message& m) { return handler(m); });
  const uint16_t port = server.listen();
  server.start();

  Conn a(port);
  ASSERT_TRUE(a.ok());
  // 1 holds the one worker; 2 waits for it at least 100 ms, more than the 50 ms threshold.
  ASSERT_TRUE(a.send(request(1)));
  handler.wait_entered("000001");
  ASSERT_TRUE(a.send(request(2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  handler.open("000001");
  handler.wait_entered("000002");  // taken up late: the worker is behind, and now held by 2
  // 3 and 4 in one write, read in order: 3 finds the queue empty and joins it; 4 would queue
  // behind 3 with the worker behind, so it is answered 91 at once (its answer leaves after 2's
  // and 3's: answers keep the order of the requests).
  std::string both = cardcore::iso8583::frame(*cardcore::iso8583::encode(request(3))) +
                     cardcore::iso8583::frame(*cardcore::iso8583::encode(request(4)));
  ASSERT_TRUE(a.send_bytes(both));
  // 4's answer is made while 2 holds the worker (a guard, not a time limit: without shedding no
  // 91 is ever made, and the checks below fail).
  shed_made.get_future().wait_for(std::chrono::seconds(60));
  // The worker goes on: 2 and 3 are decided.
  handler.open("000002");
  for (const char* stan : {"000001", "000002", "000003"}) {
    auto answer = a.receive();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->get(11), stan);
    EXPECT_EQ(answer->get(39), "00");
  }
  auto shed = a.receive();
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->mti, "0110");
  EXPECT_EQ(shed->get(11), "000004");
  EXPECT_EQ(shed->get(39), "91") << "the budget is 10 minutes: only the shedding answers 91";
  EXPECT_EQ(handler.seen().count("000004"), 0u) << "a shed message never reaches the handler";
  // The queue is empty again: the next message is decided.
  ASSERT_TRUE(a.send(request(5)));
  auto after = a.receive();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->get(39), "00") << "with the queue empty, messages are decided again";
  EXPECT_EQ(handler.seen().count("000005"), 1u);
  server.stop();
}

// The handler runs under the message's deadline (domain/deadline.h): the budget counted from
// when the message was read, so that the store refuses a unit that would start after it. A
// unit the store refused for that reason (code::kUnavailable) is answered 91.
TEST(IsoServerShedding, TheHandlerRunsUnderTheMessagesDecisionBudgetAndAStoreRefusalForTimeIs91) {
  constexpr int kBudgetMs = 600'000;
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.workers = 1;
  o.decision_budget_ms = kBudgetMs;
  std::optional<cardcore::deadline::Clock::time_point> seen;
  Server server(o, [&](const Message& m) -> std::optional<Message> {
    seen = cardcore::deadline::current();
    return Message{"0110", {{11, m.get(11)}, {39, "00"}}};
  });
  const uint16_t port = server.listen();
  server.start();
  Conn a(port);
  ASSERT_TRUE(a.ok());
  const auto before = cardcore::deadline::Clock::now();
  ASSERT_TRUE(a.send(request(1)));
  auto answer = a.receive();
  const auto after = cardcore::deadline::Clock::now();
  server.stop();
  ASSERT_TRUE(answer);
  ASSERT_TRUE(seen.has_value()) << "the handler ran without a deadline";
  EXPECT_GE(*seen, before + std::chrono::milliseconds(kBudgetMs));
  EXPECT_LE(*seen, after + std::chrono::milliseconds(kBudgetMs));

  EXPECT_STREQ(cardcore::iso8583::for_error(cardcore::Error{cardcore::code::kUnavailable, "late", ""}), "91");
  EXPECT_STREQ(cardcore::iso8583::for_error(cardcore::Error{cardcore::code::kFailure, "broken", ""}), "96");
}

}  // namespace
}  // namespace isotest
