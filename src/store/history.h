// History: every card status change and the audit trail of sensitive actions.
// Invariants: rows are only ever appended; an audit detail never holds a secret.
#pragma once

#include <string>
#include <vector>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class HistoryOps : protected StoreOps {
 public:
  Status insert_status_change(const StatusChangeRow& r);
  // The card's changes, oldest first.
  Result<std::vector<StatusChangeRow>> list_status_changes(const std::string& card_id);
  Status insert_audit(const AuditRow& r);
  // Newest first; partner_id empty = every partner, object_id empty = every object;
  // before_id > 0 pages backwards from that id.
  Result<std::vector<AuditRow>> list_audit(const std::string& partner_id, const std::string& object_id,
                                           int64_t before_id, size_t limit);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
