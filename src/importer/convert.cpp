// PreviewFile, ConvertToParquet and StreamRows: one reading SELECT per table, run by DuckDB.
//
// CSV and TSV are read by read_csv with the plan's dialect, names and types (DuckDB converts
// and reports bad records with their line and column); JSON and Parquet by read_json and
// read_parquet with the file's own types, cast to the plan's types in the SELECT; XLSX sheets
// are streamed by XlsxReader into a staging table through the appender (cells converted here,
// so errors name the cell), then read like the others.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <unordered_map>
#include <unordered_set>

#include "importer/duckdb_session.h"
#include "importer/importer.h"
#include "importer/importer_internal.h"
#include "importer/xlsx_reader.h"

namespace tributary::importer {

using internal::Ident;
using internal::Lit;

namespace {

constexpr size_t kMaxRejectSamples = 20;
constexpr size_t kMaxRaw = 1024;

std::string Truncate(std::string text, size_t max) {
  if (text.size() > max) {
    text.resize(max);
    // Do not cut a UTF-8 sequence in half.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) {
      text.pop_back();
    }
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
  }
  return text;
}

std::string Trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

//! Collects rejects: the count and the first samples.
struct RejectLog {
  uint64_t count = 0;
  std::vector<Reject> samples;
  void Add(Reject reject) {
    ++count;
    if (samples.size() < kMaxRejectSamples) samples.push_back(std::move(reject));
  }
};

Status ValidatePlan(const ImportPlan& plan) {
  if (plan.tables.empty()) return InvalidArgument("the import plan has no tables");
  std::unordered_set<std::string> tables;
  for (const auto& table : plan.tables) {
    bool ok = !table.name.empty() && !std::isdigit(static_cast<unsigned char>(table.name[0]));
    for (char c : table.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') ok = false;
    }
    if (!ok) {
      return InvalidArgument("table name \"" + table.name +
                             "\" is not an identifier: use letters, digits and '_', not "
                             "starting with a digit");
    }
    std::string lower = table.name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!tables.insert(lower).second) {
      return InvalidArgument("two tables are named \"" + table.name + "\": rename one");
    }
    if (table.columns.empty()) {
      return InvalidArgument("table " + table.name + " has no columns");
    }
    std::unordered_set<std::string> columns;
    for (const auto& column : table.columns) {
      std::string name = column.name;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (name.empty()) {
        return InvalidArgument("table " + table.name + ": column \"" + column.source_name +
                               "\" has an empty name");
      }
      if (!columns.insert(name).second) {
        return InvalidArgument("table " + table.name + ": two columns are named \"" + column.name +
                               "\": rename one");
      }
      if (column.type.empty()) {
        return InvalidArgument("table " + table.name + ": column " + column.name + " has no type");
      }
    }
  }
  if ((plan.format == FileFormat::kCsv || plan.format == FileFormat::kTsv) &&
      (plan.csv.delimiter.empty() || plan.csv.delimiter.size() > 4)) {
    return InvalidArgument("the CSV delimiter must be one character (at most 4 bytes)");
  }
  return Status::Ok();
}

bool IsDiskFull(const std::string& message) {
  return message.find("No space left") != std::string::npos ||
         message.find("ENOSPC") != std::string::npos ||
         message.find("disk is full") != std::string::npos ||
         message.find("Disk full") != std::string::npos;
}

//! The first line of DuckDB's message (its hints follow on the next lines).
std::string FirstLine(const std::string& message) {
  return message.substr(0, message.find('\n'));
}

// ---------------------------------------------------------------------------------------
// XLSX staging

enum class Native { kVarchar, kBigint, kDouble, kDate, kTimestamp, kBoolean, kOther };

Native NativeFor(std::string_view type) {
  const std::string t = internal::NormalizeType(type);
  if (t == "VARCHAR" || t == "TEXT" || t == "STRING") return Native::kVarchar;
  if (t == "BIGINT" || t == "INT8" || t == "LONG" || t == "INT64") return Native::kBigint;
  if (t == "DOUBLE" || t == "FLOAT8") return Native::kDouble;
  if (t == "DATE") return Native::kDate;
  if (t == "TIMESTAMP" || t == "DATETIME") return Native::kTimestamp;
  if (t == "BOOLEAN" || t == "BOOL") return Native::kBoolean;
  return Native::kOther;
}

std::string_view NativeSqlType(Native n) {
  switch (n) {
    case Native::kBigint:
      return "BIGINT";
    case Native::kDouble:
      return "DOUBLE";
    case Native::kDate:
      return "DATE";
    case Native::kTimestamp:
      return "TIMESTAMP";
    case Native::kBoolean:
      return "BOOLEAN";
    default:
      return "VARCHAR";
  }
}

bool IsTextKind(XlsxCellKind kind) {
  return kind == XlsxCellKind::kSharedString || kind == XlsxCellKind::kInlineString ||
         kind == XlsxCellKind::kFormulaString;
}

// Days from civil (Howard Hinnant).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

//! Parses "YYYY-MM-DD" optionally followed by [T ]HH:MM[:SS[.ffffff]]; micros since epoch.
std::optional<int64_t> ParseIsoMicros(const std::string& text, bool* has_time) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double s = 0;
  char sep = 0;
  int consumed = 0;
  *has_time = false;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t micros = DaysFromCivil(y, mo, d) * 86400LL * 1000000;
  if (static_cast<size_t>(consumed) == text.size()) return micros;
  int more = 0;
  if (std::sscanf(text.c_str() + consumed, "%c%2d:%2d%n", &sep, &h, &mi, &more) != 3 ||
      (sep != 'T' && sep != ' ')) {
    return std::nullopt;
  }
  consumed += more;
  if (static_cast<size_t>(consumed) < text.size() && text[consumed] == ':') {
    if (std::sscanf(text.c_str() + consumed, ":%lf%n", &s, &more) != 1) return std::nullopt;
    consumed += more;
  }
  if (static_cast<size_t>(consumed) != text.size()) return std::nullopt;
  if (h > 23 || mi > 59 || s >= 61) return std::nullopt;
  *has_time = true;
  return micros + (h * 3600LL + mi * 60LL) * 1000000 + static_cast<int64_t>(std::llround(s * 1e6));
}

