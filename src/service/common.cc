#include "service/common.h"

#include "domain/clock.h"
#include "security/crypto.h"

namespace cardcore::svc {

std::string make_id(std::string_view prefix, size_t n) {
  return std::string(prefix) + crypto::random_upper_alnum(n);
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
  if (!ref.card_account_id.empty()) {
    CC_RETURN_IF_ERROR(owned_account(tx, p, ref.company_id, ref.card_account_id));
  } else if (!ref.company_id.empty()) {
    CC_ASSIGN_OR_RETURN(std::optional<CompanyRow> company, tx.find_company(ref.company_id));
    if (!company || company->partner_id != p.partner_id) return invalid_id("companyId");
  }
  CC_ASSIGN_OR_RETURN(std::optional<CardRow> card, tx.find_card(ref.card_id));
  if (!card || card->partner_id != p.partner_id ||
      (!ref.card_account_id.empty() && card->card_account_id != ref.card_account_id) ||
      (!ref.company_id.empty() && card->company_id != ref.company_id)) {
    return invalid_id("enKashCardId");
  }
  return *card;
}

Status audit(Tx& tx, const Principal& p, std::string_view action, const std::string& object_id,
             const nlohmann::json& detail, int64_t now) {
  return tx.insert_audit({0, now, p.partner_id, p.username, std::string(action), object_id, detail.dump()});
}

Status record_status_change(Tx& tx, const CardRow& card, std::string_view from, std::string_view to,
                            const std::string& reason, const std::string& channel, const std::string& actor,
                            int64_t now) {
  CC_RETURN_IF_ERROR(tx.insert_status_change(
      {card.card_id, std::string(from), std::string(to), reason, channel, actor, now}));
  return enqueue_event(tx, card.partner_id, "card.status_changed",
                       {{"enKashCardId", card.card_id},
                        {"cardAccountId", card.card_account_id},
                        {"companyId", card.company_id},
                        {"previousStatus", from.empty() ? nlohmann::json(nullptr) : nlohmann::json(from)},
                        {"cardStatus", to},
                        {"reason", reason},
                        {"channel", channel},
                        {"changedOn", clock::format_ist(now)}},
                       now);
}

Status enqueue_event(Tx& tx, const std::string& partner_id, std::string_view type, const nlohmann::json& object,
                     int64_t now) {
  CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> partner, tx.find_partner(partner_id));
  if (!partner || partner->webhook_url.empty()) return {};
  std::string event_id = "EVT" + crypto::random_upper_alnum(16);
  nlohmann::json body{{"id", event_id}, {"type", type}, {"createdOn", clock::format_ist(now)},
                      {"partnerId", partner_id}, {"data", object}};
  return tx.insert_webhook_event({event_id, partner_id, std::string(type), body.dump(), now, now, 0, "PENDING", ""});
}

}  // namespace cardcore::svc
