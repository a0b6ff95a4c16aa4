// The Redis side of RateLimiter (see server/rate_limit.h): one sorted set per bucket, scored
// by the admission time in ms, checked and updated by one Lua script so that concurrent
// replicas cannot both take the last slot.
#include <mutex>

#include "common/redis_client.h"
#include "server/rate_limit.h"

namespace tributary {

namespace {

// KEYS[1]: the bucket's sorted set. ARGV: now_ms, member, hit (1 or 0), then window_ms and
// limit for each window. Returns {allowed, then per window: used, oldest_ms, frees_ms} where
// oldest_ms is the oldest admission inside the window (-1: none) and frees_ms the admission
// whose expiry makes room for one more request (-1: there is room).
constexpr const char* kScript = R"lua(
local key = KEYS[1]
local now = tonumber(ARGV[1])
local hit = ARGV[3] == '1'
local longest = 0
for i = 4, #ARGV, 2 do
  local w = tonumber(ARGV[i])
  if w > longest then longest = w end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
local allowed = 1
if hit then
  for i = 4, #ARGV, 2 do
    local used = redis.call('ZCOUNT', key, '(' .. (now - tonumber(ARGV[i])), '+inf')
    if used >= tonumber(ARGV[i + 1]) then allowed = 0 end
  end
  if allowed == 1 then
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('PEXPIRE', key, longest)
  end
end
local result = {allowed}
for i = 4, #ARGV, 2 do
  local low = '(' .. (now - tonumber(ARGV[i]))
  local limit = tonumber(ARGV[i + 1])
  local used = redis.call('ZCOUNT', key, low, '+inf')
  local oldest = -1
  local first = redis.call('ZRANGEBYSCORE', key, low, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #first > 0 then oldest = tonumber(first[2]) end
  local frees = -1
  if used >= limit then
    local f = redis.call('ZRANGEBYSCORE', key, low, '+inf', 'WITHSCORES', 'LIMIT', used - limit, 1)
    if #f > 0 then frees = tonumber(f[2]) end
  end
  result[#result + 1] = used
  result[#result + 1] = oldest
  result[#result + 1] = frees
end
return result
)lua";

}  // namespace

Result<RateDecision> RateLimiter::RunRedis(RedisClient& redis, const std::string& bucket,
                                           const std::vector<Window>& windows, int64_t now,
                                           bool hit) {
  std::string member = member_prefix_;
  {
    std::lock_guard lock(mu_);
    member += std::to_string(++sequence_);
  }
  std::vector<std::string> args = {
      "EVAL", kScript,        "1", redis.Key("ratelimit:" + bucket), std::to_string(now),
      member, hit ? "1" : "0"};
  for (const auto& w : windows) {
    args.push_back(std::to_string(w.ms));
    args.push_back(std::to_string(w.limit));
  }
  TRIB_ASSIGN_OR_RETURN(RedisReply reply, redis.Command(args));
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 1 + 3 * windows.size()) {
    return Internal("redis: unexpected reply to the rate-limit script");
  }
  RateDecision decision;
  decision.shared = true;
  decision.allowed = !hit || reply.elements[0].integer == 1;
  for (size_t i = 0; i < windows.size(); ++i) {
    const Window& w = windows[i];
    int64_t used = reply.elements[1 + 3 * i].integer;
    int64_t oldest = reply.elements[2 + 3 * i].integer;
    int64_t frees = reply.elements[3 + 3 * i].integer;
    WindowState state{w.name,
                      w.ms,
                      w.limit,
                      used,
                      std::max<int64_t>(0, w.limit - used),
                      oldest < 0 ? 0 : std::max<int64_t>(0, oldest + w.ms - now)};
    if (!decision.allowed && frees >= 0) {
      decision.retry_after_ms = std::max(decision.retry_after_ms, frees + w.ms - now);
    }
    decision.windows.push_back(state);
  }
  return decision;
}

}  // namespace tributary