//! A converted cell for the appender.
struct StagedValue {
  bool null = true;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;
};

//! Converts `cell` for a column of kind `native`; false (with `why`) when it does not convert.
bool ConvertCell(const XlsxCell& cell, Native native, bool date1904, StagedValue* out,
                 std::string* why) {
  out->null = false;
  const std::string text = internal::XlsxCellText(cell);
  const bool is_text = IsTextKind(cell.kind);
  if (cell.kind == XlsxCellKind::kEmpty ||
      (is_text && Trim(cell.text).empty() && native != Native::kVarchar)) {
    out->null = true;
    return true;
  }
  if (cell.kind == XlsxCellKind::kError && native != Native::kVarchar && native != Native::kOther) {
    *why = "the cell holds the error " + cell.text;
    return false;
  }
  switch (native) {
    case Native::kVarchar:
    case Native::kOther:
      out->s = text;
      return true;
    case Native::kBigint:
      if (cell.kind == XlsxCellKind::kNumber || cell.kind == XlsxCellKind::kBool) {
        if (cell.number == std::trunc(cell.number) && std::fabs(cell.number) < 9.2e18) {
          out->i = static_cast<int64_t>(cell.number);
          return true;
        }
      } else if (is_text) {
        const std::string t = Trim(cell.text);
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out->i);
        if (ec == std::errc() && end == t.data() + t.size()) return true;
      }
      break;
    case Native::kDouble:
      if (cell.kind == XlsxCellKind::kNumber || cell.kind == XlsxCellKind::kBool ||
          cell.kind == XlsxCellKind::kDate || cell.kind == XlsxCellKind::kTimestamp) {
        out->d = cell.number;
        return true;
      }
      if (is_text) {
        const std::string t = Trim(cell.text);
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out->d);
        if (ec == std::errc() && end == t.data() + t.size()) return true;
      }
      break;
    case Native::kDate:
    case Native::kTimestamp: {
      constexpr int64_t kDay = 86400LL * 1000000;
      std::optional<int64_t> micros;
      if (cell.kind == XlsxCellKind::kDate) {
        micros = cell.days * kDay;
      } else if (cell.kind == XlsxCellKind::kTimestamp) {
        micros = cell.micros;
      } else if (cell.kind == XlsxCellKind::kNumber) {
        micros = XlsxSerialToMicros(cell.number, date1904);
      } else if (is_text) {
        bool has_time = false;
        micros = ParseIsoMicros(Trim(cell.text), &has_time);
      }
      if (!micros) break;
      if (native == Native::kDate) {
        int64_t days = *micros / kDay;
        if (*micros % kDay < 0) --days;
        out->i = days;
      } else {
        out->i = *micros;
      }
      return true;
    }
    case Native::kBoolean:
      if (cell.kind == XlsxCellKind::kBool ||
          (cell.kind == XlsxCellKind::kNumber && (cell.number == 0 || cell.number == 1))) {
        out->b = cell.number != 0;
        return true;
      }
      if (is_text) {
        std::string t = Trim(cell.text);
        std::transform(t.begin(), t.end(), t.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (t == "true" || t == "yes" || t == "1" || t == "y") {
          out->b = true;
          return true;
        }
        if (t == "false" || t == "no" || t == "0" || t == "n") {
          out->b = false;
          return true;
        }
      }
      break;
  }
  *why = "could not convert '" + Truncate(text, 200) + "' to " + std::string(NativeSqlType(native));
  return false;
}

std::string SheetCellPrefix(const std::string& label, const std::string& sheet, uint32_t column,
                            uint64_t row) {
  return label + " sheet '" + sheet + "', cell " + XlsxCellRef(column, row);
}

//! What staging one sheet produced.
struct StagedSheet {
  std::string table;
  std::vector<std::string> staged_types;
  uint32_t first_column = 0;
  uint64_t rows = 0;
};

