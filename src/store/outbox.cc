#include "store/outbox.h"

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

namespace {

constexpr int kMaxIdempotencyRaces = 3;  // insert/select rounds in claim_idempotency_key

#define WEBHOOK_COLUMNS \
  "event_id, partner_id, type, payload_json, created_at, next_attempt_at, attempts, state, last_error, card_id"

WebhookEventRow read_webhook(const Query& s) {
  return WebhookEventRow{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.i64(5),
                         static_cast<int>(s.i64(6)), s.text(7), s.text(8), s.text(9)};
}

}  // namespace

// Insert first, so two racing claims of a new key cannot both win: on PostgreSQL the loser's
// insert waits for the winner and then finds its row; on SQLite units do not overlap. An
// expired or abandoned claim is taken over in place.
Result<IdempotencyClaim> OutboxOps::claim_idempotency_key(const std::string& partner_id, const std::string& key,
                                                          const std::string& digest, int64_t now, int64_t ttl,
                                                          int64_t lease) {
  auto collect_garbage = [&]() -> Status {
    CC_SQL(gc, "DELETE FROM idempotency_keys WHERE created_at < ?1");
    return done(gc.bind(1, now - ttl));
  };
  for (int round = 0; round < kMaxIdempotencyRaces; ++round) {
    {
      CC_SQL(ins, "INSERT INTO idempotency_keys (partner_id, idem_key, request_digest, state, created_at) "
                  "VALUES (?1,?2,?3,'RUNNING',?4) ON CONFLICT (partner_id, idem_key) DO NOTHING");
      CC_ASSIGN_OR_RETURN(bool inserted, changed(ins.bind(1, partner_id).bind(2, key).bind(3, digest).bind(4, now)));
      if (inserted) {
        CC_RETURN_IF_ERROR(collect_garbage());
        return IdempotencyClaim{};
      }
    }
    CC_SQL(q, "SELECT request_digest, state, http_status, response_body, created_at FROM idempotency_keys "
              "WHERE partner_id = ?1 AND idem_key = ?2 {FOR UPDATE}");
    CC_ASSIGN_OR_RETURN(bool row, q.bind(1, partner_id).bind(2, key).step());
    if (!row) continue;  // released or collected between the two statements: insert again
    std::string stored_digest = q.text(0), state = q.text(1), body = q.text(3);
    int status = static_cast<int>(q.i64(2));
    int64_t created = q.i64(4);
    CC_RETURN_IF_ERROR(q.run());
    bool expired = created + ttl <= now;
    bool stale_run = state == "RUNNING" && created + lease <= now;
    if (!expired && !stale_run) {
      if (stored_digest != digest) return IdempotencyClaim{IdempotencyClaim::Kind::kMismatch, 0, ""};
      if (state == "RUNNING") return IdempotencyClaim{IdempotencyClaim::Kind::kRunning, 0, ""};
      return IdempotencyClaim{IdempotencyClaim::Kind::kReplay, status, body};
    }
    CC_SQL(take, "UPDATE idempotency_keys SET request_digest = ?3, state = 'RUNNING', http_status = 0, "
                 "response_body = '', created_at = ?4 WHERE partner_id = ?1 AND idem_key = ?2");
    CC_RETURN_IF_ERROR(done(take.bind(1, partner_id).bind(2, key).bind(3, digest).bind(4, now)));
    CC_RETURN_IF_ERROR(collect_garbage());
    return IdempotencyClaim{};
  }
  return internal_error("claim_idempotency_key: key kept changing under concurrent requests");
}

Status OutboxOps::finish_idempotency_key(const std::string& partner_id, const std::string& key, int http_status,
                                         const std::string& body) {
  CC_SQL(q, "UPDATE idempotency_keys SET state = 'DONE', http_status = ?3, response_body = ?4 "
            "WHERE partner_id = ?1 AND idem_key = ?2");
  return done(q.bind(1, partner_id).bind(2, key).bind(3, http_status).bind(4, body));
}

Status OutboxOps::release_idempotency_key(const std::string& partner_id, const std::string& key) {
  CC_SQL(q, "DELETE FROM idempotency_keys WHERE partner_id = ?1 AND idem_key = ?2 AND state = 'RUNNING'");
  return done(q.bind(1, partner_id).bind(2, key));
}

