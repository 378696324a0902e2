// The RBI PPI load limits over their Asia/Kolkata windows, through the service and the store of
// the run's engine, with a clock the test sets: the calendar month's loads reset at 00:00 IST on
// the 1st, the financial year's at 00:00 IST on 1 April (31 March 23:59:59 IST is still the old
// year), and the counters count what was loaded in each window exactly.
#include <gtest/gtest.h>

#include <string>

#include "domain/clock.h"
#include "service_env.h"

namespace cardcore::testing {
namespace {

int64_t ist(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return clock::ist_midnight({y, mo, d}) + h * 3600 + mi * 60 + s;
}

class PpiWindows : public ::testing::Test {
 protected:
  // A MIN card on a plan whose MIN rules are `min` (the balance ceiling raised so that only the
  // load windows refuse), its pool funded with ₹5,00,000.
  void SetUp() override { env_.set_now(ist(2027, 1, 15, 12)); }
  void card_under(const ppi::LevelRules& min) {
    t_ = env_.tenant(1'000'000'00);
    admin::NewPlan plan;
    plan.partner_id = t_.creds.partner_id;
    plan.name = "PPI windows";
    plan.bin = "652150";
    plan.max_balance_paise = 1'000'000'00;
    plan.program.rules.min = min;
    auto made = admin::create_plan(env_.ctx(), plan);
    ASSERT_TRUE(made) << made.error().message;
    cards::CreateAccount a{t_.creds.company_id, "Co", "", made->plan_master_id, "a@b.co", "9876543210", "Acct", "MEAL"};
    auto acc = cards::create_account(env_.ctx(), t_.principal, a);
    ASSERT_TRUE(acc) << acc.error().message;
    t_.account_id = acc->card_account_id;
    card_ = env_.card(t_);
    ASSERT_TRUE(env_.fund(t_, 500'000'00, "POOL-1"));
  }
  int load(int64_t paise, const std::string& ref) {
    auto r = env_.load(t_, card_, paise, ref);
    return r ? 0 : r.error().code;
  }
  ServiceEnv env_;
  ServiceEnv::Tenant t_;
  std::string card_;
};

TEST_F(PpiWindows, TheMonthsLoadsResetAtIstMidnightOfTheFirst) {
  ppi::LevelRules min = ppi::rbi_defaults().min;
  min.max_balance = 100'000'00;
  card_under(min);
  env_.set_now(ist(2027, 1, 31, 23, 59, 59));
  EXPECT_EQ(load(10'000'00, "M-1"), 0) << "exactly ₹10,000 in January";
  EXPECT_EQ(load(1, "M-2"), code::kKycMonthlyLoadLimit) << "one paisa over, still January in IST";
  env_.set_now(ist(2027, 2, 1, 0, 0, 0));  // 31 January 18:30 UTC: February in IST
  EXPECT_EQ(load(1, "M-3"), 0);
  EXPECT_EQ(load(10'000'00 - 1, "M-4"), 0) << "the rest of February's ₹10,000";
  EXPECT_EQ(load(1, "M-5"), code::kKycMonthlyLoadLimit);
  EXPECT_EQ(env_.wallet(card_), 20'000'00);
}

TEST_F(PpiWindows, TheFinancialYearsLoadsResetOnFirstAprilIst) {
  ppi::LevelRules min = ppi::rbi_defaults().min;
  min.max_balance = 500'000'00;
  min.monthly_load.reset();
  card_under(min);
  env_.set_now(ist(2026, 12, 10));
  EXPECT_EQ(load(100'000'00, "Y-1"), 0);
  env_.set_now(ist(2027, 3, 31, 23, 59, 59));
  EXPECT_EQ(load(20'000'00, "Y-2"), 0) << "exactly ₹1,20,000 in FY 2026-27";
  EXPECT_EQ(load(1, "Y-3"), code::kKycYearlyLoadLimit) << "31 March 23:59:59 IST is still FY 2026-27";
  env_.set_now(ist(2027, 4, 1, 0, 0, 0));
  EXPECT_EQ(load(120'000'00, "Y-4"), 0) << "1 April 00:00:00 IST starts FY 2027-28";
  EXPECT_EQ(load(1, "Y-5"), code::kKycYearlyLoadLimit);
}

TEST_F(PpiWindows, ARefusedLoadCountsNothingAndAFullKycLoadIsCounted) {
  card_under(ppi::rbi_defaults().min);
  EXPECT_EQ(load(15'000'00, "F-1"), code::kKycBalanceLimit);
  EXPECT_EQ(env_.wallet(card_), 0);
  EXPECT_EQ(load(6'000'00, "F-2"), 0);
  ASSERT_TRUE(env_.full_kyc(card_));
  EXPECT_EQ(load(15'000'00, "F-1"), 0) << "the refused reference was never posted";
  EXPECT_EQ(env_.wallet(card_), 21'000'00);
  auto loaded = transact(env_.store(), [&](Tx& tx) {
    return tx.card_loads(card_, clock::ist_month_start(env_.now()), ppi::financial_year_start(env_.now()));
  });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->month, 21'000'00);
  EXPECT_EQ(loaded->year, 21'000'00);
}

}  // namespace
}  // namespace cardcore::testing
