#include "connectors/bigquery/bigquery_types.h"

#include <simdjson.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "core/encoding.h"
#include "core/json_text.h"
#include "core/json_value.h"
#include "core/time_util.h"

namespace tributary::bigquery {

namespace {

namespace od = simdjson::ondemand;
namespace json = boost::json;

bool IsRepeated(const FieldSchema& f) {
  return f.mode == "REPEATED";
}
bool IsRecord(const FieldSchema& f) {
  return f.type == "RECORD" || f.type == "STRUCT";
}

std::string ScalarTypeName(const std::string& type) {
  if (type == "INTEGER") return "INT64";
  if (type == "FLOAT") return "FLOAT64";
  if (type == "BOOLEAN") return "BOOL";
  return type;
}

bool ParseInt(std::string_view text, int64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::optional<double> ParseFloat(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity" || text == "inf") return HUGE_VAL;
  if (text == "-Infinity" || text == "-inf") return -HUGE_VAL;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// "HH:MM:SS[.ffffff]" -> micros of the day.
std::optional<int64_t> ParseTimeOfDay(std::string_view text) {
  auto t = ParseTimestamp("1970-01-01T" + std::string(text));
  if (!t || *t < 0 || *t >= 86'400'000'000LL) return std::nullopt;
  return t;
}

// Appends one scalar cell's JSON (inside a RECORD or REPEATED value).
void AppendScalarJson(const FieldSchema& field, std::string_view text, std::string& out) {
  const std::string type = ScalarTypeName(field.type);
  int64_t n = 0;
  if (type == "INT64" && ParseInt(text, &n)) {
    out += std::to_string(n);
  } else if (type == "FLOAT64") {
    auto d = ParseFloat(text);
    if (d && std::isfinite(*d)) {
      out.append(text);
    } else {
      AppendJsonString(text, out);
    }
  } else if ((type == "NUMERIC" || type == "BIGNUMERIC") && !text.empty() &&
             text.find_first_not_of("-+.0123456789eE") == std::string_view::npos) {
    out.append(text);
  } else if (type == "BOOL" && (text == "true" || text == "false")) {
    out.append(text);
  } else if (type == "TIMESTAMP") {
    auto micros = ParseEpochSecondsToMicros(text);
    AppendJsonString(micros ? FormatTimestamp(*micros) : std::string(text), out);
  } else if (type == "JSON") {
    out.append(text.empty() ? std::string_view("null") : text);
  } else {
    AppendJsonString(text, out);
  }
}

// Appends the JSON of a nested value: `{"v": ...}` cells of a REPEATED field (an array) or a
// RECORD (`{"f": [...]}`), named by the schema.
void AppendNestedJson(od::value value, const FieldSchema& field, bool repeated, std::string& out) {
  if (value.is_null()) {
    out += repeated ? "[]" : "null";
    return;
  }
  if (repeated) {
    out += '[';
    bool first = true;
    for (auto item : value.get_array()) {
      if (!first) out += ',';
      first = false;
      od::value inner = item.find_field("v");
      AppendNestedJson(inner, field, false, out);
    }
    out += ']';
    return;
  }
  if (IsRecord(field)) {
    out += '{';
    size_t j = 0;
    for (auto cell : value.find_field("f").get_array()) {
      if (j >= field.fields.size()) throw simdjson::simdjson_error(simdjson::TAPE_ERROR);
      const FieldSchema& sub = field.fields[j];
      if (j > 0) out += ',';
      AppendJsonString(sub.name, out);
      out += ':';
      od::value inner = cell.find_field("v");
      AppendNestedJson(inner, sub, IsRepeated(sub), out);
      ++j;
    }
    out += '}';
    return;
  }
  std::string_view text = value.get_string();
  AppendScalarJson(field, text, out);
}

// Appends one top-level cell to its column; false when the text does not fit the type.
bool AppendScalarCell(const FieldSchema& field, ColumnType type, std::string_view text,
                      ColumnData& column) {
  switch (type) {
    case ColumnType::kInt64: {
      int64_t n = 0;
      if (!ParseInt(text, &n)) return false;
      column.AppendInt(n);
      return true;
    }
    case ColumnType::kDouble: {
      auto d = ParseFloat(text);
      if (!d) return false;
      column.AppendDouble(*d);
      return true;
    }
    case ColumnType::kBool:
      if (text != "true" && text != "false") return false;
      column.AppendBool(text == "true");
      return true;
    case ColumnType::kBytes: {
      auto raw = Base64Decode(text);
      if (!raw) return false;
      column.AppendString(std::move(*raw));
      return true;
    }
    case ColumnType::kDate: {
      auto days = ParseDate(text);
      if (!days) return false;
      column.AppendInt(*days);
      return true;
    }
    case ColumnType::kTimestamp: {
      std::optional<int64_t> micros = ScalarTypeName(field.type) == "DATETIME"
                                          ? ParseTimestamp(text)
                                          : ParseEpochSecondsToMicros(text);
      if (!micros) return false;
      column.AppendInt(*micros);
      return true;
    }
    case ColumnType::kString:
      if (ScalarTypeName(field.type) == "TIME" && !ParseTimeOfDay(text)) return false;
      column.AppendString(std::string(text));
      return true;
    default:
      column.AppendString(std::string(text));
      return true;
  }
}

FieldSchema FieldFromJson(const json::value& v) {
  FieldSchema f;
  if (!v.is_object()) return f;
  const auto& o = v.as_object();
  if (auto* p = o.if_contains("name"); p && p->is_string()) f.name = std::string(p->as_string());
  if (auto* p = o.if_contains("type"); p && p->is_string()) f.type = std::string(p->as_string());
  if (auto* p = o.if_contains("mode"); p && p->is_string()) f.mode = std::string(p->as_string());
  if (auto* p = o.if_contains("fields"); p && p->is_array()) {
    for (const auto& sub : p->as_array()) f.fields.push_back(FieldFromJson(sub));
  }
  return f;
}

std::vector<FieldSchema> FieldsFromOndemand(od::array fields);

FieldSchema FieldFromOndemand(od::object object) {
  FieldSchema f;
  for (auto member : object) {
    std::string_view key = member.unescaped_key();
    if (key == "name") {
      f.name = std::string(std::string_view(member.value().get_string()));
    } else if (key == "type") {
      f.type = std::string(std::string_view(member.value().get_string()));
    } else if (key == "mode") {
      f.mode = std::string(std::string_view(member.value().get_string()));
    } else if (key == "fields") {
      f.fields = FieldsFromOndemand(member.value().get_array());
    }
  }
  return f;
}

std::vector<FieldSchema> FieldsFromOndemand(od::array fields) {
  std::vector<FieldSchema> out;
  for (auto field : fields) out.push_back(FieldFromOndemand(field.get_object()));
  return out;
}

int64_t Int64FromStringOrNumber(od::value v) {
  if (v.type() == od::json_type::string) {
    int64_t n = -1;
    std::string_view text = v.get_string();
    if (!ParseInt(text, &n)) return -1;
    return n;
  }
  return v.get_int64();
}

}  // namespace

ColumnType MapFieldType(const FieldSchema& field) {
  if (IsRepeated(field) || IsRecord(field)) return ColumnType::kJson;
  const std::string type = ScalarTypeName(field.type);
  if (type == "INT64") return ColumnType::kInt64;
  if (type == "FLOAT64") return ColumnType::kDouble;
  if (type == "NUMERIC" || type == "BIGNUMERIC" || type == "BIGDECIMAL" || type == "DECIMAL")
    return ColumnType::kDecimal;
  if (type == "BOOL") return ColumnType::kBool;
  if (type == "BYTES") return ColumnType::kBytes;
  if (type == "DATE") return ColumnType::kDate;
  if (type == "DATETIME" || type == "TIMESTAMP") return ColumnType::kTimestamp;
  if (type == "JSON") return ColumnType::kJson;
  return ColumnType::kString;
}

std::string SourceTypeName(const FieldSchema& field) {
  std::string inner;
  if (IsRecord(field)) {
    inner = "STRUCT<";
    for (size_t i = 0; i < field.fields.size(); ++i) {
      if (i > 0) inner += ", ";
      inner += field.fields[i].name;
      inner += ' ';
      inner += SourceTypeName(field.fields[i]);
    }
    inner += '>';
  } else {
    inner = ScalarTypeName(field.type);
  }
  if (IsRepeated(field)) return "ARRAY<" + inner + ">";
  return inner;
}

std::optional<int64_t> ParseEpochSecondsToMicros(std::string_view text) {
  // sign, digits with one optional '.', optional exponent: read as an exact decimal.
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::string digits;
  int64_t point = -1;  // digits before the decimal point
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c == '.' && point < 0) {
      point = static_cast<int64_t>(digits.size());
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (point < 0) point = static_cast<int64_t>(digits.size());
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (!ParseInt(text.substr(i), &exponent)) {
      // from_chars does not take a leading '+'
      if (i < text.size() && text[i] == '+' && ParseInt(text.substr(i + 1), &exponent)) {
      } else {
        return std::nullopt;
      }
    }
    i = text.size();
  }
  if (i != text.size() || exponent > 30 || exponent < -30) return std::nullopt;
  // value = 0.digits * 10^(point + exponent); micros: shift by 6 more.
  int64_t integer_digits = point + exponent + 6;
  // Leading zeros do not matter; the integer part has `integer_digits` digits.
  std::string whole, fraction;
  if (integer_digits <= 0) {
    fraction = std::string(static_cast<size_t>(-integer_digits), '0') + digits;
  } else if (integer_digits >= static_cast<int64_t>(digits.size())) {
    whole = digits + std::string(static_cast<size_t>(integer_digits) - digits.size(), '0');
  } else {
    whole = digits.substr(0, static_cast<size_t>(integer_digits));
    fraction = digits.substr(static_cast<size_t>(integer_digits));
  }
  size_t nz = whole.find_first_not_of('0');
  whole = nz == std::string::npos ? "0" : whole.substr(nz);
  if (whole.size() > 18) return std::nullopt;
  int64_t micros = 0;
  if (!ParseInt(whole, &micros)) return std::nullopt;
  if (!fraction.empty() && fraction[0] >= '5') ++micros;  // half away from zero
  return negative ? -micros : micros;
}

Result<QueryPage> ParseQueryPage(std::string_view body) {
  QueryPage page;
  try {
    od::parser parser;
    simdjson::padded_string padded(body);
    od::document doc = parser.iterate(padded);
    for (auto member : doc.get_object()) {
      std::string_view key = member.unescaped_key();
      od::value value = member.value();
      if (key == "jobComplete") {
        page.job_complete = value.get_bool();
      } else if (key == "jobReference") {
        for (auto ref : value.get_object()) {
          std::string_view k = ref.unescaped_key();
          if (k == "jobId") {
            page.job_id = std::string(std::string_view(ref.value().get_string()));
          } else if (k == "location") {
            page.location = std::string(std::string_view(ref.value().get_string()));
          }
        }
      } else if (key == "pageToken") {
        page.page_token = std::string(std::string_view(value.get_string()));
      } else if (key == "schema") {
        for (auto s : value.get_object()) {
          if (std::string_view(s.unescaped_key()) == "fields") {
            page.schema = FieldsFromOndemand(s.value().get_array());
          }
        }
      } else if (key == "totalBytesProcessed") {
        page.total_bytes_processed = Int64FromStringOrNumber(value);
      } else if (key == "rows") {
        od::array rows = value.get_array();
        page.rows_json = std::string(std::string_view(rows.raw_json()));
      }
    }
  } catch (const simdjson::simdjson_error& e) {
    return QueryError(std::string("BigQuery sent a malformed query answer (") + e.what() + ")");
  }
  return page;
}

std::vector<ColumnInfo> ColumnsOf(const std::vector<FieldSchema>& schema) {
  std::vector<ColumnInfo> columns;
  for (const auto& f : schema) columns.push_back({f.name, MapFieldType(f), SourceTypeName(f)});
  return columns;
}

Status AppendRows(std::string_view rows_json, const std::vector<FieldSchema>& schema,
                  int64_t max_rows, int64_t max_bytes, QueryResult& result, bool* stopped) {
  *stopped = false;
  if (rows_json.empty()) return Status::Ok();
  std::vector<ColumnType> types;
  for (const auto& f : schema) types.push_back(MapFieldType(f));
  size_t row_index = 0;
  try {
    od::parser parser;
    simdjson::padded_string padded(rows_json);
    od::document doc = parser.iterate(padded);
    for (auto row : doc.get_array()) {
      if (max_rows > 0 && static_cast<int64_t>(result.row_count()) >= max_rows) {
        result.stats().truncated = true;
        result.stats().truncated_by = "rows";
        *stopped = true;
        return Status::Ok();
      }
      if (max_bytes > 0 && static_cast<int64_t>(result.ApproxBytes()) > max_bytes) {
        result.stats().truncated = true;
        result.stats().truncated_by = "bytes";
        *stopped = true;
        return Status::Ok();
      }
      size_t i = 0;
      for (auto cell : row.find_field("f").get_array()) {
        if (i >= schema.size()) {
          return QueryError("BigQuery sent a row with more cells than the schema's " +
                            std::to_string(schema.size()) + " fields");
        }
        ColumnData& column = result.column(i);
        od::value v = cell.find_field("v");
        if (types[i] == ColumnType::kJson && (IsRepeated(schema[i]) || IsRecord(schema[i]))) {
          std::string text;
          if (v.is_null()) {
            if (IsRepeated(schema[i])) {
              column.AppendString("[]");
            } else {
              column.AppendNull();
            }
          } else {
            AppendNestedJson(v, schema[i], IsRepeated(schema[i]), text);
            column.AppendString(std::move(text));
          }
        } else if (v.is_null()) {
          column.AppendNull();
        } else {
          std::string_view text = v.get_string();
          if (!AppendScalarCell(schema[i], types[i], text, column)) {
            return QueryError("BigQuery sent a " + SourceTypeName(schema[i]) + " cell '" +
                              std::string(text.substr(0, 64)) + "' that is not valid in column '" +
                              schema[i].name + "'");
          }
        }
        ++i;
      }
      if (i != schema.size()) {
        return QueryError("BigQuery sent a row with " + std::to_string(i) +
                          " cells for a schema of " + std::to_string(schema.size()) + " fields");
      }
      ++row_index;
    }
  } catch (const simdjson::simdjson_error& e) {
    return QueryError("BigQuery sent malformed rows (row " + std::to_string(row_index + 1) + ": " +
                      e.what() + ")");
  }
  return Status::Ok();
}

Result<std::vector<FieldSchema>> ParseSchemaFieldsJson(std::string_view fields_json) {
  boost::system::error_code ec;
  json::value v = ParseJson(fields_json, ec);
  if (ec || !v.is_array()) return QueryError("BigQuery sent a malformed table schema");
  std::vector<FieldSchema> out;
  for (const auto& f : v.as_array()) out.push_back(FieldFromJson(f));
  return out;
}

std::string QueryParameterJson(const Value& value, const std::string& name) {
  json::object param;
  if (!name.empty()) param["name"] = name;
  std::string type = "STRING";
  json::object parameter_value;
  switch (value.type) {
    case ColumnType::kNull:
      break;
    case ColumnType::kBool:
      type = "BOOL";
      parameter_value["value"] = value.as_bool() ? "true" : "false";
      break;
    case ColumnType::kInt64:
      type = "INT64";
      parameter_value["value"] = std::to_string(value.as_int());
      break;
    case ColumnType::kDouble: {
      type = "FLOAT64";
      double d = value.as_double();
      if (std::isnan(d)) {
        parameter_value["value"] = "NaN";
      } else if (std::isinf(d)) {
        parameter_value["value"] = d > 0 ? "Infinity" : "-Infinity";
      } else {
        parameter_value["value"] = json::serialize(json::value(d));
      }
      break;
    }
    case ColumnType::kDecimal:
      type = "BIGNUMERIC";
      parameter_value["value"] = value.as_string();
      break;
    case ColumnType::kString:
      parameter_value["value"] = value.as_string();
      break;
    case ColumnType::kDate:
      type = "DATE";
      parameter_value["value"] = FormatDate(value.as_int());
      break;
    case ColumnType::kTimestamp: {
      type = "TIMESTAMP";
      // "YYYY-MM-DD HH:MM:SS.ffffff+00:00", BigQuery's canonical form.
      int64_t micros = value.as_int();
      int64_t seconds = micros >= 0 ? micros / 1'000'000 : -((-micros + 999'999) / 1'000'000);
      int64_t fraction = micros - seconds * 1'000'000;
      std::string iso = FormatTimestamp(seconds * 1'000'000);  // "...THH:MM:SSZ"
      iso.pop_back();
      iso[10] = ' ';
      char buf[8];
      std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(fraction));
      parameter_value["value"] = iso + buf + "+00:00";
      break;
    }
    case ColumnType::kJson:
      type = "JSON";
      parameter_value["value"] = value.as_string();
      break;
    case ColumnType::kBytes:
      type = "BYTES";
      parameter_value["value"] = Base64Encode(value.as_string());
      break;
  }
  param["parameterType"] = json::object{{"type", type}};
  param["parameterValue"] = std::move(parameter_value);
  return json::serialize(param);
}

std::string ErrorReason(std::string_view body) {
  boost::system::error_code ec;
  json::value v = ParseJson(body, ec);
  if (ec || !v.is_object()) return {};
  const json::value* error = v.as_object().if_contains("error");
  if (!error || !error->is_object()) return {};
  const json::value* errors = error->as_object().if_contains("errors");
  if (!errors || !errors->is_array() || errors->as_array().empty()) return {};
  const json::value& first = errors->as_array()[0];
  if (!first.is_object()) return {};
  const json::value* reason = first.as_object().if_contains("reason");
  return reason && reason->is_string() ? std::string(reason->as_string()) : std::string();
}

Status MapBigQueryError(long http_status, std::string_view body, const std::string& where) {
  std::string message;
  std::string status_name;
  boost::system::error_code ec;
  json::value v = ParseJson(body, ec);
  if (!ec && v.is_object()) {
    if (const json::value* error = v.as_object().if_contains("error");
        error && error->is_object()) {
      const auto& e = error->as_object();
      if (auto* m = e.if_contains("message"); m && m->is_string()) {
        message = std::string(m->as_string());
      }
      if (auto* s = e.if_contains("status"); s && s->is_string()) {
        status_name = std::string(s->as_string());
      }
    }
  }
  const std::string reason = ErrorReason(body);
  if (message.empty()) {
    message = "HTTP " + std::to_string(http_status);
    if (!body.empty()) message += ": " + std::string(body.substr(0, 200));
  }
  const std::string text = where + ": " + message;
  if (reason == "invalidQuery" || reason == "invalid") return QueryError(text);
  if (reason == "notFound" || http_status == 404) return NotFound(text);
  if (reason == "quotaExceeded" || reason == "rateLimitExceeded" || http_status == 429) {
    return ResourceExhausted(text +
                             " (BigQuery quota or rate limit; retry later or raise the "
                             "project's quota)");
  }
  if (reason == "responseTooLarge" || reason == "resourcesExceeded") {
    return ResourceExhausted(text);
  }
  if (http_status == 401) {
    return Unavailable(where + ": authentication failed: " + message +
                       " (check the service-account key)");
  }
  if (reason == "accessDenied" || http_status == 403) {
    return PermissionDenied(text +
                            " (grant the service account roles/bigquery.jobUser on the project "
                            "and roles/bigquery.dataViewer on the datasets)");
  }
  if (reason == "stopped") return Cancelled(text);
  if (http_status >= 500 || reason == "backendError" || reason == "internalError") {
    return Unavailable(text);
  }
  if (http_status == 400) return QueryError(text);
  return Unavailable(text);
}

}  // namespace tributary::bigquery
