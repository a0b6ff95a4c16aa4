// Parsing of POST /api/v1/investigate bodies (docs/investigate.md, "REST API").
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string>

#include "core/json_value.h"
#include "core/time_util.h"
#include "investigate/internal.h"
#include "investigate/investigate.h"

namespace tributary::investigate {

namespace {

constexpr int64_t kSecondUs = 1000000;
constexpr int64_t kMaxSpanUs = 31LL * 86400 * kSecondUs;
constexpr size_t kMaxQuestionBytes = 4096;

Status Bad(const std::string& field, const std::string& problem) {
  return InvalidArgument("invalid investigation request: " + field + ": " + problem);
}

std::string JsonKind(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

Result<std::string> StringField(const boost::json::value& v, const std::string& field) {
  if (!v.is_string()) return Bad(field, Cat("expected a string, got ", JsonKind(v)));
  return std::string(v.get_string());
}

Status UnknownField(const std::string& field, const std::string& allowed) {
  return Bad(field, "unknown field; allowed: " + allowed);
}

//! "now", "now-1h", "now-1h30m", "now+5m": relative to `now_us`.
std::optional<int64_t> ParseRelative(std::string_view text, int64_t now_us) {
  if (text.substr(0, 3) != "now") return std::nullopt;
  text.remove_prefix(3);
  if (text.empty()) return now_us;
  int sign = 0;
  if (text.front() == '-') sign = -1;
  if (text.front() == '+') sign = 1;
  if (sign == 0) return std::nullopt;
  text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  while (!text.empty()) {
    int64_t n = 0;
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
      n = n * 10 + (text[digits] - '0');
      if (n > 100LL * 365 * 86400) return std::nullopt;
      ++digits;
    }
    if (digits == 0 || digits == text.size()) return std::nullopt;
    int64_t unit = 0;
    switch (text[digits]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return std::nullopt;
    }
    total += n * unit;
    text.remove_prefix(digits + 1);
  }
  return now_us + sign * total * kSecondUs;
}

Result<int64_t> TimeField(const boost::json::value& v, const std::string& field, int64_t now_us) {
  if (!v.is_string()) return Bad(field, Cat("expected a string, got ", JsonKind(v)));
  const std::string text(v.get_string());
  std::optional<int64_t> at = ParseRelative(text, now_us);
  // RFC 3339 needs the date and the time: a bare date is refused as ambiguous.
  if (!at && text.size() > 10) at = ParseTimestamp(text);
  if (!at) {
    return Bad(field, "'" + text +
                          "' is not a time; write RFC 3339 (2026-12-03T10:00:00Z) or now, "
                          "now-1h, now-30m");
  }
  // Taken to the second (floor): steps and buckets are whole seconds.
  int64_t us = *at;
  int64_t rem = us % kSecondUs;
  if (rem < 0) rem += kSecondUs;
  return us - rem;
}

Status ParseContext(const boost::json::value& v, InvestigationRequest& request, int64_t now_us,
                    bool& has_range) {
  if (!v.is_object()) return Bad("context", Cat("expected an object, got ", JsonKind(v)));
  for (const auto& [key, value] : v.get_object()) {
    std::string field = Cat("context.", std::string(key));
    if (key == "environment") {
      if (value.is_null()) continue;
      TRIB_ASSIGN_OR_RETURN(request.environment, StringField(value, field));
      if (!request.environment.empty() && !IsServiceName(request.environment)) {
        return Bad(field,
                   "invalid environment name; use 1 to 128 letters, digits, '_', '.', "
                   "':' or '-'");
      }
    } else if (key == "services") {
      if (value.is_null()) continue;
      if (!value.is_array())
        return Bad(field, Cat("expected an array of strings, got ", JsonKind(value)));
      for (size_t i = 0; i < value.get_array().size(); ++i) {
        std::string item_field = Cat(field, "[", std::to_string(i), "]");
        TRIB_ASSIGN_OR_RETURN(std::string service, StringField(value.get_array()[i], item_field));
        if (!IsServiceName(service)) {
          return Bad(item_field, "invalid service name '" + service.substr(0, 64) +
                                     "'; use 1 to 128 letters, digits, '_', '.', ':' or '-'");
        }
        if (std::find(request.services.begin(), request.services.end(), service) ==
            request.services.end()) {
          request.services.push_back(std::move(service));
        }
      }
    } else if (key == "time_range") {
      has_range = true;
      if (!value.is_object())
        return Bad(field, Cat("expected an object {start, end}, got ", JsonKind(value)));
      bool has_start = false;
      bool has_end = false;
      for (const auto& [tkey, tvalue] : value.get_object()) {
        std::string tfield = Cat(field, ".", std::string(tkey));
        if (tkey == "start") {
          has_start = true;
          TRIB_ASSIGN_OR_RETURN(request.start_us, TimeField(tvalue, tfield, now_us));
        } else if (tkey == "end") {
          has_end = true;
          TRIB_ASSIGN_OR_RETURN(request.end_us, TimeField(tvalue, tfield, now_us));
        } else {
          return UnknownField(tfield, "start, end");
        }
      }
      if (!has_start)
        return Bad(field + ".start", "missing; add the window's start (RFC 3339 or now-1h)");
      if (!has_end) return Bad(field + ".end", "missing; add the window's end (RFC 3339 or now)");
      if (request.end_us <= request.start_us) {
        return Bad(field + ".end",
                   "must be after start (" + FormatTimestamp(request.start_us) + ")");
      }
      if (request.end_us - request.start_us > kMaxSpanUs) {
        return Bad(field, "spans more than 31 days; ask about a shorter window");
      }
    } else {
      return UnknownField(field, "environment, time_range, services");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsServiceName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
           c == '-';
  });
}

Result<InvestigationRequest> ParseInvestigationRequest(std::string_view body, int64_t now_us) {
  boost::system::error_code ec;
  boost::json::value doc = ParseJson(body, ec);
  if (ec) {
    return InvalidArgument(
        "invalid investigation request: the body is not JSON (" + ec.message() +
        "); send {\"context\": {\"time_range\": {\"start\": ..., \"end\": ...}}}");
  }
  if (!doc.is_object()) return Bad("body", Cat("expected a JSON object, got ", JsonKind(doc)));
  InvestigationRequest request;
  bool has_context = false;
  bool has_range = false;
  for (const auto& [key, value] : doc.get_object()) {
    std::string field(key);
    if (key == "project") {
      if (value.is_null()) continue;
      TRIB_ASSIGN_OR_RETURN(request.project, StringField(value, field));
    } else if (key == "question") {
      if (value.is_null()) continue;
      TRIB_ASSIGN_OR_RETURN(request.question, StringField(value, field));
      if (request.question.size() > kMaxQuestionBytes) {
        return Bad(field, "longer than 4 KiB; shorten it");
      }
    } else if (key == "context") {
      has_context = true;
      TRIB_RETURN_IF_ERROR(ParseContext(value, request, now_us, has_range));
    } else if (key == "step_seconds") {
      if (value.is_null()) continue;
      std::optional<int64_t> step;
      if (value.is_int64()) step = value.get_int64();
      if (value.is_uint64() && value.get_uint64() <= 86400)
        step = static_cast<int64_t>(value.get_uint64());
      if (value.is_double() &&
          value.get_double() == static_cast<double>(static_cast<int64_t>(value.get_double()))) {
        step = static_cast<int64_t>(value.get_double());
      }
      if (!step || *step < 1 || *step > 86400) {
        return Bad(field, "expected a whole number of seconds from 1 to 86400");
      }
      request.step_seconds = *step;
    } else {
      return UnknownField(field, "project, question, context, step_seconds");
    }
  }
  if (!has_context || !has_range) {
    return Bad("context.time_range",
               "missing; add {\"start\": \"now-1h\", \"end\": \"now\"} (RFC 3339 or relative)");
  }
  return request;
}

}  // namespace tributary::investigate
