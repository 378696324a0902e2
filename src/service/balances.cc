#include "service/balances.h"

#include <tuple>

#include "domain/clock.h"
#include "domain/json_text.h"
#include "domain/ledger.h"
#include "domain/money.h"
#include "domain/ppi.h"
#include "domain/validate.h"
#include "security/crypto.h"
#include "service/common.h"
#include "service/views.h"

namespace cardcore::balances {
namespace {

constexpr size_t kMaxReferenceLen = 64;

std::unexpected<Error> remap_posting_error(const Error& e, const std::string& reference_field, int64_t max_paise,
                                           const std::string& amount_field = "amount") {
  if (e.code == code::kDuplicate) {
    return fail(code::kDuplicate, reference_field + ": already used; nothing was posted", reference_field);
  }
  if (e.code == code::kMaxBalanceExceeded) {
    return fail(code::kMaxBalanceExceeded,
                amount_field + ": the card balance would exceed the plan's maximum of " + money::format_rupees(max_paise) +
                    " rupees",
                amount_field);
  }
  if (e.code == code::kInsufficientFunds) {
    return fail(code::kInsufficientFunds, amount_field + ": the card account's funding pool has insufficient balance",
                amount_field);
  }
  return std::unexpected(e);
}

}  // namespace

Result<FundResult> fund(const Context& ctx, const std::string& company_id, const std::string& card_account_id,
                        std::optional<int64_t> amount, const std::string& reference, const std::string& actor) {
  if (company_id.empty()) return invalid_param("companyId", "is required");
  if (card_account_id.empty()) return invalid_param("cardAccountId", "is required");
  if (!amount) return invalid_param("amount", "is required");
  if (*amount < 1) return invalid_param("amount", "must be at least 0.01");
  if (reference.empty()) return invalid_param("reference", "is required");
  if (!validate::printable(reference, kMaxReferenceLen)) {
    return invalid_param("reference", "must be printable text of at most 64 characters");
  }
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<FundResult> {
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(card_account_id));
    if (!acc || acc->company_id != company_id) return invalid_id("cardAccountId");
    auto entry_id = tx.post_entry(ledger::fund(company_id, card_account_id, *amount, reference), acc->partner_id, now);
    if (!entry_id) return remap_posting_error(entry_id.error(), "reference", 0);
    CC_ASSIGN_OR_RETURN(LedgerBalance pool, tx.ledger_balance(ledger::pool_account(card_account_id)));
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, acc->partner_id, actor, "card_account.fund", card_account_id,
                                        nlohmann::json{{"amountPaise", *amount}, {"reference", reference},
                                                       {"channel", "ADMIN"}}.dump()}));
    return FundResult{*entry_id, pool.balance_paise};
  });
}

namespace {

// The PPI rules (domain/ppi.h) a load into `card` must keep, as the plan's program sets them;
// none outside the PPI directions. The plan's ceiling refuses first (code 1041) when it is the
// tighter; a tie is the KYC level's (1043).
Result<std::optional<ppi::LevelRules>> load_rules(const PlanRow& plan, const CardRow& card) {
  CC_ASSIGN_OR_RETURN(ppi::Program program, ppi::decode_program(plan.kyc_rules));
  return ppi::rules_under_plan(program, card.kyc_level, card.gift, plan.max_balance_paise);
}

// Keeps the RBI PPI rules of a load of `amount` into `card` inside the load's unit: checks the
// balance and the month's and financial year's loads, and counts the load (always, so that the
// counters are right whatever rules apply later).
Status keep_load_rules(Tx& tx, const std::optional<ppi::LevelRules>& rules, const CardRow& card, int64_t amount,
                       int64_t balance_before, const std::string& field, int64_t now) {
  const int64_t month = clock::ist_month_start(now), year = ppi::financial_year_start(now);
  const std::string_view kind = ppi::kind_name(card.kyc_level, card.gift);
  CC_ASSIGN_OR_RETURN(CardOps::LoadTotals loaded, tx.card_loads(card.card_id, month, year));
  const ppi::LoadUse use{balance_before, loaded.month, loaded.year};
  if (rules) {
    if (auto refused = ppi::check_load(*rules, kind, use, amount, field)) return std::unexpected(*refused);
  }
  CC_ASSIGN_OR_RETURN(bool counted, tx.add_card_load(card.card_id, month, year, amount,
                                                     rules ? rules->monthly_load : std::nullopt,
                                                     rules ? rules->yearly_load : std::nullopt));
  if (!counted) {
    // A racing load of the same card (PostgreSQL) took the room between the read and the add:
    // its counters, read again, say which rule refuses.
    CC_ASSIGN_OR_RETURN(CardOps::LoadTotals now_loaded, tx.card_loads(card.card_id, month, year));
    const ppi::LoadUse now_use{balance_before, now_loaded.month, now_loaded.year};
    if (auto refused = rules ? ppi::check_load(*rules, kind, now_use, amount, field) : std::nullopt) {
      return std::unexpected(*refused);
    }
    return fail(code::kStatusTransition, field + ": the card's loads changed meanwhile; retry", field);
  }
  return {};
}

}  // namespace

