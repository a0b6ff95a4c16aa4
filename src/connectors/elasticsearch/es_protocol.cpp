#include "connectors/elasticsearch/es_protocol.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <map>

#include "core/json_value.h"
#include "core/time_util.h"

namespace tributary::es {

namespace json = boost::json;

std::string_view FlavorName(Flavor flavor) {
  switch (flavor) {
    case Flavor::kElasticsearch:
      return "elasticsearch";
    case Flavor::kOpenSearch:
      return "opensearch";
    default:
      return "unknown";
  }
}

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsIntegerType(const std::string& t) {
  return t == "long" || t == "integer" || t == "short" || t == "byte" || t == "int" ||
         t == "bigint" || t == "smallint" || t == "tinyint";
}
bool IsFloatType(const std::string& t) {
  return t == "double" || t == "float" || t == "half_float" || t == "scaled_float" || t == "real";
}
bool IsStringType(const std::string& t) {
  return t == "keyword" || t == "text" || t == "ip" || t == "constant_keyword" || t == "wildcard" ||
         t == "match_only_text" || t == "version" || t == "string" || t == "varchar" ||
         t == "time" || t == "binary" || t == "search_as_you_type" || t.rfind("interval", 0) == 0;
}

}  // namespace

ColumnType MapSqlType(std::string_view type) {
  const std::string t = Lower(type);
  if (IsIntegerType(t)) return ColumnType::kInt64;
  if (t == "unsigned_long") return ColumnType::kDecimal;
  if (IsFloatType(t)) return ColumnType::kDouble;
  if (IsStringType(t)) return ColumnType::kString;
  if (t == "boolean") return ColumnType::kBool;
  if (t == "datetime" || t == "timestamp" || t == "date_nanos") return ColumnType::kTimestamp;
  if (t == "date") return ColumnType::kDate;
  if (t == "null" || t == "undefined") return ColumnType::kNull;
  return ColumnType::kJson;
}

ColumnType MapFieldType(std::string_view type) {
  const std::string t = Lower(type);
  if (t == "date" || t == "date_nanos") return ColumnType::kTimestamp;
  if (t == "time") return ColumnType::kString;
  return MapSqlType(t);
}

namespace {

void FlattenProperties(const json::object& properties, const std::string& prefix,
                       std::vector<MappedField>& out, std::map<std::string, size_t>& seen) {
  for (const auto& [key, definition] : properties) {
    const std::string name = prefix + std::string(key);
    if (!definition.is_object()) continue;
    const json::object& def = definition.as_object();
    std::string type;
    if (const json::value* t = def.if_contains("type"); t && t->is_string()) {
      type = std::string(t->as_string());
    }
    const json::value* sub = def.if_contains("properties");
    if ((type.empty() || type == "object") && sub && sub->is_object()) {
      FlattenProperties(sub->as_object(), name + ".", out, seen);
      continue;
    }
    if (type.empty()) type = "object";
    auto it = seen.find(name);
    if (it == seen.end()) {
      seen.emplace(name, out.size());
      out.push_back(MappedField{name, type});
    } else if (out[it->second].type != type &&
               out[it->second].type.find(type) == std::string::npos) {
      // Mapped differently in two indices: no single type (read as JSON).
      out[it->second].type += "|" + type;
    }
  }
}

}  // namespace

Result<std::vector<MappedField>> FlattenMapping(std::string_view mapping_json,
                                                size_t* index_count) {
  boost::system::error_code ec;
  json::value root = ParseJson(mapping_json, ec);
  if (ec || !root.is_object()) {
    return QueryError("the _mapping answer is not a JSON object");
  }
  std::vector<MappedField> out;
  std::map<std::string, size_t> seen;
  size_t indices = 0;
  for (const auto& [index, body] : root.as_object()) {
    ++indices;
    if (!body.is_object()) continue;
    const json::value* mappings = body.as_object().if_contains("mappings");
    if (!mappings || !mappings->is_object()) continue;
    const json::object* level = &mappings->as_object();
    // 6.x answers keep a type level ({"_doc":{"properties":...}}).
    if (!level->contains("properties") && level->size() == 1 &&
        level->begin()->value().is_object()) {
      level = &level->begin()->value().as_object();
    }
    const json::value* properties = level->if_contains("properties");
    if (properties && properties->is_object()) {
      FlattenProperties(properties->as_object(), "", out, seen);
    }
  }
  if (index_count) *index_count = indices;
  return out;
}

