#include "metrics/metric_params.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <regex>
#include <set>

#include "config/yaml_reader.h"
#include "core/time_util.h"

namespace tributary {

namespace {

constexpr int64_t kMicrosPerHour = 3600LL * 1000000;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;
constexpr int64_t kMaxRangeDays = 366;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Result<int64_t> ParseInt(const std::string& name, const std::string& text, int64_t min,
                         int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < min || v > max) {
    return InvalidArgument("parameter '" + name + "' must be an integer from " +
                           std::to_string(min) + " to " + std::to_string(max) + ", got '" + text +
                           "'");
  }
  return v;
}

Result<int64_t> ParseDateParam(const std::string& name, const std::string& text) {
  std::optional<int64_t> days = text.size() == 10 ? ParseDate(text) : std::nullopt;
  if (!days) {
    return InvalidArgument("parameter '" + name + "' must be a date YYYY-MM-DD, got '" + text +
                           "'");
  }
  return *days;
}

std::string Get(const std::map<std::string, std::string>& given, const std::string& name) {
  auto it = given.find(name);
  return it == given.end() ? std::string() : it->second;
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> AcceptedParams(const MetricDef& metric) {
  std::vector<std::string> names;
  switch (metric.window) {
    case WindowKind::kRange:
      names = {"start", "end", "days"};
      break;
    case WindowKind::kDays:
      names = {"days"};
      break;
    case WindowKind::kHours:
      names = {"hours"};
      break;
    case WindowKind::kNone:
    case WindowKind::kLast24Hours:
      break;
  }
  for (const auto& p : metric.params) names.push_back(p.name);
  names.push_back("asOf");
  return names;
}

Result<ResolvedParams> ResolveParams(const MetricDef& metric, const RawParams& raw,
                                     int64_t now_micros,
                                     const std::vector<std::string>& passthrough) {
  const std::vector<std::string> accepted = AcceptedParams(metric);
  std::map<std::string, std::string> given;
  for (const auto& [name, value] : raw) {
    if (std::find(passthrough.begin(), passthrough.end(), name) != passthrough.end()) continue;
    if (std::find(accepted.begin(), accepted.end(), name) == accepted.end()) {
      return InvalidArgument("unknown parameter '" + name + "' for metric '" + metric.name + "'; " +
                             config_internal::DidYouMean(name, accepted) +
                             "it accepts: " + config_internal::JoinNames(accepted));
    }
    if (!given.emplace(name, value).second) {
      return InvalidArgument("parameter '" + name + "' is given more than once; give it once");
    }
  }

  ResolvedParams out;
  out.now = now_micros;
  if (given.count("asOf")) {
    std::optional<int64_t> as_of = ParseTimestamp(given["asOf"]);
    if (!as_of) {
      return InvalidArgument(
          "parameter 'asOf' must be an ISO-8601 timestamp such as 2026-11-21T13:00:00Z, got '" +
          given["asOf"] + "'");
    }
    out.now = *as_of;
  }
  const int64_t today = FloorDiv(out.now, kMicrosPerDay);

  auto days_window = [&](const std::string& days_text) -> Status {
    int64_t days = 30;
    if (!days_text.empty()) {
      TRIB_ASSIGN_OR_RETURN(days, ParseInt("days", days_text, 1, 366));
    }
    out.from = (today - (days - 1)) * kMicrosPerDay;
    out.to = (today + 1) * kMicrosPerDay;
    return Status::Ok();
  };

  switch (metric.window) {
    case WindowKind::kNone:
      break;
    case WindowKind::kLast24Hours:
      out.from = out.now - 24 * kMicrosPerHour;
      out.to = out.now;
      break;
    case WindowKind::kHours: {
      int64_t hours = 24;
      if (given.count("hours")) {
        TRIB_ASSIGN_OR_RETURN(hours, ParseInt("hours", given["hours"], 1, 720));
      }
      out.from = out.now - hours * kMicrosPerHour;
      out.to = out.now;
      break;
    }
    case WindowKind::kDays:
      TRIB_RETURN_IF_ERROR(days_window(Get(given, "days")));
      break;
    case WindowKind::kRange: {
      bool has_start = given.count("start") > 0;
      bool has_end = given.count("end") > 0;
      if (has_start != has_end) {
        return InvalidArgument(std::string("parameter '") + (has_start ? "end" : "start") +
                               "' is missing: give both start and end (inclusive dates "
                               "YYYY-MM-DD), or neither for the last 'days' days");
      }
      if (has_start) {
        if (given.count("days")) {
          return InvalidArgument(
              "give either start and end, or days, not both; 'days' is the last N days");
        }
        TRIB_ASSIGN_OR_RETURN(int64_t start, ParseDateParam("start", given["start"]));
        TRIB_ASSIGN_OR_RETURN(int64_t end, ParseDateParam("end", given["end"]));
        if (start > end) {
          return InvalidArgument("parameter 'start' (" + given["start"] + ") is after 'end' (" +
                                 given["end"] + "); start must be on or before end");
        }
        if (end - start + 1 > kMaxRangeDays) {
          return InvalidArgument("the range " + given["start"] + " .. " + given["end"] + " spans " +
                                 std::to_string(end - start + 1) + " days; at most " +
                                 std::to_string(kMaxRangeDays) + " days are allowed");
        }
        out.from = start * kMicrosPerDay;
        out.to = (end + 1) * kMicrosPerDay;
      } else {
        TRIB_RETURN_IF_ERROR(days_window(Get(given, "days")));
      }
      out.values["prev_from"] = Value::Timestamp(*out.from - (*out.to - *out.from));
      break;
    }
  }
  out.values["now"] = Value::Timestamp(out.now);
  if (out.from) out.values["from"] = Value::Timestamp(*out.from);
  if (out.to) out.values["to"] = Value::Timestamp(*out.to);

  std::string canonical = "now=" + std::to_string(out.now);
  if (out.from) canonical += "&from=" + std::to_string(*out.from);
  if (out.to) canonical += "&to=" + std::to_string(*out.to);

  for (const auto& p : metric.params) {
    auto it = given.find(p.name);
    switch (p.type) {
      case PackParam::Type::kInt: {
        int64_t v = 0;
        if (it != given.end()) {
          TRIB_ASSIGN_OR_RETURN(v, ParseInt(p.name, it->second, p.min, p.max));
        } else if (p.default_int) {
          v = *p.default_int;
        } else {
          return InvalidArgument("parameter '" + p.name + "' is required: an integer from " +
                                 std::to_string(p.min) + " to " + std::to_string(p.max));
        }
        out.values[p.name] = Value::Int64(v);
        canonical += "&" + p.name + "=" + std::to_string(v);
        break;
      }
      case PackParam::Type::kString: {
        if (it == given.end()) {
          out.values[p.name] = Value::Null();
          break;
        }
        if (!p.pattern.empty() && !std::regex_match(it->second, std::regex(p.pattern))) {
          return InvalidArgument("parameter '" + p.name + "' must match " + p.pattern +
                                 (p.description.empty() ? "" : " (" + p.description + ")") +
                                 ", got '" + it->second + "'");
        }
        out.values[p.name] = Value::String(it->second);
        canonical += "&" + p.name + "=" + it->second;
        break;
      }
      case PackParam::Type::kList: {
        std::vector<std::string> items;
        if (it == given.end()) {
          items = p.default_list;
        } else {
          std::string_view rest = it->second;
          while (true) {
            size_t comma = rest.find(',');
            std::string item(rest.substr(0, comma));
            item.erase(0, item.find_first_not_of(' '));
            item.erase(item.find_last_not_of(' ') + 1);
            if (item.empty()) {
              return InvalidArgument("parameter '" + p.name +
                                     "' has an empty item; write a comma separated list such "
                                     "as a,b,c");
            }
            items.push_back(std::move(item));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
          }
        }
        if (static_cast<int64_t>(items.size()) < p.min_items ||
            static_cast<int64_t>(items.size()) > p.max_items) {
          return InvalidArgument(
              "parameter '" + p.name + "' must have " + std::to_string(p.min_items) + " to " +
              std::to_string(p.max_items) + " items, got " + std::to_string(items.size()));
        }
        std::vector<TemplateItem> list;
        canonical += "&" + p.name + "=";
        for (const auto& item : items) {
          if (!p.item_pattern.empty() && !std::regex_match(item, std::regex(p.item_pattern))) {
            return InvalidArgument("parameter '" + p.name + "': item '" + item + "' must match " +
                                   p.item_pattern);
          }
          list.push_back({{"", Value::String(item)}});
          canonical += item + ",";
        }
        out.lists[p.name] = std::move(list);
        break;
      }
    }
  }
  out.canonical = std::move(canonical);
  return out;
}

}  // namespace tributary