Result<StagedSheet> StageSheet(DuckSession& session, XlsxReader& reader, const std::string& label,
                               const TablePlan& table, size_t table_index, bool skip,
                               std::optional<uint64_t> max_rows, RejectLog* rejects,
                               const std::function<void(uint64_t)>& on_rows,
                               const CancelToken& cancel) {
  TRIB_ASSIGN_OR_RETURN(auto sheet, reader.FindSheet(table.sheet));
  uint64_t first_row = table.xlsx_first_row;
  uint32_t first_column = table.xlsx_first_column;
  bool header = table.xlsx_header;
  if (first_row == 0) {
    TRIB_ASSIGN_OR_RETURN(auto layout, internal::SniffSheet(reader, sheet.index, std::nullopt));
    first_row = layout.first_row;
    first_column = layout.first_column;
    header = layout.header;
  }
  StagedSheet staged;
  staged.table = "stage_" + std::to_string(table_index);
  staged.first_column = first_column;
  std::vector<Native> natives;
  std::string ddl = "CREATE OR REPLACE TABLE " + Ident(staged.table) + " (\"__row\" BIGINT";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    natives.push_back(NativeFor(table.columns[i].type));
    staged.staged_types.emplace_back(NativeSqlType(natives.back()));
    ddl.append(", ")
        .append(Ident("c" + std::to_string(i)))
        .append(" ")
        .append(staged.staged_types.back());
  }
  ddl.append(")");
  TRIB_RETURN_IF_ERROR(session.Exec(ddl));
  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(session.connection(), nullptr, staged.table.c_str(), &appender) ==
      DuckDBError) {
    duckdb_appender_destroy(&appender);
    return Internal("cannot create the staging table's appender");
  }
  const bool date1904 = reader.date1904();
  std::vector<StagedValue> values(table.columns.size());
  Status failure;
  Status read = reader.ReadSheet(sheet.index, [&](const XlsxRow& row) -> Status {
    if (row.number < first_row || (header && row.number == first_row)) return Status::Ok();
    if (cancel.cancelled()) return Cancelled("import cancelled: " + cancel.reason());
    for (auto& v : values) v.null = true;
    bool any = false;
    for (const auto& cell : row.cells) {
      if (cell.column < first_column || cell.column - first_column >= values.size()) continue;
      if (cell.kind == XlsxCellKind::kEmpty) continue;
      if (IsTextKind(cell.kind) && cell.text.empty()) continue;
      any = true;
      const size_t i = cell.column - first_column;
      std::string why;
      if (!ConvertCell(cell, natives[i], date1904, &values[i], &why)) {
        if (!skip) {
          return InvalidArgument(SheetCellPrefix(label, table.sheet, cell.column, row.number) +
                                 " (column " + table.columns[i].name + "): " + why +
                                 ". Fix the cell, change the column's type (e.g. to VARCHAR), "
                                 "or import with onError=skip to leave bad rows out.");
        }
        Reject reject;
        reject.table = table.name;
        reject.sheet = table.sheet;
        reject.line = row.number;
        reject.column = cell.column + 1;
        reject.column_name = table.columns[i].name;
        reject.message = "cell " + XlsxCellRef(cell.column, row.number) + ": " + why;
        std::string raw;
        for (const auto& c : row.cells) {
          if (!raw.empty()) raw.push_back(',');
          raw.append(internal::XlsxCellText(c));
          if (raw.size() > kMaxRaw) break;
        }
        reject.raw = Truncate(raw, kMaxRaw);
        rejects->Add(std::move(reject));
        return Status::Ok();
      }
    }
    if (!any) return Status::Ok();
    duckdb_append_int64(appender, static_cast<int64_t>(row.number));
    for (size_t i = 0; i < values.size(); ++i) {
      const StagedValue& v = values[i];
      if (v.null) {
        duckdb_append_null(appender);
        continue;
      }
      switch (natives[i]) {
        case Native::kBigint:
          duckdb_append_int64(appender, v.i);
          break;
        case Native::kDouble:
          duckdb_append_double(appender, v.d);
          break;
        case Native::kDate:
          duckdb_append_date(appender, duckdb_date{static_cast<int32_t>(v.i)});
          break;
        case Native::kTimestamp:
          duckdb_append_timestamp(appender, duckdb_timestamp{v.i});
          break;
        case Native::kBoolean:
          duckdb_append_bool(appender, v.b);
          break;
        default:
          duckdb_append_varchar_length(appender, v.s.data(), static_cast<idx_t>(v.s.size()));
          break;
      }
    }
    if (duckdb_appender_end_row(appender) == DuckDBError) {
      const char* message = duckdb_appender_error(appender);
      failure = Internal(SheetCellPrefix(label, table.sheet, first_column, row.number) +
                         ": cannot stage the row: " + (message ? message : "unknown error"));
      return failure;
    }
    ++staged.rows;
    if (on_rows && staged.rows % 4096 == 0) on_rows(staged.rows);
    if (max_rows && staged.rows >= *max_rows) return internal::StopReading();
    return Status::Ok();
  });
  const duckdb_state closed = duckdb_appender_close(appender);
  std::string close_error = closed == DuckDBError && duckdb_appender_error(appender)
                                ? duckdb_appender_error(appender)
                                : "";
  duckdb_appender_destroy(&appender);
  if (!read.ok() && !internal::IsStopReading(read)) return read;
  if (closed == DuckDBError) {
    if (IsDiskFull(close_error)) {
      return ResourceExhausted("disk full while staging sheet '" + table.sheet +
                               "': " + close_error);
    }
    return Internal("cannot stage sheet '" + table.sheet + "': " + close_error);
  }
  if (on_rows) on_rows(staged.rows);
  return staged;
}

// ---------------------------------------------------------------------------------------
// The reading SELECT

//! How one table is read.
struct Source {
  bool csv = false;
  bool csv_skip = false;
  std::string from;
  //! Per plan column: the source column (quoted) and its type in the source.
  std::vector<std::string> src;
  std::vector<std::string> src_types;
  //! Per plan column: whether a cast to the plan's type is needed.
  std::vector<bool> cast;
  //! XLSX: the staging table's row number column; empty otherwise.
  std::string row_column;
  uint32_t xlsx_first_column = 0;
  std::string sheet;
};

std::string CastExpr(const Source& s, const TablePlan& t, size_t i, bool try_cast) {
  if (!s.cast[i]) return s.src[i];
  return std::string(try_cast ? "TRY_CAST(" : "CAST(") + s.src[i] + " AS " + t.columns[i].type +
         ")";
}

std::string BadExpr(const Source& s, const TablePlan& t, size_t i) {
  return "(" + s.src[i] + " IS NOT NULL AND TRY_CAST(" + s.src[i] + " AS " + t.columns[i].type +
         ") IS NULL)";
}

std::string AnyBad(const Source& s, const TablePlan& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (!s.cast[i]) continue;
    if (!out.empty()) out.append(" OR ");
    out.append(BadExpr(s, t, i));
  }
  return out;
}