Status ValidateIndexExpression(std::string_view index) {
  if (index.empty()) return QueryError("the index name is empty");
  if (index.size() > 1024) return QueryError("the index expression is longer than 1024 bytes");
  for (char c : index) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '*' || c == ',' || c == '+' || c == '-';
    if (!ok) {
      std::string shown = (c >= 0x21 && c < 0x7f) ? std::string(1, c) : "a control or non-ASCII";
      return QueryError("index expression '" + std::string(index) + "' contains '" + shown +
                        "': index names, aliases and patterns use only letters, digits, '.', "
                        "'_', '-', '+', '*' and ',' (for lists)");
    }
  }
  size_t start = 0;
  while (start <= index.size()) {
    size_t comma = index.find(',', start);
    if (comma == std::string_view::npos) comma = index.size();
    std::string_view element = index.substr(start, comma - start);
    if (!element.empty() && element.front() == '-') element.remove_prefix(1);
    if (element.empty()) {
      return QueryError("index expression '" + std::string(index) + "' has an empty element");
    }
    if (element == "." || element == "..") {
      return QueryError("index expression '" + std::string(index) + "' names '.' or '..'");
    }
    if (element.front() == '_') {
      return QueryError("index expression '" + std::string(index) +
                        "': names starting with '_' are reserved for the API");
    }
    start = comma + 1;
  }
  return Status::Ok();
}

ErrorInfo ParseErrorBody(std::string_view body) {
  ErrorInfo info;
  boost::system::error_code ec;
  json::value root = ParseJson(body, ec);
  auto text = [](const json::object& o, const char* key) -> std::string {
    const json::value* v = o.if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->as_string());
    if (v->is_array() && !v->as_array().empty() && v->as_array()[0].is_string()) {
      return std::string(v->as_array()[0].as_string());
    }
    return {};
  };
  if (!ec && root.is_object()) {
    const json::value* error = root.as_object().if_contains("error");
    if (error && error->is_string()) {
      info.reason = std::string(error->as_string());
      return info;
    }
    if (error && error->is_object()) {
      const json::object& e = error->as_object();
      info.type = text(e, "type");
      info.reason = text(e, "reason");
      info.index = text(e, "index");
      // OpenSearch SQL puts the useful part in "details".
      const std::string details = text(e, "details");
      if (!details.empty() && details != info.reason) {
        info.reason = info.reason.empty() ? details : info.reason + ": " + details;
      }
      const json::value* causes = e.if_contains("root_cause");
      if (causes && causes->is_array() && !causes->as_array().empty() &&
          causes->as_array()[0].is_object()) {
        const json::object& cause = causes->as_array()[0].as_object();
        const std::string cause_type = text(cause, "type");
        const std::string cause_reason = text(cause, "reason");
        // A search_phase_execution_exception's root cause says what was wrong.
        if (!cause_type.empty()) info.type = cause_type;
        if (!cause_reason.empty()) info.reason = cause_reason;
        if (info.index.empty()) info.index = text(cause, "index");
      }
      return info;
    }
  }
  info.reason = std::string(body.substr(0, 200));
  return info;
}

Status MapErrorResponse(long status, std::string_view body, std::string_view where,  // NOLINT
                        std::string_view who) {
  ErrorInfo e = ParseErrorBody(body);
  const std::string at(where);
  std::string detail = e.type.empty() ? e.reason : e.type + ": " + e.reason;
  if (detail.empty()) detail = "HTTP " + std::to_string(status);
  if (status == 401) {
    return Unavailable(at + ": authentication failed for " + std::string(who) +
                       " (check user/password or api_key): " + detail);
  }
  if (status == 403) {
    return PermissionDenied(at + ": permission denied for " + std::string(who) + ": " + detail);
  }
  if (e.type == "index_not_found_exception" || status == 404) {
    std::string what = e.index.empty() ? detail : "index '" + e.index + "' does not exist";
    return NotFound(at + ": " + what + " (list the indices with GET /api/v1/sources/{id}/tables)");
  }
  if (status == 429 || e.type == "es_rejected_execution_exception" ||
      e.type == "circuit_breaking_exception") {
    return ResourceExhausted(at + ": the cluster rejected the request as overloaded (HTTP " +
                             std::to_string(status) + ", retried): " + detail +
                             "; try again later or lower the load");
  }
  if (status >= 500 && e.type != "search_phase_execution_exception" &&
      e.type != "script_exception") {
    return Unavailable(at + ": server error HTTP " + std::to_string(status) + ": " + detail);
  }
  return QueryError(at + ": " + detail);
}

