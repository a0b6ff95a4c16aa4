// The result cache of metric answers: key, freshness, single flight and stale-while-revalidate
// in front of a storage backend (cache/cache_backend.h: in-process LRU, or Redis).
//
// - Key: config fingerprint + project + source selection (`source` or "all") + pack + metric +
//   every query parameter sorted (including `merge`), hashed. A reload that changes anything
//   changes the fingerprint, so an old mapping is never served; one project's entries never
//   answer another's, whatever their sources are called.
// - Only full answers are stored: none of its sources failed. Partial answers and errors are
//   shared with the requests waiting for them, never kept.
// - Single flight: identical requests arriving while one is computed wait for it. The shared
//   computation has its own cancel token, cancelled when the last waiting client disconnects.
// - Stale-while-revalidate: an entry up to one TTL past its expiry is served once, marked
//   `stale`, while ONE refresh runs in the background; requests meanwhile wait for the refresh.
// - `Cache-Control: no-cache` (or `max-age=0`) skips the lookup and refreshes the entry;
//   `no-store` bypasses the cache entirely.
// - A backend that fails (Redis down) makes requests uncached, never failed.
// Thread-safety: every method is safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/cache_backend.h"
#include "common/cancel.h"
#include "config/config.h"
#include "metrics/metric_runner.h"

namespace tributary {

class Runtime;
class RedisClient;

//! What the request's Cache-Control header asks of the cache.
struct CacheDirectives {
  //! `no-cache` or `max-age=0`: do not answer from the cache; the fresh answer is stored.
  bool no_cache = false;
  //! `no-store`: neither answer from the cache nor store.
  bool no_store = false;
};
CacheDirectives ParseCacheControl(std::string_view header);

//! What a metric request got, through the cache or not.
struct CachedMetricRun {
  Result<MetricAnswer> answer = Internal("metric not run");
  //! The complete JSON envelope when the cache wrote it (hits, and answers it stored); empty
  //! otherwise (the caller renders `answer`).
  std::string envelope;
  //! HTTP headers for a successful answer: `Age` on hits, `Cache-Control`.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct CacheRequestCounts {
  //! Answers served from the cache, stale ones included.
  int64_t hits = 0;
  int64_t stale_hits = 0;
  //! Requests the cache could not answer (computed, or waiting for a computation).
  int64_t misses = 0;
  //! Misses that waited for an identical request's computation instead of querying.
  int64_t coalesced = 0;
  //! Background refreshes started for stale entries.
  int64_t refreshes = 0;
  //! Backend operations that failed (the request was served uncached).
  int64_t backend_errors = 0;
};

struct CacheStatsSnapshot {
  std::string backend;
  //! OK, or why the backend cannot be used now.
  Status health;
  BackendStats storage;
  CacheRequestCounts requests;
  std::map<std::string, CacheRequestCounts> project_requests;
};

class ResultCache : public std::enable_shared_from_this<ResultCache> {
 public:
  ResultCache(CacheConfig config, std::unique_ptr<CacheBackend> backend,
              CacheClock clock = SystemCacheClock());
  ResultCache(const ResultCache&) = delete;
  ResultCache& operator=(const ResultCache&) = delete;

  const CacheConfig& config() const { return config_; }
  CacheBackend& backend() { return *backend_; }
  //! The Redis client the backend uses (null for the memory backend), to tell on reload
  //! whether this cache still fits the new runtime.
  const std::shared_ptr<RedisClient>& redis() const { return redis_; }
  void set_redis(std::shared_ptr<RedisClient> redis) { redis_ = std::move(redis); }

  //! Runs `call` on `runtime` through the cache. `client` is the request's cancel token.
  CachedMetricRun Run(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                      const CancelToken& client, CacheDirectives directives);