//! SELECT of the plan's columns; `as_text`: every value cast to VARCHAR.
std::string SelectSql(const Source& s, const TablePlan& t, bool skip, bool as_text,
                      std::optional<size_t> limit, bool with_bad_flag = false) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) sql.append(", ");
    std::string expr = CastExpr(s, t, i, skip || with_bad_flag);
    if (as_text) expr = "CAST(" + expr + " AS VARCHAR)";
    sql.append(expr).append(" AS ").append(Ident(t.columns[i].name));
  }
  const std::string bad = AnyBad(s, t);
  if (with_bad_flag) sql.append(", ").append(bad.empty() ? "false" : "(" + bad + ")");
  sql.append(" FROM ").append(s.from);
  if (skip && !bad.empty() && !with_bad_flag) sql.append(" WHERE NOT (").append(bad).append(")");
  if (limit) sql.append(" LIMIT ").append(std::to_string(*limit));
  return sql;
}

//! The file's own columns and types (JSON, Parquet).
Result<std::unordered_map<std::string, std::string>> DescribeFile(DuckSession& session,
                                                                  const std::string& relation,
                                                                  const std::string& label) {
  DuckError error;
  auto described = session.Query("DESCRIBE SELECT * FROM " + relation, &error);
  if (!described.ok()) {
    return InvalidArgument(label + " could not be read: " + FirstLine(error.message));
  }
  std::unordered_map<std::string, std::string> types;
  for (const auto& row : described->rows) types[row[0].value_or("")] = row[1].value_or("");
  return types;
}

struct SourceContext {
  DuckSession* session;
  std::string path;
  std::string label;
  const ImportPlan* plan;
  XlsxReader* reader = nullptr;
};

Result<Source> BuildSource(SourceContext& ctx, size_t table_index, bool skip,
                           std::optional<uint64_t> xlsx_max_rows, RejectLog* rejects,
                           const std::function<void(uint64_t)>& on_rows,
                           const CancelToken& cancel) {
  const ImportPlan& plan = *ctx.plan;
  const TablePlan& table = plan.tables[table_index];
  Source s;
  const size_t n = table.columns.size();
  switch (plan.format) {
    case FileFormat::kCsv:
    case FileFormat::kTsv: {
      s.csv = true;
      s.csv_skip = skip;
      s.from = internal::CsvReadCall(ctx.path, plan, table, skip);
      for (size_t i = 0; i < n; ++i) {
        s.src.push_back(Ident(table.columns[i].name));
        s.src_types.push_back(table.columns[i].type);
        s.cast.push_back(false);
      }
      return s;
    }
    case FileFormat::kJson:
    case FileFormat::kNdjson:
    case FileFormat::kParquet: {
      const bool parquet = plan.format == FileFormat::kParquet;
      std::string probe = parquet ? "read_parquet(" + Lit(ctx.path) + ")"
                                  : "read_json(" + Lit(ctx.path) +
                                        ", format=" + internal::JsonFormatArg(plan.format) +
                                        ", sample_size=20480)";
      TRIB_ASSIGN_OR_RETURN(auto types, DescribeFile(*ctx.session, probe, ctx.label));
      std::string columns;
      for (size_t i = 0; i < n; ++i) {
        const auto& column = table.columns[i];
        auto it = types.find(column.source_name);
        if (it == types.end()) {
          return InvalidArgument(ctx.label + " has no field \"" + column.source_name +
                                 "\" (table " + table.name + ", column " + column.name + ")");
        }
        std::string type = it->second;
        if (!parquet && internal::IsNestedType(type)) type = "JSON";
        if (!columns.empty()) columns.append(", ");
        columns.append(Lit(column.source_name)).append(": ").append(Lit(type));
        s.src.push_back(Ident(column.source_name));
        s.src_types.push_back(type);
        s.cast.push_back(internal::NormalizeType(type) != internal::NormalizeType(column.type));
      }
      if (parquet) {
        s.from = probe;
      } else {
        s.from = "read_json(" + Lit(ctx.path) + ", format=" + internal::JsonFormatArg(plan.format) +
                 ", columns={" + columns + "}" + (skip ? ", ignore_errors=true" : "") +
                 ", maximum_object_size=" + std::to_string(internal::kMaxLineSize) + ")";
      }
      return s;
    }
    case FileFormat::kXlsx: {
      TRIB_ASSIGN_OR_RETURN(
          auto staged, StageSheet(*ctx.session, *ctx.reader, ctx.label, table, table_index, skip,
                                  xlsx_max_rows, rejects, on_rows, cancel));
      s.from = Ident(staged.table);
      s.row_column = "\"__row\"";
      s.xlsx_first_column = staged.first_column;
      s.sheet = table.sheet;
      for (size_t i = 0; i < n; ++i) {
        s.src.push_back(Ident("c" + std::to_string(i)));
        s.src_types.push_back(staged.staged_types[i]);
        s.cast.push_back(internal::NormalizeType(staged.staged_types[i]) !=
                         internal::NormalizeType(table.columns[i].type));
      }
      return s;
    }
  }
  return Internal("unknown format");
}

