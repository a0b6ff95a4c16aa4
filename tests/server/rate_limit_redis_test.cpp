// RateLimiter through the real redis-server of scripts/test-servers.sh (TRIB_TEST_REDIS_*):
// the Lua sliding window on an injected clock, two limiters (as two replicas) sharing one
// limit, and the in-process fallback when Redis cannot be reached.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "common/redis_client.h"
#include "server/rate_limit.h"
#include "support/test_redis.h"

namespace tributary {
namespace {

RedisConfig TestRedis() {
  return testing::TestRedisConfig("rate_limit");
}

TEST(RateLimiterRedis, SlidingWindowSharedByTwoLimiters) {
  RedisConfig config = TestRedis();
  auto redis = std::make_shared<RedisClient>(config);
  int64_t now = 2'000'000'000'000;
  RateLimiter replica_a([&] { return now; });
  RateLimiter replica_b([&] { return now; });
  RateLimitSettings settings{3, 0};
  RateDecision first = replica_a.Hit("k", settings, redis.get());
  EXPECT_TRUE(first.allowed);
  EXPECT_TRUE(first.shared);
  EXPECT_EQ(first.windows.at(0).used, 1);
  now += 10'000;
  EXPECT_TRUE(replica_b.Hit("k", settings, redis.get()).allowed);
  now += 10'000;
  RateDecision third = replica_a.Hit("k", settings, redis.get());
  EXPECT_TRUE(third.allowed);
  EXPECT_EQ(third.windows.at(0).remaining, 0);
  EXPECT_EQ(third.windows.at(0).reset_ms, 40'000);
  // Full for both replicas until the first admission (at 0 s) leaves the window at 60 s.
  now += 10'000;
  RateDecision refused = replica_b.Hit("k", settings, redis.get());
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.shared);
  EXPECT_EQ(refused.retry_after_ms, 30'000);
  EXPECT_FALSE(replica_a.Hit("k", settings, redis.get()).allowed);
  // Peek counts nothing; refused requests were not counted either.
  EXPECT_EQ(replica_a.Peek("k", settings, redis.get()).windows.at(0).used, 3);
  now += 30'000;
  EXPECT_TRUE(replica_b.Hit("k", settings, redis.get()).allowed);
  EXPECT_FALSE(replica_a.Hit("k", settings, redis.get()).allowed);
  // Another bucket is independent.
  EXPECT_TRUE(replica_a.Hit("other", settings, redis.get()).allowed);
  EXPECT_TRUE(
      redis->Command({"DEL", redis->Key("ratelimit:k"), redis->Key("ratelimit:other")}).ok());
}

TEST(RateLimiterRedis, RedisDownFallsBackToThisProcess) {
  RedisConfig config = TestRedis();
  config.port = 1;  // nothing listens on loopback port 1: the connect is refused at once
  auto redis = std::make_shared<RedisClient>(config);
  int64_t now = 1'000'000;
  RateLimiter limiter([&] { return now; });
  RateLimitSettings settings{2, 0};
  RateDecision a = limiter.Hit("k", settings, redis.get());
  EXPECT_TRUE(a.allowed);
  EXPECT_FALSE(a.shared);
  EXPECT_TRUE(limiter.Hit("k", settings, redis.get()).allowed);
  RateDecision refused = limiter.Hit("k", settings, redis.get());
  EXPECT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.shared);
}

}  // namespace
}  // namespace tributary
