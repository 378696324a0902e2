// Cards: card accounts, cards with their sealed card data and security counters, usage
// controls, and physical card orders.
// Invariants: a card's status and an order's shipping status change only by a conditional
// UPDATE from the status the caller read (two racing moves cannot both apply); a card number
// is stored sealed, with an HMAC fingerprint that is unique; the balance a card row shows is
// read from its ledger wallet, never stored on the card.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class CardOps : protected StoreOps {
 public:
  Status insert_card_account(const CardAccountRow& r);
  Result<std::optional<CardAccountRow>> find_card_account(const std::string& id);

  Status insert_card(const CardRow& r);
  Result<std::optional<CardRow>> find_card(const std::string& card_id);
  Result<std::optional<CardRow>> find_card_by_fingerprint(const std::string& fingerprint);
  // The card (by id, or else by fingerprint) with its usage controls and its partner's webhook
  // address, in one statement: what a message about a card reads first (two statements, and on
  // PostgreSQL two round trips, fewer than find_card, find_usage_controls and
  // partner_webhook_url).
  Result<std::optional<DecisionCard>> find_decision_card(const std::string& card_id);
  Result<std::optional<DecisionCard>> find_decision_card_by_fingerprint(const std::string& fingerprint);
  // The account's cards, oldest first.
  Result<std::vector<CardRow>> list_cards(const std::string& card_account_id, size_t limit);
  Result<int64_t> count_cards(const std::string& card_account_id);
  // The operator's search: cards whose keys named in `s` equal the query (a company also by a
  // part of its name, a transaction reference by the card it was posted to), in ascending card
  // id order after `s.after`, at most `s.limit`.
  Result<std::vector<CardRow>> search_cards(const CardSearch& s);
  // A company's card accounts in ascending id order after `after`.
  Result<std::vector<CardAccountRow>> list_company_accounts(const std::string& company_id, const std::string& after,
                                                            size_t limit);
  Result<bool> pan_fingerprint_exists(const std::string& fingerprint);
  // Only when the stored status is `expected_old`; whether the row changed.
  Result<bool> update_card_status(const std::string& card_id, CardStatus expected_old, CardStatus new_status,
                                  int64_t now);
  Status set_card_pin(const std::string& card_id, const std::string& pin_hash, int64_t now);
  // Consecutive wrong PINs: +1 (returns the new count) / back to 0.
  Result<int> record_pin_failure(const std::string& card_id);
  Status reset_pin_failures(const std::string& card_id);
  // The operator's PIN unlock: back to 0 only from `expected` wrong PINs; whether it applied.
  Result<bool> clear_pin_failures(const std::string& card_id, int expected, int64_t now);
  Status set_card_mfa_secret(const std::string& card_id, const Sealed& secret, int64_t now);
  // TOTP replay guard: records `step` as used only when it is newer than the last used one.
  Result<bool> use_mfa_step(const std::string& card_id, int64_t step);
  // Counts one wrong authenticator code; returns the new count. Enrolment resets it.
  Result<int> record_mfa_failure(const std::string& card_id);
  Status set_card_primary(const std::string& card_id, bool primary, int64_t now);
  Status set_card_replaced_by(const std::string& card_id, const std::string& new_card_id, int64_t now);
  Status set_card_type(const std::string& card_id, const std::string& card_type, int64_t now);
  // The KYC level moves only from `expected`, and never on a replaced card; whether it applied.
  Result<bool> set_card_kyc_level(const std::string& card_id, ppi::KycLevel expected, ppi::KycLevel level,
                                  const std::string& reference, int64_t now);

  // RBI PPI load counters (008_kyc_levels_and_fees.sql): what the card loaded in the IST calendar month
  // starting at `month_start` and the financial year starting at `year_start`.
  struct LoadTotals {
    int64_t month = 0, year = 0;
  };
  Result<LoadTotals> card_loads(const std::string& card_id, int64_t month_start, int64_t year_start);
  // Adds a load to both counters, each only while it stays within its limit (none: no limit).
  // False when either refused: the caller then refuses its whole unit (a counter may have moved).
  Result<bool> add_card_load(const std::string& card_id, int64_t month_start, int64_t year_start, int64_t paise,
                             std::optional<int64_t> month_limit, std::optional<int64_t> year_limit);
  // Replacement: the new card carries the old card's counters of these windows.
  Status copy_card_loads(const std::string& from_card_id, const std::string& to_card_id, int64_t month_start,
                         int64_t year_start);

  // Card Usage Controls: one row per card, replaced whole; created_on keeps its first value.
  Status upsert_usage_controls(const UsageControlsRow& r);
  Result<std::optional<UsageControlsRow>> find_usage_controls(const std::string& card_id);

  Status insert_physical_order(const PhysicalOrderRow& r);
  Result<std::optional<PhysicalOrderRow>> find_physical_order(const std::string& order_id);
  // The card's latest order.
  Result<std::optional<PhysicalOrderRow>> find_physical_order_by_card(const std::string& card_id);
  // Only when the stored status is `expected_old`; whether the row changed.
  Result<bool> update_physical_order_status(const std::string& order_id, OrderStatus expected_old,
                                            OrderStatus new_status, int64_t now);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
