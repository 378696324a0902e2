// What leaves the system after a change: the webhook outbox, and the stored answers of
// Idempotency-Key requests.
// Invariants: a webhook event is written in the same unit as the change it reports; a due event
// is claimed by one worker at a time (a lease on next_attempt_at, SKIP LOCKED on PostgreSQL);
// an Idempotency-Key (per partner) has at most one claim, so racing requests with one key have
// one winner.
#pragma once

#include <string>
#include <vector>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class OutboxOps : protected StoreOps {
 public:
  // Claims (partner, key) for a request whose body digest is `digest`. A claim older than
  // `ttl_seconds` is forgotten; a RUNNING claim older than `lease_seconds` is taken over.
  Result<IdempotencyClaim> claim_idempotency_key(const std::string& partner_id, const std::string& key,
                                                 const std::string& digest, int64_t now, int64_t ttl_seconds,
                                                 int64_t lease_seconds);
  Status finish_idempotency_key(const std::string& partner_id, const std::string& key, int http_status,
                                const std::string& body);
  Status release_idempotency_key(const std::string& partner_id, const std::string& key);

  Status insert_webhook_event(const WebhookEventRow& r);
  // Due PENDING events (next_attempt_at <= now), oldest first; each claimed one gets
  // next_attempt_at = now + lease_seconds so that a parallel worker does not take it too.
  // Returned as they were before the lease.
  Result<std::vector<WebhookEventRow>> claim_due_webhooks(int64_t now, size_t limit, int64_t lease_seconds);
  Status record_webhook_attempt(const std::string& event_id, int attempt, int64_t at, int http_status,
                                const std::string& error, const std::string& new_state, int64_t next_attempt_at);
  // Events still to deliver (state PENDING, due or not): the backlog a metric reports.
  Result<int64_t> count_pending_webhooks();
  // The partner's events, newest first.
  Result<std::vector<WebhookEventRow>> list_webhook_events(const std::string& partner_id, size_t limit);
  // The delivery attempts of one event, first first.
  Result<std::vector<WebhookAttemptRow>> list_webhook_attempts(const std::string& event_id);
  // The newest events about a card.
  Result<std::vector<WebhookEventRow>> list_card_webhook_events(const std::string& card_id, size_t limit);
  // How many events wait and how many were given up.
  Result<WebhookBacklog> webhook_backlog();
  // The newest events given up or failing (pending after a failed attempt).
  Result<std::vector<WebhookEventRow>> list_webhook_problems(size_t limit);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
