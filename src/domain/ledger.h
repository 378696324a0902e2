// Double-entry bookkeeping. Every movement of money is one Entry whose postings sum to zero, in
// integer paise. A posting's amount is added to its account's balance (credit > 0, debit < 0).
//
// Accounts (ids are stable strings, one per owner):
//   source:<companyId>   money the company has sent us (external; may go negative: it mirrors
//                        what we owe the company's card programme)
//   pool:<cardAccountId> a card account's funding pool (never below zero)
//   wallet:<cardId>      a card's balance (never below zero; holds reduce what is available)
//   network:settlement   what the card network owes or is owed (external; may go negative)
//   receivable:<cardId>  what a cardholder owes after a force post beyond the balance
//                        (external; only when configured to allow it)
//   fees:<partnerId>     the fees charged on the partner's program (the issuer's revenue)
//   gst:<partnerId>      the GST collected on those fees, owed to the government
// Invariant kept by the store: for every internal account, balance >= 0 and balance - held >= 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.h"

namespace cardcore::ledger {

enum class AccountKind { kCompanySource, kFundingPool, kCardWallet, kNetworkSettlement, kReceivable, kFeeRevenue,
                         kGstPayable };

std::string source_account(std::string_view company_id);
std::string pool_account(std::string_view card_account_id);
std::string wallet_account(std::string_view card_id);
std::string network_settlement_account();
std::string receivable_account(std::string_view card_id);
std::string fee_revenue_account(std::string_view partner_id);
std::string gst_payable_account(std::string_view partner_id);

// Stable names of the kinds, as stored: "source", "pool", "wallet", "network", "receivable",
// "fees", "gst".
std::string_view kind_name(AccountKind kind);

// Kind of an account id made by the functions above; error for anything else.
Result<AccountKind> kind_of(std::string_view account_id);
// External accounts mirror the outside world and may go negative; internal ones never do.
bool may_go_negative(AccountKind kind);

struct Posting {
  std::string account_id;
  int64_t amount_paise = 0;
  // When set, the store refuses the entry if this posting would take the balance above it
  // (a plan's maximum card balance), checked in the same conditional update.
  std::optional<int64_t> ceiling_paise;
};

struct Entry {
  std::string kind;       // "FUND", "LOAD", "REPLACE", …
  std::string reference;  // caller's reference; unique per (kind, scope) in the store
  std::vector<Posting> postings;
};

// At least two postings, each non-zero and within money::kMaxAbsPaise, no account twice, every
// account id well formed, and the sum exactly zero.
Status validate(const Entry& e);

// Company money received into a card account's pool.
Entry fund(std::string_view company_id, std::string_view card_account_id, int64_t amount_paise,
           std::string reference);
// Pool -> card wallet, refused by the store when the wallet would exceed `max_card_balance_paise`.
Entry load(std::string_view card_account_id, std::string_view card_id, int64_t amount_paise,
           int64_t max_card_balance_paise, std::string reference);
// Whole balance of one card to another (replacement).
Entry move_between_cards(std::string_view from_card_id, std::string_view to_card_id,
                         int64_t amount_paise, std::string reference);

// Card spend cleared to the network: wallet -> network settlement. When `overdraft_paise` > 0,
// that part is booked to the cardholder's receivable instead of the wallet (force post beyond
// the balance, only when configured).
Entry clearing(std::string_view card_id, int64_t amount_paise, int64_t overdraft_paise, std::string reference);
// A fee and its GST, paid by `payer` (a funding pool or a card wallet) to the partner's fee
// revenue and GST payable accounts; `gst_paise` may be 0. `kind` is FEE_<what the fee is for>
// (FEE_LOAD, FEE_ATM, …): references are unique per kind, so a fee named after a partner's load
// reference can never clash with one named after an authorization or a card.
Entry fee(std::string kind, std::string_view payer_account, std::string_view partner_id, int64_t fee_paise,
          int64_t gst_paise, std::string reference);
// Money back to the card from the network (refund).
Entry refund(std::string_view card_id, int64_t amount_paise, std::string reference);

}  // namespace cardcore::ledger