//! With kFail, turns DuckDB's error for a CSV record into "line N, column M".
Status CsvRecordError(const std::string& label, const TablePlan& table, const std::string& msg) {
  static const std::regex kLine(R"(CSV Error on Line: (\d+))");
  static const std::regex kConvert(
      R"re(Error when converting column "([^"]*)"\. Could not convert string "(.*)" to '([^']*)')re");
  static const std::regex kCount(R"(Expected Number of Columns: (\d+) Found: (\d+))");
  std::smatch m;
  if (!std::regex_search(msg, m, kLine)) return Status::Ok();
  const std::string line = m[1];
  std::string original;
  const size_t o = msg.find("Original Line: ");
  if (o != std::string::npos) {
    const size_t start = o + std::strlen("Original Line: ");
    original = msg.substr(start, msg.find('\n', start) - start);
  }
  std::string column = "?";
  std::string what;
  if (std::regex_search(msg, m, kConvert)) {
    const std::string name = m[1];
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i].name == name) column = std::to_string(i + 1);
    }
    what = "column " + name + ": could not convert '" + Truncate(m[2], 200) + "' to " +
           std::string(m[3]);
    column.append(" (").append(name).append(")");
  } else if (std::regex_search(msg, m, kCount)) {
    const int expected = std::stoi(m[1]);
    const int found = std::stoi(m[2]);
    column = std::to_string(std::min(expected, found) + 1);
    what = "expected " + std::string(m[1]) + " fields, found " + std::string(m[2]);
  } else {
    // Another parse error: DuckDB's description is the line after "Original Line".
    const size_t after = o == std::string::npos ? std::string::npos : msg.find('\n', o);
    what = after == std::string::npos ? FirstLine(msg) : FirstLine(msg.substr(after + 1));
    column = "?";
  }
  return InvalidArgument(
      label + " line " + line + ", column " + column + ": " + what +
      (original.empty() ? std::string() : ". The line: " + Truncate(original, 300)) +
      ". Fix the file, change the column's type (e.g. to VARCHAR), or "
      "import with onError=skip to leave bad rows out.");
}

//! With kFail, finds the first value that does not cast and names it.
Status CastError(DuckSession& session, const std::string& label, const Source& s,
                 const TablePlan& t) {
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (!s.cast[i]) continue;
    std::string sql = "SELECT CAST(" + s.src[i] + " AS VARCHAR)";
    if (!s.row_column.empty()) sql.append(", ").append(s.row_column);
    sql.append(" FROM ").append(s.from).append(" WHERE ").append(BadExpr(s, t, i));
    if (!s.row_column.empty()) sql.append(" ORDER BY ").append(s.row_column);
    sql.append(" LIMIT 1");
    auto found = session.Query(sql);
    if (!found.ok() || found->rows.empty()) continue;
    const std::string value = Truncate(found->rows[0][0].value_or(""), 200);
    std::string where = label + " column " + t.columns[i].name;
    if (!s.row_column.empty()) {
      where = SheetCellPrefix(label, s.sheet, s.xlsx_first_column + static_cast<uint32_t>(i),
                              std::stoull(found->rows[0][1].value_or("0"))) +
              " (column " + t.columns[i].name + ")";
    }
    return InvalidArgument(where + ": could not convert '" + value + "' to " + t.columns[i].type +
                           ". Change the column's type (e.g. to VARCHAR) or import with "
                           "onError=skip to leave bad rows out.");
  }
  return Status::Ok();
}

//! Maps a failed reading query to the importer's error.
Status MapError(DuckSession& session, const std::string& label, const Source& s, const TablePlan& t,
                const DuckError& e, const CancelToken& cancel, const std::string& writing) {
  if (cancel.cancelled() || e.type == DUCKDB_ERROR_INTERRUPT) {
    return Cancelled("import cancelled" +
                     (cancel.reason().empty() ? std::string() : ": " + cancel.reason()));
  }
  if (IsDiskFull(e.message)) {
    return ResourceExhausted("disk full while writing " + writing + ": " + FirstLine(e.message) +
                             ". Free disk space and retry.");
  }
  if (s.csv) {
    Status record = CsvRecordError(label, t, e.message);
    if (!record.ok()) return record;
  }
  if (e.type == DUCKDB_ERROR_CONVERSION ||
      e.message.find("Could not convert") != std::string::npos ||
      e.message.find("Conversion Error") != std::string::npos) {
    Status cast = CastError(session, label, s, t);
    if (!cast.ok()) return cast;
  }
  if (e.type == DUCKDB_ERROR_OUT_OF_MEMORY) {
    return ResourceExhausted(label + ": out of memory while importing: " + FirstLine(e.message));
  }
  return InvalidArgument(label + " could not be imported: " + FirstLine(e.message));
}

//! With kSkip: the rejects DuckDB's CSV reader stored, or the rows whose values do not cast.
Status CollectRejects(DuckSession& session, const Source& s, const TablePlan& t, RejectLog* log) {
  if (s.csv && s.csv_skip) {
    auto count = session.Query("SELECT count(DISTINCT line) FROM reject_errors");
    if (!count.ok()) return Status::Ok();  // no reject table: nothing was rejected
    if (!count->rows.empty() && count->rows[0][0]) log->count += std::stoull(*count->rows[0][0]);
    auto samples = session.Query(
        "SELECT line, column_idx, column_name, error_message, csv_line FROM reject_errors "
        "ORDER BY line, column_idx LIMIT " +
        std::to_string(kMaxRejectSamples * 4));
    if (!samples.ok()) return Status::Ok();
    std::unordered_set<std::string> lines;
    for (const auto& row : samples->rows) {
      const std::string line = row[0].value_or("0");
      if (!lines.insert(line).second) continue;
      if (log->samples.size() >= kMaxRejectSamples) break;
      Reject r;
      r.table = t.name;
      r.line = std::stoull(line);
      r.column = std::stoull(row[1].value_or("0"));
      r.column_name = row[2].value_or("");
      r.message = Truncate(row[3].value_or(""), 500);
      r.raw = Truncate(row[4].value_or(""), kMaxRaw);
      log->samples.push_back(std::move(r));
    }
    return Status::Ok();
  }
  const std::string bad = AnyBad(s, t);
  if (bad.empty()) return Status::Ok();
  auto count = session.Query("SELECT count(*) FROM " + s.from + " WHERE " + bad);
  if (count.ok() && !count->rows.empty() && count->rows[0][0]) {
    log->count += std::stoull(*count->rows[0][0]);
  }
  std::string sql = "SELECT ";
  sql.append(s.row_column.empty() ? "0" : s.row_column);
  for (size_t i = 0; i < t.columns.size(); ++i) {
    sql.append(", CAST(").append(s.src[i]).append(" AS VARCHAR)");
    sql.append(", ").append(s.cast[i] ? BadExpr(s, t, i) : "false");
  }
  sql.append(" FROM ").append(s.from).append(" WHERE ").append(bad);
  if (!s.row_column.empty()) sql.append(" ORDER BY ").append(s.row_column);
  sql.append(" LIMIT ").append(std::to_string(kMaxRejectSamples));
  auto samples = session.Query(sql);
  if (!samples.ok()) return Status::Ok();
  for (const auto& row : samples->rows) {
    if (log->samples.size() >= kMaxRejectSamples) break;
    Reject r;
    r.table = t.name;
    r.sheet = s.sheet;
    r.line = std::stoull(row[0].value_or("0"));
    std::string raw;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const auto& value = row[1 + 2 * i];
      if (i) raw.push_back(',');
      raw.append(value.value_or(""));
      if (r.column == 0 && row[2 + 2 * i].value_or("false") == "true") {
        r.column = s.row_column.empty() ? i + 1 : s.xlsx_first_column + i + 1;
        r.column_name = t.columns[i].name;
        r.message =
            "could not convert '" + Truncate(value.value_or(""), 200) + "' to " + t.columns[i].type;
        if (!s.row_column.empty()) {
          r.message = "cell " +
                      XlsxCellRef(s.xlsx_first_column + static_cast<uint32_t>(i), r.line) + ": " +
                      r.message;
        }
      }
    }
    r.raw = Truncate(raw, kMaxRaw);
    log->samples.push_back(std::move(r));
  }
  return Status::Ok();
}

