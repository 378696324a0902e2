// Authorization limits over the Asia/Kolkata calendar windows (day, month, year), and the PIN
// try counter, at the service level with a clock the test sets. IST is UTC+05:30 with no DST,
// so 00:00:00 IST is 18:30:00 UTC of the previous day.
#include <gtest/gtest.h>

#include <string>

#include "service/authorization.h"
#include "service/cards.h"
#include "service_env.h"

namespace cardcore::testing {
namespace {

namespace az = cardcore::authorization;

// Unix seconds of a civil UTC date-time (Howard Hinnant's days_from_civil).
constexpr int64_t utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hh * 3600 + mm * 60 + ss;
}
// The same wall-clock time in Asia/Kolkata.
constexpr int64_t ist(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return utc(y, m, d, hh, mm, ss) - (5 * 3600 + 30 * 60);
}
static_assert(utc(1970, 1, 1) == 0);
static_assert(utc(2026, 6, 30, 18, 29, 59) == 1'782'844'199);
static_assert(ist(2026, 7, 1) == utc(2026, 6, 30, 18, 30, 0));
static_assert(ist(2026, 6, 30, 23, 59, 59) == utc(2026, 6, 30, 18, 29, 59));

class AuthorizationWindows : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.set_now(ist(2026, 5, 20, 12));  // the card is issued before every window under test
    t_ = env_.tenant();
    card_ = env_.card(t_);
    // Full KYC: the windows under test are the usage controls', not the small PPI's ₹10,000.
    ASSERT_TRUE(env_.full_kyc(card_));
    ASSERT_TRUE(env_.fund(t_, 100'000'00, "POOL-1"));
    auto loaded = env_.load(t_, card_, 50'000'00, "LOAD-1");
    ASSERT_TRUE(loaded) << loaded.error().message;
  }

  void limits(const cards::UsageUpdate& base) {
    cards::UsageUpdate u = base;
    u.company_id = t_.creds.company_id;
    u.card_account_id = t_.account_id;
    u.card_ids = {card_};
    auto s = cards::set_usage_controls(env_.ctx(), t_.principal, u);
    ASSERT_TRUE(s) << s.error().message;
  }

  az::AuthResult auth(int64_t paise, const std::string& channel = "POS", std::optional<std::string> pin = {}) {
    az::AuthRequest r;
    r.partner_id = t_.creds.partner_id;
    r.card_id = card_;
    r.amount_paise = paise;
    r.channel = channel;
    r.pin = std::move(pin);
    r.merchant_name = "Window Test";
    r.source = "SANDBOX";
    auto out = az::authorize(env_.ctx(), r);
    EXPECT_TRUE(out) << out.error().message;
    return out.value_or(az::AuthResult{});
  }

  // Approves `paise` at `when` (fails the test with the decline otherwise).
  void approve_at(int64_t when, int64_t paise) {
    env_.set_now(when);
    az::AuthResult r = auth(paise);
    EXPECT_EQ(r.response_code, "00") << "at " << when << ": " << r.reason;
  }
  void decline_at(int64_t when, int64_t paise, const std::string& code) {
    env_.set_now(when);
    az::AuthResult r = auth(paise);
    EXPECT_EQ(r.response_code, code) << "at " << when << ": " << r.reason;
    EXPECT_FALSE(r.approved);
  }

  ServiceEnv env_;
  ServiceEnv::Tenant t_;
  std::string card_;
};

// ---- day ----

