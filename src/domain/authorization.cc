#include "domain/authorization.h"

#include <algorithm>
#include <utility>

#include "domain/money.h"

namespace cardcore::authz {
namespace {

Decision decline(const char* code, std::string reason, bool wrong_pin = false) {
  return Decision{false, code, std::move(reason), wrong_pin};
}

// True when adding `amount` to `used` passes `limit`.
bool over(const std::optional<int64_t>& limit, int64_t used, int64_t amount) {
  return limit && used + amount > *limit;
}

}  // namespace

std::optional<Channel> parse_channel(std::string_view s) {
  if (s == "POS") return Channel::kPos;
  if (s == "ECOM") return Channel::kEcom;
  if (s == "ATM") return Channel::kAtm;
  if (s == "CONTACTLESS") return Channel::kContactless;
  return std::nullopt;
}

std::string_view response_code_meaning(std::string_view code) {
  static constexpr std::pair<std::string_view, std::string_view> kMeanings[] = {
      {rc::kApproved, "approved"},
      {rc::kDoNotHonour, "do not honour"},
      {rc::kInvalidAmount, "invalid amount"},
      {rc::kInvalidCard, "no such card"},
      {rc::kClosedCard, "card closed (blocked)"},
      {rc::kInsufficientFunds, "insufficient funds"},
      {rc::kExpiredCard, "card expired"},
      {rc::kWrongPin, "wrong PIN"},
      {rc::kNotPermitted, "not permitted for this card"},
      {rc::kAmountLimit, "amount limit exceeded"},
      {rc::kRestrictedCard, "restricted card (locked)"},
      {rc::kCountLimit, "count limit exceeded"},
      {rc::kPinTriesExceeded, "PIN tries exceeded"},
      {rc::kCardNotActive, "card not active yet"},
      {rc::kDuplicate, "duplicate transmission"},
      {rc::kSystemError, "system error"},
  };
  for (const auto& [c, meaning] : kMeanings) {
    if (c == code) return meaning;
  }
  return {};
}

std::string_view channel_name(Channel c) {
  switch (c) {
    case Channel::kPos: return "POS";
    case Channel::kEcom: return "ECOM";
    case Channel::kAtm: return "ATM";
    case Channel::kContactless: return "CONTACTLESS";
  }
  return "POS";
}

std::string_view auth_status_code(AuthStatus s) {
  switch (s) {
    case AuthStatus::kOpen: return "OPEN";
    case AuthStatus::kClosed: return "CLOSED";
    case AuthStatus::kReversed: return "REVERSED";
    case AuthStatus::kExpired: return "EXPIRED";
  }
  return "OPEN";
}

// The codes are written once, in auth_status_code.
std::optional<AuthStatus> parse_auth_status(std::string_view s) {
  for (AuthStatus a : {AuthStatus::kOpen, AuthStatus::kClosed, AuthStatus::kReversed, AuthStatus::kExpired}) {
    if (s == auth_status_code(a)) return a;
  }
  return std::nullopt;
}

namespace {

// A merchant control the request breaks, naming the control; none when it breaks none.
std::optional<Decision> merchant_refusal(const MerchantControls& c, const Merchant& m) {
  auto listed = [](const std::vector<std::string>& list, const std::string& v) {
    return !v.empty() && std::find(list.begin(), list.end(), v) != list.end();
  };
  if (!c.allowed_mccs.empty() && !listed(c.allowed_mccs, m.mcc)) {
    return decline(rc::kNotPermitted, "MCC " + (m.mcc.empty() ? std::string("(none sent)") : m.mcc) +
                                          " is not in the card's allowedMccs");
  }
  if (listed(c.blocked_mccs, m.mcc)) return decline(rc::kNotPermitted, "MCC " + m.mcc + " is in the card's blockedMccs");
  if (listed(c.blocked_merchant_ids, m.merchant_id)) {
    return decline(rc::kNotPermitted, "merchant " + m.merchant_id + " is in the card's blockedMerchantIds");
  }
  if (listed(c.blocked_countries, m.country)) {
    return decline(rc::kNotPermitted, "country " + m.country + " is in the card's blockedCountries");
  }
  return std::nullopt;
}

// A PPI amount rule of the card's KYC level the request breaks (61): its monthly debits (every
// channel: cleared spend and open holds), cash per withdrawal, cash per month.
std::optional<Decision> ppi_amount_refusal(const Limits& l, bool cash, const Usage& u, int64_t amount) {
  if (!l.ppi) return std::nullopt;
  const ppi::LevelRules& r = *l.ppi;
  auto refusal = [&](const char* rule, int64_t limit, int64_t used) {
    return decline(rc::kAmountLimit, "exceeds the KYC level " + l.ppi_kind + " limit of ₹" + money::format_rupees(limit) +
                                         " " + rule + " (₹" + money::format_rupees(std::max<int64_t>(limit - used, 0)) +
                                         " left)");
  };
  if (over(r.monthly_debit, u.month_paise, amount)) return refusal("in debits per month", *r.monthly_debit, u.month_paise);
  if (cash && over(r.cash_per_txn, u.txn_paise, amount)) return refusal("per cash withdrawal", *r.cash_per_txn, u.txn_paise);
  if (cash && over(r.monthly_cash, u.channel_month_paise, amount)) {
    return refusal("in cash per month", *r.monthly_cash, u.channel_month_paise);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Decision> ppi_amount_refusal(const Limits& l, Channel channel, const Usage& u, int64_t amount) {
  return ppi_amount_refusal(l, channel == Channel::kAtm, u, amount);
}

Decision decide(int64_t amount, Channel channel, bool international, const CardFacts& card, const Limits& l,
                const Usage& u, int64_t available, const Merchant& merchant) {
  if (amount <= 0 || amount > money::kMaxAbsPaise) return decline(rc::kInvalidAmount, "invalid amount");
  if (card.expired || card.expiry_mismatch) return decline(rc::kExpiredCard, "expired card or wrong expiry date");
  switch (card.status) {
    case CardStatus::kLocked: return decline(rc::kRestrictedCard, "card is locked");
    case CardStatus::kBlocked: return decline(rc::kClosedCard, "card is blocked");
    case CardStatus::kActivationInProgress: return decline(rc::kCardNotActive, "card is not active yet");
    case CardStatus::kUnlocked: break;
  }
  if (card.cvv_mismatch) return decline(rc::kDoNotHonour, "wrong CVV");
  if (auto refused = merchant_refusal(l.merchant, merchant)) return *refused;

  bool channel_ok = (channel == Channel::kPos && l.pos_allowed) || (channel == Channel::kEcom && l.online_allowed) ||
                    (channel == Channel::kAtm && l.atm_allowed) ||
                    (channel == Channel::kContactless && l.contactless_allowed);
  if (!channel_ok) return decline(rc::kNotPermitted, std::string(channel_name(channel)) + " transactions are not allowed on this card");
  if (international && !l.international_allowed) return decline(rc::kNotPermitted, "international transactions are not allowed");
  const bool cash = channel == Channel::kAtm;
  if (cash && l.ppi && !l.ppi->cash_allowed) {
    return decline(rc::kNotPermitted, "cash withdrawal is not allowed at KYC level " + l.ppi_kind);
  }

  bool pin_needed = channel == Channel::kAtm || card.pin_entered;
  if (pin_needed) {
    if (card.pin_failures >= kMaxPinFailures) return decline(rc::kPinTriesExceeded, "PIN tries exceeded; set a new PIN");
    if (!card.pin_entered || !card.pin_set || !card.pin_ok) return decline(rc::kWrongPin, "wrong or missing PIN", card.pin_entered);
  }

  if (over(l.per_txn_paise, u.txn_paise, amount)) return decline(rc::kAmountLimit, "exceeds the per-transaction limit");
  if (over(l.day_paise, u.day_paise, amount)) return decline(rc::kAmountLimit, "exceeds the daily amount limit");
  if (over(l.month_paise, u.month_paise, amount)) return decline(rc::kAmountLimit, "exceeds the monthly amount limit");
  if (over(l.year_paise, u.year_paise, amount)) return decline(rc::kAmountLimit, "exceeds the yearly amount limit");
  const std::optional<int64_t>* channel_paise = nullptr;
  const std::optional<int64_t>* channel_count = nullptr;
  if (channel == Channel::kPos) { channel_paise = &l.pos_day_paise; channel_count = &l.pos_day_count; }
  if (channel == Channel::kEcom) { channel_paise = &l.ecom_day_paise; channel_count = &l.ecom_day_count; }
  if (channel == Channel::kContactless) {
    channel_paise = &l.contactless_day_paise;
    channel_count = &l.contactless_day_count;
  }
  if (channel_paise && over(*channel_paise, u.channel_day_paise, amount)) {
    return decline(rc::kAmountLimit, "exceeds the daily " + std::string(channel_name(channel)) + " amount limit");
  }
  if (auto refused = ppi_amount_refusal(l, cash, u, amount)) return *refused;
  if (over(l.day_count, u.day_count, 1)) return decline(rc::kCountLimit, "exceeds the daily count limit");
  if (over(l.month_count, u.month_count, 1)) return decline(rc::kCountLimit, "exceeds the monthly count limit");
  if (over(l.year_count, u.year_count, 1)) return decline(rc::kCountLimit, "exceeds the yearly count limit");
  if (channel_count && over(*channel_count, u.channel_day_count, 1)) {
    return decline(rc::kCountLimit, "exceeds the daily " + std::string(channel_name(channel)) + " count limit");
  }
  if (cash && l.ppi && over(l.ppi->monthly_cash_count, u.channel_month_count, 1)) {
    return decline(rc::kCountLimit, "exceeds the KYC level " + l.ppi_kind + " limit of " +
                                        std::to_string(*l.ppi->monthly_cash_count) + " cash withdrawals per month");
  }
  if (available < amount) return decline(rc::kInsufficientFunds, "insufficient funds");
  return Decision{true, rc::kApproved, "approved", false};
}

}  // namespace cardcore::authz