//! Reports progress monotonically.
class ProgressReporter {
 public:
  ProgressReporter(const ProgressFn& fn, uint64_t file_size, uint64_t total_rows, bool exact)
      : fn_(fn), file_size_(file_size), total_rows_(total_rows), exact_(exact) {}

  void Report(const std::string& phase, double percent, uint64_t rows) {
    if (!fn_) return;
    std::lock_guard lock(mu_);
    percent = std::clamp(percent, 0.0, 100.0);
    if (percent < percent_) percent = percent_;
    if (rows < rows_) rows = rows_;
    percent_ = percent;
    rows_ = rows;
    Progress p;
    p.phase = phase;
    p.percent = percent;
    p.rows_processed = rows;
    p.total_rows = std::max(total_rows_, rows);
    p.total_exact = exact_;
    p.bytes_processed = static_cast<uint64_t>(percent / 100.0 * static_cast<double>(file_size_));
    fn_(p);
  }
  //! The last report: 100%, with the exact row count (interim counts were estimates).
  void Finish(uint64_t rows) {
    {
      std::lock_guard lock(mu_);
      total_rows_ = rows;
      exact_ = true;
      rows_ = 0;
    }
    Report("writing", 100, rows);
  }
  uint64_t total() const { return total_rows_; }

 private:
  const ProgressFn& fn_;
  std::mutex mu_;
  uint64_t file_size_;
  uint64_t total_rows_;
  bool exact_;
  double percent_ = 0;
  uint64_t rows_ = 0;
};

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::string Label(const std::string& path) {
  return internal::Label(path);
}

//! DuckDB's memory limit for reading and writing the plan's tables: 512 MB, plus 64 KB per
//! column beyond the first thousand (the Parquet writer keeps state per column; 10,000 columns
//! need about 1 GB of DuckDB's accounting though far less resident memory), at most 4 GB.
std::string MemoryLimitFor(const ImportPlan& plan) {
  size_t widest = 0;
  for (const auto& t : plan.tables) widest = std::max(widest, t.columns.size());
  const size_t extra = widest > 1000 ? (widest - 1000) * 64 / 1024 : 0;
  return std::to_string(std::min<size_t>(512 + extra, 4096)) + "MB";
}

}  // namespace

Result<std::vector<TablePreview>> PreviewFile(const std::string& path, const ImportPlan& plan,
                                              size_t max_rows) {
  TRIB_RETURN_IF_ERROR(ValidatePlan(plan));
  const std::string label = Label(path);
  TRIB_ASSIGN_OR_RETURN(auto temp, internal::TempDir::Create("", "tributary-preview-"));
  std::unique_ptr<XlsxReader> reader;
  if (plan.format == FileFormat::kXlsx) {
    TRIB_ASSIGN_OR_RETURN(reader, XlsxReader::Open(path));
  }
  std::vector<TablePreview> previews;
  const bool skip = plan.on_error == OnError::kSkip;
  for (size_t t = 0; t < plan.tables.size(); ++t) {
    const TablePlan& table = plan.tables[t];
    TRIB_ASSIGN_OR_RETURN(
        auto session,
        DuckSession::Open(temp.path() + "/duckdb" + std::to_string(t), MemoryLimitFor(plan)));
    SourceContext ctx{session.get(), path, label, &plan, reader.get()};
    RejectLog staging_rejects;
    CancelToken never;
    // The preview never fails on a bad record: it counts it.
    TRIB_ASSIGN_OR_RETURN(Source source, BuildSource(ctx, t, /*skip=*/true, max_rows,
                                                     &staging_rejects, nullptr, never));
    DuckError error;
    auto rows = session->Query(SelectSql(source, table, false, true, max_rows, true), &error);
    if (!rows.ok()) return MapError(*session, label, source, table, error, never, "the preview");
    TablePreview preview;
    preview.name = table.name;
    preview.columns = table.columns;
    preview.bad_rows = staging_rejects.count;
    for (auto& row : rows->rows) {
      const bool bad = row.back().value_or("false") == "true";
      row.pop_back();
      if (bad) {
        ++preview.bad_rows;
        if (skip) continue;
      }
      preview.rows.push_back(std::move(row));
    }
    if (source.csv) {
      auto count = session->Query("SELECT count(DISTINCT line) FROM reject_errors");
      if (count.ok() && !count->rows.empty() && count->rows[0][0]) {
        preview.bad_rows += std::stoull(*count->rows[0][0]);
      }
    }
    previews.push_back(std::move(preview));
  }
  return previews;
}

