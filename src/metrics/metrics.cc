#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

namespace cardcore::metrics {
namespace {

// Seconds: from half a millisecond (a cached read) to 10 s (past every budget the server keeps).
const std::vector<double> kSecondsBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// Units per commit: group commit's batch, up to the writer's 256.
const std::vector<double> kUnitsBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256};

size_t code_slot(std::string_view rc) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return 10 + (c - 'A');
    return -1;
  };
  if (rc.size() != 2) return kCodeSlots - 1;
  int a = digit(rc[0]), b = digit(rc[1]);
  if (a < 0 || b < 0) return kCodeSlots - 1;
  return static_cast<size_t>(a * 36 + b);
}

std::string code_label(size_t slot) {
  if (slot == kCodeSlots - 1) return "other";
  auto ch = [](size_t d) { return static_cast<char>(d < 10 ? '0' + d : 'A' + (d - 10)); };
  return {ch(slot / 36), ch(slot % 36)};
}

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

}  // namespace

AtomicHistogram::AtomicHistogram(const std::vector<double>& bounds, double unit)
    : bounds_(bounds), unit_(unit), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void AtomicHistogram::observe(double value) {
  if (!(value >= 0)) value = 0;  // NaN and negatives (a clock step) count as 0
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(static_cast<uint64_t>(std::llround(value / unit_)), std::memory_order_relaxed);
}

prometheus::ClientMetric AtomicHistogram::collect() const {
  prometheus::ClientMetric m;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    m.histogram.bucket.push_back(
        {cumulative, i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity()});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(sum_.load(std::memory_order_relaxed)) * unit_;
  return m;
}

struct Metrics::Route {
  std::string name;
  AtomicHistogram seconds{kSecondsBuckets, 1e-9};
  std::array<CounterSlot, 500> by_status{};  // HTTP status 100..599
};

struct Metrics::Mti {
  std::string name;
  AtomicHistogram seconds{kSecondsBuckets, 1e-9};
  std::array<CounterSlot, kCodeSlots> by_code{};
};

struct Metrics::Source {
  std::string name;
  std::array<std::array<CounterSlot, kCodeSlots>, 2> by_code{};  // [approved]
};

Metrics::Metrics(BuildInfo info, const std::vector<std::string>& http_routes)
    : registry_(std::make_shared<prometheus::Registry>()),
      http_requests_(prometheus::BuildCounter()
                         .Name("cardcore_http_requests_total")
                         .Help("HTTP requests answered, by route template and status code")
                         .Register(*registry_)),
      iso_messages_(prometheus::BuildCounter()
                        .Name("cardcore_iso_messages_total")
                        .Help("ISO 8583 messages answered, by request MTI and response code (field 39)")
                        .Register(*registry_)),
      authorizations_(prometheus::BuildCounter()
                          .Name("cardcore_authorizations_total")
                          .Help("Authorizations and purchases decided (duplicates not counted again), by "
                                "source, outcome and response code")
                          .Register(*registry_)),
      store_commit_seconds_(std::make_unique<AtomicHistogram>(kSecondsBuckets, 1e-9)),
      store_units_per_commit_(std::make_unique<AtomicHistogram>(kUnitsBuckets, 1)) {
  prometheus::BuildGauge()
      .Name("cardcore_build_info")
      .Help("The running build: version, commit and storage engine (value 1)")
      .Register(*registry_)
      .Add({{"version", info.version}, {"commit", info.commit}, {"engine", info.engine}})
      .Set(1);
  for (const std::string& r : http_routes) {
    auto route = std::make_unique<Route>();
    route->name = r;
    std::string_view key = route->name;
    routes_.emplace(key, std::move(route));
  }
  unmatched_ = std::make_unique<Route>();
  unmatched_->name = "unmatched";
  for (const char* m : {"0100", "0120", "0200", "0400", "0420", "0800", "other"}) {
    mtis_.push_back(std::make_unique<Mti>());
    mtis_.back()->name = m;
  }
  for (const char* s : {"ISO8583", "SANDBOX", "other"}) {
    sources_.push_back(std::make_unique<Source>());
    sources_.back()->name = s;
  }
}

Metrics::~Metrics() = default;

template <class Labels>
prometheus::Counter& Metrics::counter(CounterSlot& slot, prometheus::Family<prometheus::Counter>& family,
                                      Labels labels) {
  prometheus::Counter* c = slot.load(std::memory_order_acquire);
  if (!c) {
    // First sight of this label set: the family's lock, once. Add answers the same counter to
    // every thread that races here.
    c = &family.Add(labels());
    slot.store(c, std::memory_order_release);
  }
  return *c;
}