Result<fees::Schedule> fee_schedule(const std::string& stored) { return fees::decode(stored); }

Status charge_fee_in_unit(Tx& tx, const CardRow& card, bool from_wallet, const fees::Charge& charge, const char* kind,
                          const std::string& reference, const std::string& what, const std::string& field, int64_t now) {
  if (charge.none()) return {};
  const std::string payer = from_wallet ? ledger::wallet_account(card.card_id) : ledger::pool_account(card.card_account_id);
  auto entry_id = tx.post_entry(ledger::fee(kind, payer, card.partner_id, charge.fee, charge.gst, "FEE-" + reference),
                                card.partner_id, now);
  if (!entry_id && entry_id.error().code == code::kInsufficientFunds) {
    return fail(code::kInsufficientFunds,
                field + ": the " + (from_wallet ? std::string("card balance") : std::string("card account's funding pool")) +
                    " cannot also cover the " + what + " fee of ₹" + money::format_rupees(charge.fee) + " and its GST of ₹" +
                    money::format_rupees(charge.gst),
                field);
  }
  if (!entry_id) return std::unexpected(entry_id.error());
  CC_ASSIGN_OR_RETURN(LedgerBalance wallet, tx.ledger_balance(ledger::wallet_account(card.card_id)));
  const std::string source = from_wallet ? "CARD" : "FUNDING_POOL";
  for (const auto& [prefix, amount, text] : {std::tuple{"FEE-", charge.fee, what + " fee"},
                                             std::tuple{"GST-", charge.gst, "GST on the " + what + " fee"}}) {
    if (amount == 0) continue;
    CC_ASSIGN_OR_RETURN(TransactionRow t, svc::new_transaction(tx, card, "DR", amount, *entry_id, wallet.available_paise(),
                                                               prefix + reference, "FEE", now,
                                                               svc::transaction_details(prefix + reference, "FEE", "API",
                                                                                        {{"feeFor", json_text::quote(reference)},
                                                                                         {"paidFrom", json_text::quote(source)}})));
    t.description = text + (from_wallet ? "" : " (charged to the funding pool)");
    CC_RETURN_IF_ERROR(svc::record_transaction(tx, t));
  }
  return {};
}

Result<TransactionRow> load_in_unit(Tx& tx, const CardAccountRow& acc, const PlanRow& plan, const CardRow& card,
                                    int64_t amount, const std::string& reference, const std::string& type,
                                    const std::string& description, const std::string& remarks,
                                    const std::string& created_by, int64_t now, const std::string& amount_field) {
  CC_ASSIGN_OR_RETURN(std::optional<ppi::LevelRules> rules, load_rules(plan, card));
  // Posted first, so that a repeated reference is answered as one (409) whatever the rules say;
  // a refusal below rolls the whole unit back. The wallet's ceiling is the tighter of the plan's
  // maxCardBalance and the KYC level's maximum: the store's conditional update keeps it even
  // against racing loads.
  const bool kyc_ceiling = rules && rules->max_balance;
  const int64_t ceiling = kyc_ceiling ? *rules->max_balance : plan.max_balance_paise;
  auto entry_id = tx.post_entry(ledger::load(acc.card_account_id, card.card_id, amount, ceiling, reference),
                                card.partner_id, now);
  if (!entry_id && kyc_ceiling && entry_id.error().code == code::kMaxBalanceExceeded) {
    CC_ASSIGN_OR_RETURN(LedgerBalance wallet, tx.ledger_balance(ledger::wallet_account(card.card_id)));
    return std::unexpected(ppi::load_refusal(code::kKycBalanceLimit, ppi::kind_name(card.kyc_level, card.gift),
                                             "a balance", ceiling, ceiling - wallet.balance_paise, amount_field));
  }
  if (!entry_id) return remap_posting_error(entry_id.error(), "uniqueReferenceNumber", plan.max_balance_paise, amount_field);
  CC_ASSIGN_OR_RETURN(LedgerBalance wallet, tx.ledger_balance(ledger::wallet_account(card.card_id)));
  CC_RETURN_IF_ERROR(keep_load_rules(tx, rules, card, amount, wallet.balance_paise - amount, amount_field, now));
  CC_ASSIGN_OR_RETURN(TransactionRow t, svc::new_transaction(tx, card, "CR", amount, *entry_id, wallet.available_paise(),
                                                             reference, type, now,
                                                             svc::transaction_details(reference, "LOAD", "API")));
  t.description = description;
  t.remarks = remarks;
  t.created_by = created_by;
  CC_RETURN_IF_ERROR(svc::record_transaction(tx, t));
  // The load's fee, from the pool, in the same unit: a pool that cannot cover both refuses both.
  CC_ASSIGN_OR_RETURN(fees::Schedule schedule, fee_schedule(plan.fees));
  CC_RETURN_IF_ERROR(charge_fee_in_unit(tx, card, false, fees::load_fee(schedule, amount), "FEE_LOAD", reference, "load",
                                        amount_field, now));
  return t;
}