Result<ConvertResult> ConvertToParquet(const std::string& path, const ImportPlan& plan,
                                       const std::string& out_dir, const ProgressFn& progress,
                                       const CancelToken& cancel) {
  TRIB_RETURN_IF_ERROR(ValidatePlan(plan));
  const std::string label = Label(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("the uploaded file " + path + " does not exist");
  }
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    if (ec == std::errc::no_space_on_device) {
      return ResourceExhausted("disk full while creating " + out_dir);
    }
    return Internal("cannot create the import folder " + out_dir + ": " + ec.message());
  }
  // Everything written is listed here and deleted unless the whole conversion succeeds.
  std::vector<std::string> written;
  struct Cleanup {
    std::vector<std::string>* files;
    bool keep = false;
    ~Cleanup() {
      if (keep) return;
      for (const auto& f : *files) {
        std::error_code e;
        std::filesystem::remove(f, e);
      }
    }
  } cleanup{&written};

  const uint64_t file_size = FileSize(path);
  uint64_t total_estimate = 0;
  bool all_exact = true;
  for (const auto& t : plan.tables) {
    total_estimate += t.estimated_rows.value_or(0);
    all_exact = all_exact && t.estimate_exact;
  }
  ProgressReporter reporter(progress, file_size, total_estimate, all_exact);
  reporter.Report("converting", 0, 0);

  ConvertResult result;
  RejectLog rejects;
  const bool skip = plan.on_error == OnError::kSkip;
  std::unique_ptr<XlsxReader> reader;
  if (plan.format == FileFormat::kXlsx) {
    TRIB_ASSIGN_OR_RETURN(reader, XlsxReader::Open(path));
  }
  uint64_t rows_done = 0;
  const double share = 100.0 / static_cast<double>(plan.tables.size());
  for (size_t t = 0; t < plan.tables.size(); ++t) {
    const TablePlan& table = plan.tables[t];
    const double base = share * static_cast<double>(t);
    if (cancel.cancelled()) return Cancelled("import cancelled: " + cancel.reason());
    TRIB_ASSIGN_OR_RETURN(auto scratch, internal::TempDir::Create(out_dir, ".import-scratch-"));
    TRIB_ASSIGN_OR_RETURN(auto session,
                          DuckSession::Open(scratch.path() + "/duckdb", MemoryLimitFor(plan)));
    SourceContext ctx{session.get(), path, label, &plan, reader.get()};
    const uint64_t estimate = table.estimated_rows.value_or(0);
    const bool xlsx = plan.format == FileFormat::kXlsx;
    // XLSX: staging is "parsing" (the first 70% of the table's share), the COPY the rest.
    auto on_rows = [&](uint64_t rows) {
      const double fraction =
          estimate ? std::min(1.0, static_cast<double>(rows) / static_cast<double>(estimate)) : 0;
      reporter.Report("parsing", base + share * 0.7 * fraction, rows_done + rows);
    };
    TRIB_ASSIGN_OR_RETURN(Source source,
                          BuildSource(ctx, t, skip, std::nullopt, &rejects, on_rows, cancel));
    const std::string final_path = (std::filesystem::path(out_dir) / (table.name + ".parquet"));
    const std::string tmp_path = final_path + ".tmp";
    written.push_back(tmp_path);
    written.push_back(final_path);

    bool copied = false;
    uint64_t rows = 0;
    if (plan.format == FileFormat::kParquet &&
        std::none_of(source.cast.begin(), source.cast.end(), [](bool c) { return c; })) {
      // Same columns and types: the file is kept as it is.
      bool renamed = false;
      auto described = session->Query("DESCRIBE SELECT * FROM " + source.from);
      if (described.ok() && described->rows.size() == table.columns.size()) {
        for (size_t i = 0; i < table.columns.size(); ++i) {
          if (described->rows[i][0].value_or("") != table.columns[i].name) renamed = true;
        }
        if (!renamed) {
          std::filesystem::copy_file(path, tmp_path,
                                     std::filesystem::copy_options::overwrite_existing, ec);
          if (ec) {
            if (ec == std::errc::no_space_on_device) {
              return ResourceExhausted("disk full while writing " + final_path +
                                       ". Free disk space and retry.");
            }
            return Internal("cannot copy " + label + " to " + tmp_path + ": " + ec.message());
          }
          auto count =
              session->Query("SELECT sum(num_rows) FROM parquet_file_metadata(" + Lit(path) + ")");
          if (count.ok() && !count->rows.empty() && count->rows[0][0]) {
            rows = std::stoull(*count->rows[0][0]);
          }
          copied = true;
        }
      }
    }
    if (!copied) {
      const std::string sql = "COPY (" + SelectSql(source, table, skip, false, std::nullopt) +
                              ") TO " + Lit(tmp_path) + " (FORMAT parquet, COMPRESSION zstd)";
      const double copy_base = base + (xlsx ? share * 0.7 : 0);
      const double copy_share = xlsx ? share * 0.3 : share;
      auto poll = [&](double percent, uint64_t, uint64_t) {
        if (percent < 0) return;
        const double fraction = std::min(percent, 99.0) / 100.0;
        const uint64_t rows_est =
            xlsx ? rows_done + estimate
                 : rows_done + static_cast<uint64_t>(fraction * static_cast<double>(estimate));
        reporter.Report("converting", copy_base + copy_share * fraction, rows_est);
      };
      DuckError error;
      auto changed = session->RunLong(sql, poll, cancel, &error);
      if (!changed.ok()) {
        // A CANCEL, or the error with the record's position (a second short read).
        if (cancel.cancelled() || error.type == DUCKDB_ERROR_INTERRUPT) {
          return Cancelled("import cancelled" +
                           (cancel.reason().empty() ? std::string() : ": " + cancel.reason()));
        }
        return MapError(*session, label, source, table, error, cancel, final_path);
      }
      rows = *changed;
    }
    if (cancel.cancelled()) return Cancelled("import cancelled: " + cancel.reason());
    reporter.Report("writing", base + share * 0.995, rows_done + rows);
    std::filesystem::rename(tmp_path, final_path, ec);
    if (ec)
      return Internal("cannot rename " + tmp_path + " to " + final_path + ": " + ec.message());
    if (skip) TRIB_RETURN_IF_ERROR(CollectRejects(*session, source, table, &rejects));
    ConvertedTable converted;
    converted.name = table.name;
    converted.location = final_path;
    converted.rows = rows;
    converted.bytes = FileSize(final_path);
    converted.columns = table.columns;
    result.tables.push_back(std::move(converted));
    rows_done += rows;
  }
  reporter.Finish(rows_done);
  result.rejected_rows = rejects.count;
  result.rejects = std::move(rejects.samples);
  cleanup.keep = true;
  return result;
}

