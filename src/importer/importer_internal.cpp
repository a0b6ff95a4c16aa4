#include "importer/importer_internal.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <unordered_set>

#include "connectors/duckdb/duckdb_setup.h"
#include "core/time_util.h"

namespace tributary::importer::internal {

std::string Lit(std::string_view text) {
  return duckdb_internal::SqlLiteral(text);
}

std::string Ident(std::string_view name) {
  return duckdb_internal::SqlIdentifier(name);
}

std::string Label(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string NormalizeType(std::string_view type) {
  std::string out;
  for (char c : type) {
    if (c == ' ') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool IsNestedType(std::string_view type) {
  const std::string t = NormalizeType(type);
  return t.rfind("STRUCT", 0) == 0 || t.rfind("MAP", 0) == 0 || t.rfind("UNION", 0) == 0 ||
         (!t.empty() && t.back() == ']');
}

void Deduplicate(std::vector<std::string>* names) {
  std::unordered_set<std::string> taken;
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  for (const auto& name : *names) taken.insert(lower(name));
  std::unordered_set<std::string> used;
  for (auto& name : *names) {
    if (used.insert(lower(name)).second) continue;
    for (int n = 2;; ++n) {
      std::string candidate = name;
      std::string suffix = "_";
      suffix.append(std::to_string(n));
      if (candidate.size() + suffix.size() > 63) candidate.resize(63 - suffix.size());
      candidate.append(suffix);
      if (!taken.count(lower(candidate)) && used.insert(lower(candidate)).second) {
        name = candidate;
        break;
      }
    }
  }
}

std::string CsvReadCall(const std::string& path, const ImportPlan& plan, const TablePlan& table,
                        bool skip) {
  auto option = [](std::string_view value) {
    return value.empty() ? std::string("''") : Lit(value);
  };
  std::string sql = "read_csv(";
  sql.append(Lit(path))
      .append(", auto_detect=false, delim=")
      .append(option(plan.csv.delimiter))
      .append(", quote=")
      .append(option(plan.csv.quote))
      .append(", escape=")
      .append(option(plan.csv.escape))
      .append(", header=")
      .append(plan.csv.header ? "true" : "false")
      .append(", skip=")
      .append(std::to_string(plan.csv.skip_rows))
      .append(", encoding=")
      .append(Lit(plan.csv.encoding.empty() ? "utf-8" : plan.csv.encoding))
      .append(", max_line_size=")
      .append(std::to_string(kMaxLineSize))
      .append(", buffer_size=")
      .append(std::to_string(kCsvBufferSize));
  if (!plan.csv.date_format.empty()) sql.append(", dateformat=").append(Lit(plan.csv.date_format));
  if (!plan.csv.timestamp_format.empty()) {
    sql.append(", timestampformat=").append(Lit(plan.csv.timestamp_format));
  }
  if (skip) sql.append(", ignore_errors=true, store_rejects=true");
  sql.append(", columns={");
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) sql.append(", ");
    sql.append(Lit(table.columns[i].name)).append(": ").append(Lit(table.columns[i].type));
  }
  sql.append("})");
  return sql;
}

std::string JsonFormatArg(FileFormat format) {
  return format == FileFormat::kNdjson ? "'newline_delimited'" : "'auto'";
}

Status StopReading() {
  return Status(ErrorCode::kCancelled, "\x01stop-reading");
}

bool IsStopReading(const Status& status) {
  return status.code() == ErrorCode::kCancelled && status.message() == "\x01stop-reading";
}

std::string FormatMicros(int64_t micros) {
  constexpr int64_t kDay = 86400LL * 1000000;
  int64_t days = micros / kDay;
  int64_t rest = micros % kDay;
  if (rest < 0) {
    rest += kDay;
    --days;
  }
  std::string out = FormatDate(days);
  const int64_t seconds = rest / 1000000, fraction = rest % 1000000;
  char buffer[80];
  std::snprintf(buffer, sizeof(buffer), " %02lld:%02lld:%02lld",
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                static_cast<long long>(seconds % 60));
  out.append(buffer);
  if (fraction) {
    std::snprintf(buffer, sizeof(buffer), ".%06lld", static_cast<long long>(fraction));
    std::string f = buffer;
    while (f.back() == '0') f.pop_back();
    out.append(f);
  }
  return out;
}

std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9.0e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buffer, end);
}

std::string XlsxCellText(const XlsxCell& cell) {
  switch (cell.kind) {
    case XlsxCellKind::kEmpty:
      return {};
    case XlsxCellKind::kNumber:
      return FormatNumber(cell.number);
    case XlsxCellKind::kBool:
      return cell.number != 0 ? "true" : "false";
    case XlsxCellKind::kDate:
      return FormatDate(cell.days);
    case XlsxCellKind::kTimestamp:
      return FormatMicros(cell.micros);
    case XlsxCellKind::kSharedString:
    case XlsxCellKind::kInlineString:
    case XlsxCellKind::kFormulaString:
    case XlsxCellKind::kError:
      return cell.text;
  }
  return cell.text;
}

