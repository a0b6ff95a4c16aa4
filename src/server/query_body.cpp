#include "server/query_body.h"

#include <boost/json.hpp>
#include <limits>
#include <map>
#include <regex>

#include "core/encoding.h"
#include "core/json_value.h"
#include "core/time_util.h"

namespace tributary {

namespace json = boost::json;

namespace {

constexpr std::string_view kAllowedFields =
    "project, source, sql, params, limit, timeoutMs, options";
constexpr std::string_view kParamTypes =
    "bool, int64, double, decimal, string, date, timestamp, json, bytes";

//! "line L, column C (byte B)" for a byte offset into `text`.
std::string DescribePosition(std::string_view text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
         std::to_string(offset) + ")";
}

std::optional<int64_t> AsInt64(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

bool IsDecimalText(std::string_view text) {
  static const std::regex kDecimal(R"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)");
  return std::regex_match(text.begin(), text.end(), kDecimal);
}

Result<Value> ParseTypedParam(const json::object& obj, const std::string& where) {
  for (const auto& [key, unused] : obj) {
    if (key != "type" && key != "value") {
      return InvalidArgument(where + ": unknown field '" + std::string(key) +
                             "' in a typed parameter; allowed fields: type, value");
    }
  }
  const json::value* type_field = obj.if_contains("type");
  if (!type_field || !type_field->is_string()) {
    return InvalidArgument(where + ": a typed parameter needs \"type\" as a string, one of " +
                           std::string(kParamTypes));
  }
  std::string_view type_name = type_field->get_string();
  std::optional<ColumnType> type = ParseColumnType(type_name);
  if (!type || *type == ColumnType::kNull) {
    return InvalidArgument(where + ": unknown parameter type '" + std::string(type_name) +
                           "'; use one of " + std::string(kParamTypes));
  }
  const json::value* value = obj.if_contains("value");
  if (!value) return InvalidArgument(where + ": a typed parameter needs \"value\"");
  if (value->is_null()) return Value::Null();

  auto wrong = [&](std::string_view expected) {
    return InvalidArgument(where + ": a " + std::string(type_name) + " parameter's value must be " +
                           std::string(expected) + ", got " + JsonKindName(*value));
  };
  switch (*type) {
    case ColumnType::kBool:
      if (!value->is_bool()) return wrong("true or false");
      return Value::Bool(value->get_bool());
    case ColumnType::kInt64: {
      std::optional<int64_t> n = AsInt64(*value);
      if (!n) return wrong("an integer within the 64-bit range");
      return Value::Int64(*n);
    }
    case ColumnType::kDouble:
      if (!value->is_number()) return wrong("a number");
      return Value::Double(value->to_number<double>());
    case ColumnType::kDecimal: {
      if (std::optional<int64_t> n = AsInt64(*value)) return Value::Decimal(std::to_string(*n));
      // Fractions must come as text: a JSON double would already have lost exactness.
      if (!value->is_string() || !IsDecimalText(value->get_string())) {
        return wrong("decimal text such as \"12.50\"");
      }
      return Value::Decimal(std::string(value->get_string()));
    }
    case ColumnType::kString:
      if (!value->is_string()) return wrong("a string");
      return Value::String(std::string(value->get_string()));
    case ColumnType::kDate: {
      if (!value->is_string()) return wrong("a date string \"YYYY-MM-DD\"");
      std::optional<int64_t> days = ParseDate(value->get_string());
      if (!days) {
        return InvalidArgument(where + ": '" + std::string(value->get_string()) +
                               "' is not a valid date; use YYYY-MM-DD");
      }
      return Value::Date(*days);
    }
    case ColumnType::kTimestamp: {
      if (!value->is_string()) return wrong("a timestamp string such as \"2026-11-01T00:00:00Z\"");
      std::optional<int64_t> micros = ParseTimestamp(value->get_string());
      if (!micros) {
        return InvalidArgument(where + ": '" + std::string(value->get_string()) +
                               "' is not a valid timestamp; use YYYY-MM-DDTHH:MM:SS[.ffffff]Z or "
                               "an offset such as +01:00");
      }
      return Value::Timestamp(*micros);
    }
    case ColumnType::kJson:
      // The value is the document itself, whatever its kind.
      return Value::Json(json::serialize(*value));
    case ColumnType::kBytes: {
      if (!value->is_string()) return wrong("base64 text");
      std::optional<std::string> raw = Base64Decode(value->get_string());
      if (!raw) return InvalidArgument(where + ": the bytes parameter's value is not valid base64");
      return Value::Bytes(std::move(*raw));
    }
    case ColumnType::kNull:
      break;
  }
  return InvalidArgument(where + ": unsupported parameter type");
}

Result<Value> ParseParam(const json::value& v, size_t index) {
  std::string where = "'params[" + std::to_string(index) + "]'";
  switch (v.kind()) {
    case json::kind::null:
      return Value::Null();
    case json::kind::bool_:
      return Value::Bool(v.get_bool());
    case json::kind::int64:
      return Value::Int64(v.get_int64());
    case json::kind::uint64: {
      std::optional<int64_t> n = AsInt64(v);
      if (!n) {
        return InvalidArgument(where + ": " + std::to_string(v.get_uint64()) +
                               " is outside the 64-bit integer range; send it as "
                               "{\"type\":\"decimal\",\"value\":\"...\"}");
      }
      return Value::Int64(*n);
    }
    case json::kind::double_:
      return Value::Double(v.get_double());
    case json::kind::string:
      return Value::String(std::string(v.get_string()));
    case json::kind::object:
      return ParseTypedParam(v.get_object(), where);
    case json::kind::array:
      break;
  }
  return InvalidArgument(where +
                         " is an array; a parameter is a JSON scalar or a typed object "
                         "{\"type\":\"date\",\"value\":\"2026-11-01\"}");
}

//! The "options" object: every value a string, a number or a boolean, kept as text (numbers
//! as JSON writes them, so 60 stays "60" and 0.5 stays "0.5").
Result<std::map<std::string, std::string>> ParseOptions(const json::value& v) {
  if (!v.is_object()) {
    return InvalidArgument(
        "'options' must be an object of connector options such as "
        "{\"start\":\"now-1h\",\"step\":\"60s\"}, got " +
        JsonKindName(v));
  }
  std::map<std::string, std::string> options;
  for (const auto& [key, value] : v.get_object()) {
    const std::string where = "'options." + std::string(key) + "'";
    if (key.empty()) return InvalidArgument("'options' has an empty key");
    switch (value.kind()) {
      case json::kind::string:
        options[std::string(key)] = std::string(value.get_string());
        break;
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        options[std::string(key)] = json::serialize(value);
        break;
      case json::kind::bool_:
        options[std::string(key)] = value.get_bool() ? "true" : "false";
        break;
      default:
        return InvalidArgument(where + " must be a string, a number or a boolean, got " +
                               JsonKindName(value));
    }
  }
  return options;
}

Result<std::optional<int64_t>> OptionalInt(const json::object& obj, std::string_view field) {
  const json::value* v = obj.if_contains(field);
  if (!v || v->is_null()) return std::optional<int64_t>();
  std::optional<int64_t> n = AsInt64(*v);
  if (!n) {
    return InvalidArgument("'" + std::string(field) + "' must be an integer, got " +
                           JsonKindName(*v));
  }
  return std::optional<int64_t>(*n);
}

}  // namespace

Result<UserQuery> ParseQueryBody(std::string_view body, const Config& config) {
  if (body.empty()) {
    return InvalidArgument(
        "the request body is empty; send a JSON object such as {\"sql\":\"SELECT 1\"}");
  }
  boost::system::error_code ec;
  size_t consumed = 0;
  json::value root = ParseJson(body, ec, {}, &consumed);
  if (ec) {
    return InvalidArgument("malformed JSON body at " + DescribePosition(body, consumed) + ": " +
                           ec.message());
  }
  if (!root.is_object()) {
    return InvalidArgument("the request body must be a JSON object, got " + JsonKindName(root));
  }
  const json::object& obj = root.get_object();
  for (const auto& [key, unused] : obj) {
    if (key != "project" && key != "source" && key != "sql" && key != "params" &&
        key != "options" && key != "limit" && key != "timeoutMs") {
      return InvalidArgument("unknown field '" + std::string(key) +
                             "'; allowed fields: " + std::string(kAllowedFields));
    }
  }

  UserQuery query;
  if (const json::value* project = obj.if_contains("project"); project && !project->is_null()) {
    if (!project->is_string()) {
      return InvalidArgument("'project' must be a string, got " + JsonKindName(*project));
    }
    query.project = std::string(project->get_string());
  }
  const ProjectConfig* named_project =
      query.project.empty() ? nullptr : config.FindProject(query.project);
  if (const json::value* source = obj.if_contains("source"); source && !source->is_null()) {
    if (!source->is_string()) {
      return InvalidArgument("'source' must be a string, got " + JsonKindName(*source));
    }
    query.source = std::string(source->get_string());
  } else if (named_project && named_project->sources.size() == 1) {
    query.source = named_project->sources.front();
  } else if (config.sources.size() == 1) {
    query.source = config.sources.front().id;
  } else {
    // The ids are not listed: with API keys, a caller may only learn its own projects' sources.
    return InvalidArgument(
        "'source' is required when several sources are configured; GET /api/v1/sources lists "
        "the ones you may query");
  }

  const json::value* sql = obj.if_contains("sql");
  if (!sql || sql->is_null()) {
    return InvalidArgument("'sql' is required: send one SELECT statement");
  }
  if (!sql->is_string())
    return InvalidArgument("'sql' must be a string, got " + JsonKindName(*sql));
  query.sql = std::string(sql->get_string());

  if (const json::value* params = obj.if_contains("params"); params && !params->is_null()) {
    if (!params->is_array()) {
      return InvalidArgument("'params' must be an array, got " + JsonKindName(*params));
    }
    const json::array& arr = params->get_array();
    query.params.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      TRIB_ASSIGN_OR_RETURN(Value v, ParseParam(arr[i], i));
      query.params.push_back(std::move(v));
    }
  }

