// The common types of Tributary's result model: ColumnType and a single typed Value.
//
// Every connector converts its engine's types into these ten; the API, the CLI and the
// metric packs only ever see them. Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tributary {

//! The logical type of a column. Storage and JSON encoding per type:
//! - kBool, kInt64: integer storage; JSON true/false and exact integers.
//! - kDouble: JSON number; NaN and infinities become the strings "NaN", "Infinity", "-Infinity".
//! - kDecimal: exact decimal text (e.g. "-12.3400", or a HUGEINT's digits), a JSON number token.
//! - kString: UTF-8 text. kJson: a serialised JSON document, embedded as JSON.
//! - kDate: days since 1970-01-01, JSON "YYYY-MM-DD".
//! - kTimestamp: microseconds since the epoch in UTC, JSON "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".
//! - kBytes: raw bytes, JSON base64 text. kNull: a column that only holds nulls.
enum class ColumnType {
  kNull,
  kBool,
  kInt64,
  kDouble,
  kDecimal,
  kString,
  kDate,
  kTimestamp,
  kJson,
  kBytes
};

//! "null", "bool", "int64", "double", "decimal", "string", "date", "timestamp", "json", "bytes".
std::string_view ColumnTypeName(ColumnType type);
//! The inverse of ColumnTypeName; nullopt for an unknown name.
std::optional<ColumnType> ParseColumnType(std::string_view name);

//! One typed scalar: a query parameter, or one cell read back from a result.
struct Value {
  ColumnType type = ColumnType::kNull;
  //! bool for kBool; int64 for kInt64, kDate (days) and kTimestamp (micros); double for
  //! kDouble; string for kDecimal, kString, kJson and kBytes; monostate for null.
  std::variant<std::monostate, bool, int64_t, double, std::string> data;

  static Value Null() { return {}; }
  static Value Bool(bool v) { return {ColumnType::kBool, v}; }
  static Value Int64(int64_t v) { return {ColumnType::kInt64, v}; }
  static Value Double(double v) { return {ColumnType::kDouble, v}; }
  static Value Decimal(std::string text) { return {ColumnType::kDecimal, std::move(text)}; }
  static Value String(std::string v) { return {ColumnType::kString, std::move(v)}; }
  static Value Date(int64_t days) { return {ColumnType::kDate, days}; }
  static Value Timestamp(int64_t micros) { return {ColumnType::kTimestamp, micros}; }
  static Value Json(std::string doc) { return {ColumnType::kJson, std::move(doc)}; }
  static Value Bytes(std::string raw) { return {ColumnType::kBytes, std::move(raw)}; }

  bool is_null() const { return std::holds_alternative<std::monostate>(data); }
  bool as_bool() const { return std::get<bool>(data); }
  int64_t as_int() const { return std::get<int64_t>(data); }
  double as_double() const { return std::get<double>(data); }
  const std::string& as_string() const& { return std::get<std::string>(data); }
  //! On a temporary (e.g. `result.ValueAt(r, c).as_string()`) the text is moved out, so a
  //! `const std::string&` bound to it cannot dangle.
  std::string as_string() && { return std::get<std::string>(std::move(data)); }

  bool operator==(const Value&) const = default;
};

}  // namespace tributary