void Metrics::http_request(std::string_view route, int status, double seconds) {
  auto it = routes_.find(route);
  Route& r = it == routes_.end() ? *unmatched_ : *it->second;
  if (status < 100 || status > 599) status = 500;
  counter(r.by_status[static_cast<size_t>(status - 100)], http_requests_, [&]() -> prometheus::Labels {
    return {{"route", r.name}, {"code", std::to_string(status)}};
  }).Increment();
  r.seconds.observe(seconds);
}

void Metrics::iso_message(std::string_view mti, std::string_view response_code, double seconds) {
  Mti* m = mtis_.back().get();
  for (auto& candidate : mtis_)
    if (candidate->name == mti) m = candidate.get();
  const size_t slot = code_slot(response_code);
  counter(m->by_code[slot], iso_messages_, [&]() -> prometheus::Labels {
    return {{"mti", m->name}, {"response_code", code_label(slot)}};
  }).Increment();
  m->seconds.observe(seconds);
}

void Metrics::authorization(std::string_view source, bool approved, std::string_view response_code) {
  Source* s = sources_.back().get();
  for (auto& candidate : sources_)
    if (candidate->name == source) s = candidate.get();
  const size_t slot = code_slot(response_code);
  counter(s->by_code[approved ? 1 : 0][slot], authorizations_, [&]() -> prometheus::Labels {
    return {{"source", s->name}, {"approved", approved ? "true" : "false"}, {"response_code", code_label(slot)}};
  }).Increment();
}

void Metrics::store_commit(uint64_t micros, size_t units) {
  store_commit_seconds_->observe(static_cast<double>(micros) / 1e6);
  store_units_per_commit_->observe(static_cast<double>(units));
}

std::string Metrics::render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();

  auto http = family("cardcore_http_request_duration_seconds",
                     "HTTP request duration, read to written, by route template", prometheus::MetricType::Histogram);
  auto add_route = [&](const Route& r) {
    prometheus::ClientMetric m = r.seconds.collect();
    if (m.histogram.sample_count == 0) return;
    m.label = {{"route", r.name}};
    http.metric.push_back(std::move(m));
  };
  for (const auto& [name, r] : routes_) add_route(*r);
  add_route(*unmatched_);
  std::sort(http.metric.begin(), http.metric.end(),
            [](const auto& a, const auto& b) { return a.label < b.label; });
  families.push_back(std::move(http));

  auto iso = family("cardcore_iso_message_duration_seconds", "ISO 8583 message duration, read to answered, by request MTI",
                    prometheus::MetricType::Histogram);
  for (const auto& m : mtis_) {
    prometheus::ClientMetric c = m->seconds.collect();
    if (c.histogram.sample_count == 0) continue;
    c.label = {{"mti", m->name}};
    iso.metric.push_back(std::move(c));
  }
  families.push_back(std::move(iso));

  auto commit = family("cardcore_store_commit_duration_seconds",
                       "Store write transactions, begin to durable commit", prometheus::MetricType::Histogram);
  commit.metric.push_back(store_commit_seconds_->collect());
  families.push_back(std::move(commit));
  auto units = family("cardcore_store_units_per_commit",
                      "Units of work per store write transaction (group commit batches them)",
                      prometheus::MetricType::Histogram);
  units.metric.push_back(store_units_per_commit_->collect());
  families.push_back(std::move(units));

  std::lock_guard lock(sources_mu_);
  if (outbox_pending_) {
    if (std::optional<int64_t> pending = outbox_pending_()) {
      auto g = family("cardcore_webhook_outbox_pending", "Webhook events not yet delivered (state PENDING)",
                      prometheus::MetricType::Gauge);
      prometheus::ClientMetric m;
      m.gauge.value = static_cast<double>(*pending);
      g.metric.push_back(std::move(m));
      families.push_back(std::move(g));
    }
  }
  if (deliveries_) {
    const DeliveryTotals t = deliveries_();
    auto c = family("cardcore_webhook_deliveries_total",
                    "Webhook delivery attempts by result: delivered (2xx), retried later, failed for good",
                    prometheus::MetricType::Counter);
    for (auto [result, value] : {std::pair{"delivered", t.delivered}, {"retried", t.retried}, {"failed", t.failed}}) {
      prometheus::ClientMetric m;
      m.label = {{"result", result}};
      m.counter.value = static_cast<double>(value);
      c.metric.push_back(std::move(m));
    }
    families.push_back(std::move(c));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace cardcore::metrics
