// The process's Prometheus metrics, kept with prometheus-cpp (its registry, counters and text
// serializer) and served as text by cardcore's own HTTP server at GET /metrics.
//
// On the hot path a count is an atomic add, never a lock: each labelled counter is found through
// an array of atomic pointers (the family's lock is taken once, the first time a label set is
// seen), and durations go into AtomicHistogram, because prometheus-cpp 1.0's Histogram locks a
// mutex on every Observe.
//
// Labels never carry what a caller sent as free text: routes are the templates the server
// declares (never a raw path with ids), MTIs and response codes are checked against their
// formats, sources come from a fixed list; anything else is counted under "other".
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace cardcore::metrics {

// A histogram of fixed buckets whose observe() is a few relaxed atomic adds. A scrape reads the
// buckets one by one, so a scrape racing observations may count one in a bucket and not yet in
// the sum; each series stays monotonic.
class AtomicHistogram {
 public:
  // `bounds` ascending (the +Inf bucket is implied); `unit` the integer resolution of the sum
  // (1e-9 for seconds kept in nanoseconds, 1 for counts).
  AtomicHistogram(const std::vector<double>& bounds, double unit);
  void observe(double value);
  prometheus::ClientMetric collect() const;

 private:
  const std::vector<double>& bounds_;
  const double unit_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<uint64_t> sum_{0};                     // in units of unit_
};

// A response code's slot: two characters of [0-9A-Z], else the "other" slot.
inline constexpr size_t kCodeSlots = 36 * 36 + 1;

struct BuildInfo {
  std::string version, commit, engine;
};

// What the webhook worker has done since start (read at scrape time).
struct DeliveryTotals {
  uint64_t delivered = 0, retried = 0, failed = 0;
};

class Metrics {
 public:
  // `http_routes`: every route template the HTTP server answers ("/api/v0/…/{authorizationId}/capture");
  // any other path is counted as "unmatched".
  Metrics(BuildInfo info, const std::vector<std::string>& http_routes);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void http_request(std::string_view route, int status, double seconds);
  // `mti` of the request (0100, 0200, …), `response_code` field 39 of the answer.
  void iso_message(std::string_view mti, std::string_view response_code, double seconds);
  // One decided authorization or purchase; `source` "ISO8583" or "SANDBOX".
  void authorization(std::string_view source, bool approved, std::string_view response_code);
  // One write transaction of the store (Store::set_commit_observer).
  void store_commit(uint64_t micros, size_t units);

  // Read at each scrape; either may be left unset, and set while scrapes already run (the
  // server answers /metrics from its start). `outbox_pending` answers nullopt when the store
  // could not be read (the gauge is then left out of that scrape).
  void set_outbox_pending(std::function<std::optional<int64_t>()> f) {
    std::lock_guard lock(sources_mu_);
    outbox_pending_ = std::move(f);
  }
  void set_deliveries(std::function<DeliveryTotals()> f) {
    std::lock_guard lock(sources_mu_);
    deliveries_ = std::move(f);
  }

  // The text exposition format (version 0.0.4), what GET /metrics answers.
  std::string render() const;
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  using CounterSlot = std::atomic<prometheus::Counter*>;
  struct Route;
  struct Mti;
  struct Source;
  // The slot's counter; `labels()` builds its label set only the first time (a std::map allocates).
  template <class Labels>
  static prometheus::Counter& counter(CounterSlot& slot, prometheus::Family<prometheus::Counter>& family,
                                      Labels labels);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Counter>& iso_messages_;
  prometheus::Family<prometheus::Counter>& authorizations_;
  std::unordered_map<std::string_view, std::unique_ptr<Route>> routes_;  // fixed after construction
  std::unique_ptr<Route> unmatched_;
  std::vector<std::unique_ptr<Mti>> mtis_;      // fixed after construction; the last is "other"
  std::vector<std::unique_ptr<Source>> sources_;  // likewise
  std::unique_ptr<AtomicHistogram> store_commit_seconds_, store_units_per_commit_;
  mutable std::mutex sources_mu_;  // guards the two below; taken by scrapes, never on the hot path
  std::function<std::optional<int64_t>()> outbox_pending_;
  std::function<DeliveryTotals()> deliveries_;
};

}  // namespace cardcore::metrics