std::string XlsxColumnName(uint32_t column) {
  std::string ref = XlsxCellRef(column, 1);
  ref.pop_back();  // the row "1"
  return ref;
}

namespace {

bool IsText(XlsxCellKind kind) {
  return kind == XlsxCellKind::kSharedString || kind == XlsxCellKind::kInlineString ||
         kind == XlsxCellKind::kFormulaString;
}

bool IsBlankCell(const XlsxCell& cell) {
  if (cell.kind == XlsxCellKind::kEmpty) return true;
  if (IsText(cell.kind)) {
    return std::all_of(cell.text.begin(), cell.text.end(),
                       [](unsigned char c) { return std::isspace(c) != 0; });
  }
  return false;
}

}  // namespace

Result<XlsxLayout> SniffSheet(XlsxReader& reader, size_t sheet_index,
                              std::optional<bool> header_hint, size_t sample_rows) {
  std::vector<XlsxRow> rows;
  Status status = reader.ReadSheet(sheet_index, [&](const XlsxRow& row) -> Status {
    XlsxRow kept;
    kept.number = row.number;
    for (const auto& cell : row.cells) {
      if (!IsBlankCell(cell)) kept.cells.push_back(cell);
    }
    if (kept.cells.empty()) return Status::Ok();
    if (rows.size() > sample_rows) return StopReading();
    rows.push_back(std::move(kept));
    return Status::Ok();
  });
  XlsxLayout layout;
  if (!status.ok() && !IsStopReading(status)) return status;
  layout.complete = status.ok();
  if (rows.empty()) return layout;
  layout.has_data = true;
  layout.first_row = rows[0].number;
  uint32_t first = UINT32_MAX, last = 0;
  for (const auto& row : rows) {
    for (const auto& cell : row.cells) {
      first = std::min(first, cell.column);
      last = std::max(last, cell.column);
    }
  }
  layout.first_column = first;
  const size_t width = last - first + 1;
  if (header_hint) {
    layout.header = *header_hint;
  } else {
    layout.header = std::all_of(rows[0].cells.begin(), rows[0].cells.end(),
                                [](const XlsxCell& c) { return IsText(c.kind); });
  }
  layout.source_names.resize(width);
  if (layout.header) {
    for (const auto& cell : rows[0].cells) {
      layout.source_names[cell.column - first] = XlsxCellText(cell);
    }
  }
  for (size_t i = 0; i < width; ++i) {
    if (layout.source_names[i].empty()) {
      layout.source_names[i] = "column" + std::to_string(i + 1);
    }
  }
  // Types from the data rows of the sample.
  enum Seen { kNone = 0, kInt = 1, kDouble = 2, kDate = 4, kTimestamp = 8, kBool = 16, kText = 32 };
  std::vector<int> seen(width, kNone);
  const size_t start = layout.header ? 1 : 0;
  const size_t end = std::min(rows.size(), sample_rows + start);
  for (size_t r = start; r < end; ++r) {
    for (const auto& cell : rows[r].cells) {
      int& s = seen[cell.column - first];
      switch (cell.kind) {
        case XlsxCellKind::kNumber:
          s |= (cell.number == std::trunc(cell.number) && std::fabs(cell.number) < 9.0e15)
                   ? kInt
                   : kDouble;
          break;
        case XlsxCellKind::kDate:
          s |= kDate;
          break;
        case XlsxCellKind::kTimestamp:
          s |= kTimestamp;
          break;
        case XlsxCellKind::kBool:
          s |= kBool;
          break;
        default:
          s |= kText;
          break;
      }
    }
  }
  layout.sampled_rows = end - start;
  if (!layout.complete) layout.sampled_rows = end - start;
  for (size_t i = 0; i < width; ++i) {
    const int s = seen[i];
    std::string type = "VARCHAR";
    if (s == kInt) {
      type = "BIGINT";
    } else if (s == kDouble || s == (kInt | kDouble)) {
      type = "DOUBLE";
    } else if (s == kDate) {
      type = "DATE";
    } else if (s == kTimestamp || s == (kDate | kTimestamp)) {
      type = "TIMESTAMP";
    } else if (s == kBool) {
      type = "BOOLEAN";
    }
    layout.types.push_back(type);
  }
  return layout;
}

Result<TempDir> TempDir::Create(const std::string& parent, std::string_view prefix) {
  std::error_code ec;
  const std::filesystem::path base =
      parent.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(parent);
  std::random_device rd;
  std::mt19937_64 rng(rd());
  for (int attempt = 0; attempt < 16; ++attempt) {
    char suffix[17];
    std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(rng()));
    std::filesystem::path path = base / (std::string(prefix) + suffix);
    std::filesystem::create_directories(base, ec);
    if (std::filesystem::create_directory(path, ec)) {
      TempDir dir;
      dir.path_ = path.string();
      return dir;
    }
  }
  return ResourceExhausted("cannot create a scratch folder under " + base.string() +
                           (ec ? ": " + ec.message() : std::string()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

}  // namespace tributary::importer::internal
