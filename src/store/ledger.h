// The double-entry ledger: accounts, journal entries with their postings, and holds.
// Invariants: every entry's postings sum to zero (ledger::validate, and verify_ledger checks the
// stored ones); (scope, kind, reference) is unique, so a reference is never posted twice; every
// posting is one conditional UPDATE, so an internal account never goes below zero and a posting
// with a ceiling never passes it (a CHECK constraint is the backstop); a hold never exceeds the
// available balance, and a wallet's held amount equals what its open authorizations hold.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "domain/error.h"
#include "domain/ledger.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class LedgerOps : protected StoreOps {
 public:
  // Posts one balanced entry under `scope` (the partner id). A reused reference is
  // code::kDuplicate; a posting that would overdraw is code::kInsufficientFunds naming the
  // account; one above its ceiling is code::kMaxBalanceExceeded. Returns the entry id.
  Result<int64_t> post_entry(const ledger::Entry& entry, const std::string& scope, int64_t now);
  Result<LedgerBalance> ledger_balance(const std::string& account_id);
  // The same, holding the account's row until the unit ends (PostgreSQL; SQLite has one writer):
  // what a decision reads beside it (a card's usage this month) cannot move under it.
  Result<LedgerBalance> lock_ledger_account(const std::string& account_id);
  // Recomputes every balance from the postings, checks that entries sum to zero, that no
  // internal account is negative and that holds equal open authorizations; one line per
  // problem (empty = clean).
  // `on_check(i, n)` is told before each of its n checks (progress of a long verify).
  Result<std::vector<std::string>> verify_ledger(const std::function<void(int i, int n)>& on_check = {});

  // Holds: conditional on the available balance (balance - held >= amount). Answers the
  // available balance after the hold, read from the row this unit now holds (so exact whatever
  // other units did before), or nullopt when short (nothing changed).
  Result<std::optional<int64_t>> place_hold(const std::string& account_id, int64_t amount_paise);
  // Releases part of the held amount; an error if less than that is held.
  Status release_hold(const std::string& account_id, int64_t amount_paise);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
