#include "server/rate_limit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace tributary {

namespace {

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t CeilSeconds(int64_t ms) {
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

// Sweeping idle buckets at most this often keeps the per-address map bounded without
// scanning it on every request.
constexpr int64_t kSweepEveryMs = 60'000;

}  // namespace

const WindowState* RateDecision::Tightest() const {
  const WindowState* best = nullptr;
  for (const auto& w : windows) {
    if (!best || w.remaining < best->remaining ||
        (w.remaining == best->remaining && w.window_ms < best->window_ms)) {
      best = &w;
    }
  }
  return best;
}

std::vector<std::pair<std::string, std::string>> RateDecision::Headers() const {
  std::vector<std::pair<std::string, std::string>> out;
  const WindowState* w = Tightest();
  if (!w) return out;
  out.emplace_back("RateLimit-Limit", std::to_string(w->limit));
  out.emplace_back("RateLimit-Remaining", std::to_string(w->remaining));
  out.emplace_back("RateLimit-Reset", std::to_string(CeilSeconds(w->reset_ms)));
  std::string policy;
  for (const auto& window : windows) {
    if (!policy.empty()) policy += ", ";
    policy += std::to_string(window.limit) + ";w=" + std::to_string(window.window_ms / 1000);
  }
  out.emplace_back("RateLimit-Policy", policy);
  if (!allowed)
    out.emplace_back("Retry-After",
                     std::to_string(std::max<int64_t>(1, CeilSeconds(retry_after_ms))));
  return out;
}

RateLimiter::RateLimiter(RateClock clock)
    : clock_(clock ? std::move(clock) : RateClock(WallClockMs)) {
  std::random_device random;
  member_prefix_ = std::to_string(random()) + "-" + std::to_string(random()) + "-";
}

std::vector<RateLimiter::Window> RateLimiter::Windows(const RateLimitSettings& settings) {
  std::vector<Window> windows;
  if (settings.per_minute > 0) windows.push_back({"minute", 60'000, settings.per_minute});
  if (settings.per_hour > 0) windows.push_back({"hour", 3'600'000, settings.per_hour});
  return windows;
}

RateDecision RateLimiter::Hit(const std::string& bucket, const RateLimitSettings& settings,
                              RedisClient* redis) {
  return Run(bucket, settings, redis, true);
}

RateDecision RateLimiter::Peek(const std::string& bucket, const RateLimitSettings& settings,
                               RedisClient* redis) {
  return Run(bucket, settings, redis, false);
}

RateDecision RateLimiter::Run(const std::string& bucket, const RateLimitSettings& settings,
                              RedisClient* redis, bool hit) {
  std::vector<Window> windows = Windows(settings);
  if (windows.empty()) return {};
  int64_t now = clock_();
  if (redis) {
    Result<RateDecision> shared = RunRedis(*redis, bucket, windows, now, hit);
    if (shared.ok()) return std::move(shared).value();
    std::lock_guard lock(mu_);
    if (now - last_redis_warning_ >= 10'000 || last_redis_warning_ == 0) {
      last_redis_warning_ = now;
      spdlog::warn("rate limits: Redis failed ({}); limiting in this process until it is back",
                   shared.status().message());
    }
  }
  return RunLocal(bucket, windows, now, hit);
}

RateDecision RateLimiter::RunLocal(const std::string& bucket, const std::vector<Window>& windows,
                                   int64_t now, bool hit) {
  int64_t longest = 0;
  for (const auto& w : windows) longest = std::max(longest, w.ms);
  std::lock_guard lock(mu_);
  SweepLocked(now);
  auto it = logs_.find(bucket);
  if (it == logs_.end()) {
    if (!hit) {
      RateDecision empty;
      for (const auto& w : windows) empty.windows.push_back({w.name, w.ms, w.limit, 0, w.limit, 0});
      return empty;
    }
    it = logs_.emplace(bucket, std::deque<int64_t>{}).first;
  }
  std::deque<int64_t>& log = it->second;
  // A request at t counts in the window ending at now while t > now - window.
  while (!log.empty() && log.front() <= now - longest) log.pop_front();

  RateDecision decision;
  for (const auto& w : windows) {
    auto first = std::upper_bound(log.begin(), log.end(), now - w.ms);
    int64_t used = log.end() - first;
    WindowState state{w.name, w.ms, w.limit, used, 0, 0};
    if (hit && used >= w.limit) {
      decision.allowed = false;
      // The (used - limit + 1)-th oldest request must leave before one more fits.
      int64_t frees_at = *(first + (used - w.limit)) + w.ms;
      decision.retry_after_ms = std::max(decision.retry_after_ms, frees_at - now);
    }
    decision.windows.push_back(state);
  }
  if (hit && decision.allowed) {
    // Timestamps stay sorted even if the wall clock steps back.
    log.push_back(log.empty() ? now : std::max(now, log.back()));
  }
  for (size_t i = 0; i < windows.size(); ++i) {
    WindowState& state = decision.windows[i];
    auto first = std::upper_bound(log.begin(), log.end(), now - windows[i].ms);
    state.used = log.end() - first;
    state.remaining = std::max<int64_t>(0, state.limit - state.used);
    state.reset_ms = first == log.end() ? 0 : *first + windows[i].ms - now;
  }
  return decision;
}

void RateLimiter::SweepLocked(int64_t now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + kSweepEveryMs;
  // Nothing is kept longer than an hour (the longest window there is).
  for (auto it = logs_.begin(); it != logs_.end();) {
    if (it->second.empty() || it->second.back() <= now - 3'600'000) {
      it = logs_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace tributary
