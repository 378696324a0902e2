// Webhook delivery: the worker that drains the store's webhook outbox to partners' URLs, and the
// signature scheme partners verify.
//
// Events are written by the service layer in the same transaction as the business change
// (svc::enqueue_event), so an event exists exactly when its change committed. The worker claims
// due events with a lease (claim_due_webhooks), POSTs each event's payload_json, and records
// every attempt (record_webhook_attempt). Delivery is at-least-once: an event claimed by a worker
// that dies before recording is claimed again once its lease has passed, so receivers must
// de-duplicate on the event id (X-Cardcore-Event-Id, also the body's "id"). Order is not
// guaranteed: a batch is delivered concurrently and retries interleave with newer events.
//
// Request: POST payload_json with
//   Content-Type: application/json
//   User-Agent: cardcore-webhooks
//   X-Cardcore-Event-Id: <event id>
//   X-Cardcore-Event-Type: <type>
//   X-Cardcore-Timestamp: <unix seconds>
//   X-Cardcore-Signature: t=<timestamp>,v1=<lower-case hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// A 2xx answer delivers the event. Anything else (another status, a transport failure, a timeout)
// schedules a retry after min(base_backoff * 2^attempts, max_backoff) seconds, until the event is
// older than max_age_seconds, when it is marked FAILED. A partner without a webhook URL or
// without a webhook secret fails the event at once (nothing could ever deliver it).
//
// No payload and no secret ever reaches an Error, the store's attempt log or a counter.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "security/vault.h"
#include "store/store.h"

namespace cardcore {

struct WebhookOptions {
  int poll_interval_ms = 200;          // idle wait between polls of the outbox
  size_t batch = 16;                   // events claimed (and delivered concurrently) per poll
  int64_t lease_seconds = 60;          // a claimed, unrecorded event is retried after this
  int timeout_ms = 5000;               // one delivery: resolve + connect + TLS + write + read
  int64_t max_age_seconds = 48 * 3600; // past this, a failed attempt marks the event FAILED
  int64_t base_backoff_seconds = 10;   // first retry delay; doubles per attempt
  int64_t max_backoff_seconds = 3600;  // ceiling of the retry delay
};

// Limits the worker enforces on WebhookOptions (out-of-range values are clamped to these).
inline constexpr size_t kMaxWebhookBatch = 256;
inline constexpr int kMaxWebhookPollIntervalMs = 60'000;

// Counters since construction, for metrics. Read without a lock; each is monotonic.
struct WebhookCounters {
  uint64_t attempted = 0;     // deliveries tried (including immediate FAILED for no URL/secret)
  uint64_t delivered = 0;     // 2xx answers
  uint64_t failed = 0;        // events marked FAILED
  uint64_t store_errors = 0;  // units of work the store refused (the lease retries the event)
};

class WebhookWorker {
 public:
  // `now` returns unix seconds; it stamps claims, attempts, signatures and backoff, and is called
  // from the delivery threads concurrently (it must be thread-safe). `store` and
  // `vault` must outlive the worker. Options are clamped to sane ranges: batch 1..kMaxWebhookBatch,
  // timeout 1..kMaxHttpTimeoutMs, poll interval 1..kMaxWebhookPollIntervalMs, backoffs >= 1 s, and
  // the lease to more than the worst-case time of one batch (timeout + 5 s), so that a live
  // worker's claim never lapses into a parallel worker's duplicate delivery.
  WebhookWorker(Store& store, const Vault& vault, std::function<int64_t()> now, WebhookOptions options = {});
  ~WebhookWorker();  // stop()

  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

  // Starts the background thread (once; later calls do nothing). It polls every
  // poll_interval_ms, and without a pause while full batches keep coming.
  void start();
  // Wakes the thread and joins it; returns within the current batch's delivery timeout.
  // Events claimed and not yet recorded are retried after their lease. Idempotent.
  void stop();

  // Claims what is due now (at most one batch), delivers it, records each attempt, and returns
  // how many events were attempted. For tests and for draining without the thread.
  size_t run_once();

  WebhookCounters counters() const;
  const WebhookOptions& options() const { return options_; }

 private:
  struct Delivery;
  void loop();
  void deliver(Delivery& d);
  void record(const Delivery& d);

  Store& store_;
  const Vault& vault_;
  const std::function<int64_t()> now_;
  const WebhookOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;

  std::atomic<uint64_t> attempted_{0}, delivered_{0}, failed_{0}, store_errors_{0};
};

// "t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>": the X-Cardcore-Signature value.
std::string webhook_signature(std::string_view secret, int64_t timestamp, std::string_view body);

// The receiver's check: parses `header_value` (fields in any order; several v1= are allowed, e.g.
// during a secret rotation, and any one matching suffices), compares in constant time, and
// refuses a timestamp more than `tolerance_seconds` away from `now` (replay window).
bool verify_webhook_signature(std::string_view secret, std::string_view header_value, std::string_view body,
                              int64_t now, int64_t tolerance_seconds = 300);

}  // namespace cardcore
