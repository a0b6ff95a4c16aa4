#include "common/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace tributary {

namespace {
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("tributary_http_requests_total")
          .Help("HTTP requests by method, route and status code.")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& request_latency =
      prometheus::BuildHistogram()
          .Name("tributary_http_request_duration_seconds")
          .Help("HTTP request latency by route.")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& source_queries =
      prometheus::BuildCounter()
          .Name("tributary_source_queries_total")
          .Help("Queries sent to each source, by outcome (ok or an error code).")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& source_errors =
      prometheus::BuildCounter()
          .Name("tributary_source_errors_total")
          .Help("Failed queries per source and error code.")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& source_latency =
      prometheus::BuildHistogram()
          .Name("tributary_source_query_duration_seconds")
          .Help("Query latency per source.")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& cache_events =
      prometheus::BuildCounter()
          .Name("tributary_cache_events_total")
          .Help("Result cache lookups by backend and event (hit, stale_hit, miss, error).")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& in_flight = prometheus::BuildGauge()
                                                         .Name("tributary_http_requests_in_flight")
                                                         .Help("HTTP requests being served now.")
                                                         .Register(*registry);
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

Metrics& Metrics::Global() {
  static Metrics metrics;
  return metrics;
}

void Metrics::RecordRequest(std::string_view method, std::string_view route, int status,
                            double seconds) {
  impl_->requests
      .Add({{"method", std::string(method)},
            {"route", std::string(route)},
            {"code", std::to_string(status)}})
      .Increment();
  impl_->request_latency.Add({{"route", std::string(route)}}, kLatencyBuckets).Observe(seconds);
}

void Metrics::RecordSourceQuery(std::string_view source, std::string_view type,
                                std::string_view outcome, double seconds) {
  impl_->source_queries
      .Add({{"source", std::string(source)},
            {"type", std::string(type)},
            {"outcome", std::string(outcome)}})
      .Increment();
  if (outcome != "ok") {
    impl_->source_errors.Add({{"source", std::string(source)}, {"code", std::string(outcome)}})
        .Increment();
  }
  impl_->source_latency.Add({{"source", std::string(source)}}, kLatencyBuckets).Observe(seconds);
}

void Metrics::SetInFlightRequests(int64_t n) {
  impl_->in_flight.Add({}).Set(static_cast<double>(n));
}

void Metrics::RecordCacheEvent(std::string_view backend, std::string_view event) {
  impl_->cache_events.Add({{"backend", std::string(backend)}, {"event", std::string(event)}})
      .Increment();
}

std::string Metrics::Render() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(impl_->registry->Collect());
}

}  // namespace tributary
