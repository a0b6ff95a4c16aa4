// Where cached metric answers are kept: the backend interface of the result cache, the entry
// it stores, and the in-process backend (LRU bounded in bytes, per-entry expiry).
//
// An entry is the metric's JSON envelope up to its cache members (MetricEnvelopePrefix), so a
// hit appends `"cached":true,...}}` to stored text and never parses or re-renders the body.
// Backends only store and find: single flight, freshness and stale-while-revalidate are
// decided by ResultCache (cache/result_cache.h) from the entry's `stored_at_us` and `ttl_ms`.
// Thread-safety: every backend method is safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace tributary {

//! The wall clock in UTC microseconds; injectable so tests need not sleep.
using CacheClock = std::function<int64_t()>;
CacheClock SystemCacheClock();

//! One cached full answer of a metric.
struct CachedAnswer {
  std::string project;
  //! The sources that answered (for clear-by-source).
  std::vector<std::string> sources;
  //! MetricEnvelopePrefix: `{"data":...,"meta":{...,` (ends after a comma inside meta).
  std::string prefix;
  //! Where the `data` member's JSON is inside `prefix`.
  size_t data_offset = 0;
  size_t data_size = 0;
  //! When the answer was computed (UTC microseconds) and how long it is fresh.
  int64_t stored_at_us = 0;
  int64_t ttl_ms = 0;

  //! What the entry costs in memory (text plus bookkeeping).
  size_t bytes() const;
  //! A self-describing text form for backends that store bytes (Redis).
  std::string Serialize() const;
  //! INTERNAL when `text` is not something Serialize wrote.
  static Result<CachedAnswer> Parse(std::string_view text);
};

//! Counts of one project, or of the whole backend.
struct CacheCounts {
  int64_t entries = 0;
  int64_t bytes = 0;
  int64_t evictions = 0;
};

struct BackendStats {
  CacheCounts total;
  //! 0 when the backend has no byte bound of its own (Redis: its maxmemory).
  int64_t max_bytes = 0;
  std::map<std::string, CacheCounts> projects;
  //! Backend-specific facts (Redis: used_memory, evicted_keys, ...), as JSON-safe text.
  std::map<std::string, std::string> details;
};

class CacheBackend {
 public:
  virtual ~CacheBackend() = default;
  //! "memory" or "redis".
  virtual std::string_view name() const = 0;
  //! True when Get never waits on I/O, so a hit may be served on a network thread.
  virtual bool in_process() const { return false; }
  //! The entry, or nullptr when there is none (or it is past `retain` and was dropped).
  //! UNAVAILABLE when the backend cannot be reached.
  virtual Result<std::shared_ptr<const CachedAnswer>> Get(const std::string& key) = 0;
  //! Stores (replaces) an entry kept for `retain_ms` (its TTL plus the stale grace).
  virtual Status Put(const std::string& key, std::shared_ptr<const CachedAnswer> entry,
                     int64_t retain_ms) = 0;
  //! Removes the entries of `project` and/or answered by `source` (empty: any); how many.
  virtual Result<int64_t> Clear(std::string_view project, std::string_view source) = 0;
  virtual Result<BackendStats> Stats() = 0;
  //! OK, or why the backend cannot be used now.
  virtual Status Health() = 0;
};

//! The in-process backend: LRU bounded by `max_bytes`; entries past their retain time are
//! dropped when met and before anything fresher is evicted.
class MemoryCacheBackend final : public CacheBackend {
 public:
  MemoryCacheBackend(int64_t max_bytes, CacheClock clock = SystemCacheClock());

  std::string_view name() const override { return "memory"; }
  bool in_process() const override { return true; }
  Result<std::shared_ptr<const CachedAnswer>> Get(const std::string& key) override;
  Status Put(const std::string& key, std::shared_ptr<const CachedAnswer> entry,
             int64_t retain_ms) override;
  Result<int64_t> Clear(std::string_view project, std::string_view source) override;
  Result<BackendStats> Stats() override;
  Status Health() override { return Status::Ok(); }

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const CachedAnswer> entry;
    int64_t retain_until_us = 0;
    int64_t bytes = 0;
  };
  using List = std::list<Node>;

  //! Requires mu_. `evicted`: counted as an eviction (not an expiry or a clear).
  void EraseLocked(List::iterator it, bool evicted);

  const int64_t max_bytes_;
  CacheClock clock_;
  std::mutex mu_;
  //! Most recently used first.
  List lru_;
  std::unordered_map<std::string, List::iterator> index_;
  CacheCounts total_;
  std::map<std::string, CacheCounts> projects_;
};

}  // namespace tributary
