#include "connectors/sqlite/sqlite_types.h"

#include <rapidjson/document.h>

#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/time_util.h"

namespace tributary::sqlite_internal {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The JSON number grammar, which is what a kDecimal cell is written as.
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  const size_t start = i;
  const size_t whole = digits();
  if (whole == 0 || (whole > 1 && s[start] == '0')) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

std::string Quoted(const RawCell& cell) {
  if (cell.storage == SQLITE_BLOB)
    return "a BLOB of " + std::to_string(cell.bytes.size()) + " bytes";
  std::string text = cell.bytes.size() > 80 ? cell.bytes.substr(0, 80) + "..." : cell.bytes;
  return "'" + text + "'";
}

Status CellError(const std::string& column, size_t row, const RawCell& cell,
                 std::string_view expected) {
  return QueryError("column " + column + " row " + std::to_string(row) + ": " + Quoted(cell) +
                    " is not " + std::string(expected));
}

}  // namespace

ColumnType TypeForDeclaredType(std::string_view decltype_text) {
  const std::string t = Upper(decltype_text);
  if (StartsWith(t, "BOOL")) return ColumnType::kBool;
  if (t == "DATE") return ColumnType::kDate;
  if (t == "DATETIME" || StartsWith(t, "TIMESTAMP")) return ColumnType::kTimestamp;
  if (t == "JSON") return ColumnType::kJson;
  if (StartsWith(t, "DECIMAL") || StartsWith(t, "NUMERIC")) return ColumnType::kDecimal;
  if (Contains(t, "INT")) return ColumnType::kInt64;
  if (Contains(t, "CHAR") || Contains(t, "CLOB") || Contains(t, "TEXT")) return ColumnType::kString;
  if (Contains(t, "BLOB")) return ColumnType::kBytes;
  if (Contains(t, "REAL") || Contains(t, "FLOA") || Contains(t, "DOUB")) return ColumnType::kDouble;
  return ColumnType::kNull;
}

void ReadCell(sqlite3_stmt* stmt, int index, RawCell& cell) {
  cell.storage = sqlite3_column_type(stmt, index);
  cell.bytes.clear();
  switch (cell.storage) {
    case SQLITE_INTEGER:
      cell.integer = sqlite3_column_int64(stmt, index);
      break;
    case SQLITE_FLOAT:
      cell.real = sqlite3_column_double(stmt, index);
      break;
    case SQLITE_BLOB: {
      const void* blob = sqlite3_column_blob(stmt, index);
      const int size = sqlite3_column_bytes(stmt, index);
      if (blob != nullptr) cell.bytes.assign(static_cast<const char*>(blob), size);
      return;
    }
    case SQLITE_NULL:
      return;
    default:
      break;
  }
  // Text, and the text rendering of numbers (used by kString and kDecimal columns).
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
  const int size = sqlite3_column_bytes(stmt, index);
  if (text != nullptr) cell.bytes.assign(text, size);
}

ColumnType TypeFromSample(const std::vector<std::vector<RawCell>>& rows, size_t column,
                          bool sample_is_everything) {
  bool integer = false, real = false, text = false, blob = false;
  for (const auto& row : rows) {
    switch (row[column].storage) {
      case SQLITE_INTEGER:
        integer = true;
        break;
      case SQLITE_FLOAT:
        real = true;
        break;
      case SQLITE_TEXT:
        text = true;
        break;
      case SQLITE_BLOB:
        blob = true;
        break;
      default:
        break;
    }
  }
  const int kinds = integer + real + text + blob;
  if (kinds == 0) return sample_is_everything ? ColumnType::kNull : ColumnType::kString;
  if (kinds == 1) {
    if (integer) return ColumnType::kInt64;
    if (real) return ColumnType::kDouble;
    if (blob) return ColumnType::kBytes;
    return ColumnType::kString;
  }
  if (kinds == 2 && integer && real) return ColumnType::kDouble;
  return ColumnType::kString;
}

std::string_view StorageClassName(int storage) {
  switch (storage) {
    case SQLITE_INTEGER:
      return "INTEGER";
    case SQLITE_FLOAT:
      return "REAL";
    case SQLITE_TEXT:
      return "TEXT";
    case SQLITE_BLOB:
      return "BLOB";
    default:
      return "NULL";
  }
}

