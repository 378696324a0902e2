#include "store/history.h"

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

Status HistoryOps::insert_status_change(const StatusChangeRow& r) {
  CC_SQL(q, "INSERT INTO card_status_changes (card_id, old_status, new_status, reason, channel, actor, at) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7)");
  q.bind(1, r.card_id).bind(2, r.old_status ? status_code(*r.old_status) : std::string_view())
      .bind(3, status_code(r.new_status)).bind(4, r.reason).bind(5, channel_code(r.channel)).bind(6, r.actor)
      .bind(7, r.at);
  return done(q);
}

Result<std::vector<StatusChangeRow>> HistoryOps::list_status_changes(const std::string& card_id) {
  CC_SQL(q, "SELECT card_id, old_status, new_status, reason, channel, actor, at, id "
            "FROM card_status_changes WHERE card_id = ?1 ORDER BY id");
  return many(q.bind(1, card_id), [](const Query& s) -> Result<StatusChangeRow> {
    StatusChangeRow r{s.text(0), std::nullopt, CardStatus::kUnlocked, s.text(3), ChangeChannel::kApi, s.text(5), s.i64(6)};
    std::string row = std::to_string(s.i64(7));
    if (std::string old = s.text(1); !old.empty()) {
      CC_ASSIGN_OR_RETURN(r.old_status, parse_column(parse_status_code, old, "card_status_changes", row, "old_status"));
    }
    CC_ASSIGN_OR_RETURN(r.new_status, parse_column(parse_status_code, s.text(2), "card_status_changes", row, "new_status"));
    CC_ASSIGN_OR_RETURN(r.channel, parse_column(parse_change_channel, s.text(4), "card_status_changes", row, "channel"));
    return r;
  });
}

Status HistoryOps::insert_audit(const AuditRow& r) {
  CC_SQL(q, "INSERT INTO audit (at, partner_id, actor, action, object_id, detail) VALUES (?1,?2,?3,?4,?5,?6)");
  return done(q.bind(1, r.at).bind(2, r.partner_id).bind(3, r.actor).bind(4, r.action).bind(5, r.object_id)
                  .bind(6, r.detail));
}

Result<std::vector<AuditRow>> HistoryOps::list_audit(const std::string& partner_id, const std::string& object_id,
                                                     int64_t before_id, size_t limit) {
  CC_SQL(q, "SELECT id, at, partner_id, actor, action, object_id, detail FROM audit "
            "WHERE (CAST(?1 AS TEXT) = '' OR partner_id = ?1) AND (CAST(?2 AS TEXT) = '' OR object_id = ?2) "
            "AND (CAST(?3 AS BIGINT) <= 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
  q.bind(1, partner_id).bind(2, object_id).bind(3, before_id).bind(4, limit);
  return many(q, [](const Query& s) {
    return AuditRow{s.i64(0), s.i64(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)};
  });
}

}  // namespace cardcore
