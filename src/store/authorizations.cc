#include "store/authorizations.h"

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

namespace {

#define AUTH_SELECT(where)                                                                       \
  "SELECT authorization_id, partner_id, card_id, channel, international, mcc, merchant_name, "  \
  "merchant_id, source, stan, rrn, terminal_id, authorized_paise, held_paise, captured_paise, "  \
  "status, auth_code, created_at, updated_at FROM authorizations " where

Result<AuthorizationRow> read_auth(const Query& s) {
  AuthorizationRow a;
  a.authorization_id = s.text(0); a.partner_id = s.text(1); a.card_id = s.text(2);
  CC_ASSIGN_OR_RETURN(a.channel, parse_column(authz::parse_channel, s.text(3), "authorizations", a.authorization_id, "channel"));
  a.international = s.boolean(4); a.mcc = s.text(5); a.merchant_name = s.text(6); a.merchant_id = s.text(7);
  a.source = s.text(8); a.stan = s.text(9); a.rrn = s.text(10); a.terminal_id = s.text(11);
  a.authorized_paise = s.i64(12); a.held_paise = s.i64(13); a.captured_paise = s.i64(14);
  CC_ASSIGN_OR_RETURN(a.status, parse_column(authz::parse_auth_status, s.text(15), "authorizations",
                                              a.authorization_id, "status"));
  a.auth_code = s.text(16); a.created_at = s.i64(17); a.updated_at = s.i64(18);
  return a;
}

}  // namespace

Status AuthorizationOps::insert_authorization(const AuthorizationRow& r) {
  CC_SQL(q, "INSERT INTO authorizations (authorization_id, partner_id, card_id, channel, international, mcc, "
            "merchant_name, merchant_id, source, stan, rrn, terminal_id, authorized_paise, held_paise, "
            "captured_paise, status, auth_code, created_at, updated_at) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)");
  q.bind(1, r.authorization_id).bind(2, r.partner_id).bind(3, r.card_id).bind(4, authz::channel_name(r.channel))
      .bind(5, r.international).bind(6, r.mcc).bind(7, r.merchant_name).bind(8, r.merchant_id)
      .bind(9, r.source).bind(10, r.stan).bind(11, r.rrn).bind(12, r.terminal_id)
      .bind(13, r.authorized_paise).bind(14, r.held_paise).bind(15, r.captured_paise).bind(16, authz::auth_status_code(r.status))
      .bind(17, r.auth_code).bind(18, r.created_at).bind(19, r.updated_at);
  return done(q);
}

Result<std::optional<AuthorizationRow>> AuthorizationOps::find_authorization(const std::string& id) {
  CC_SQL(q, AUTH_SELECT("WHERE authorization_id = ?1 {FOR UPDATE}"));
  return one(q.bind(1, id), read_auth);
}

Result<std::optional<AuthorizationRow>> AuthorizationOps::find_authorization_by_message(
    const std::string& card_id, const std::string& source, const std::string& stan, const std::string& rrn,
    const std::string& terminal_id) {
  CC_SQL(q, AUTH_SELECT("WHERE card_id = ?1 AND source = ?2 AND stan = ?3 AND rrn = ?4 AND terminal_id = ?5 "
                        "ORDER BY created_at DESC LIMIT 1"));
  return one(q.bind(1, card_id).bind(2, source).bind(3, stan).bind(4, rrn).bind(5, terminal_id), read_auth);
}

Result<bool> AuthorizationOps::update_authorization(const AuthorizationRow& r, int64_t expected_held) {
  CC_SQL(q, "UPDATE authorizations SET authorized_paise = ?2, held_paise = ?3, captured_paise = ?4, status = ?5, "
            "updated_at = ?6 WHERE authorization_id = ?1 AND held_paise = ?7");
  return changed(q.bind(1, r.authorization_id).bind(2, r.authorized_paise).bind(3, r.held_paise)
                     .bind(4, r.captured_paise).bind(5, authz::auth_status_code(r.status)).bind(6, r.updated_at).bind(7, expected_held));
}

Result<UsageTotals> AuthorizationOps::card_usage(const std::string& card_id, const UsageWindows& w) {
  CC_SQL(q, "SELECT "
            "COALESCE(SUM(CASE WHEN created_at >= ?2 THEN authorized_paise END), 0), "
            "COALESCE(SUM(CASE WHEN created_at >= ?3 THEN authorized_paise END), 0), "
            "COALESCE(SUM(authorized_paise), 0), "
            "COUNT(CASE WHEN created_at >= ?2 THEN 1 END), COUNT(CASE WHEN created_at >= ?3 THEN 1 END), COUNT(*), "
            "COALESCE(SUM(CASE WHEN created_at >= ?2 AND channel = ?5 THEN authorized_paise END), 0), "
            "COUNT(CASE WHEN created_at >= ?2 AND channel = ?5 THEN 1 END) "
            "FROM authorizations WHERE card_id = ?1 AND created_at >= ?4 AND authorized_paise > 0");
  q.bind(1, card_id).bind(2, w.day_start).bind(3, w.month_start).bind(4, w.year_start)
      .bind(5, w.channel ? authz::channel_name(*w.channel) : std::string_view{});
  CC_ASSIGN_OR_RETURN(std::optional<UsageTotals> t, one(q, [](const Query& s) {
                        return UsageTotals{s.i64(0), s.i64(1), s.i64(2), s.i64(3),
                                           s.i64(4), s.i64(5), s.i64(6), s.i64(7)};
                      }));
  return t.value_or(UsageTotals{});
}

Result<std::vector<AuthorizationRow>> AuthorizationOps::open_authorizations_before(int64_t before, size_t limit) {
  CC_SQL(q, AUTH_SELECT("WHERE status = 'OPEN' AND created_at < ?1 ORDER BY created_at LIMIT ?2"));
  return many(q.bind(1, before).bind(2, limit), read_auth);
}

Result<std::optional<std::string>> AuthorizationOps::find_message(const std::string& source, const std::string& kind,
                                                                  const std::string& stan, const std::string& rrn,
                                                                  const std::string& terminal_id) {
  CC_SQL(q, "SELECT answer_json FROM card_messages WHERE source = ?1 AND kind = ?2 AND stan = ?3 AND rrn = ?4 "
            "AND terminal_id = ?5");
  return one(q.bind(1, source).bind(2, kind).bind(3, stan).bind(4, rrn).bind(5, terminal_id),
             [](const Query& s) { return s.text(0); });
}

Status AuthorizationOps::insert_message(const std::string& source, const std::string& kind, const std::string& stan,
                                        const std::string& rrn, const std::string& terminal_id,
                                        const std::string& answer, int64_t now) {
  CC_SQL(q, "INSERT INTO card_messages (source, kind, stan, rrn, terminal_id, answer_json, created_at) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7)");
  return done(q.bind(1, source).bind(2, kind).bind(3, stan).bind(4, rrn).bind(5, terminal_id).bind(6, answer)
                  .bind(7, now));
}

}  // namespace cardcore