Status OutboxOps::insert_webhook_event(const WebhookEventRow& r) {
  CC_SQL(q, "INSERT INTO webhook_events (" WEBHOOK_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  q.bind(1, r.event_id).bind(2, r.partner_id).bind(3, r.type).bind(4, r.payload_json).bind(5, r.created_at)
      .bind(6, r.next_attempt_at).bind(7, r.attempts).bind(8, r.state).bind(9, r.last_error).bind(10, r.card_id);
  return done(q);
}

Result<std::vector<WebhookEventRow>> OutboxOps::claim_due_webhooks(int64_t now, size_t limit, int64_t lease) {
  std::vector<WebhookEventRow> due;
  {
    CC_SQL(q, "SELECT " WEBHOOK_COLUMNS " FROM webhook_events WHERE state = 'PENDING' AND next_attempt_at <= ?1 "
              "ORDER BY next_attempt_at, created_at LIMIT ?2 {SKIP LOCKED}");
    CC_ASSIGN_OR_RETURN(due, many(q.bind(1, now).bind(2, limit), read_webhook));
  }
  for (const WebhookEventRow& e : due) {
    CC_SQL(u, "UPDATE webhook_events SET next_attempt_at = ?2 WHERE event_id = ?1");
    CC_RETURN_IF_ERROR(done(u.bind(1, e.event_id).bind(2, now + lease)));
  }
  return due;
}

Result<int64_t> OutboxOps::count_pending_webhooks() {
  CC_SQL(q, "SELECT COUNT(*) FROM webhook_events WHERE state = 'PENDING'");
  return scalar(q);
}

Status OutboxOps::record_webhook_attempt(const std::string& event_id, int attempt, int64_t at, int http_status,
                                         const std::string& error, const std::string& new_state,
                                         int64_t next_attempt_at) {
  {
    CC_SQL(a, "INSERT INTO webhook_attempts (event_id, attempt, at, http_status, error) VALUES (?1,?2,?3,?4,?5) "
              "ON CONFLICT (event_id, attempt) DO NOTHING");
    CC_RETURN_IF_ERROR(done(a.bind(1, event_id).bind(2, attempt).bind(3, at).bind(4, http_status).bind(5, error)));
  }
  CC_SQL(u, "UPDATE webhook_events SET attempts = ?2, state = ?3, next_attempt_at = ?4, last_error = ?5 "
            "WHERE event_id = ?1");
  return done(u.bind(1, event_id).bind(2, attempt).bind(3, new_state).bind(4, next_attempt_at).bind(5, error));
}

Result<std::vector<WebhookEventRow>> OutboxOps::list_webhook_events(const std::string& partner_id, size_t limit) {
  CC_SQL(q, "SELECT " WEBHOOK_COLUMNS " FROM webhook_events WHERE partner_id = ?1 ORDER BY {seq} DESC LIMIT ?2");
  return many(q.bind(1, partner_id).bind(2, limit), read_webhook);
}

Result<std::vector<WebhookAttemptRow>> OutboxOps::list_webhook_attempts(const std::string& event_id) {
  CC_SQL(q, "SELECT event_id, attempt, at, http_status, error FROM webhook_attempts WHERE event_id = ?1 "
            "ORDER BY attempt");
  return many(q.bind(1, event_id), [](const Query& s) {
    return WebhookAttemptRow{s.text(0), static_cast<int>(s.i64(1)), s.i64(2), static_cast<int>(s.i64(3)), s.text(4)};
  });
}

Result<std::vector<WebhookEventRow>> OutboxOps::list_card_webhook_events(const std::string& card_id, size_t limit) {
  CC_SQL(q, "SELECT " WEBHOOK_COLUMNS " FROM webhook_events WHERE card_id = ?1 ORDER BY created_at DESC, event_id DESC "
            "LIMIT ?2");
  return many(q.bind(1, card_id).bind(2, limit), read_webhook);
}

Result<WebhookBacklog> OutboxOps::webhook_backlog() {
  // webhook_events_due starts with state.
  CC_SQL(q, "SELECT state, COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) FROM webhook_events "
            "WHERE state IN ('PENDING', 'FAILED') GROUP BY state");
  WebhookBacklog b;
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return b;
    if (q.text(0) == "FAILED") {
      b.failed = q.i64(1);
    } else {
      b.pending = q.i64(1);
      b.retrying = q.i64(2);
    }
  }
}

Result<std::vector<WebhookEventRow>> OutboxOps::list_webhook_problems(size_t limit) {
  CC_SQL(q, "SELECT " WEBHOOK_COLUMNS " FROM webhook_events WHERE state = 'FAILED' OR (state = 'PENDING' AND attempts > 0) "
            "ORDER BY created_at DESC, event_id DESC LIMIT ?1");
  return many(q.bind(1, limit), read_webhook);
}

}  // namespace cardcore
