// The webhook outbox worker and the signature scheme (see webhooks.h).
#include "notify/webhooks.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "notify/http_client.h"
#include "security/crypto.h"

namespace cardcore {
namespace {

constexpr size_t kMaxSignatureHeaderBytes = 1024;
constexpr const char* kPending = "PENDING";
constexpr const char* kDelivered = "DELIVERED";
constexpr const char* kFailed = "FAILED";

WebhookOptions clamped(WebhookOptions o) {
  o.batch = std::clamp<size_t>(o.batch, 1, kMaxWebhookBatch);
  o.timeout_ms = std::clamp(o.timeout_ms, 1, kMaxHttpTimeoutMs);
  o.poll_interval_ms = std::clamp(o.poll_interval_ms, 1, kMaxWebhookPollIntervalMs);
  o.base_backoff_seconds = std::max<int64_t>(o.base_backoff_seconds, 1);
  o.max_backoff_seconds = std::max(o.max_backoff_seconds, o.base_backoff_seconds);
  o.max_age_seconds = std::max<int64_t>(o.max_age_seconds, 0);
  // A batch is delivered concurrently, so it ends within one timeout plus the store's own work.
  const int64_t batch_worst_seconds = (o.timeout_ms + 999) / 1000 + 5;
  o.lease_seconds = std::max(o.lease_seconds, batch_worst_seconds + 1);
  return o;
}

// min(base * 2^attempts, max) without overflow.
int64_t backoff_seconds(const WebhookOptions& o, int attempts) {
  int64_t delay = o.base_backoff_seconds;
  for (int i = 0; i < attempts && delay < o.max_backoff_seconds; ++i) delay *= 2;
  return std::min(delay, o.max_backoff_seconds);
}

// Unix seconds: digits only, so never negative and far from overflow.
std::optional<int64_t> parse_unix_seconds(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

// One claimed event on its way: what to send (prepared while claiming) and how it ended.
struct WebhookWorker::Delivery {
  WebhookEventRow event;
  std::optional<HttpTarget> target;  // set when the event is to be POSTed
  std::string secret;                // raw HMAC key; never leaves this struct
  // Outcome, recorded as attempt event.attempts + 1.
  int64_t at = 0;
  int http_status = 0;
  std::string error;
  std::string state;
  int64_t next_attempt_at = 0;
};

WebhookWorker::WebhookWorker(Store& store, const Vault& vault, std::function<int64_t()> now,
                             WebhookOptions options)
    : store_(store), vault_(vault), now_(std::move(now)), options_(clamped(options)) {}

WebhookWorker::~WebhookWorker() { stop(); }

void WebhookWorker::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void WebhookWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void WebhookWorker::loop() {
  for (;;) {
    const size_t attempted = run_once();
    std::unique_lock lock(mu_);
    if (stopping_) return;
    // A full batch suggests more is due: poll again at once. Failed events were pushed into the
    // future by their backoff, so this cannot spin on one broken endpoint.
    if (attempted < options_.batch)
      wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms), [this] { return stopping_; });
    if (stopping_) return;
  }
}

size_t WebhookWorker::run_once() {
  const int64_t claimed_at = now_();
  // One unit of work: claim the due events and read their partners.
  auto claimed = transact(store_, [&](Tx& tx) -> Result<std::vector<Delivery>> {
    CC_ASSIGN_OR_RETURN(std::vector<WebhookEventRow> due,
                        tx.claim_due_webhooks(claimed_at, options_.batch, options_.lease_seconds));
    std::map<std::string, std::optional<PartnerRow>> partners;
    std::vector<Delivery> out;
    out.reserve(due.size());
    for (WebhookEventRow& event : due) {
      auto it = partners.find(event.partner_id);
      if (it == partners.end()) {
        CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> partner, tx.find_partner(event.partner_id));
        it = partners.emplace(event.partner_id, std::move(partner)).first;
      }
      Delivery d;
      d.event = std::move(event);
      const std::optional<PartnerRow>& partner = it->second;
      bool retryable = false;
      // Nothing can ever deliver these: fail them now rather than retry for max_age_seconds.
      if (!partner) d.error = "unknown partner";
      else if (partner->webhook_url.empty()) d.error = "no webhook URL";
      else if (partner->webhook_secret.blob.empty()) d.error = "no webhook secret";
      else if (auto target = parse_http_url(partner->webhook_url); !target) d.error = "invalid webhook URL";
      else if (auto secret = vault_.open(partner->webhook_secret, partner->partner_id); !secret) {
        d.error = "webhook secret cannot be opened";  // a vault key is missing: an operator may fix it
        retryable = true;
      } else {
        d.target = std::move(*target);
        d.secret = std::move(*secret);
      }
      if (!d.target) {
        d.at = claimed_at;
        if (retryable && claimed_at - d.event.created_at <= options_.max_age_seconds) {
          d.state = kPending;
          d.next_attempt_at = claimed_at + backoff_seconds(options_, d.event.attempts);
        } else {
          d.state = kFailed;
          d.next_attempt_at = claimed_at;
        }
      }
      out.push_back(std::move(d));
    }
    return out;
  });
  if (!claimed) {
    store_errors_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  std::vector<Delivery>& deliveries = *claimed;

  // Each delivery records its own attempt as soon as it ends, so a crash mid-batch re-sends only
  // what was not recorded. Deliveries run concurrently: one slow endpoint delays a batch by at
  // most one timeout, and the whole batch stays well inside the lease.
  std::vector<std::thread> threads;
  for (size_t i = 1; i < deliveries.size(); ++i)
    threads.emplace_back([this, &d = deliveries[i]] { deliver(d); });
  if (!deliveries.empty()) deliver(deliveries[0]);
  for (std::thread& t : threads) t.join();
  return deliveries.size();
}

void WebhookWorker::deliver(Delivery& d) {
  attempted_.fetch_add(1, std::memory_order_relaxed);
  if (d.target) {
    const int64_t timestamp = now_();
    const WebhookEventRow& e = d.event;
    const HttpHeaders headers{
        {"Content-Type", "application/json"},
        {"User-Agent", "cardcore-webhooks"},
        {"X-Cardcore-Event-Id", e.event_id},
        {"X-Cardcore-Event-Type", e.type},
        {"X-Cardcore-Timestamp", std::to_string(timestamp)},
        {"X-Cardcore-Signature", webhook_signature(d.secret, timestamp, e.payload_json)},
    };
    const Result<int> status = http_post(*d.target, headers, e.payload_json, options_.timeout_ms);
    d.at = now_();
    if (status && *status >= 200 && *status <= 299) {
      d.http_status = *status;
      d.state = kDelivered;
      d.next_attempt_at = d.at;
    } else {
      d.http_status = status ? *status : 0;
      d.error = status ? "HTTP " + std::to_string(*status) : status.error().message;  // never the body
      const bool expired = d.at - e.created_at > options_.max_age_seconds;
      d.state = expired ? kFailed : kPending;
      d.next_attempt_at = expired ? d.at : d.at + backoff_seconds(options_, e.attempts);
    }
  }
  record(d);
}

void WebhookWorker::record(const Delivery& d) {
  const Status st = transact(store_, [&](Tx& tx) -> Status {
    return tx.record_webhook_attempt(d.event.event_id, d.event.attempts + 1, d.at, d.http_status, d.error,
                                     d.state, d.next_attempt_at);
  });
  if (!st) {
    store_errors_.fetch_add(1, std::memory_order_relaxed);  // the lease brings the event back
    return;
  }
  if (d.state == kDelivered) delivered_.fetch_add(1, std::memory_order_relaxed);
  if (d.state == kFailed) failed_.fetch_add(1, std::memory_order_relaxed);
}

WebhookCounters WebhookWorker::counters() const {
  return {attempted_.load(std::memory_order_relaxed), delivered_.load(std::memory_order_relaxed),
          failed_.load(std::memory_order_relaxed), store_errors_.load(std::memory_order_relaxed)};
}

std::string webhook_signature(std::string_view secret, int64_t timestamp, std::string_view body) {
  const std::string ts = std::to_string(timestamp);
  std::string signed_text;
  signed_text.reserve(ts.size() + 1 + body.size());
  signed_text.append(ts).append(1, '.').append(body);
  return "t=" + ts + ",v1=" + crypto::to_hex(crypto::hmac_sha256(secret, signed_text));
}

bool verify_webhook_signature(std::string_view secret, std::string_view header_value, std::string_view body,
                              int64_t now, int64_t tolerance_seconds) {
  if (header_value.size() > kMaxSignatureHeaderBytes) return false;
  std::optional<int64_t> timestamp;
  std::vector<std::string_view> candidates;
  while (!header_value.empty()) {
    const size_t comma = header_value.find(',');
    std::string_view field = header_value.substr(0, comma);
    header_value = comma == std::string_view::npos ? std::string_view{} : header_value.substr(comma + 1);
    while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
    if (field.starts_with("t=")) {
      if (timestamp) return false;  // two timestamps: ambiguous, refuse
      timestamp = parse_unix_seconds(field.substr(2));
      if (!timestamp) return false;
    } else if (field.starts_with("v1=")) {
      candidates.push_back(field.substr(3));
    }  // other schemes (v0=, future v2=) are ignored
  }
  if (!timestamp || candidates.empty()) return false;
  // |now - timestamp| <= tolerance: refuses replays of old deliveries.
  if (*timestamp < now - tolerance_seconds || *timestamp > now + tolerance_seconds) return false;
  const std::string expected = webhook_signature(secret, *timestamp, body);
  const std::string_view expected_hex = std::string_view(expected).substr(expected.find(",v1=") + 4);
  bool match = false;
  for (const std::string_view candidate : candidates)
    match |= crypto::constant_time_equal(candidate, expected_hex);
  return match;
}

}  // namespace cardcore