Result<int64_t> move_card_balance_in_unit(Tx& tx, const PlanRow& plan, const CardRow& from, const CardRow& to,
                                          int64_t now) {
  // The replacement carries the month's and financial year's loads and the use of today and
  // this year: a new card is no way around the PPI and usage limits.
  CC_RETURN_IF_ERROR(tx.copy_card_loads(from.card_id, to.card_id, clock::ist_month_start(now), ppi::financial_year_start(now)));
  CC_RETURN_IF_ERROR(tx.copy_card_usage(from.card_id, to.card_id, svc::usage_windows(now, std::nullopt)));
  CC_ASSIGN_OR_RETURN(LedgerBalance old_wallet, tx.ledger_balance(ledger::wallet_account(from.card_id)));
  int64_t amount = old_wallet.available_paise();
  if (amount <= 0) return 0;
  CC_ASSIGN_OR_RETURN(std::optional<ppi::LevelRules> rules, load_rules(plan, to));
  if (rules) {
    if (auto refused = ppi::check_load(*rules, ppi::kind_name(to.kyc_level, to.gift), {}, amount, "enKashCardId",
                                       /*count_as_load=*/false)) {
      return std::unexpected(*refused);
    }
  }
  std::string reference = "REPLACE-" + from.card_id;
  CC_ASSIGN_OR_RETURN(int64_t entry_id,
                      tx.post_entry(ledger::move_between_cards(from.card_id, to.card_id, amount, reference),
                                    from.partner_id, now));
  CC_ASSIGN_OR_RETURN(TransactionRow out, svc::new_transaction(tx, from, "DR", amount, entry_id, 0, reference, "CARD_REPLACEMENT", now));
  out.description = "balance moved to replacement card " + to.card_id;
  CC_ASSIGN_OR_RETURN(TransactionRow in, svc::new_transaction(tx, to, "CR", amount, entry_id, amount, reference, "CARD_REPLACEMENT", now));
  in.description = "balance moved from replaced card " + from.card_id;
  CC_RETURN_IF_ERROR(svc::record_transaction(tx, out));
  CC_RETURN_IF_ERROR(svc::record_transaction(tx, in));
  return amount;
}

