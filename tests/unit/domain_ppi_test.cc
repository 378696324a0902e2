// The RBI PPI rules (domain/ppi.h) and their place in the authorization decision: every limit at
// its boundary (exactly at the limit passes, one paisa over is refused), the month and
// financial-year windows in Asia/Kolkata, and the stored form of a plan's program.
#include "domain/ppi.h"

#include <gtest/gtest.h>

#include "domain/authorization.h"
#include "domain/clock.h"

namespace cardcore::ppi {
namespace {

constexpr int64_t kRupee = 100;

int64_t ist(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return clock::ist_midnight({y, mo, d}) + h * 3600 + mi * 60 + s;
}

TEST(DomainPpi, DefaultsAreTheRbiTable) {
  Rules r = rbi_defaults();
  EXPECT_EQ(r.min.max_balance, 10'000 * kRupee);
  EXPECT_EQ(r.min.monthly_load, 10'000 * kRupee);
  EXPECT_EQ(r.min.yearly_load, 120'000 * kRupee);
  EXPECT_EQ(r.min.monthly_debit, 10'000 * kRupee);
  EXPECT_FALSE(r.min.cash_allowed);
  EXPECT_EQ(r.full.max_balance, 200'000 * kRupee);
  EXPECT_TRUE(r.full.cash_allowed);
  EXPECT_EQ(r.full.cash_per_txn, 2'000 * kRupee);
  EXPECT_EQ(r.full.monthly_cash, 10'000 * kRupee);
  EXPECT_FALSE(r.full.monthly_load.has_value());
  EXPECT_EQ(r.gift.max_balance, 10'000 * kRupee);
  EXPECT_FALSE(r.gift.cash_allowed);
}

TEST(DomainPpi, RulesForAKindAndNone) {
  Program p;
  EXPECT_EQ(rules_for(p, KycLevel::kMin, false), &p.rules.min);
  EXPECT_EQ(rules_for(p, KycLevel::kFull, false), &p.rules.full);
  EXPECT_EQ(rules_for(p, KycLevel::kFull, true), &p.rules.gift);
  EXPECT_EQ(kind_name(KycLevel::kMin, true), "GIFT");
  p.ppi = false;
  EXPECT_EQ(rules_for(p, KycLevel::kMin, false), nullptr);
  EXPECT_EQ(parse_kyc_level("FULL"), KycLevel::kFull);
  EXPECT_EQ(parse_kyc_level("MIN"), KycLevel::kMin);
  EXPECT_FALSE(parse_kyc_level("full").has_value());
  EXPECT_FALSE(parse_kyc_level("").has_value());
}

TEST(DomainPpi, FinancialYearStartsOnFirstAprilIst) {
  // 31 March 23:59:59 IST is the old year; 1 April 00:00:00 IST the new one.
  EXPECT_EQ(financial_year_start(ist(2027, 3, 31, 23, 59, 59)), ist(2026, 4, 1));
  EXPECT_EQ(financial_year_start(ist(2027, 4, 1, 0, 0, 0)), ist(2027, 4, 1));
  EXPECT_EQ(financial_year_start(ist(2026, 12, 7, 12)), ist(2026, 4, 1));
  EXPECT_EQ(financial_year_start(ist(2027, 1, 1)), ist(2026, 4, 1));
  // In UTC, 1 April 00:00 IST is still 31 March.
  EXPECT_EQ(ist(2027, 4, 1) % 86400, 86400 - clock::kIstOffsetSeconds);
}

TEST(DomainPpi, MonthStartsAtIstMidnightOfTheFirst) {
  EXPECT_EQ(clock::ist_month_start(ist(2026, 12, 31, 23, 59, 59)), ist(2026, 12, 1));
  EXPECT_EQ(clock::ist_month_start(ist(2027, 1, 1)), ist(2027, 1, 1));
  EXPECT_EQ(clock::ist_month_start(ist(2027, 1, 1) - 1), ist(2026, 12, 1));
  EXPECT_EQ(clock::ist_day_start(ist(2027, 1, 1) - 1), ist(2026, 12, 31));
  EXPECT_EQ(clock::ist_day_start(ist(2027, 1, 1)), ist(2027, 1, 1));
  EXPECT_EQ(clock::ist_year_start(ist(2027, 1, 1) - 1), ist(2026, 1, 1));
  EXPECT_EQ(clock::ist_year_start(ist(2027, 1, 1)), ist(2027, 1, 1));
}

TEST(DomainPpi, TheTighterOfThePlanAndTheLevelBoundsTheBalance) {
  const Program p;
  // The plan's ₹5,000 is tighter than MIN's ₹10,000: the level's maximum is dropped (1041).
  std::optional<LevelRules> r = rules_under_plan(p, KycLevel::kMin, false, 5'000 * kRupee);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->max_balance.has_value());
  EXPECT_EQ(r->monthly_load, p.rules.min.monthly_load);
  // A tie, and a looser plan: the level's maximum stays (1043).
  EXPECT_EQ(rules_under_plan(p, KycLevel::kMin, false, 10'000 * kRupee)->max_balance, 10'000 * kRupee);
  EXPECT_EQ(rules_under_plan(p, KycLevel::kFull, false, 500'000 * kRupee)->max_balance, 200'000 * kRupee);
  EXPECT_EQ(rules_under_plan(p, KycLevel::kFull, true, 500'000 * kRupee)->max_balance, 10'000 * kRupee);
  EXPECT_FALSE(rules_under_plan(Program{false, rbi_defaults()}, KycLevel::kMin, false, kRupee).has_value());
}

TEST(DomainPpi, LoadBoundaries) {
  const LevelRules min = rbi_defaults().min;
  // Balance: exactly ₹10,000 passes, a paisa more is refused with the room left.
  EXPECT_FALSE(check_load(min, "MIN", {9'000 * kRupee, 0, 0}, 1'000 * kRupee, "amount"));
  auto over = check_load(min, "MIN", {9'000 * kRupee, 0, 0}, 1'000 * kRupee + 1, "amount");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->code, code::kKycBalanceLimit);
  EXPECT_EQ(over->field, "amount");
  EXPECT_NE(over->message.find("MIN"), std::string::npos) << over->message;
  EXPECT_NE(over->message.find("₹10000.00"), std::string::npos) << over->message;
  EXPECT_NE(over->message.find("₹1000.00 of room"), std::string::npos) << over->message;
  // The month's loads.
  EXPECT_FALSE(check_load(min, "MIN", {0, 9'500 * kRupee, 9'500 * kRupee}, 500 * kRupee, "amount"));
  over = check_load(min, "MIN", {0, 9'500 * kRupee, 9'500 * kRupee}, 500 * kRupee + 1, "amount");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->code, code::kKycMonthlyLoadLimit);
  EXPECT_NE(over->message.find("₹500.00 of room"), std::string::npos) << over->message;
  // The financial year's loads.
  EXPECT_FALSE(check_load(min, "MIN", {0, 0, 119'000 * kRupee}, 1'000 * kRupee, "amount"));
  over = check_load(min, "MIN", {0, 0, 119'000 * kRupee}, 1'000 * kRupee + 1, "amount");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->code, code::kKycYearlyLoadLimit);
  // A balance move (replacement) is held to the balance only.
  EXPECT_FALSE(check_load(min, "MIN", {0, 10'000 * kRupee, 120'000 * kRupee}, 10'000 * kRupee, "x", false));
  EXPECT_TRUE(check_load(min, "MIN", {0, 0, 0}, 10'000 * kRupee + 1, "x", false));
  // FULL has no load limits, only its balance.
  const LevelRules full = rbi_defaults().full;
  EXPECT_FALSE(check_load(full, "FULL", {0, 1'000'000 * kRupee, 1'000'000 * kRupee}, 200'000 * kRupee, "amount"));
  EXPECT_EQ(check_load(full, "FULL", {0, 0, 0}, 200'000 * kRupee + 1, "amount")->code, code::kKycBalanceLimit);
}

TEST(DomainPpi, ProgramsRoundTripThroughTheirStoredForm) {
  EXPECT_EQ(encode_program(Program{}), "");
  EXPECT_EQ(encode_program(Program{false, rbi_defaults()}), "NONE");
  Program custom;
  custom.rules.min.max_balance = 5'000 * kRupee;
  custom.rules.full.monthly_cash_count = 4;
  custom.rules.gift.cash_allowed = true;
  custom.rules.full.cash_per_txn.reset();
  std::string text = encode_program(custom);
  auto back = decode_program(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->ppi);
  EXPECT_EQ(back->rules, custom.rules);
  EXPECT_FALSE(decode_program("NONE")->ppi);
  EXPECT_EQ(decode_program("")->rules, rbi_defaults());
  for (const char* bad : {"P1;1,2", "X1;;;", "P1;a,,,,0,,,;,,,,0,,,;,,,,0,,,", "P1;,,,,2,,,;,,,,0,,,;,,,,0,,,"}) {
    EXPECT_FALSE(decode_program(bad)) << bad;
  }
}

// ---- the spending side, in the authorization decision ----

struct Spend {
  int64_t amount = 100 * kRupee;
  authz::Channel channel = authz::Channel::kPos;
  authz::Limits limits;
  authz::Usage usage;
  authz::CardFacts card;
  Spend(KycLevel level, bool gift = false) {
    Program p;
    limits.ppi = *rules_for(p, level, gift);
    limits.ppi_kind = std::string(kind_name(level, gift));
    limits.atm_allowed = true;
    card.pin_set = card.pin_entered = card.pin_ok = true;
  }
  authz::Decision decide() const {
    return authz::decide(amount, channel, false, card, limits, usage, 1'000'000 * kRupee);
  }
};

TEST(DomainPpi, MinMonthlyDebitsAtTheirBoundary) {
  Spend s(KycLevel::kMin);
  s.usage.month_paise = 9'900 * kRupee;
  s.amount = 100 * kRupee;
  EXPECT_TRUE(s.decide().approved);
  s.amount = 100 * kRupee + 1;
  authz::Decision d = s.decide();
  EXPECT_STREQ(d.response_code, "61");
  EXPECT_NE(d.reason.find("KYC level MIN"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("debits per month"), std::string::npos) << d.reason;
}

TEST(DomainPpi, CashIsRefusedAtMinAndGift) {
  for (bool gift : {false, true}) {
    Spend s(KycLevel::kMin, gift);
    s.channel = authz::Channel::kAtm;
    authz::Decision d = s.decide();
    EXPECT_STREQ(d.response_code, "57") << d.reason;
    EXPECT_NE(d.reason.find("cash withdrawal is not allowed"), std::string::npos) << d.reason;
  }
}

TEST(DomainPpi, FullCashLimitsAtTheirBoundaries) {
  Spend s(KycLevel::kFull);
  s.channel = authz::Channel::kAtm;
  s.amount = 2'000 * kRupee;
  EXPECT_TRUE(s.decide().approved);
  s.amount = 2'000 * kRupee + 1;
  EXPECT_STREQ(s.decide().response_code, "61");
  // ₹10,000 of cash a month: ₹8,000 used, ₹2,000 more passes, a paisa more does not.
  s.usage.channel_month_paise = 8'000 * kRupee;
  s.amount = 2'000 * kRupee;
  EXPECT_TRUE(s.decide().approved);
  s.usage.channel_month_paise = 8'000 * kRupee + 1;
  authz::Decision d = s.decide();
  EXPECT_STREQ(d.response_code, "61");
  EXPECT_NE(d.reason.find("cash per month"), std::string::npos) << d.reason;
  // A PIN is still needed for cash.
  s.usage = {};
  s.card.pin_entered = false;
  EXPECT_STREQ(s.decide().response_code, "55");
  // POS spending at FULL has no PPI debit limit.
  Spend pos(KycLevel::kFull);
  pos.usage.month_paise = 500'000 * kRupee;
  EXPECT_TRUE(pos.decide().approved);
}

TEST(DomainPpi, CashCountLimitDeclines65) {
  Spend s(KycLevel::kFull);
  s.channel = authz::Channel::kAtm;
  s.limits.ppi->monthly_cash_count = 3;
  s.usage.channel_month_count = 2;
  EXPECT_TRUE(s.decide().approved);
  s.usage.channel_month_count = 3;
  EXPECT_STREQ(s.decide().response_code, "65");
}

TEST(DomainPpi, OutsidePpiNothingIsAdded) {
  Spend s(KycLevel::kMin);
  s.limits.ppi.reset();
  s.channel = authz::Channel::kAtm;
  s.usage.month_paise = 1'000'000 * kRupee;
  EXPECT_TRUE(s.decide().approved);
}

}  // namespace
}  // namespace cardcore::ppi
