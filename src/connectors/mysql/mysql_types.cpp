#include "connectors/mysql/mysql_types.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace tributary::mysql_internal {

namespace {

constexpr unsigned kBinaryCharset = 63;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// MariaDB 10.5+ sends a type name for plugin types (uuid, inet6, ...) and a format name
// ("json") in its extended metadata; empty when the server or column has none.
std::string FieldAttr(const MYSQL_FIELD& field, enum mariadb_field_attr_t which) {
  MARIADB_CONST_STRING attr{nullptr, 0};
  if (mariadb_field_attr(&attr, &field, which) != 0 || attr.str == nullptr) return {};
  return std::string(attr.str, attr.length);
}

std::string WithUnsigned(std::string name, const MYSQL_FIELD& field) {
  if (field.flags & UNSIGNED_FLAG) name += " UNSIGNED";
  return name;
}

}  // namespace

MySqlColumnType MapField(const MYSQL_FIELD& field) {
  const bool is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
  const bool binary = field.charsetnr == kBinaryCharset;
  const std::string format = Lower(FieldAttr(field, MARIADB_FIELD_ATTR_FORMAT_NAME));
  const std::string data_type = FieldAttr(field, MARIADB_FIELD_ATTR_DATA_TYPE_NAME);
  const FetchKind integer = is_unsigned ? FetchKind::kUnsigned : FetchKind::kSigned;
  MySqlColumnType out;
  switch (field.type) {
    case MYSQL_TYPE_TINY:
      // Display width 1 is how MySQL spells BOOL; TINYINT(4) etc. stay integers.
      out = {field.length == 1 ? ColumnType::kBool : ColumnType::kInt64, integer,
             WithUnsigned(field.length == 1 ? "TINYINT(1)" : "TINYINT", field)};
      break;
    case MYSQL_TYPE_SHORT:
      out = {ColumnType::kInt64, integer, WithUnsigned("SMALLINT", field)};
      break;
    case MYSQL_TYPE_INT24:
      out = {ColumnType::kInt64, integer, WithUnsigned("MEDIUMINT", field)};
      break;
    case MYSQL_TYPE_LONG:
      out = {ColumnType::kInt64, integer, WithUnsigned("INT", field)};
      break;
    case MYSQL_TYPE_LONGLONG:
      out = {is_unsigned ? ColumnType::kDecimal : ColumnType::kInt64, integer,
             WithUnsigned("BIGINT", field)};
      break;
    case MYSQL_TYPE_YEAR:
      out = {ColumnType::kInt64, FetchKind::kSigned, "YEAR"};
      break;
    case MYSQL_TYPE_BIT:
      out = {ColumnType::kInt64, FetchKind::kBits, "BIT(" + std::to_string(field.length) + ")"};
      break;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: {
      // The display length counts the sign (unless unsigned) and the decimal point.
      const long precision =
          static_cast<long>(field.length) - (field.decimals > 0 ? 1 : 0) - (is_unsigned ? 0 : 1);
      out = {ColumnType::kDecimal, FetchKind::kText,
             WithUnsigned("DECIMAL(" + std::to_string(precision) + "," +
                              std::to_string(field.decimals) + ")",
                          field)};
      break;
    }
    case MYSQL_TYPE_FLOAT:
      out = {ColumnType::kDouble, FetchKind::kFloat, "FLOAT"};
      break;
    case MYSQL_TYPE_DOUBLE:
      out = {ColumnType::kDouble, FetchKind::kDouble, "DOUBLE"};
      break;
    case MYSQL_TYPE_NULL:
      out = {ColumnType::kNull, FetchKind::kText, "NULL"};
      break;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
      out = {ColumnType::kDate, FetchKind::kDate, "DATE"};
      break;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2:
      out = {ColumnType::kTimestamp, FetchKind::kDateTime, "DATETIME"};
      break;
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2:
      out = {ColumnType::kTimestamp, FetchKind::kDateTime, "TIMESTAMP"};
      break;
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_TIME2:
      out = {ColumnType::kString, FetchKind::kText, "TIME"};
      break;
    case MYSQL_TYPE_JSON:
      out = {ColumnType::kJson, FetchKind::kText, "JSON"};
      break;
    case MYSQL_TYPE_GEOMETRY:
      out = {ColumnType::kBytes, FetchKind::kText, "GEOMETRY"};
      break;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
      out = {binary ? ColumnType::kBytes : ColumnType::kString, FetchKind::kText,
             binary ? "BLOB" : "TEXT"};
      break;
    case MYSQL_TYPE_ENUM:
      out = {ColumnType::kString, FetchKind::kText, "ENUM"};
      break;
    case MYSQL_TYPE_SET:
      out = {ColumnType::kString, FetchKind::kText, "SET"};
      break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    default:
      if (field.flags & ENUM_FLAG) {
        out = {ColumnType::kString, FetchKind::kText, "ENUM"};
      } else if (field.flags & SET_FLAG) {
        out = {ColumnType::kString, FetchKind::kText, "SET"};
      } else if (field.type == MYSQL_TYPE_STRING) {
        out = {binary ? ColumnType::kBytes : ColumnType::kString, FetchKind::kText,
               binary ? "BINARY" : "CHAR"};
      } else {
        out = {binary ? ColumnType::kBytes : ColumnType::kString, FetchKind::kText,
               binary ? "VARBINARY" : "VARCHAR"};
      }
      break;
  }
  // MariaDB's own extensions: the JSON alias is a text column with the "json" format, and
  // plugin types (UUID, INET6) travel as strings with their name attached.
  if (format == "json" && out.fetch == FetchKind::kText) {
    out.type = ColumnType::kJson;
    out.source_type = "JSON";
  } else if (!data_type.empty() && out.fetch == FetchKind::kText) {
    out.type = ColumnType::kString;
    out.source_type = Upper(data_type);
  }
  return out;
}

}  // namespace tributary::mysql_internal
