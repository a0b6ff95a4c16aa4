// Runtime: one loaded Config with its opened connectors and their health.
//
// A Runtime never changes after it is built. The RuntimeHolder swaps in a new one on reload;
// every request takes a shared_ptr to the current Runtime when it starts, so in-flight
// requests finish on the config they began with and the old connectors close only when the
// last of them ends.
// Thread-safety: Runtime's methods and RuntimeHolder are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/redis_client.h"
#include "common/status.h"
#include "config/config.h"
#include "connectors/connector.h"
#include "metrics/pack.h"

namespace tributary {

class ResultCache;

//! The last known health of a source.
struct SourceHealth {
  enum class State { kUnknown, kOk, kUnavailable };
  State state = State::kUnknown;
  std::chrono::microseconds latency{0};
  //! Why it is unavailable (never a secret).
  Status error;
  std::chrono::system_clock::time_point checked_at{};
  std::string detail;
};

std::string_view HealthStateName(SourceHealth::State state);

class SourceHandle {
 public:
  SourceHandle(const SourceConfig& config, std::unique_ptr<Connector> connector,
               Status open_status);
  ~SourceHandle();

  const SourceConfig& config() const { return config_; }
  const std::string& id() const { return config_.id; }
  //! Null when the factory could not build a connector.
  Connector* connector() const { return connector_.get(); }
  //! OK when Open succeeded; otherwise why the source is not usable.
  const Status& open_status() const { return open_status_; }

  //! Runs a health check now and records it.
  SourceHealth CheckHealth();
  SourceHealth last_health() const;

 private:
  SourceConfig config_;
  std::unique_ptr<Connector> connector_;
  Status open_status_;
  mutable std::mutex mu_;
  SourceHealth health_;
};

class Runtime : public std::enable_shared_from_this<Runtime> {
 public:
  //! Builds connectors for every source and opens them. A source that fails to open does not
  //! fail the runtime: it is kept, reported unavailable, and its queries fail with its error.
  //! `previous` (the runtime a reload replaces) hands over its result cache when the cache
  //! settings are unchanged. With `reuse_unchanged_sources` it also hands over every source
  //! whose settings are the same (connection pools, health), so adding an imported source
  //! does not reconnect the others; a config reload does not ask for it: it reconnects all.
  static std::shared_ptr<Runtime> Open(Config config, const Runtime* previous = nullptr,
                                       bool reuse_unchanged_sources = false);

  const Config& config() const { return config_; }
  //! NOT_FOUND naming the known sources when `id` is unknown; UNAVAILABLE when it did not open.
  Result<SourceHandle*> FindSource(std::string_view id) const;
  //! Shared: a runtime built with reuse_unchanged_sources may hold its predecessor's handles.
  const std::vector<std::shared_ptr<SourceHandle>>& sources() const { return sources_; }
  //! Checks every source in parallel; returns when all have answered.
  void CheckAllHealth();
  //! A monotonically increasing number, one per Runtime built in this process.
  uint64_t generation() const { return generation_; }
  //! When this Runtime was built (the config's load or reload time).
  std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }
  //! The metric packs (server.packs_dir, or the built-in ones); CONFIG_ERROR naming the file
  //! and line when they do not load.
  const Result<std::shared_ptr<const PackCatalog>>& packs() const { return packs_; }
  //! The client of the config's `redis:` server; null when the config has none. Connects
  //! lazily: a Runtime opens even when Redis is down.
  const std::shared_ptr<RedisClient>& redis() const { return redis_; }
  //! The metric result cache; null when `cache.enabled` is false.
  const std::shared_ptr<ResultCache>& cache() const { return cache_; }

 private:
  explicit Runtime(Config config);
  Config config_;
  Result<std::shared_ptr<const PackCatalog>> packs_ = Internal("packs not loaded");
  std::vector<std::shared_ptr<SourceHandle>> sources_;
  std::shared_ptr<RedisClient> redis_;
  std::shared_ptr<ResultCache> cache_;
  uint64_t generation_ = 0;
  std::chrono::system_clock::time_point loaded_at_ = std::chrono::system_clock::now();
};

//! The packs a config asks for (server.packs_dir when set, else the built-in packs), with the
//! config's dataset bindings checked against them.
Result<std::shared_ptr<const PackCatalog>> LoadPacks(const Config& config);

class RuntimeHolder {
 public:
  std::shared_ptr<Runtime> current() const;
  void Swap(std::shared_ptr<Runtime> next);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<Runtime> current_;
};

}  // namespace tributary
