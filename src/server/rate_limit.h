// Sliding-window rate limits: each caller (API key, or client address when auth is off) has,
// per project it calls, a window of the last minute and one of the last hour (config
// `rate_limits`, per project `projects.<id>.rate_limits`). A request is admitted when every
// window has room, and only admitted requests are counted.
//
// The windows are exact sliding logs (a timestamp per admitted request), not fixed buckets, so
// a burst at a minute's boundary cannot double the rate. With a Redis client the log is a ZSET
// per bucket updated by one Lua script (atomic: replicas sharing the Redis enforce one limit);
// when Redis fails the in-process log answers instead, so a Redis outage never fails a request
// (each replica then limits on its own until Redis is back).
// Thread-safety: RateLimiter's methods may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.h"

namespace tributary {

class RedisClient;

//! One window's state after a check.
struct WindowState {
  //! "minute" or "hour".
  std::string name;
  int64_t window_ms = 0;
  int64_t limit = 0;
  //! Admitted requests inside the window, this one included when it was admitted.
  int64_t used = 0;
  int64_t remaining = 0;
  //! Until the oldest counted request leaves the window (0 when none is counted).
  int64_t reset_ms = 0;
};

struct RateDecision {
  bool allowed = true;
  //! For a refused request: until a slot frees in every full window.
  int64_t retry_after_ms = 0;
  std::vector<WindowState> windows;
  //! Answered by Redis (shared by every replica) rather than this process.
  bool shared = false;

  //! The window with the fewest remaining requests (the one the headers report); null when
  //! every window is off.
  const WindowState* Tightest() const;
  //! RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds, rounded up),
  //! RateLimit-Policy ("100;w=60, 1000;w=3600") and, when refused, Retry-After.
  std::vector<std::pair<std::string, std::string>> Headers() const;
};

//! Milliseconds since the epoch (wall clock: replicas compare timestamps through Redis).
using RateClock = std::function<int64_t()>;

class RateLimiter {
 public:
  explicit RateLimiter(RateClock clock = {});

  //! Counts one request in `bucket` when every window has room. `redis` may be null.
  RateDecision Hit(const std::string& bucket, const RateLimitSettings& settings,
                   RedisClient* redis);
  //! The windows without counting anything.
  RateDecision Peek(const std::string& bucket, const RateLimitSettings& settings,
                    RedisClient* redis);

 private:
  struct Window {
    const char* name;
    int64_t ms;
    int64_t limit;
  };
  static std::vector<Window> Windows(const RateLimitSettings& settings);
  RateDecision Run(const std::string& bucket, const RateLimitSettings& settings, RedisClient* redis,
                   bool hit);
  RateDecision RunLocal(const std::string& bucket, const std::vector<Window>& windows, int64_t now,
                        bool hit);
  Result<RateDecision> RunRedis(RedisClient& redis, const std::string& bucket,
                                const std::vector<Window>& windows, int64_t now, bool hit);
  void SweepLocked(int64_t now);

  RateClock clock_;
  std::mutex mu_;
  //! bucket -> admitted timestamps (ms), oldest first, trimmed to the longest window.
  std::unordered_map<std::string, std::deque<int64_t>> logs_;
  int64_t next_sweep_ = 0;
  uint64_t sequence_ = 0;
  std::string member_prefix_;
  int64_t last_redis_warning_ = 0;
};

}  // namespace tributary