  if (const json::value* options = obj.if_contains("options"); options && !options->is_null()) {
    TRIB_ASSIGN_OR_RETURN(query.options, ParseOptions(*options));
  }

  TRIB_ASSIGN_OR_RETURN(query.limit, OptionalInt(obj, "limit"));
  TRIB_ASSIGN_OR_RETURN(query.timeout_ms, OptionalInt(obj, "timeoutMs"));
  return query;
}

std::optional<QueryTarget> PeekQueryTarget(std::string_view body, const Config& config) {
  boost::system::error_code ec;
  json::value root = ParseJson(body, ec);
  if (ec || !root.is_object()) return std::nullopt;
  const json::object& obj = root.get_object();
  QueryTarget target;
  if (const json::value* project = obj.if_contains("project"); project && !project->is_null()) {
    if (!project->is_string()) return std::nullopt;
    target.project = std::string(project->get_string());
  }
  const ProjectConfig* named_project =
      target.project.empty() ? nullptr : config.FindProject(target.project);
  if (const json::value* source = obj.if_contains("source"); source && !source->is_null()) {
    if (!source->is_string()) return std::nullopt;
    target.source = std::string(source->get_string());
  } else if (named_project && named_project->sources.size() == 1) {
    target.source = named_project->sources.front();
  } else if (config.sources.size() == 1) {
    target.source = config.sources.front().id;
  }
  return target;
}

}  // namespace tributary
