// Authorizations and the card network's messages.
// Invariants: an authorization changes only by a conditional UPDATE on the held amount the
// caller read (find_authorization locks the row on PostgreSQL, so a racing follow-up waits and
// rereads instead of failing); a message key (source, kind, STAN, RRN, terminal) has one stored
// answer, so a duplicate gets the first answer and changes nothing; a card's usage counters
// (card_usage_periods) always equal, per IST day, per IST month and per channel, the sum and
// the number of its authorizations with authorized_paise > 0, because every insert and update
// of an authorization moves them in the same unit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

// The inserts here (insert_authorization, insert_message) are sent ahead (sql::Statement::send):
// on PostgreSQL a failure, such as a message key already stored, may come back from the unit's
// next statement or from its commit instead of from the insert. Either way the unit fails whole
// with that error (code::kDuplicate for a key that exists).
class AuthorizationOps : protected StoreOps {
 public:
  Status insert_authorization(const AuthorizationRow& r);
  // Read to be updated (capture, increment, reversal): the row stays locked until commit.
  Result<std::optional<AuthorizationRow>> find_authorization(const std::string& authorization_id);
  Result<std::optional<AuthorizationRow>> find_authorization_by_message(const std::string& card_id,
                                                                        const std::string& source,
                                                                        const std::string& stan,
                                                                        const std::string& rrn,
                                                                        const std::string& terminal_id);
  // Writes amounts/status only when the stored held amount is still `expected_held`; whether it
  // was written.
  Result<bool> update_authorization(const AuthorizationRow& r, int64_t expected_held);
  // Approved use of the card in the windows of `w` (day: an IST midnight; month and year: the
  // IST midnight of a 1st), read from the day and month counters: the cost does not grow with
  // the card's history.
  Result<UsageTotals> card_usage(const std::string& card_id, const UsageWindows& w);
  // Replacement: the new card carries the old card's use of today and of this year's months.
  Status copy_card_usage(const std::string& from_card_id, const std::string& to_card_id, const UsageWindows& w);
  // OPEN authorizations created before `before`, oldest first.
  Result<std::vector<AuthorizationRow>> open_authorizations_before(int64_t before, size_t limit);
  // The card's open authorizations, oldest first.
  Result<std::vector<AuthorizationRow>> list_open_authorizations(const std::string& card_id, size_t limit);

  // The stored answer of an earlier message with the same key, if any.
  Result<std::optional<std::string>> find_message(const std::string& source, const std::string& kind,
                                                  const std::string& stan, const std::string& rrn,
                                                  const std::string& terminal_id);
  Status insert_message(const std::string& source, const std::string& kind, const std::string& stan,
                        const std::string& rrn, const std::string& terminal_id, const std::string& answer_json,
                        int64_t now);

 protected:
  using StoreOps::StoreOps;

 private:
  // Moves the card's counters for the IST day and month of `created_at`, and `channel`.
  Status add_usage(const std::string& card_id, int64_t created_at, authz::Channel channel, int64_t paise,
                   int64_t count);
};

}  // namespace cardcore
