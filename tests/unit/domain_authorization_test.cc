// The authorization decision table (domain/authorization.h): one case per response code, the
// order of the checks, and the boundary of every amount and count limit.
#include "domain/authorization.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "domain/money.h"

namespace cardcore::authz {
namespace {

// A request that approves: ₹100 at POS, an unlocked card with a PIN, no limits, ₹1000 free.
struct Input {
  int64_t amount = 100'00;
  Channel channel = Channel::kPos;
  bool international = false;
  CardFacts card;
  Limits limits;
  Usage usage;
  int64_t available = 1000'00;
  Merchant merchant{"5411", "MERCHANT01", "356"};

  Input() {
    card.status = CardStatus::kUnlocked;
    card.pin_set = true;
  }
  Decision decide() const {
    return authz::decide(amount, channel, international, card, limits, usage, available, merchant);
  }
};

struct Case {
  std::string name;
  std::function<void(Input&)> set;
  std::string code;
};

void run(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Input in;
    c.set(in);
    Decision d = in.decide();
    EXPECT_EQ(std::string(d.response_code), c.code) << c.name << " (reason: " << d.reason << ")";
    EXPECT_EQ(d.approved, c.code == "00") << c.name;
    EXPECT_FALSE(d.reason.empty()) << c.name;
  }
}

TEST(DomainAuthorization, BaselineApproves) {
  Decision d = Input().decide();
  EXPECT_TRUE(d.approved);
  EXPECT_STREQ(d.response_code, "00");
  EXPECT_FALSE(d.wrong_pin);
}

// ---- one case per response code ----

TEST(DomainAuthorization, OneCasePerResponseCode) {
  std::vector<Case> cases = {
      {"13 zero amount", [](Input& i) { i.amount = 0; }, "13"},
      {"13 negative amount", [](Input& i) { i.amount = -1; }, "13"},
      {"13 above the maximum amount", [](Input& i) {
         i.amount = money::kMaxAbsPaise + 1;
         i.available = money::kMaxAbsPaise + 1;
       }, "13"},
      {"00 exactly the maximum amount", [](Input& i) {
         i.amount = money::kMaxAbsPaise;
         i.available = money::kMaxAbsPaise;
       }, "00"},
      {"54 expired card", [](Input& i) { i.card.expired = true; }, "54"},
      {"54 wrong expiry date", [](Input& i) { i.card.expiry_mismatch = true; }, "54"},
      {"62 locked", [](Input& i) { i.card.status = CardStatus::kLocked; }, "62"},
      {"46 blocked", [](Input& i) { i.card.status = CardStatus::kBlocked; }, "46"},
      {"78 activation in progress", [](Input& i) { i.card.status = CardStatus::kActivationInProgress; }, "78"},
      {"05 wrong CVV", [](Input& i) { i.card.cvv_mismatch = true; }, "05"},
      {"57 POS not allowed", [](Input& i) { i.limits.pos_allowed = false; }, "57"},
      {"57 ECOM not allowed", [](Input& i) {
         i.channel = Channel::kEcom;
         i.limits.online_allowed = false;
       }, "57"},
      {"57 ATM not allowed (the default)", [](Input& i) {
         i.channel = Channel::kAtm;
         i.card.pin_entered = i.card.pin_ok = true;
       }, "57"},
      {"57 CONTACTLESS not allowed", [](Input& i) {
         i.channel = Channel::kContactless;
         i.limits.contactless_allowed = false;
       }, "57"},
      {"57 international not allowed (the default)", [](Input& i) { i.international = true; }, "57"},
      {"00 international allowed", [](Input& i) {
         i.international = true;
         i.limits.international_allowed = true;
       }, "00"},
      {"75 PIN locked at ATM with the right PIN", [](Input& i) {
         i.channel = Channel::kAtm;
         i.limits.atm_allowed = true;
         i.card.pin_entered = i.card.pin_ok = true;
         i.card.pin_failures = kMaxPinFailures;
       }, "75"},
      {"75 PIN locked, PIN entered at POS", [](Input& i) {
         i.card.pin_entered = i.card.pin_ok = true;
         i.card.pin_failures = kMaxPinFailures;
       }, "75"},
      {"55 wrong PIN at ATM", [](Input& i) {
         i.channel = Channel::kAtm;
         i.limits.atm_allowed = true;
         i.card.pin_entered = true;
       }, "55"},
      {"55 PIN entered at POS and wrong", [](Input& i) { i.card.pin_entered = true; }, "55"},
      {"55 ATM without a PIN", [](Input& i) {
         i.channel = Channel::kAtm;
         i.limits.atm_allowed = true;
       }, "55"},
      {"55 no PIN set on the card", [](Input& i) {
         i.card.pin_set = false;
         i.card.pin_entered = true;
         i.card.pin_ok = true;  // even a "match" is not one without a PIN
       }, "55"},
      {"00 right PIN at ATM", [](Input& i) {
         i.channel = Channel::kAtm;
         i.limits.atm_allowed = true;
         i.card.pin_entered = i.card.pin_ok = true;
         i.card.pin_failures = kMaxPinFailures - 1;
       }, "00"},
      {"00 POS without a PIN ignores the PIN counter", [](Input& i) { i.card.pin_failures = kMaxPinFailures; }, "00"},
      {"61 per-transaction limit", [](Input& i) { i.limits.per_txn_paise = 99'99; }, "61"},
      {"61 daily amount", [](Input& i) {
         i.limits.day_paise = 500'00;
         i.usage.day_paise = 400'01;
       }, "61"},
      {"61 monthly amount", [](Input& i) {
         i.limits.month_paise = 500'00;
         i.usage.month_paise = 400'01;
       }, "61"},
      {"61 yearly amount", [](Input& i) {
         i.limits.year_paise = 500'00;
         i.usage.year_paise = 400'01;
       }, "61"},
      {"61 POS daily amount", [](Input& i) {
         i.limits.pos_day_paise = 500'00;
         i.usage.channel_day_paise = 400'01;
       }, "61"},
      {"61 ECOM daily amount", [](Input& i) {
         i.channel = Channel::kEcom;
         i.limits.ecom_day_paise = 500'00;
         i.usage.channel_day_paise = 400'01;
       }, "61"},
      {"61 CONTACTLESS daily amount", [](Input& i) {
         i.channel = Channel::kContactless;
         i.limits.contactless_day_paise = 500'00;
         i.usage.channel_day_paise = 400'01;
       }, "61"},
      {"65 daily count", [](Input& i) {
         i.limits.day_count = 3;
         i.usage.day_count = 3;
       }, "65"},
      {"65 monthly count", [](Input& i) {
         i.limits.month_count = 3;
         i.usage.month_count = 3;
       }, "65"},
      {"65 yearly count", [](Input& i) {
         i.limits.year_count = 3;
         i.usage.year_count = 3;
       }, "65"},
      {"65 POS daily count", [](Input& i) {
         i.limits.pos_day_count = 3;
         i.usage.channel_day_count = 3;
       }, "65"},
      {"65 ECOM daily count", [](Input& i) {
         i.channel = Channel::kEcom;
         i.limits.ecom_day_count = 3;
         i.usage.channel_day_count = 3;
       }, "65"},
      {"65 CONTACTLESS daily count", [](Input& i) {
         i.channel = Channel::kContactless;
         i.limits.contactless_day_count = 3;
         i.usage.channel_day_count = 3;
       }, "65"},
      {"51 insufficient funds", [](Input& i) { i.available = 99'99; }, "51"},
      {"51 nothing available", [](Input& i) { i.available = 0; }, "51"},
      {"51 negative available", [](Input& i) { i.available = -1; }, "51"},
      {"00 exactly the available balance", [](Input& i) { i.available = 100'00; }, "00"},
  };
  run(cases);

  // Every response code of the table is exercised.
  std::set<std::string> seen;
  for (const Case& c : cases) seen.insert(c.code);
  EXPECT_EQ(seen, (std::set<std::string>{"00", "05", "13", "46", "51", "54", "55", "57", "61", "62", "65", "75", "78"}));
}

TEST(DomainAuthorization, WrongPinFlagOnlyWhenAPinWasEnteredAndWrong) {
  Input atm_wrong;
  atm_wrong.channel = Channel::kAtm;
  atm_wrong.limits.atm_allowed = true;
  atm_wrong.card.pin_entered = true;
  EXPECT_TRUE(atm_wrong.decide().wrong_pin);

  Input pos_wrong;
  pos_wrong.card.pin_entered = true;
  EXPECT_TRUE(pos_wrong.decide().wrong_pin);

  Input atm_no_pin;  // nothing entered: nothing to count
  atm_no_pin.channel = Channel::kAtm;
  atm_no_pin.limits.atm_allowed = true;
  Decision d = atm_no_pin.decide();
  EXPECT_STREQ(d.response_code, "55");
  EXPECT_FALSE(d.wrong_pin);

  Input locked;  // 75 does not count another failure
  locked.card.pin_entered = true;
  locked.card.pin_failures = kMaxPinFailures;
  EXPECT_FALSE(locked.decide().wrong_pin);

  Input right;
  right.card.pin_entered = right.card.pin_ok = true;
  EXPECT_FALSE(right.decide().wrong_pin);
  EXPECT_TRUE(right.decide().approved);

  Input other;  // a decline for another reason is not a PIN failure
  other.card.pin_entered = other.card.pin_ok = true;
  other.available = 0;
  EXPECT_FALSE(other.decide().wrong_pin);
}

// ---- the order of the checks: the first failing row of the table answers ----

TEST(DomainAuthorization, CheckOrder) {
  auto everything_wrong_from = [](Input& i, int row) {
    // Makes rows `row`..10 of the table fail at once.
    if (row <= 1) i.amount = 0;
    if (row <= 2) i.card.expired = true;
    if (row <= 3) i.card.status = CardStatus::kBlocked;
    if (row <= 4) i.card.cvv_mismatch = true;
    if (row <= 5) i.limits.pos_allowed = false;
    if (row <= 6) i.card.pin_failures = kMaxPinFailures;
    if (row <= 7) i.card.pin_entered = true;  // wrong PIN at POS
    if (row <= 8) i.limits.per_txn_paise = 1;
    if (row <= 9) {
      i.limits.day_count = 1;
      i.usage.day_count = 1;
    }
    if (row <= 10) i.available = 0;
  };
  // With row 6 (PIN locked) and row 7 (wrong PIN) both failing, 75 wins; row 7 alone gives 55.
  const char* expected[] = {"", "13", "54", "46", "05", "57", "75", "55", "61", "65", "51"};
  for (int row = 1; row <= 10; ++row) {
    SCOPED_TRACE("failing from row " + std::to_string(row));
    Input in;
    everything_wrong_from(in, row);
    if (row == 1) in.amount = -5;  // still invalid
    Decision d = in.decide();
    EXPECT_STREQ(d.response_code, expected[row]) << d.reason;
  }
}

TEST(DomainAuthorization, CheckOrderPairs) {
  run({
      {"BL with insufficient funds -> 46, not 51", [](Input& i) {
         i.card.status = CardStatus::kBlocked;
         i.available = 0;
       }, "46"},
      {"L with insufficient funds -> 62", [](Input& i) {
         i.card.status = CardStatus::kLocked;
         i.available = 0;
       }, "62"},
      {"AP over the daily limit -> 78", [](Input& i) {
         i.card.status = CardStatus::kActivationInProgress;
         i.limits.day_paise = 1;
       }, "78"},
      {"invalid amount on a blocked, expired card -> 13", [](Input& i) {
         i.amount = 0;
         i.card.expired = true;
         i.card.status = CardStatus::kBlocked;
       }, "13"},
      {"expired and blocked -> 54", [](Input& i) {
         i.card.expired = true;
         i.card.status = CardStatus::kBlocked;
       }, "54"},
      {"wrong expiry on a locked card -> 54", [](Input& i) {
         i.card.expiry_mismatch = true;
         i.card.status = CardStatus::kLocked;
       }, "54"},
      {"locked with a wrong CVV -> 62", [](Input& i) {
         i.card.status = CardStatus::kLocked;
         i.card.cvv_mismatch = true;
       }, "62"},
      {"wrong CVV on a channel not allowed -> 05", [](Input& i) {
         i.card.cvv_mismatch = true;
         i.limits.pos_allowed = false;
       }, "05"},
      {"ATM not allowed with a wrong PIN -> 57 (and no PIN failure)", [](Input& i) {
         i.channel = Channel::kAtm;
         i.card.pin_entered = true;
       }, "57"},
      {"international not allowed, PIN locked -> 57", [](Input& i) {
         i.international = true;
         i.card.pin_entered = true;
         i.card.pin_failures = kMaxPinFailures;
       }, "57"},
      {"wrong PIN over the per-txn limit -> 55", [](Input& i) {
         i.card.pin_entered = true;
         i.limits.per_txn_paise = 1;
       }, "55"},
      {"over an amount and a count limit -> 61", [](Input& i) {
         i.limits.month_paise = 1;
         i.limits.day_count = 1;
         i.usage.day_count = 1;
       }, "61"},
      {"over a count limit with insufficient funds -> 65", [](Input& i) {
         i.limits.year_count = 1;
         i.usage.year_count = 1;
         i.available = 0;
       }, "65"},
      {"over the channel daily amount with insufficient funds -> 61", [](Input& i) {
         i.limits.pos_day_paise = 1;
         i.available = 0;
       }, "61"},
  });
}

// ---- boundaries: at the limit approves, one paisa (or one use) more declines ----

struct AmountLimit {
  const char* name;
  Channel channel;
  std::optional<int64_t> Limits::*limit;
  int64_t Usage::*used;  // nullptr: per transaction
};

TEST(DomainAuthorization, AmountLimitBoundaries) {
  const AmountLimit limits[] = {
      {"perTxnLimit", Channel::kPos, &Limits::per_txn_paise, nullptr},
      {"dtd", Channel::kPos, &Limits::day_paise, &Usage::day_paise},
      {"mtd", Channel::kPos, &Limits::month_paise, &Usage::month_paise},
      {"ytd", Channel::kPos, &Limits::year_paise, &Usage::year_paise},
      {"posDailyLimit", Channel::kPos, &Limits::pos_day_paise, &Usage::channel_day_paise},
      {"ecomDailyLimit", Channel::kEcom, &Limits::ecom_day_paise, &Usage::channel_day_paise},
      {"contactLessDailyLimit", Channel::kContactless, &Limits::contactless_day_paise, &Usage::channel_day_paise},
  };
  for (const AmountLimit& l : limits) {
    SCOPED_TRACE(l.name);
    for (int64_t used : {int64_t{0}, int64_t{250'00}, int64_t{499'99}}) {
      if (!l.used && used != 0) continue;
      SCOPED_TRACE("used " + std::to_string(used));
      Input in;
      in.channel = l.channel;
      in.limits.*l.limit = 500'00;
      if (l.used) in.usage.*l.used = used;
      in.available = 10'000'00;

      in.amount = 500'00 - used;  // exactly at the limit
      Decision at = in.decide();
      EXPECT_TRUE(at.approved) << at.response_code << " " << at.reason;

      in.amount = 500'00 - used + 1;  // one paisa over
      Decision over = in.decide();
      EXPECT_STREQ(over.response_code, "61") << over.reason;
    }
    // Already exactly at the limit: even one paisa declines.
    if (l.used) {
      Input in;
      in.channel = l.channel;
      in.limits.*l.limit = 500'00;
      in.usage.*l.used = 500'00;
      in.amount = 1;
      EXPECT_STREQ(in.decide().response_code, "61");
    }
    // A limit of zero declines everything.
    Input zero;
    zero.channel = l.channel;
    zero.limits.*l.limit = 0;
    zero.amount = 1;
    EXPECT_STREQ(zero.decide().response_code, "61");
  }
}

struct CountLimit {
  const char* name;
  Channel channel;
  std::optional<int64_t> Limits::*limit;
  int64_t Usage::*used;
};

TEST(DomainAuthorization, CountLimitBoundaries) {
  const CountLimit limits[] = {
      {"dtdCount", Channel::kPos, &Limits::day_count, &Usage::day_count},
      {"mtdCount", Channel::kPos, &Limits::month_count, &Usage::month_count},
      {"ytdCount", Channel::kPos, &Limits::year_count, &Usage::year_count},
      {"posDailyLimitCount", Channel::kPos, &Limits::pos_day_count, &Usage::channel_day_count},
      {"ecomDailyLimitCount", Channel::kEcom, &Limits::ecom_day_count, &Usage::channel_day_count},
      {"contactLessDailyLimitCount", Channel::kContactless, &Limits::contactless_day_count, &Usage::channel_day_count},
  };
  for (const CountLimit& l : limits) {
    SCOPED_TRACE(l.name);
    for (int64_t limit : {int64_t{1}, int64_t{5}}) {
      Input in;
      in.channel = l.channel;
      in.limits.*l.limit = limit;
      in.usage.*l.used = limit - 1;
      EXPECT_TRUE(in.decide().approved) << "used = limit - 1 approves";
      in.usage.*l.used = limit;
      EXPECT_STREQ(in.decide().response_code, "65") << "used = limit declines";
      in.usage.*l.used = limit + 1;
      EXPECT_STREQ(in.decide().response_code, "65");
    }
    Input zero;
    zero.channel = l.channel;
    zero.limits.*l.limit = 0;
    EXPECT_STREQ(zero.decide().response_code, "65");
  }
}

// The channel daily limits apply to their channel only; ATM has none of them.
TEST(DomainAuthorization, ChannelLimitsApplyToTheirChannelOnly) {
  for (Channel ch : {Channel::kPos, Channel::kEcom, Channel::kContactless, Channel::kAtm}) {
    SCOPED_TRACE(std::string(channel_name(ch)));
    Input in;
    in.channel = ch;
    in.limits.atm_allowed = true;
    if (ch == Channel::kAtm) in.card.pin_entered = in.card.pin_ok = true;
    // Every channel's daily limit is exhausted except the request's own.
    if (ch != Channel::kPos) in.limits.pos_day_paise = 0, in.limits.pos_day_count = 0;
    if (ch != Channel::kEcom) in.limits.ecom_day_paise = 0, in.limits.ecom_day_count = 0;
    if (ch != Channel::kContactless) in.limits.contactless_day_paise = 0, in.limits.contactless_day_count = 0;
    in.usage.channel_day_paise = 1'000'000'00;
    in.usage.channel_day_count = 1'000;
    Decision d = in.decide();
    EXPECT_TRUE(d.approved) << d.response_code << " " << d.reason;
  }
}

// The whole-card limits count every channel's usage (the usage is what the service summed).
TEST(DomainAuthorization, NoLimitMeansNoLimit) {
  Input in;
  in.usage = Usage{1'000'000'00, 1'000'000'00, 1'000'000'00, 1'000'000, 1'000'000, 1'000'000, 1'000'000'00, 1'000'000};
  in.amount = 999'999'00;
  in.available = 999'999'00;
  EXPECT_TRUE(in.decide().approved);
}

TEST(DomainAuthorization, ChannelNames) {
  for (const char* name : {"POS", "ECOM", "ATM", "CONTACTLESS"}) {
    auto c = parse_channel(name);
    ASSERT_TRUE(c.has_value()) << name;
    EXPECT_EQ(channel_name(*c), name);
  }
  for (const char* bad : {"", "pos", "Pos", "ONLINE", "ATM ", "NFC"}) EXPECT_FALSE(parse_channel(bad).has_value()) << bad;
}

TEST(DomainAuthorization, AuthStatusCodesRoundTripAndUnknownOnesAreRefused) {
  for (AuthStatus st : {AuthStatus::kOpen, AuthStatus::kClosed, AuthStatus::kReversed, AuthStatus::kExpired}) {
    EXPECT_EQ(parse_auth_status(auth_status_code(st)), st) << auth_status_code(st);
  }
  EXPECT_EQ(auth_status_code(AuthStatus::kReversed), "REVERSED");  // the stored vocabulary
  for (const char* bad : {"", "open", "HELD", "CLOSED "}) EXPECT_FALSE(parse_auth_status(bad).has_value()) << bad;
}

// ---- merchant controls: after the card's status, before channels and amounts ----

TEST(DomainAuthorization, MerchantControlsDeclineWith57AndNameTheControl) {
  std::vector<Case> cases = {
      {"00 no controls", [](Input&) {}, "00"},
      {"00 MCC in allowedMccs", [](Input& i) { i.limits.merchant.allowed_mccs = {"5812", "5411"}; }, "00"},
      {"57 MCC not in allowedMccs", [](Input& i) { i.limits.merchant.allowed_mccs = {"5812"}; }, "57"},
      {"57 no MCC sent, allowedMccs set", [](Input& i) {
         i.limits.merchant.allowed_mccs = {"5411"};
         i.merchant.mcc = "";
       }, "57"},
      {"57 blocked MCC", [](Input& i) { i.limits.merchant.blocked_mccs = {"7995", "5411"}; }, "57"},
      {"00 another MCC blocked", [](Input& i) { i.limits.merchant.blocked_mccs = {"7995"}; }, "00"},
      {"57 blocked merchant", [](Input& i) { i.limits.merchant.blocked_merchant_ids = {"MERCHANT01"}; }, "57"},
      {"00 another merchant blocked", [](Input& i) { i.limits.merchant.blocked_merchant_ids = {"MERCHANT02"}; }, "00"},
      {"57 blocked country", [](Input& i) { i.limits.merchant.blocked_countries = {"356"}; }, "57"},
      {"00 no country sent, countries blocked", [](Input& i) {
         i.limits.merchant.blocked_countries = {"840"};
         i.merchant.country = "";
       }, "00"},
      {"00 nothing sent, only blocks set", [](Input& i) {
         i.limits.merchant.blocked_mccs = {"5411"};
         i.limits.merchant.blocked_merchant_ids = {"MERCHANT01"};
         i.merchant = Merchant{};
       }, "00"},
      // The order: the card's status first, then merchant controls, then channels and amounts.
      {"62 locked card beats a blocked MCC", [](Input& i) {
         i.card.status = CardStatus::kLocked;
         i.limits.merchant.blocked_mccs = {"5411"};
       }, "62"},
      {"57 blocked MCC beats insufficient funds", [](Input& i) {
         i.limits.merchant.blocked_mccs = {"5411"};
         i.available = 0;
       }, "57"},
      {"57 blocked MCC beats an amount limit", [](Input& i) {
         i.limits.merchant.blocked_mccs = {"5411"};
         i.limits.per_txn_paise = 1;
       }, "57"},
  };
  run(cases);
  Input in;
  in.limits.merchant.allowed_mccs = {"5812"};
  EXPECT_EQ(in.decide().reason, "MCC 5411 is not in the card's allowedMccs");
  in = Input();
  in.limits.merchant.blocked_mccs = {"5411"};
  EXPECT_EQ(in.decide().reason, "MCC 5411 is in the card's blockedMccs");
  in = Input();
  in.limits.merchant.blocked_merchant_ids = {"MERCHANT01"};
  EXPECT_EQ(in.decide().reason, "merchant MERCHANT01 is in the card's blockedMerchantIds");
  in = Input();
  in.limits.merchant.blocked_countries = {"356"};
  EXPECT_EQ(in.decide().reason, "country 356 is in the card's blockedCountries");
}

TEST(DomainAuthorization, ResponseCodesHaveTheirMeaningInWords) {
  EXPECT_EQ(response_code_meaning("00"), "approved");
  EXPECT_EQ(response_code_meaning("62"), "restricted card (locked)");
  EXPECT_EQ(response_code_meaning("51"), "insufficient funds");
  EXPECT_EQ(response_code_meaning("99"), "");
  EXPECT_EQ(response_code_meaning(""), "");
}

}  // namespace
}  // namespace cardcore::authz