Status AppendCell(const RawCell& cell, ColumnType type, const std::string& column_name,
                  size_t row_number, ColumnData& out) {
  if (cell.storage == SQLITE_NULL) {
    out.AppendNull();
    return Status::Ok();
  }
  const bool numeric = cell.storage == SQLITE_INTEGER || cell.storage == SQLITE_FLOAT;
  const double number =
      cell.storage == SQLITE_INTEGER ? static_cast<double>(cell.integer) : cell.real;
  switch (type) {
    case ColumnType::kNull:
      // Only for all-null results; a value here would be a bug in TypeFromSample.
      return Internal("column " + column_name + " row " + std::to_string(row_number) +
                      ": unexpected value in a column of nulls");
    case ColumnType::kInt64:
      if (cell.storage == SQLITE_INTEGER) {
        out.AppendInt(cell.integer);
        return Status::Ok();
      }
      // 2^63 is exact as a double; anything integral below it fits.
      if (cell.storage == SQLITE_FLOAT && std::trunc(cell.real) == cell.real &&
          cell.real >= -9223372036854775808.0 && cell.real < 9223372036854775808.0) {
        out.AppendInt(static_cast<int64_t>(cell.real));
        return Status::Ok();
      }
      return CellError(column_name, row_number, cell, "an integer");
    case ColumnType::kDouble:
      if (!numeric) return CellError(column_name, row_number, cell, "a number");
      out.AppendDouble(number);
      return Status::Ok();
    case ColumnType::kBool: {
      if (numeric) {
        out.AppendBool(number != 0);
        return Status::Ok();
      }
      const std::string t = Upper(cell.bytes);
      if (cell.storage == SQLITE_TEXT && (t == "TRUE" || t == "T" || t == "1")) {
        out.AppendBool(true);
        return Status::Ok();
      }
      if (cell.storage == SQLITE_TEXT && (t == "FALSE" || t == "F" || t == "0")) {
        out.AppendBool(false);
        return Status::Ok();
      }
      return CellError(column_name, row_number, cell, "a boolean");
    }
    case ColumnType::kDecimal:
      if (cell.storage == SQLITE_BLOB || !IsJsonNumber(cell.bytes)) {
        return CellError(column_name, row_number, cell, "a decimal number");
      }
      out.AppendString(cell.bytes);
      return Status::Ok();
    case ColumnType::kString:
    case ColumnType::kBytes:
      out.AppendString(cell.bytes);
      return Status::Ok();
    case ColumnType::kDate: {
      auto days = cell.storage == SQLITE_TEXT ? ParseDate(cell.bytes) : std::nullopt;
      if (!days) return CellError(column_name, row_number, cell, "a YYYY-MM-DD date");
      out.AppendInt(*days);
      return Status::Ok();
    }
    case ColumnType::kTimestamp: {
      auto micros = cell.storage == SQLITE_TEXT ? ParseTimestamp(cell.bytes) : std::nullopt;
      if (!micros) {
        return CellError(column_name, row_number, cell, "a YYYY-MM-DD HH:MM:SS[.ffffff] timestamp");
      }
      out.AppendInt(*micros);
      return Status::Ok();
    }
    case ColumnType::kJson: {
      rapidjson::Document doc;
      if (cell.storage != SQLITE_TEXT ||
          doc.Parse(cell.bytes.data(), cell.bytes.size()).HasParseError()) {
        return CellError(column_name, row_number, cell, "a JSON document");
      }
      out.AppendString(cell.bytes);
      return Status::Ok();
    }
  }
  return Internal("unknown column type");
}

std::string TimestampParameterText(int64_t micros) {
  constexpr int64_t kMicrosPerDay = 86'400'000'000;
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  const int64_t seconds = rest / 1'000'000;
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), " %02d:%02d:%02d.%06d", static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60),
                static_cast<int>(rest % 1'000'000));
  return FormatDate(days) + buffer;
}

}  // namespace tributary::sqlite_internal
