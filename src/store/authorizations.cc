#include "store/authorizations.h"

#include "domain/clock.h"
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

Status AuthorizationOps::add_usage(const std::string& card_id, int64_t created_at, authz::Channel channel,
                                   int64_t paise, int64_t count) {
  if (paise == 0 && count == 0) return {};
  if (paise >= 0 && count >= 0) {
    // More use (every authorization): the day's and the month's rows in one statement, one
    // round trip on PostgreSQL.
    CC_SQL(q, "INSERT INTO card_usage_periods (card_id, period, period_start, channel, paise, count) "
              "VALUES (?1,'D',?2,?4,?5,?6), (?1,'M',?3,?4,?5,?6) "
              "ON CONFLICT (card_id, period, period_start, channel) DO UPDATE SET "
              "paise = card_usage_periods.paise + excluded.paise, count = card_usage_periods.count + excluded.count");
    return q.bind(1, card_id).bind(2, clock::ist_day_start(created_at)).bind(3, clock::ist_month_start(created_at))
        .bind(4, authz::channel_name(channel)).bind(5, paise).bind(6, count).send();
  }
  for (const auto& [period, start] : {std::pair{"D", clock::ist_day_start(created_at)}, std::pair{"M", clock::ist_month_start(created_at)}}) {
    // Less use (a reversal): the period's row exists, since the authorization was counted in it.
    CC_SQL(q, "UPDATE card_usage_periods SET paise = paise + CAST(?5 AS BIGINT), count = count + CAST(?6 AS BIGINT) "
              "WHERE card_id = ?1 AND period = ?2 AND period_start = ?3 AND channel = ?4");
    CC_ASSIGN_OR_RETURN(bool ok, changed(q.bind(1, card_id).bind(2, period).bind(3, start)
                                             .bind(4, authz::channel_name(channel)).bind(5, paise).bind(6, count)));
    if (!ok) return internal_error("card_usage_periods: no row for card " + card_id + " to take use off");
  }
  return {};
}

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
  CC_RETURN_IF_ERROR(q.send());
  if (r.authorized_paise <= 0) return {};
  return add_usage(r.card_id, r.created_at, r.channel, r.authorized_paise, 1);
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
  // What the row counted toward the card's use before, to move the day's counters by the change.
  struct Before {
    int64_t authorized_paise, created_at;
    std::string card_id, channel;
  };
  std::optional<Before> before;
  {
    CC_SQL(q, "SELECT authorized_paise, created_at, card_id, channel FROM authorizations "
              "WHERE authorization_id = ?1 AND held_paise = ?2 {FOR UPDATE}");
    CC_ASSIGN_OR_RETURN(before, one(q.bind(1, r.authorization_id).bind(2, expected_held), [](const Query& s) {
                          return Before{s.i64(0), s.i64(1), s.text(2), s.text(3)};
                        }));
  }
  if (!before) return false;
  CC_SQL(q, "UPDATE authorizations SET authorized_paise = ?2, held_paise = ?3, captured_paise = ?4, status = ?5, "
            "updated_at = ?6 WHERE authorization_id = ?1 AND held_paise = ?7");
  CC_ASSIGN_OR_RETURN(bool written,
                      changed(q.bind(1, r.authorization_id).bind(2, r.authorized_paise).bind(3, r.held_paise)
                                  .bind(4, r.captured_paise).bind(5, authz::auth_status_code(r.status))
                                  .bind(6, r.updated_at).bind(7, expected_held)));
  if (!written) return false;
  CC_ASSIGN_OR_RETURN(authz::Channel channel, parse_column(authz::parse_channel, before->channel, "authorizations",
                                                           r.authorization_id, "channel"));
  const int64_t counted_before = before->authorized_paise > 0 ? 1 : 0, counted_now = r.authorized_paise > 0 ? 1 : 0;
  CC_RETURN_IF_ERROR(add_usage(before->card_id, before->created_at, channel,
                               r.authorized_paise - before->authorized_paise, counted_now - counted_before));
  return true;
}

Result<UsageTotals> AuthorizationOps::card_usage(const std::string& card_id, const UsageWindows& w) {
  // Today's day rows and this year's month rows (at most 4 + 48), whatever the card's history.
  CC_SQL(q, "SELECT "
            "COALESCE(SUM(CASE WHEN period = 'D' THEN paise END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'M' AND period_start >= ?3 THEN paise END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'M' THEN paise END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'D' THEN count END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'M' AND period_start >= ?3 THEN count END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'M' THEN count END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'D' AND channel = ?5 THEN paise END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'D' AND channel = ?5 THEN count END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'M' AND period_start >= ?3 AND channel = ?5 THEN paise END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'M' AND period_start >= ?3 AND channel = ?5 THEN count END), 0) "
            "FROM card_usage_periods WHERE card_id = ?1 AND "
            "((period = 'D' AND period_start >= ?2) OR (period = 'M' AND period_start >= ?4))");
  q.bind(1, card_id).bind(2, w.day_start).bind(3, w.month_start).bind(4, w.year_start)
      .bind(5, w.channel ? authz::channel_name(*w.channel) : std::string_view{});
  CC_ASSIGN_OR_RETURN(std::optional<UsageTotals> t, one(q, [](const Query& s) {
                        return UsageTotals{s.i64(0), s.i64(1), s.i64(2), s.i64(3), s.i64(4),
                                           s.i64(5), s.i64(6), s.i64(7), s.i64(8), s.i64(9)};
                      }));
  return t.value_or(UsageTotals{});
}

Status AuthorizationOps::copy_card_usage(const std::string& from, const std::string& to, const UsageWindows& w) {
  CC_SQL(q, "INSERT INTO card_usage_periods (card_id, period, period_start, channel, paise, count) "
            "SELECT ?2, period, period_start, channel, paise, count FROM card_usage_periods WHERE card_id = ?1 AND "
            "((period = 'D' AND period_start >= ?3) OR (period = 'M' AND period_start >= ?4)) "
            "ON CONFLICT (card_id, period, period_start, channel) DO UPDATE SET "
            "paise = card_usage_periods.paise + excluded.paise, count = card_usage_periods.count + excluded.count");
  return done(q.bind(1, from).bind(2, to).bind(3, w.day_start).bind(4, w.year_start));
}

Result<std::vector<AuthorizationRow>> AuthorizationOps::open_authorizations_before(int64_t before, size_t limit) {
  CC_SQL(q, AUTH_SELECT("WHERE status = 'OPEN' AND created_at < ?1 ORDER BY created_at LIMIT ?2"));
  return many(q.bind(1, before).bind(2, limit), read_auth);
}

Result<std::vector<AuthorizationRow>> AuthorizationOps::list_open_authorizations(const std::string& card_id,
                                                                                size_t limit) {
  // authorizations_by_message starts with card_id; a card has few authorizations open at once.
  CC_SQL(q, AUTH_SELECT("WHERE card_id = ?1 AND status = 'OPEN' ORDER BY created_at, authorization_id LIMIT ?2"));
  return many(q.bind(1, card_id).bind(2, limit), read_auth);
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
  return q.bind(1, source).bind(2, kind).bind(3, stan).bind(4, rrn).bind(5, terminal_id).bind(6, answer).bind(7, now)
      .send();
}

}  // namespace cardcore