std::optional<Value> ConvertCell(const RawCell& cell, ColumnType type) {
  if (cell.kind == JsonKind::kNull) return Value::Null();
  switch (type) {
    case ColumnType::kNull:
      return std::nullopt;
    case ColumnType::kBool:
      if (cell.kind == JsonKind::kBool) return Value::Bool(cell.boolean);
      if (cell.kind == JsonKind::kString && (cell.text == "true" || cell.text == "false")) {
        return Value::Bool(cell.text == "true");
      }
      return std::nullopt;
    case ColumnType::kInt64:
      if (cell.kind == JsonKind::kInt) return Value::Int64(cell.integer);
      if (cell.kind == JsonKind::kUInt && cell.unsigned_integer <= INT64_MAX) {
        return Value::Int64(static_cast<int64_t>(cell.unsigned_integer));
      }
      if (cell.kind == JsonKind::kDouble && std::trunc(cell.number) == cell.number &&
          std::fabs(cell.number) < 9.2e18) {
        return Value::Int64(static_cast<int64_t>(cell.number));
      }
      return std::nullopt;
    case ColumnType::kDouble:
      if (cell.kind == JsonKind::kDouble) return Value::Double(cell.number);
      if (cell.kind == JsonKind::kInt) return Value::Double(static_cast<double>(cell.integer));
      if (cell.kind == JsonKind::kUInt) {
        return Value::Double(static_cast<double>(cell.unsigned_integer));
      }
      if (cell.kind == JsonKind::kString) {
        if (cell.text == "NaN") return Value::Double(std::nan(""));
        if (cell.text == "Infinity") return Value::Double(HUGE_VAL);
        if (cell.text == "-Infinity") return Value::Double(-HUGE_VAL);
      }
      return std::nullopt;
    case ColumnType::kDecimal:
      if (cell.kind == JsonKind::kInt || cell.kind == JsonKind::kUInt ||
          cell.kind == JsonKind::kBigInt || cell.kind == JsonKind::kDouble) {
        return Value::Decimal(cell.text);
      }
      return std::nullopt;
    case ColumnType::kString:
      if (cell.kind == JsonKind::kString) return Value::String(cell.text);
      if (cell.kind == JsonKind::kBool) return Value::String(cell.boolean ? "true" : "false");
      if (cell.kind == JsonKind::kArray || cell.kind == JsonKind::kObject) return std::nullopt;
      return Value::String(cell.text);  // a number in a keyword field
    case ColumnType::kTimestamp:
      if (cell.kind == JsonKind::kString) {
        if (auto micros = ParseTimestamp(cell.text)) return Value::Timestamp(*micros);
        if (auto days = ParseDate(cell.text)) return Value::Timestamp(*days * 86'400'000'000LL);
        return std::nullopt;
      }
      // Epoch milliseconds, the default numeric date format.
      if (cell.kind == JsonKind::kInt) return Value::Timestamp(cell.integer * 1000);
      return std::nullopt;
    case ColumnType::kDate:
      if (cell.kind == JsonKind::kString) {
        if (auto days = ParseDate(cell.text)) return Value::Date(*days);
        if (auto micros = ParseTimestamp(cell.text)) {
          if (*micros % 86'400'000'000LL == 0) return Value::Date(*micros / 86'400'000'000LL);
        }
        return std::nullopt;
      }
      if (cell.kind == JsonKind::kInt && cell.integer % 86'400'000 == 0) {
        return Value::Date(cell.integer / 86'400'000);
      }
      return std::nullopt;
    case ColumnType::kJson:
      return Value::Json(CellAsJson(cell));
    case ColumnType::kBytes:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string CellAsJson(const RawCell& cell) {
  switch (cell.kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return cell.boolean ? "true" : "false";
    case JsonKind::kString:
      return json::serialize(json::value(cell.text));
    default:
      return cell.text;
  }
}

}  // namespace tributary::es