TEST_F(AuthorizationWindows, DailyAmountResetsAtIstMidnight) {
  cards::UsageUpdate u;
  u.dtd = int64_t{1000'00};
  limits(u);
  // 00:00:00 IST is still the previous day in UTC: a UTC day would not count this spend below.
  approve_at(ist(2026, 6, 10, 0, 0, 0), 600'00);
  approve_at(ist(2026, 6, 10, 23, 59, 59), 400'00);  // exactly at the limit
  decline_at(ist(2026, 6, 10, 23, 59, 59), 1, "61");  // one paisa over, the last second of the day
  approve_at(ist(2026, 6, 11, 0, 0, 0), 1000'00);     // the next IST day, first second
  decline_at(ist(2026, 6, 11, 0, 0, 1), 1, "61");     // ... and that spend counts for the new day
  decline_at(ist(2026, 6, 11, 23, 59, 59), 1, "61");
  approve_at(ist(2026, 6, 12, 0, 0, 0), 1);
}

TEST_F(AuthorizationWindows, DailyAmountUsesIstNotUtcDay) {
  cards::UsageUpdate u;
  u.dtd = int64_t{1000'00};
  limits(u);
  // 05:29:59 IST and 05:30:00 IST are the same IST day but different UTC days.
  approve_at(ist(2026, 6, 10, 5, 29, 59), 1000'00);
  decline_at(ist(2026, 6, 10, 5, 30, 0), 1, "61");
  // 23:59:59 IST on the 10th and 00:00:00 IST on the 11th are the same UTC day (the 10th).
  approve_at(ist(2026, 6, 11, 0, 0, 0), 1000'00);
}

TEST_F(AuthorizationWindows, DailyCountResetsAtIstMidnight) {
  cards::UsageUpdate u;
  u.dtd_count = int64_t{2};
  limits(u);
  approve_at(ist(2026, 6, 10, 0, 0, 0), 1'00);
  approve_at(ist(2026, 6, 10, 23, 59, 59), 1'00);     // used = limit - 1 approves
  decline_at(ist(2026, 6, 10, 23, 59, 59), 1'00, "65");  // used = limit declines
  approve_at(ist(2026, 6, 11, 0, 0, 0), 1'00);
  approve_at(ist(2026, 6, 11, 0, 0, 1), 1'00);
  decline_at(ist(2026, 6, 11, 0, 0, 2), 1'00, "65");
}

TEST_F(AuthorizationWindows, ChannelDailyAmountResetsAtIstMidnight) {
  cards::UsageUpdate u;
  u.ecom_daily = int64_t{300'00};
  limits(u);
  env_.set_now(ist(2026, 6, 10, 0, 0, 0));
  EXPECT_EQ(auth(300'00, "ECOM").response_code, "00");
  env_.set_now(ist(2026, 6, 10, 23, 59, 59));
  EXPECT_EQ(auth(1, "ECOM").response_code, "61");
  EXPECT_EQ(auth(500'00, "POS").response_code, "00");  // another channel is not limited by it
  env_.set_now(ist(2026, 6, 11, 0, 0, 0));
  EXPECT_EQ(auth(300'00, "ECOM").response_code, "00");
}

// ---- month ----

TEST_F(AuthorizationWindows, MonthlyAmountResetsOnTheFirstInIst) {
  cards::UsageUpdate u;
  u.mtd = int64_t{1000'00};
  limits(u);
  approve_at(ist(2026, 6, 1, 0, 0, 0), 600'00);        // first second of June (IST) = May in UTC
  approve_at(ist(2026, 6, 30, 23, 59, 59), 400'00);    // last second of June: exactly at the limit
  decline_at(ist(2026, 6, 30, 23, 59, 59), 1, "61");
  approve_at(ist(2026, 7, 1, 0, 0, 0), 1000'00);       // first second of July
  decline_at(ist(2026, 7, 31, 23, 59, 59), 1, "61");
  approve_at(ist(2026, 8, 1, 0, 0, 0), 1'00);
}

TEST_F(AuthorizationWindows, MonthlyCountResetsOnTheFirstInIst) {
  cards::UsageUpdate u;
  u.mtd_count = int64_t{1};
  limits(u);
  approve_at(ist(2026, 6, 1, 0, 0, 0), 1'00);
  decline_at(ist(2026, 6, 30, 23, 59, 59), 1'00, "65");
  approve_at(ist(2026, 7, 1, 0, 0, 0), 1'00);
}

// ---- year ----

TEST_F(AuthorizationWindows, YearlyAmountResetsOnJanuaryFirstInIst) {
  cards::UsageUpdate u;
  u.ytd = int64_t{1000'00};
  limits(u);
  approve_at(ist(2026, 6, 1, 12), 600'00);
  approve_at(ist(2026, 12, 31, 23, 59, 59), 400'00);   // last second of 2026 (IST): at the limit
  decline_at(ist(2026, 12, 31, 23, 59, 59), 1, "61");
  approve_at(ist(2027, 1, 1, 0, 0, 0), 1000'00);       // first second of 2027 (IST) = 2026 in UTC
  decline_at(ist(2027, 1, 1, 0, 0, 1), 1, "61");
}

TEST_F(AuthorizationWindows, YearlyCountResetsOnJanuaryFirstInIst) {
  cards::UsageUpdate u;
  u.ytd_count = int64_t{1};
  limits(u);
  approve_at(ist(2026, 12, 31, 23, 59, 59), 1'00);
  decline_at(ist(2026, 12, 31, 23, 59, 59), 1'00, "65");
  approve_at(ist(2027, 1, 1, 0, 0, 0), 1'00);
  decline_at(ist(2027, 1, 1, 0, 0, 0), 1'00, "65");
}

// A released hold stops counting toward the limits.
TEST_F(AuthorizationWindows, ReversedAuthorizationFreesTheDailyLimit) {
  cards::UsageUpdate u;
  u.dtd = int64_t{1000'00};
  limits(u);
  env_.set_now(ist(2026, 6, 10, 10));
  az::AuthResult a = auth(1000'00);
  ASSERT_EQ(a.response_code, "00");
  EXPECT_EQ(auth(1).response_code, "61");
  az::FollowUp f;
  f.partner_id = t_.creds.partner_id;
  f.authorization_id = a.authorization_id;
  f.source = "SANDBOX";
  auto rev = az::reverse(env_.ctx(), f);
  ASSERT_TRUE(rev) << rev.error().message;
  EXPECT_EQ(rev->response_code, "00");
  EXPECT_EQ(auth(1000'00).response_code, "00");
  EXPECT_TRUE(env_.verify().empty());
}

// ---- PIN tries ----

class AuthorizationPin : public AuthorizationWindows {
 protected:
  void SetUp() override {
    AuthorizationWindows::SetUp();
    cards::UsageUpdate u;
    u.atm_allowed = true;
    limits(u);
    set_pin("1234");
  }
  void set_pin(const std::string& pin) {
    cards::Proof proof;  // otpRequired false
    auto s = cards::set_pin(env_.ctx(), t_.principal, CardRef{t_.creds.company_id, t_.account_id, card_}, pin, proof);
    ASSERT_TRUE(s) << s.error().message;
  }
};

TEST_F(AuthorizationPin, ThreeWrongPinsLockUntilANewPinIsSet) {
  int64_t before = env_.available(card_);
  for (int i = 0; i < 3; ++i) {
    az::AuthResult r = auth(100'00, "ATM", "9999");
    EXPECT_EQ(r.response_code, "55") << "try " << i + 1;
    EXPECT_TRUE(r.authorization_id.empty());
  }
  az::AuthResult locked = auth(100'00, "ATM", "1234");  // the right PIN, too late
  EXPECT_EQ(locked.response_code, "75") << locked.reason;
  EXPECT_EQ(auth(100'00, "ATM", "9999").response_code, "75");
  EXPECT_EQ(auth(100'00, "POS", "1234").response_code, "75");  // a PIN entered at POS is checked too
  EXPECT_EQ(auth(100'00, "POS").response_code, "00");          // ... but POS without a PIN needs none
  EXPECT_EQ(env_.available(card_), before - 100'00);

  set_pin("1234");  // the same PIN again clears the counter
  az::AuthResult ok = auth(100'00, "ATM", "1234");
  EXPECT_EQ(ok.response_code, "00") << ok.reason;
  EXPECT_FALSE(ok.authorization_id.empty());
  EXPECT_EQ(env_.available(card_), before - 200'00);
  EXPECT_TRUE(env_.verify().empty());
}

TEST_F(AuthorizationPin, ARightPinResetsTheCounter) {
  EXPECT_EQ(auth(1'00, "ATM", "0000").response_code, "55");
  EXPECT_EQ(auth(1'00, "ATM", "0000").response_code, "55");
  EXPECT_EQ(auth(1'00, "ATM", "1234").response_code, "00");
  EXPECT_EQ(auth(1'00, "ATM", "0000").response_code, "55");
  EXPECT_EQ(auth(1'00, "ATM", "0000").response_code, "55");
  EXPECT_EQ(auth(1'00, "ATM", "1234").response_code, "00");  // not 75: the run was broken
  EXPECT_EQ(auth(1'00, "ATM").response_code, "55");          // ATM without a PIN
}

TEST_F(AuthorizationPin, AtmNotAllowedDeclines57WithoutCountingThePin) {
  cards::UsageUpdate u;
  u.atm_allowed = false;
  limits(u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(auth(1'00, "ATM", "0000").response_code, "57");
  u.atm_allowed = true;
  limits(u);
  EXPECT_EQ(auth(1'00, "ATM", "1234").response_code, "00");  // no failure was counted
}

TEST_F(AuthorizationPin, NewPinReplacesTheOld) {
  set_pin("4321");
  EXPECT_EQ(auth(1'00, "ATM", "1234").response_code, "55");
  EXPECT_EQ(auth(1'00, "ATM", "4321").response_code, "00");
}

// An incremental authorization on an ATM authorization: the PIN was verified by the
// authorization, and an increment message carries none.
TEST_F(AuthorizationPin, IncrementOfAnAtmAuthorizationNeedsNoPinAgain) {
  az::AuthResult a = auth(100'00, "ATM", "1234");
  ASSERT_EQ(a.response_code, "00") << a.reason;
  az::FollowUp f;
  f.partner_id = t_.creds.partner_id;
  f.authorization_id = a.authorization_id;
  f.amount_paise = 50'00;
  f.source = "SANDBOX";
  auto inc = az::increment(env_.ctx(), f);
  ASSERT_TRUE(inc) << inc.error().message;
  EXPECT_EQ(inc->response_code, "00") << inc->reason;
  EXPECT_TRUE(env_.verify().empty());
}

}  // namespace
}  // namespace cardcore::testing
