// The Redis backend of the result cache: one cache shared by every Tributary replica
// configured with the same Redis server and key prefix.
//
// Layout (every key behind the client's key_prefix):
//   cache:e:<key>            the entry's text (CachedAnswer::Serialize), SET with PX expiry
//   cache:idx:all            sorted set of entry keys, scored by their expiry (ms since epoch)
//   cache:idx:p:<project>    the same per project
//   cache:idx:s:<source>     the same per source that answered
// The indexes make clear-by-project and clear-by-source exact without scanning the entries;
// members past their score are pruned when counted. Single flight stays per process.
// Thread-safety: every method is safe from any thread (the client pools connections).
#pragma once

#include <memory>

#include "cache/cache_backend.h"
#include "common/redis_client.h"

namespace tributary {

class RedisCacheBackend final : public CacheBackend {
 public:
  explicit RedisCacheBackend(std::shared_ptr<RedisClient> redis,
                             CacheClock clock = SystemCacheClock());

  std::string_view name() const override { return "redis"; }
  Result<std::shared_ptr<const CachedAnswer>> Get(const std::string& key) override;
  Status Put(const std::string& key, std::shared_ptr<const CachedAnswer> entry,
             int64_t retain_ms) override;
  Result<int64_t> Clear(std::string_view project, std::string_view source) override;
  //! Entries counted from the indexes; `bytes` and `evictions` are the Redis server's
  //! used_memory and evicted_keys (it is shared, so they are not this cache's alone);
  //! per-project bytes are not tracked.
  Result<BackendStats> Stats() override;
  //! The client's last state; when its back-off after a failure has passed, one PING (bounded
  //! by connect_timeout_ms) tells whether Redis is back.
  Status Health() override;

 private:
  std::string EntryKey(const std::string& key) const;
  std::string Index(std::string_view kind, std::string_view name) const;
  //! The index keys that exist now (SCAN over cache:idx:*).
  Result<std::vector<std::string>> IndexKeys(std::string_view pattern) const;

  std::shared_ptr<RedisClient> redis_;
  CacheClock clock_;
};

}  // namespace tributary
