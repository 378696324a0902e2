#include "service/kyc.h"

#include "domain/clock.h"
#include "domain/validate.h"
#include "service/common.h"

namespace cardcore::kyc {

Result<KycStatus> status(const Context& ctx, const Principal& p, const CardRef& ref) {
  if (ref.company_id.empty()) return invalid_param("companyId", "is required");
  if (ref.card_account_id.empty()) return invalid_param("cardAccountId", "is required");
  if (ref.card_id.empty()) return invalid_param("enKashCardId", "is required");
  const int64_t now = ctx.now();
  return transact_read(ctx.store, [&](Tx& tx) -> Result<KycStatus> {
    KycStatus s;
    CC_ASSIGN_OR_RETURN(s.card, svc::owned_card(tx, p, ref));
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(s.card.card_account_id));
    if (!acc) return internal_error("card without account");
    CC_ASSIGN_OR_RETURN(std::optional<PlanRow> plan, tx.find_plan(acc->plan_master_id));
    if (!plan) return internal_error("card account without plan");
    CC_ASSIGN_OR_RETURN(ppi::Program program, ppi::decode_program(plan->kyc_rules));
    s.level = ppi::rules_under_plan(program, s.card.kyc_level, s.card.gift, plan->max_balance_paise);
    s.rules = s.level ? std::string(ppi::kind_name(s.card.kyc_level, s.card.gift)) : "NONE";
    s.max_balance_paise = s.level && s.level->max_balance ? *s.level->max_balance : plan->max_balance_paise;
    CC_ASSIGN_OR_RETURN(CardOps::LoadTotals loaded, tx.card_loads(s.card.card_id, clock::ist_month_start(now),
                                                                  ppi::financial_year_start(now)));
    s.month_loaded_paise = loaded.month;
    s.year_loaded_paise = loaded.year;
    CC_ASSIGN_OR_RETURN(UsageTotals used, tx.card_usage(s.card.card_id, svc::usage_windows(now, authz::Channel::kAtm)));
    s.month_debit_paise = used.month_paise;
    s.month_cash_paise = used.channel_month_paise;
    s.month_cash_count = used.channel_month_count;
    return s;
  });
}

Result<UpgradeResult> record_full_kyc(const Context& ctx, const Upgrade& u) {
  if (u.card_id.empty()) return invalid_param("enKashCardId", "is required");
  if (u.level.empty()) return invalid_param("kycLevel", "is required (FULL)");
  std::optional<ppi::KycLevel> level = ppi::parse_kyc_level(u.level);
  if (!level) return invalid_param("kycLevel", "must be FULL (MIN is where every card starts)");
  if (*level != ppi::KycLevel::kFull) {
    return fail(code::kKycLevelChange, "kycLevel: a card's KYC level is never lowered; only FULL can be recorded",
                "kycLevel");
  }
  if (u.reference.empty()) return invalid_param("reference", "is required");
  if (!validate::printable(u.reference, 64)) return invalid_param("reference", "must be printable text of at most 64 characters");
  const int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<UpgradeResult> {
    std::optional<CardRow> card;
    if (u.partner) {
      CC_ASSIGN_OR_RETURN(card, svc::owned_card(tx, *u.partner, u.ref));
    } else {
      CC_ASSIGN_OR_RETURN(card, tx.find_card(u.card_id));
      if (!card) return invalid_id("enKashCardId");
    }
    if (card->gift) {
      return fail(code::kKycLevelChange, "enKashCardId: a gift card follows the gift rules; its KYC level does not change",
                  "enKashCardId");
    }
    auto replaced = [&](const CardRow& c) {
      return fail(code::kCardBlocked, "enKashCardId: the card was replaced by " + c.replaced_by +
                                          "; record the KYC on the card in use", "enKashCardId");
    };
    if (card->kyc_level == ppi::KycLevel::kFull) return UpgradeResult{*card, false};
    if (!card->replaced_by.empty()) return replaced(*card);
    CC_ASSIGN_OR_RETURN(bool moved, tx.set_card_kyc_level(card->card_id, ppi::KycLevel::kMin, ppi::KycLevel::kFull,
                                                          u.reference, now));
    if (!moved) {
      // A racing upgrade or replacement committed first (PostgreSQL): answer as it left the card.
      CC_ASSIGN_OR_RETURN(std::optional<CardRow> now_card, tx.find_card(card->card_id));
      if (now_card && now_card->kyc_level == ppi::KycLevel::kFull) return UpgradeResult{*now_card, false};
      if (now_card && !now_card->replaced_by.empty()) return replaced(*now_card);
      return fail(code::kStatusTransition, "enKashCardId: the card's KYC level changed meanwhile; retry", "enKashCardId");
    }
    card->kyc_level = ppi::KycLevel::kFull;
    card->kyc_reference = u.reference;
    card->modified_at = now;
    nlohmann::json detail{{"from", "MIN"}, {"to", "FULL"}, {"reference", u.reference}, {"channel", u.channel}};
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, card->partner_id, u.actor, "card.kyc_update", card->card_id, detail.dump()}));
    CC_RETURN_IF_ERROR(svc::enqueue_event(tx, card->partner_id, card->card_id, "card.kyc_updated", [&]() -> nlohmann::json {
      return {{"enKashCardId", card->card_id}, {"cardAccountId", card->card_account_id},
              {"companyId", card->company_id}, {"previousKycLevel", "MIN"}, {"kycLevel", "FULL"},
              {"reference", u.reference}, {"channel", u.channel}, {"changedOn", clock::format_ist(now)}};
    }, now));
    return UpgradeResult{*card, true};
  });
}

}  // namespace cardcore::kyc
