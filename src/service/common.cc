#include "service/common.h"

#include <chrono>

#include "domain/clock.h"
#include "domain/json_text.h"
#include "security/crypto.h"
#include "service/views.h"

namespace cardcore::svc {

std::string pan_fingerprint(const Context& ctx, const std::string& pan) {
  return crypto::to_hex(crypto::hmac_sha256(ctx.hmac_key, "pan:" + pan));
}

std::string make_id(std::string_view prefix, size_t n) {
  return std::string(prefix) + crypto::random_id_chars(n);
}

std::string make_time_ordered_id(std::string_view prefix) {
  constexpr std::string_view kDigits36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch()).count());
  char time_part[8];
  for (int i = 7; i >= 0; --i) {  // 36^8 ms is 89 years: the digits stay 8 until 2059
    time_part[i] = kDigits36[ms % 36];
    ms /= 36;
  }
  return std::string(prefix) + std::string(time_part, sizeof time_part) + crypto::random_id_chars(8);
}

Result<CardAccountRow> owned_account(Tx& tx, const Principal& p, const std::string& company_id,
                                     const std::string& account_id) {
  if (!company_id.empty()) {
    CC_ASSIGN_OR_RETURN(std::optional<CompanyRow> company, tx.find_company(company_id));
    if (!company || company->partner_id != p.partner_id) return invalid_id("companyId");
  }
  CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(account_id));
  if (!acc || acc->partner_id != p.partner_id ||
      (!company_id.empty() && acc->company_id != company_id)) {
    return invalid_id("cardAccountId");
  }
  return *acc;
}

Result<CardRow> owned_card(Tx& tx, const Principal& p, const CardRef& ref) {
  // A card copies its account's partner and company when it is minted, and the account's
  // company is one of the partner's: a card that matches every id given is owned, and the
  // company and account need no reads of their own (two statements fewer on every card route).
  // Anything else takes the checks below in their order, so each refusal names the same field.
  CC_ASSIGN_OR_RETURN(std::optional<CardRow> found, tx.find_card(ref.card_id));
  if (found && found->partner_id == p.partner_id &&
      (ref.card_account_id.empty() || found->card_account_id == ref.card_account_id) &&
      (ref.company_id.empty() || found->company_id == ref.company_id)) {
    return std::move(*found);
  }
  if (!ref.card_account_id.empty()) {
    CC_RETURN_IF_ERROR(owned_account(tx, p, ref.company_id, ref.card_account_id));
  } else if (!ref.company_id.empty()) {
    CC_ASSIGN_OR_RETURN(std::optional<CompanyRow> company, tx.find_company(ref.company_id));
    if (!company || company->partner_id != p.partner_id) return invalid_id("companyId");
  }
  return invalid_id("enKashCardId");
}

Status audit(Tx& tx, const Principal& p, std::string_view action, const std::string& object_id,
             const nlohmann::json& detail, int64_t now) {
  return tx.insert_audit({0, now, p.partner_id, p.username, std::string(action), object_id, detail.dump()});
}

Status record_status_change(Tx& tx, const CardRow& card, std::optional<CardStatus> from, CardStatus to,
                            const std::string& reason, ChangeChannel channel, const std::string& actor,
                            int64_t now) {
  CC_RETURN_IF_ERROR(tx.insert_status_change({card.card_id, from, to, reason, channel, actor, now}));
  return enqueue_event(tx, card.partner_id, card.card_id, "card.status_changed", [&]() -> nlohmann::json {
                       return {{"enKashCardId", card.card_id},
                        {"cardAccountId", card.card_account_id},
                        {"companyId", card.company_id},
                        {"previousStatus", from ? nlohmann::json(status_code(*from)) : nlohmann::json(nullptr)},
                        {"cardStatus", status_code(to)},
                        {"reason", reason},
                        {"channel", channel_code(channel)},
                        {"changedOn", clock::format_ist(now)}};
                       }, now);
}

Status enqueue_event(Tx& tx, const std::string& partner_id, const std::string& card_id, std::string_view type,
                     const std::function<nlohmann::json()>& object, int64_t now) {
  return enqueue_event_text(tx, partner_id, card_id, type, [&] { return object().dump(); }, now);
}