Result<ConvertResult> StreamRows(const std::string& path, const ImportPlan& plan,
                                 size_t table_index, const std::string& scratch_dir,
                                 size_t batch_rows,
                                 const std::function<Status(const RowBatch&)>& sink,
                                 const ProgressFn& progress, const CancelToken& cancel) {
  TRIB_RETURN_IF_ERROR(ValidatePlan(plan));
  if (table_index >= plan.tables.size()) {
    return InvalidArgument("the plan has no table " + std::to_string(table_index));
  }
  if (batch_rows == 0) batch_rows = 1;
  const std::string label = Label(path);
  const TablePlan& table = plan.tables[table_index];
  const bool skip = plan.on_error == OnError::kSkip;
  TRIB_ASSIGN_OR_RETURN(auto scratch, internal::TempDir::Create(scratch_dir, ".import-stream-"));
  TRIB_ASSIGN_OR_RETURN(auto session,
                        DuckSession::Open(scratch.path() + "/duckdb", MemoryLimitFor(plan)));
  std::unique_ptr<XlsxReader> reader;
  if (plan.format == FileFormat::kXlsx) {
    TRIB_ASSIGN_OR_RETURN(reader, XlsxReader::Open(path));
  }
  const uint64_t estimate = table.estimated_rows.value_or(0);
  ProgressReporter reporter(progress, FileSize(path), estimate, table.estimate_exact);
  reporter.Report(plan.format == FileFormat::kXlsx ? "parsing" : "converting", 0, 0);
  SourceContext ctx{session.get(), path, label, &plan, reader.get()};
  RejectLog rejects;
  auto on_rows = [&](uint64_t rows) {
    const double fraction =
        estimate ? std::min(1.0, static_cast<double>(rows) / static_cast<double>(estimate)) : 0;
    reporter.Report("parsing", 50 * fraction, 0);
  };
  TRIB_ASSIGN_OR_RETURN(
      Source source, BuildSource(ctx, table_index, skip, std::nullopt, &rejects, on_rows, cancel));
  const double base = plan.format == FileFormat::kXlsx ? 50 : 0;
  const double span = 100 - base;
  RowBatch batch;
  batch.reserve(batch_rows);
  uint64_t rows = 0;
  Status sink_status;
  const size_t columns = table.columns.size();
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    Status status = sink(batch);
    batch.clear();
    if (!status.ok()) sink_status = status;
    return status;
  };
  DuckError error;
  Status streamed = session->Stream(
      SelectSql(source, table, skip, true, std::nullopt),
      [&](duckdb_data_chunk chunk) -> Status {
        if (cancel.cancelled()) return Cancelled("import cancelled: " + cancel.reason());
        const idx_t size = duckdb_data_chunk_get_size(chunk);
        std::vector<duckdb_vector> vectors(columns);
        for (size_t c = 0; c < columns; ++c) vectors[c] = duckdb_data_chunk_get_vector(chunk, c);
        for (idx_t r = 0; r < size; ++r) {
          std::vector<std::optional<std::string>> row;
          row.reserve(columns);
          for (size_t c = 0; c < columns; ++c) row.push_back(VarcharAt(vectors[c], r));
          batch.push_back(std::move(row));
          if (batch.size() >= batch_rows) TRIB_RETURN_IF_ERROR(flush());
        }
        rows += size;
        const double fraction =
            estimate ? std::min(0.99, static_cast<double>(rows) / static_cast<double>(estimate))
                     : 0;
        reporter.Report("converting", base + span * fraction, rows);
        return Status::Ok();
      },
      cancel, &error);
  if (!sink_status.ok()) return sink_status;
  if (!streamed.ok()) return MapError(*session, label, source, table, error, cancel, "the target");
  TRIB_RETURN_IF_ERROR(flush());
  if (cancel.cancelled()) return Cancelled("import cancelled: " + cancel.reason());
  if (skip) TRIB_RETURN_IF_ERROR(CollectRejects(*session, source, table, &rejects));
  reporter.Finish(rows);
  ConvertResult result;
  ConvertedTable converted;
  converted.name = table.name;
  converted.rows = rows;
  converted.columns = table.columns;
  result.tables.push_back(std::move(converted));
  result.rejected_rows = rejects.count;
  result.rejects = std::move(rejects.samples);
  return result;
}

}  // namespace tributary::importer
