// Process-wide Prometheus metrics: HTTP requests per route, per-source queries and result cache
// events.
// Rendered in the Prometheus text format at GET /metrics.
// Thread-safety: every method is safe from any thread (prometheus-cpp's metrics are atomic).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tributary {

class Metrics {
 public:
  //! The process's registry.
  static Metrics& Global();

  //! `route` is the route pattern (e.g. "/api/v1/sources/{id}/tables"), never the raw path,
  //! so that label cardinality stays bounded.
  void RecordRequest(std::string_view method, std::string_view route, int status, double seconds);
  //! `outcome` is "ok" or a stable error code name.
  void RecordSourceQuery(std::string_view source, std::string_view type, std::string_view outcome,
                         double seconds);
  void SetInFlightRequests(int64_t n);
  //! A result cache event: `event` is "hit", "stale_hit", "miss" or "error" (the backend
  //! failed and the request was served uncached); `backend` is "memory" or "redis".
  void RecordCacheEvent(std::string_view backend, std::string_view event);
  //! Prometheus text exposition format 0.0.4.
  std::string Render() const;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary
