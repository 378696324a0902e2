// Money use cases: funding a card account's pool (admin), loading cards, and reading card
// transactions. Every movement is one ledger entry posted in the same unit of work as the
// transaction row and the webhook event that describe it.
#pragma once

#include <optional>
#include <string>

#include "domain/fees.h"
#include "service/context.h"
#include "service/idempotency.h"

namespace cardcore::balances {

struct FundResult {
  int64_t entry_id = 0;
  int64_t pool_balance_paise = 0;
};
// Credits the account's funding pool with money received from its company. A reference reused
// for the same partner posts nothing and answers code 409.
// `actor` names who funds in the audit trail (the admin key, or a console session).
Result<FundResult> fund(const Context& ctx, const std::string& company_id, const std::string& card_account_id,
                        std::optional<int64_t> amount_paise, const std::string& reference,
                        const std::string& actor = "admin");

struct LoadRequest {
  CardRef ref;
  std::optional<int64_t> amount_paise;
  std::string transaction_type, type, transaction_code, description, reference, remarks, created_by;
};
struct LoadResult {
  TransactionRow txn;
  CardRow card;  // after the load
};
// `finish` stores a keyed request's answer in the unit of the load (service/idempotency.h).
Result<LoadResult> load(const Context& ctx, const Principal& p, const LoadRequest& r,
                        const idempotency::Finish<LoadResult>& finish = {});

// Posts a pool -> wallet load of `card` inside the caller's unit (Load Card Balance, Create Card
// with loadAmount, Create Gift Card), keeping the RBI PPI rules of the plan's program
// (domain/ppi.h; a refusal names `amount_field`). Returns the transaction row it wrote.
Result<TransactionRow> load_in_unit(Tx& tx, const CardAccountRow& account, const PlanRow& plan,
                                    const CardRow& card, int64_t amount_paise, const std::string& reference,
                                    const std::string& type, const std::string& description,
                                    const std::string& remarks, const std::string& created_by, int64_t now,
                                    const std::string& amount_field = "amount");

// Moves the whole wallet of `from` to `to` inside the caller's unit (replacement): one entry,
// a DR row on the old card and a CR row on the new one. Returns the amount moved.
// The new card carries the PPI load counters of the month and financial year and the usage
// counters of today and this year's months, and the move is
// refused whole when the balance passes what the new card's rules allow.
Result<int64_t> move_card_balance_in_unit(Tx& tx, const PlanRow& plan, const CardRow& from, const CardRow& to,
                                          int64_t now);

// The fee a card's program charges (its plan's schedule, domain/fees.h).
Result<fees::Schedule> fee_schedule(const std::string& stored);

// Charges `charge` (a fee and its GST) for `what` ("issuance", "load", "ATM withdrawal", …)
// inside the caller's unit: one ledger entry FEE-<reference> from the card account's funding
// pool (or the card's wallet when `from_wallet`) to the partner's fee revenue and GST payable
// accounts, and the card's rows of type FEE: FEE-<reference> and GST-<reference>. A payer that
// cannot cover it refuses the unit (1040, naming `field`). Nothing is charged for a zero fee.
// `kind` is the ledger entry's kind (ledger::fee).
Status charge_fee_in_unit(Tx& tx, const CardRow& card, bool from_wallet, const fees::Charge& charge, const char* kind,
                          const std::string& reference, const std::string& what, const std::string& field, int64_t now);

// Get Transaction Details: by pgReferenceNumber or enKashTransactionId.
Result<TransactionRow> get_transaction(const Context& ctx, const Principal& p, const CardRef& ref,
                                       const std::string& pg_reference, const std::string& txn_id);
// Get All Transaction details: filters, newest first, paged.
Result<TransactionPage> list_transactions(const Context& ctx, const Principal& p, const std::string& company_id,
                                          TransactionFilter filter);

}  // namespace cardcore::balances
