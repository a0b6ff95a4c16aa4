// How one PromQL request is shaped: the per-query options (time, start, end, step) parsed and
// checked, and the form body sent to /api/v1/query or /api/v1/query_range.
//
// Times are RFC 3339 ("2026-11-01T00:00:00Z", an offset allowed), unix seconds ("1700000000",
// "1700000000.5") or relative to now ("now", "now-1h", "now-1h30m", "now+5m"). Durations
// (step) are Prometheus durations ("15s", "1m", "1h30m", "500ms", "1d", "1w", "1y") or
// seconds ("60", "0.5").
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tributary::prometheus {

//! The option keys a query accepts, for error messages: "time, start, end, step".
inline constexpr std::string_view kQueryOptionKeys = "time, start, end, step";

//! Parses a Prometheus duration or a number of seconds into milliseconds (> 0).
//! INVALID_ARGUMENT naming `what` and the accepted forms otherwise.
Result<int64_t> ParsePromDuration(std::string_view text, std::string_view what);

//! Parses a time (RFC 3339, unix seconds or now[+-duration]) into unix milliseconds, relative
//! times counted from `now_ms`. INVALID_ARGUMENT naming `what` and the accepted forms otherwise.
Result<int64_t> ParsePromTime(std::string_view text, int64_t now_ms, std::string_view what);

//! "1700000000.123": unix milliseconds as the seconds Prometheus's API takes.
std::string FormatPromSeconds(int64_t unix_ms);

//! One planned query: an instant query at `time_ms` (or at the server's now), or a range query.
struct PromQueryPlan {
  bool range = false;
  //! Instant query: whether `time` was given (else Prometheus evaluates at its own now).
  bool has_time = false;
  int64_t time_ms = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  //! Range query: the points each series can have, (end - start) / step + 1.
  int64_t points = 0;
};

//! Limits of the source, from its config.
struct PromPlanLimits {
  //! A range query may return at most this many points per series (Prometheus's own cap is
  //! 11000), checked here so the error names the fix.
  int64_t max_points = 11000;
  //! Step of a range query that gives none.
  int64_t default_step_ms = 60'000;
};

//! Plans a query from its options: none or `time` -> instant query; `start` (with optional
//! `end`, default now, and `step`, default limits.default_step_ms) -> range query. An unknown
//! key, `time` together with a range key, a range key without `start`, end before start, and a
//! range with more than max_points points per series are INVALID_ARGUMENT naming the fix.
Result<PromQueryPlan> PlanPromQuery(const std::map<std::string, std::string>& options,
                                    int64_t now_ms, const PromPlanLimits& limits);

//! The URL-encoded form body for the plan: query=...&time=... or start/end/step, plus
//! timeout=<ms>ms when `timeout_ms` > 0 (so Prometheus stops the evaluation itself).
std::string PromFormBody(std::string_view promql, const PromQueryPlan& plan, int64_t timeout_ms);

}  // namespace tributary::prometheus