Status enqueue_event_text(Tx& tx, const std::string& partner_id, const std::string& card_id, std::string_view type,
                          const std::function<std::string()>& object_text, int64_t now,
                          const std::optional<std::string>& known_webhook_url) {
  std::optional<std::string> webhook_url = known_webhook_url;
  if (!webhook_url) {
    CC_ASSIGN_OR_RETURN(webhook_url, tx.partner_webhook_url(partner_id));
  }
  if (!webhook_url || webhook_url->empty()) return {};
  std::string event_id = "EVT" + crypto::random_id_chars(16);
  // {"createdOn", "data", "id", "partnerId", "type"}: what nlohmann::json's dump() of the object
  // would write, without building it.
  std::string body = json_text::object({{"id", json_text::quote(event_id)},
                                        {"type", json_text::quote(type)},
                                        {"createdOn", json_text::quote(clock::format_ist(now))},
                                        {"partnerId", json_text::quote(partner_id)},
                                        {"data", object_text()}});
  return tx.insert_webhook_event({event_id, partner_id, std::string(type), std::move(body), now, now, 0, "PENDING", "", card_id});
}

Status record_transaction(Tx& tx, const TransactionRow& row, const std::optional<std::string>& webhook_url) {
  CC_RETURN_IF_ERROR(tx.insert_transaction(row));
  return enqueue_event_text(tx, row.partner_id, row.card_id, "transaction.created",
                            [&] { return views::transaction_json_text(row); }, row.created_at, webhook_url);
}

Result<TransactionRow> new_transaction(Tx& tx, const CardRow& card, const std::string& direction, int64_t amount,
                                       int64_t entry_id, int64_t balance_after, const std::string& reference,
                                       const std::string& type, int64_t now, std::string details_json) {
  TransactionRow t;
  if (card.account_company_name) {
    t.company_name = *card.account_company_name;  // read with the card, in this unit
  } else {
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(card.card_account_id));
    if (!acc) return internal_error("card " + card.card_id + " without its card account");
    t.company_name = acc->company_name;
  }
  t.user_id = card.user_id;
  t.card_last4 = card.pan_last4;
  t.holder_name = card.holder_name;
  t.txn_id = make_id("ECTR", 9);
  t.partner_id = card.partner_id;
  t.company_id = card.company_id;
  t.card_account_id = card.card_account_id;
  t.card_id = card.card_id;
  t.entry_id = entry_id;
  t.direction = direction;
  t.amount_paise = amount;
  t.balance_after_paise = balance_after;
  t.pg_reference = reference;
  t.type = type;
  t.status = "SUCCESS";
  t.details_json = details_json.empty() ? transaction_details(reference, type, "API") : std::move(details_json);
  t.created_at = t.modified_at = now;
  return t;
}

std::string transaction_details(const std::string& reference, std::string_view transaction_type,
                                std::string_view channel, std::vector<std::pair<std::string_view, std::string>> extra) {
  using json_text::quote;
  const std::string empty = quote("");
  std::vector<std::pair<std::string_view, std::string>> members{
      {"txnRefNo", quote(reference)},  {"merchantName", empty},     {"merchantId", empty},
      {"transactionType", quote(transaction_type)}, {"mcc", empty}, {"channel", quote(channel)},
      {"retrievalRefNo", empty},       {"traceNo", empty},          {"txnCurrency", quote("356")},
      {"network", quote("API")},       {"authCode", empty},         {"responseCode", quote("00")}};
  for (auto& member : extra) members.push_back(std::move(member));
  return json_text::object(std::move(members));
}

UsageWindows usage_windows(int64_t now, std::optional<authz::Channel> channel) {
  const clock::Date d = clock::ist_date(now);  // once: the three windows start in the same IST date
  return UsageWindows{clock::ist_midnight(d), clock::ist_midnight({d.year, d.month, 1}),
                      clock::ist_midnight({d.year, 1, 1}), channel};
}

}  // namespace cardcore::svc
