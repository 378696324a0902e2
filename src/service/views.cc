#include "service/views.h"

#include <algorithm>

#include <cstdio>

#include "domain/card_status.h"
#include "domain/clock.h"
#include "domain/money.h"

namespace cardcore::views {
namespace {

std::string two_digits(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

}  // namespace

nlohmann::json opt_rupees(const std::optional<int64_t>& paise) {
  if (!paise) return nullptr;
  return rupees_json(*paise);
}
nlohmann::json opt_count(const std::optional<int64_t>& n) {
  if (!n) return nullptr;
  return *n;
}

nlohmann::json level_rules_json(const ppi::LevelRules& l) {
  return {{"maxBalance", opt_rupees(l.max_balance)},         {"monthlyLoadLimit", opt_rupees(l.monthly_load)},
          {"yearlyLoadLimit", opt_rupees(l.yearly_load)},    {"monthlyDebitLimit", opt_rupees(l.monthly_debit)},
          {"cashAllowed", l.cash_allowed},                   {"cashPerTxnLimit", opt_rupees(l.cash_per_txn)},
          {"monthlyCashLimit", opt_rupees(l.monthly_cash)},  {"monthlyCashCountLimit", opt_count(l.monthly_cash_count)}};
}

nlohmann::json program_json(const ppi::Program& p) {
  if (!p.ppi) return "NONE";
  return {{"MIN", level_rules_json(p.rules.min)}, {"FULL", level_rules_json(p.rules.full)},
          {"GIFT", level_rules_json(p.rules.gift)}};
}

nlohmann::json rupees_json(int64_t paise) {
  if (paise % 100 == 0) return paise / 100;  // whole rupees print as 11, not 11.0
  return money::to_rupees_double(paise);
}

std::string masked_number(const std::string& last4) { return "XXXX XXXX XXXX " + last4; }

nlohmann::json card_json(const CardRow& c) {
  CardStatus st = c.status;
  return {{"enKashCardId", c.card_id},
          {"userId", c.user_id},
          {"cardAccountId", c.card_account_id},
          {"companyId", c.company_id},
          {"token", c.token},
          {"maskedNumber", masked_number(c.pan_last4)},
          {"expiryMonth", two_digits(c.expiry_month)},
          {"expiryYear", std::to_string(c.expiry_year)},
          {"cardStatus", {{"name", status_code(st)}, {"label", status_label(st)}}},
          {"cardType", c.card_type},
          {"gift", c.gift},
          {"kycLevel", ppi::kyc_level_code(c.kyc_level)},
          {"primaryEnKashCard", c.primary_card},
          {"otbBalance", rupees_json(c.balance_paise - c.held_paise)},
          {"cardHolderName", c.holder_name},
          {"pinSet", !c.pin_hash.empty()},
          {"replacedBy", c.replaced_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.replaced_by)},
          {"createdOn", clock::format_ist(c.created_at)},
          {"modifiedOn", clock::format_ist(c.modified_at)}};
}

nlohmann::json account_json(const CardAccountRow& a) {
  return {{"cardAccountId", a.card_account_id}, {"companyId", a.company_id},
          {"companyName", a.company_name},       {"userId", a.user_id},
          {"planMasterId", a.plan_master_id},    {"email", a.email},
          {"mobile", a.mobile},                  {"accountTitle", a.account_title},
          {"accountType", a.account_type},       {"createdOn", clock::format_ist(a.created_at)}};
}

nlohmann::json usage_json(const UsageControlsRow& u) {
  return {{"enKashCardId", u.card_id},
          {"posAllowed", u.pos_allowed},
          {"onlineAllowed", u.online_allowed},
          {"atmAllowed", u.atm_allowed},
          {"internationalAllowed", u.international_allowed},
          {"contactlessAllowed", u.contactless_allowed},
          {"perTxnLimit", opt_rupees(u.per_txn_limit_paise)},
          {"dtd", opt_rupees(u.dtd_paise)},
          {"mtd", opt_rupees(u.mtd_paise)},
          {"ytd", opt_rupees(u.ytd_paise)},
          {"dtdCount", opt_count(u.dtd_count)},
          {"mtdCount", opt_count(u.mtd_count)},
          {"ytdCount", opt_count(u.ytd_count)},
          {"posDailyLimit", opt_rupees(u.pos_daily_paise)},
          {"posDailyLimitCount", opt_count(u.pos_daily_count)},
          {"ecomDailyLimit", opt_rupees(u.ecom_daily_paise)},
          {"ecomDailyLimitCount", opt_count(u.ecom_daily_count)},
          {"contactLessDailyLimit", opt_rupees(u.contactless_daily_paise)},
          {"contactLessDailyLimitCount", opt_count(u.contactless_daily_count)},
          {"allowedMccs", u.merchant.allowed_mccs},
          {"blockedMccs", u.merchant.blocked_mccs},
          {"blockedMerchantIds", u.merchant.blocked_merchant_ids},
          {"blockedCountries", u.merchant.blocked_countries},
          {"adminUser", u.admin_user},
          {"createdBy", u.created_by},
          {"createdOn", clock::format_ist(u.created_on)},
          {"modifiedOn", clock::format_ist(u.modified_on)}};
}

nlohmann::json transaction_json(const TransactionRow& t) {
  nlohmann::json details = nlohmann::json::parse(t.details_json, nullptr, false);
  if (!details.is_object()) details = nlohmann::json::object();
  return {{"enKashCardTransactionId", t.txn_id},
          {"maskedCard", masked_number(t.card_last4)},
          {"enkashCardId", t.card_id},
          {"cardAccountId", t.card_account_id},
          {"userId", t.user_id},
          {"cardHolderName", t.holder_name},
          {"companyName", t.company_name},
          {"companyId", t.company_id},
          {"principalAmount", rupees_json(t.amount_paise)},
          {"balance", rupees_json(t.balance_after_paise)},
          {"pgReferenceNumber", t.pg_reference},
          {"description", t.description},
          {"remarks", t.remarks},
          {"createdBy", t.created_by},
          {"currency", "INR"},
          {"cardTransactionType", t.direction},
          {"status", t.status},
          {"type", t.type},
          {"createdOn", clock::format_ist(t.created_at)},
          {"txnDate", clock::format_ist(t.created_at)},
          {"modifiedOn", clock::format_ist(t.modified_at)},
          {"txnDetails", details}};
}

// Escaped by hand for ASCII, the common case: nlohmann::json escapes a string only inside a
// whole serializer, over 1,000 instructions a string (callgrind), and an event writes about 60
// (keys included).
// The escapes are nlohmann's: \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx
// (lower-case hex), everything else as it is. A string with any byte from 0x80 goes through
// nlohmann::json itself, which checks its UTF-8 (and throws on bad UTF-8, as before).
std::string json_string_text(std::string_view s) {
  for (unsigned char ch : s) {
    if (ch >= 0x80) return nlohmann::json(s).dump();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          out += "\\u00";
          out += kHex[ch >> 4];
          out += kHex[ch & 0xF];
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
  return out;
}

std::string json_object_text(std::vector<std::pair<std::string_view, std::string>> members) {
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "{";
  for (const auto& [key, value] : members) {
    if (out.size() > 1) out += ',';
    out += json_string_text(key);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

std::string transaction_json_text(const TransactionRow& t) {
  // Details as svc::new_transaction stores them, written by nlohmann::json's dump(), are what
  // parsing and writing them again would give, so they go in as they are; anything else that is
  // not an object is replaced by {} as transaction_json does.
  const bool object = t.details_json.size() >= 2 && t.details_json.front() == '{' && t.details_json.back() == '}';
  std::string details = object ? t.details_json : [&] {
    nlohmann::json d = nlohmann::json::parse(t.details_json, nullptr, false);
    return d.is_object() ? d.dump() : std::string("{}");
  }();
  const std::string created = json_string_text(clock::format_ist(t.created_at));
  return json_object_text({{"enKashCardTransactionId", json_string_text(t.txn_id)},
                           {"maskedCard", json_string_text(masked_number(t.card_last4))},
                           {"enkashCardId", json_string_text(t.card_id)},
                           {"cardAccountId", json_string_text(t.card_account_id)},
                           {"userId", json_string_text(t.user_id)},
                           {"cardHolderName", json_string_text(t.holder_name)},
                           {"companyName", json_string_text(t.company_name)},
                           {"companyId", json_string_text(t.company_id)},
                           {"principalAmount", rupees_json(t.amount_paise).dump()},
                           {"balance", rupees_json(t.balance_after_paise).dump()},
                           {"pgReferenceNumber", json_string_text(t.pg_reference)},
                           {"description", json_string_text(t.description)},
                           {"remarks", json_string_text(t.remarks)},
                           {"createdBy", json_string_text(t.created_by)},
                           {"currency", "\"INR\""},
                           {"cardTransactionType", json_string_text(t.direction)},
                           {"status", json_string_text(t.status)},
                           {"type", json_string_text(t.type)},
                           {"createdOn", created},
                           {"txnDate", created},
                           {"modifiedOn", json_string_text(clock::format_ist(t.modified_at))},
                           {"txnDetails", std::move(details)}});
}

nlohmann::json order_json(const PhysicalOrderRow& o) {
  return {{"orderId", o.order_id},
          {"enKashCardId", o.card_id},
          {"shippingStatus", order_status_code(o.status)},
          {"deliveryAddress", o.address},
          {"deliveryAddress2", o.address2},
          {"deliveryCity", o.city},
          {"deliveryState", o.state},
          {"deliveryCountry", o.country},
          {"deliveryPincode", o.pincode},
          {"createdOn", clock::format_ist(o.created_at)},
          {"modifiedOn", clock::format_ist(o.updated_at)}};
}

}  // namespace cardcore::views
