#include "connectors/prometheus/prometheus_query.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>

#include "connectors/common/http_client.h"
#include "core/time_util.h"

namespace tributary::prometheus {

namespace {

constexpr std::string_view kDurationForms =
    "a Prometheus duration such as 15s, 1m, 1h30m, 500ms, 1d, or a number of seconds such as 60";
constexpr std::string_view kTimeForms =
    "an RFC 3339 time such as 2026-11-01T00:00:00Z, unix seconds such as 1700000000, or a time "
    "relative to now such as now, now-1h, now-30m";

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// A plain decimal number ("60", "0.5", "1700000000.123"), without exponent or sign.
std::optional<double> PlainNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool digits = false;
  bool dot = false;
  for (char c : text) {
    if (IsDigit(c)) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  return std::strtod(std::string(text).c_str(), nullptr);
}

// Prometheus's own duration grammar: one or more <int><unit>, units y w d h m s ms, each at
// most once and from the largest to the smallest.
std::optional<int64_t> UnitDurationMs(std::string_view text) {
  if (text.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                                    {"w", 7LL * 24 * 3600 * 1000},
                                    {"d", 24LL * 3600 * 1000},
                                    {"h", 3600LL * 1000},
                                    {"m", 60LL * 1000},
                                    {"s", 1000},
                                    {"ms", 1}};
  int64_t total = 0;
  size_t next_unit = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == start || i - start > 12) return std::nullopt;
    const int64_t n = std::strtoll(std::string(text.substr(start, i - start)).c_str(), nullptr, 10);
    size_t unit_start = i;
    while (i < text.size() && !IsDigit(text[i])) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    bool found = false;
    for (; next_unit < std::size(kUnits); ++next_unit) {
      if (kUnits[next_unit].name == unit) {
        if (n > std::numeric_limits<int64_t>::max() / kUnits[next_unit].ms - total) {
          return std::nullopt;
        }
        total += n * kUnits[next_unit].ms;
        ++next_unit;
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return total;
}

}  // namespace

Result<int64_t> ParsePromDuration(std::string_view text, std::string_view what) {
  std::optional<int64_t> ms;
  if (auto seconds = PlainNumber(text)) {
    if (*seconds < 1e12) ms = static_cast<int64_t>(std::llround(*seconds * 1000));
  } else {
    ms = UnitDurationMs(text);
  }
  if (!ms) {
    return InvalidArgument(std::string(what) + " '" + std::string(text) + "' is not " +
                           std::string(kDurationForms));
  }
  if (*ms <= 0) {
    return InvalidArgument(std::string(what) + " must be positive (at least 1ms), got '" +
                           std::string(text) + "'");
  }
  return *ms;
}

Result<int64_t> ParsePromTime(std::string_view text, int64_t now_ms, std::string_view what) {
  if (text.rfind("now", 0) == 0) {
    std::string_view rest = text.substr(3);
    if (rest.empty()) return now_ms;
    if (rest[0] == '-' || rest[0] == '+') {
      if (auto offset = UnitDurationMs(rest.substr(1)); offset && *offset > 0) {
        return rest[0] == '-' ? now_ms - *offset : now_ms + *offset;
      }
    }
  } else if (auto seconds = PlainNumber(text)) {
    // Unix seconds up to the year 5000.
    if (*seconds < 95'617'584'000.0) return static_cast<int64_t>(std::llround(*seconds * 1000));
  } else if (auto micros = ParseTimestamp(text)) {
    // Prometheus's resolution is a millisecond.
    return *micros >= 0 ? *micros / 1000 : -((-*micros + 999) / 1000);
  }
  return InvalidArgument(std::string(what) + " '" + std::string(text) + "' is not " +
                         std::string(kTimeForms));
}

std::string FormatPromSeconds(int64_t unix_ms) {
  const bool negative = unix_ms < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(unix_ms + 1)) + 1 : static_cast<uint64_t>(unix_ms);
  char buffer[32];
  int n = std::snprintf(buffer, sizeof(buffer), "%s%llu", negative ? "-" : "",
                        static_cast<unsigned long long>(magnitude / 1000));  // NOLINT
  unsigned frac = static_cast<unsigned>(magnitude % 1000);
  if (frac != 0) {
    int digits = 3;
    while (frac % 10 == 0) {
      frac /= 10;
      --digits;
    }
    n += std::snprintf(buffer + n, sizeof(buffer) - n, ".%0*u", digits, frac);
  }
  return std::string(buffer, static_cast<size_t>(n));
}

Result<PromQueryPlan> PlanPromQuery(const std::map<std::string, std::string>& options,
                                    int64_t now_ms, const PromPlanLimits& limits) {
  for (const auto& [key, value] : options) {
    if (key != "time" && key != "start" && key != "end" && key != "step") {
      return InvalidArgument("unknown query option '" + key +
                             "' for a prometheus source; the options are " +
                             std::string(kQueryOptionKeys) +
                             " (time for an instant query; start, end, step for a range query)");
    }
  }
  auto find = [&](const char* key) -> const std::string* {
    auto it = options.find(key);
    return it == options.end() ? nullptr : &it->second;
  };
  const std::string* time = find("time");
  const std::string* start = find("start");
  const std::string* end = find("end");
  const std::string* step = find("step");
  PromQueryPlan plan;
  if (!start && !end && !step) {
    if (time) {
      TRIB_ASSIGN_OR_RETURN(plan.time_ms, ParsePromTime(*time, now_ms, "option time"));
      plan.has_time = true;
    }
    return plan;
  }
  if (time) {
    return InvalidArgument(
        "option time (an instant query) cannot be combined with start, end or step (a range "
        "query); give either time, or start with optional end and step");
  }
  if (!start) {
    return InvalidArgument(
        "a range query needs option start, e.g. start=now-1h (end defaults to now, step to the "
        "source's default_step)");
  }
  plan.range = true;
  TRIB_ASSIGN_OR_RETURN(plan.start_ms, ParsePromTime(*start, now_ms, "option start"));
  plan.end_ms = now_ms;
  if (end) {
    TRIB_ASSIGN_OR_RETURN(plan.end_ms, ParsePromTime(*end, now_ms, "option end"));
  }
  plan.step_ms = limits.default_step_ms;
  if (step) {
    TRIB_ASSIGN_OR_RETURN(plan.step_ms, ParsePromDuration(*step, "option step"));
  }
  if (plan.end_ms < plan.start_ms) {
    return InvalidArgument("option end (" + FormatPromSeconds(plan.end_ms) +
                           ") is before option start (" + FormatPromSeconds(plan.start_ms) +
                           "); give an end at or after the start");
  }
  const int64_t intervals = (plan.end_ms - plan.start_ms) / plan.step_ms;
  plan.points = intervals + 1;
  if (intervals > limits.max_points) {
    const int64_t span = plan.end_ms - plan.start_ms;
    const int64_t min_step_ms = (span + limits.max_points - 1) / limits.max_points;
    const int64_t min_step_s = (min_step_ms + 999) / 1000;
    return InvalidArgument(
        "the range query would return " + std::to_string(plan.points) +
        " points per series (from start to end every " + FormatPromSeconds(plan.step_ms) +
        "s), more than the source's max_points of " + std::to_string(limits.max_points) +
        "; use a step of at least " + std::to_string(min_step_s) +
        "s (e.g. step=" + std::to_string(min_step_s) + "s) or a shorter range");
  }
  return plan;
}

std::string PromFormBody(std::string_view promql, const PromQueryPlan& plan, int64_t timeout_ms) {
  std::string body = "query=" + UrlEncode(promql);
  if (plan.range) {
    body += "&start=" + FormatPromSeconds(plan.start_ms);
    body += "&end=" + FormatPromSeconds(plan.end_ms);
    body += "&step=" + FormatPromSeconds(plan.step_ms);
  } else if (plan.has_time) {
    body += "&time=" + FormatPromSeconds(plan.time_ms);
  }
  if (timeout_ms > 0) body += "&timeout=" + std::to_string(timeout_ms) + "ms";
  return body;
}

}  // namespace tributary::prometheus
