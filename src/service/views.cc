#include "service/views.h"

#include <algorithm>

#include <cstdio>

#include "domain/card_status.h"
#include "domain/clock.h"
#include "domain/json_text.h"
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

std::string rupees_text(int64_t paise) {
  if (paise % 100 == 0) return std::to_string(paise / 100);
  return rupees_json(paise).dump();
}

std::string card_json_text(const CardRow& c) {
  using json_text::quote;
  const CardStatus st = c.status;
  // Members in the order they are written (sorted as nlohmann sorts them), so none are moved.
  return json_text::object(
      {{"cardAccountId", quote(c.card_account_id)},
       {"cardHolderName", quote(c.holder_name)},
       {"cardStatus", json_text::object({{"label", quote(status_label(st))}, {"name", quote(status_code(st))}})},
       {"cardType", quote(c.card_type)},
       {"companyId", quote(c.company_id)},
       {"createdOn", quote(clock::format_ist(c.created_at))},
       {"enKashCardId", quote(c.card_id)},
       {"expiryMonth", quote(two_digits(c.expiry_month))},
       {"expiryYear", quote(std::to_string(c.expiry_year))},
       {"gift", c.gift ? "true" : "false"},
       {"kycLevel", quote(ppi::kyc_level_code(c.kyc_level))},
       {"maskedNumber", quote(masked_number(c.pan_last4))},
       {"modifiedOn", quote(clock::format_ist(c.modified_at))},
       {"otbBalance", rupees_text(c.balance_paise - c.held_paise)},
       {"pinSet", c.pin_hash.empty() ? "false" : "true"},
       {"primaryEnKashCard", c.primary_card ? "true" : "false"},
       {"replacedBy", c.replaced_by.empty() ? std::string("null") : quote(c.replaced_by)},
       {"token", quote(c.token)},
       {"userId", quote(c.user_id)}});
}

nlohmann::json card_json(const CardRow& c) { return nlohmann::json::parse(card_json_text(c)); }

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
std::string transaction_json_text(const TransactionRow& t) {
  // Details as svc::new_transaction stores them, written by nlohmann::json's dump(), are what
  // parsing and writing them again would give, so they go in as they are; anything else that is
  // not an object is replaced by {} as transaction_json does.
  const bool object = t.details_json.size() >= 2 && t.details_json.front() == '{' && t.details_json.back() == '}';
  std::string details = object ? t.details_json : [&] {
    nlohmann::json d = nlohmann::json::parse(t.details_json, nullptr, false);
    return d.is_object() ? d.dump() : std::string("{}");
  }();
  const std::string created = json_text::quote(clock::format_ist(t.created_at));
  return json_text::object({{"enKashCardTransactionId", json_text::quote(t.txn_id)},
                           {"maskedCard", json_text::quote(masked_number(t.card_last4))},
                           {"enkashCardId", json_text::quote(t.card_id)},
                           {"cardAccountId", json_text::quote(t.card_account_id)},
                           {"userId", json_text::quote(t.user_id)},
                           {"cardHolderName", json_text::quote(t.holder_name)},
                           {"companyName", json_text::quote(t.company_name)},
                           {"companyId", json_text::quote(t.company_id)},
                           {"principalAmount", rupees_text(t.amount_paise)},
                           {"balance", rupees_text(t.balance_after_paise)},
                           {"pgReferenceNumber", json_text::quote(t.pg_reference)},
                           {"description", json_text::quote(t.description)},
                           {"remarks", json_text::quote(t.remarks)},
                           {"createdBy", json_text::quote(t.created_by)},
                           {"currency", "\"INR\""},
                           {"cardTransactionType", json_text::quote(t.direction)},
                           {"status", json_text::quote(t.status)},
                           {"type", json_text::quote(t.type)},
                           {"createdOn", created},
                           {"txnDate", created},
                           {"modifiedOn", json_text::quote(clock::format_ist(t.modified_at))},
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
