// Money under concurrency at the service level: the conditional updates, not process memory,
// keep every rule (one post per reference, never over the plan maximum, never below zero).
#include <gtest/gtest.h>

#include <thread>

#include "service_env.h"

namespace cardcore::testing {
namespace {

template <class F>
int run_parallel(int n, F f) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { if (f(i)) ++ok; });
  for (auto& t : threads) t.join();
  return ok.load();
}

TEST(LedgerConcurrency, SameReferencePostsOnce) {
  ServiceEnv env;
  auto t = env.tenant();
  std::string card = env.card(t);
  ASSERT_TRUE(env.fund(t, 1'000'00, "F"));
  int ok = run_parallel(32, [&](int) { return env.load(t, card, 10'00, "SAME").has_value(); });
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(env.wallet(card), 10'00);
  EXPECT_EQ(env.pool(t), 990'00);
  EXPECT_TRUE(env.verify().empty());
}

TEST(LedgerConcurrency, NeverAboveThePlanMaximum) {
  ServiceEnv env;
  auto t = env.tenant(/*max_paise=*/100'00);
  std::string card = env.card(t);
  ASSERT_TRUE(env.fund(t, 10'000'00, "F"));
  int ok = run_parallel(32, [&](int i) { return env.load(t, card, 7'00, "L" + std::to_string(i)).has_value(); });
  EXPECT_EQ(ok, 14);  // 14 x ₹7 = ₹98 <= ₹100 < 15 x ₹7
  EXPECT_EQ(env.wallet(card), 98'00);
  EXPECT_TRUE(env.verify().empty());
}

TEST(LedgerConcurrency, PoolNeverBelowZero) {
  ServiceEnv env;
  auto t = env.tenant();
  std::vector<std::string> cards;
  for (int i = 0; i < 4; ++i) cards.push_back(env.card(t));
  ASSERT_TRUE(env.fund(t, 100'00, "F"));
  int ok = run_parallel(32, [&](int i) {
    return env.load(t, cards[static_cast<size_t>(i) % cards.size()], 4'00, "L" + std::to_string(i)).has_value();
  });
  EXPECT_EQ(ok, 25);  // 25 x ₹4 drains the ₹100 pool exactly
  EXPECT_EQ(env.pool(t), 0);
  int64_t on_cards = 0;
  for (const auto& c : cards) on_cards += env.wallet(c);
  EXPECT_EQ(on_cards, 100'00);
  EXPECT_TRUE(env.verify().empty());
}

}  // namespace
}  // namespace cardcore::testing
