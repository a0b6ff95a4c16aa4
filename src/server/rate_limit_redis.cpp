// Placeholder until the Redis client lands on this branch.
#include "server/rate_limit.h"

namespace tributary {

Result<RateDecision> RateLimiter::RunRedis(RedisClient&, const std::string&,
                                           const std::vector<Window>&, int64_t, bool) {
  return Unavailable("redis client not available");
}

}  // namespace tributary