  //! A fresh hit answered without waiting on anything (the in-process backend only), for a
  //! network thread to serve before handing the request to a worker; nullopt otherwise
  //! (another backend, a miss, a stale entry, a directive): the caller then calls Run, which
  //! counts the request. A hit is counted here.
  std::optional<CachedMetricRun> TryFreshHit(const Runtime& runtime, const MetricCall& call,
                                             CacheDirectives directives);

  //! Removes the entries of `project` and/or answered by `source` (empty: all); how many.
  //! Computations running now do not store their answer afterwards.
  Result<int64_t> Clear(std::string_view project, std::string_view source);
  CacheStatsSnapshot Stats();

  //! The key of a call for `project` (the resolved project: never empty).
  static std::string Key(const Config& config, std::string_view project, const MetricCall& call);
  //! The TTL in seconds for a metric in a project: the project's override (`pack.metric`,
  //! then `metric`, then `default`), else the pack's.
  static int64_t TtlSeconds(const ProjectConfig& project, std::string_view pack,
                            std::string_view metric, int64_t pack_ttl_seconds);

 private:
  //! What Run and TryFreshHit need to look a call up; nullopt when it bypasses the cache.
  struct Lookup {
    std::string project;
    std::string key;
    int64_t ttl_ms = 0;
  };
  std::optional<Lookup> Prepare(const Runtime& runtime, const MetricCall& call,
                                CacheDirectives directives) const;

  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    //! Clients (or a background refresh) waiting; the computation is cancelled at 0.
    int waiters = 0;
    CancelToken cancel;
    uint64_t epoch = 0;
    std::shared_ptr<const CachedAnswer> entry;
    Result<MetricAnswer> answer = Internal("not computed");
  };

  CachedMetricRun FromEntry(const CachedAnswer& entry, const MetricCall& call, bool stale,
                            int64_t now_us);
  //! A hit on an entry within its TTL, counted.
  CachedMetricRun FreshHit(const std::string& project, const CachedAnswer& entry,
                           const MetricCall& call, int64_t now_us);
  CachedMetricRun FromFlight(Flight& flight, const MetricCall& call);
  //! Computes on this thread and publishes to the flight's waiters.
  void Compute(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
               const std::string& key, int64_t ttl_ms, bool store,
               const std::shared_ptr<Flight>& flight);
  //! Starts one background refresh unless a computation of `key` runs; false when one does.
  bool StartRefresh(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                    const std::string& key, int64_t ttl_ms);
  void Count(const std::string& project, int64_t CacheRequestCounts::*member);
  void BackendFailed(const Status& status);

  const CacheConfig config_;
  std::unique_ptr<CacheBackend> backend_;
  std::shared_ptr<RedisClient> redis_;
  CacheClock clock_;
  std::mutex flights_mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> backend_ok_{true};
  std::mutex counts_mu_;
  CacheRequestCounts counts_;
  std::map<std::string, CacheRequestCounts> project_counts_;
};

//! The cache `config` asks for: nullptr when `cache.enabled` is false. `previous` (the cache
//! of the runtime being replaced) is kept when its settings and backend still fit, so a
//! reload keeps entries and counters (old entries are unreachable: their keys carry the old
//! fingerprint). `redis` is the runtime's client (null without a `redis:` section).
std::shared_ptr<ResultCache> MakeResultCache(const Config& config,
                                             const std::shared_ptr<ResultCache>& previous,
                                             const std::shared_ptr<RedisClient>& redis);

//! Runs a metric through the runtime's cache, or directly when it has none.
//! `cache_control` is the request's Cache-Control header (may be empty).
CachedMetricRun RunMetricCached(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                                const CancelToken& client, std::string_view cache_control);

//! A fresh in-process hit for `call` (ResultCache::TryFreshHit), or nullopt.
std::optional<CachedMetricRun> TryCachedMetricHit(const Runtime& runtime, const MetricCall& call,
                                                  std::string_view cache_control);

//! CONFIG_ERROR at the key's location when a project's `cache.ttl_seconds` names a metric
//! no pack has.
Status CheckCacheSettings(const Config& config, const PackCatalog& packs);

}  // namespace tributary