Result<LoadResult> load(const Context& ctx, const Principal& p, const LoadRequest& r,
                        const idempotency::Finish<LoadResult>& finish) {
  if (r.ref.card_id.empty()) return invalid_param("enKashCardId", "is required");
  if (!r.amount_paise) return invalid_param("amount", "is required");
  if (*r.amount_paise < 1) return invalid_param("amount", "must be at least 0.01");
  if (r.transaction_type.empty()) return invalid_param("transactionType", "is required (CR)");
  if (r.transaction_type == "DR") {
    return fail(code::kNotPermitted, "transactionType: DR (debit) is not allowed on this card", "transactionType");
  }
  if (r.transaction_type != "CR") return invalid_param("transactionType", "must be CR");
  for (auto [value, field] : {std::pair{&r.type, "type"}, {&r.transaction_code, "transactionCode"},
                              {&r.reference, "uniqueReferenceNumber"}, {&r.created_by, "createdBy"}}) {
    if (!value->empty() && !validate::printable(*value, kMaxReferenceLen)) {
      return invalid_param(field, "must be printable text of at most 64 characters");
    }
  }
  for (auto [value, field] : {std::pair{&r.description, "description"}, {&r.remarks, "remarks"}}) {
    if (!value->empty() && !validate::printable(*value, 256)) {
      return invalid_param(field, "must be printable text of at most 256 characters");
    }
  }
  int64_t now = ctx.now();
  // Without uniqueReferenceNumber the Idempotency-Key names the load, so a retry after a crash
  // (the key's stored answer lost) still cannot post it twice.
  std::string reference = !r.reference.empty()           ? r.reference
                          : !p.idempotency_key.empty() ? "IDEM-" + crypto::to_hex(crypto::sha256(p.idempotency_key)).substr(0, 24)
                                                       : svc::make_id("CCLOAD", 12);
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<LoadResult> {
    CC_ASSIGN_OR_RETURN(CardRow card, svc::owned_card(tx, p, r.ref));
    if (card.gift) return fail(code::kNotReloadable, "enKashCardId: a gift card cannot be loaded", "enKashCardId");
    if (card.status == CardStatus::kBlocked) {
      return fail(code::kCardBlocked, "enKashCardId: card is permanently blocked", "enKashCardId");
    }
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(card.card_account_id));
    if (!acc) return internal_error("card without account");
    CC_ASSIGN_OR_RETURN(std::optional<PlanRow> plan, tx.find_plan(acc->plan_master_id));
    if (!plan) return internal_error("card account without plan");
    CC_ASSIGN_OR_RETURN(TransactionRow txn,
                        load_in_unit(tx, *acc, *plan, card, *r.amount_paise, reference,
                                     r.type.empty() ? "LOAD_MONEY" : r.type, r.description, r.remarks,
                                     r.created_by.empty() ? p.username : r.created_by, now));
    CC_ASSIGN_OR_RETURN(std::optional<CardRow> after, tx.find_card(card.card_id));
    if (!after) return internal_error("card " + card.card_id + " vanished inside its own load");
    return LoadResult{txn, *after};
  });
}

Result<TransactionRow> get_transaction(const Context& ctx, const Principal& p, const CardRef& ref,
                                       const std::string& pg_reference, const std::string& txn_id) {
  if (ref.company_id.empty()) return invalid_param("companyId", "is required");
  if (ref.card_account_id.empty()) return invalid_param("cardAccountId", "is required");
  if (ref.card_id.empty()) return invalid_param("enKashCardId", "is required");
  if (pg_reference.empty() && txn_id.empty()) {
    return invalid_param("pgReferenceNumber", "is required (or enKashTransactionId)");
  }
  return transact(ctx.store, [&](Tx& tx) -> Result<TransactionRow> {
    CC_ASSIGN_OR_RETURN(CardRow card, svc::owned_card(tx, p, ref));
    std::optional<TransactionRow> found;
    if (!txn_id.empty()) {
      CC_ASSIGN_OR_RETURN(found, tx.find_transaction(p.partner_id, txn_id));
    } else {
      CC_ASSIGN_OR_RETURN(found, tx.find_transaction_by_reference(p.partner_id, card.card_id, pg_reference));
    }
    if (!found || found->card_id != card.card_id) {
      return fail(code::kInvalidId,
                  txn_id.empty() ? "pgReferenceNumber: no such transaction" : "enKashTransactionId: no such transaction",
                  txn_id.empty() ? "pgReferenceNumber" : "enKashTransactionId");
    }
    return *found;
  });
}

Result<TransactionPage> list_transactions(const Context& ctx, const Principal& p, const std::string& company_id,
                                          TransactionFilter f) {
  if (company_id.empty()) return invalid_param("companyId", "is required");
  if (f.card_account_id.empty()) return invalid_param("cardAccountId", "is required");
  if (!f.direction.empty() && f.direction != "CR" && f.direction != "DR") {
    return invalid_param("cardTransactionType", "must be CR or DR");
  }
  if (f.amount_from_paise && f.amount_to_paise && *f.amount_from_paise > *f.amount_to_paise) {
    return invalid_param("amountFrom", "must not be greater than amountTo");
  }
  f.partner_id = p.partner_id;
  return transact_read(ctx.store, [&](Tx& tx) -> Result<TransactionPage> {
    CC_RETURN_IF_ERROR(svc::owned_account(tx, p, company_id, f.card_account_id));
    if (!f.card_id.empty()) {
      CC_RETURN_IF_ERROR(svc::owned_card(tx, p, CardRef{company_id, f.card_account_id, f.card_id}));
    }
    return tx.list_transactions(f);
  });
}

}  // namespace cardcore::balances
