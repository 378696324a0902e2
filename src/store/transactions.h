// Card transactions as partners see them (/transaction/all).
// Invariants: every query is scoped to one partner; pages are newest first (insertion order),
// and the total is counted up to a cap so that a page costs the same at any table size.
#pragma once

#include <optional>
#include <string>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class TransactionOps : protected StoreOps {
 public:
  static constexpr int64_t kMaxCountedTransactions = 10000;

  // Sent ahead (sql::Statement::send): on PostgreSQL a failure may come back from the unit's next
  // statement or its commit; the unit fails whole either way.
  Status insert_transaction(const TransactionRow& r);
  Result<std::optional<TransactionRow>> find_transaction(const std::string& partner_id, const std::string& txn_id);
  // The newest of the partner's transactions with this reference (on this card unless empty).
  Result<std::optional<TransactionRow>> find_transaction_by_reference(const std::string& partner_id,
                                                                      const std::string& card_id,
                                                                      const std::string& pg_reference);
  // Newest first; only the partner's rows of the account.
  Result<TransactionPage> list_transactions(const TransactionFilter& f);
  // The fees (type FEE) charged on the account's cards since `since`: the fees and, apart, their
  // GST (the GST-<reference> rows).
  struct FeeTotals {
    int64_t fees = 0, gst = 0;
  };
  Result<FeeTotals> account_fees_since(const std::string& card_account_id, int64_t since);
  // Every partner's authorization decisions in `buckets` buckets of `bucket_seconds` from `from`
  // (bucket 0 starts there), per response code; a row dated beyond the last bucket (a node's
  // clock ahead) is not counted.
  Result<std::vector<DecisionCount>> count_decisions(int64_t from, int64_t bucket_seconds, int64_t buckets);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
