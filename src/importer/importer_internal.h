// Helpers shared by the importer's sniffing and conversion code (not a public interface).
// Thread-safety: pure functions, and TempDir, which one thread owns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "importer/importer.h"
#include "importer/xlsx_reader.h"

namespace tributary::importer::internal {

//! 'text' as a SQL string literal.
std::string Lit(std::string_view text);
//! "name" as a quoted SQL identifier.
std::string Ident(std::string_view name);
//! The file name for messages: `filename` when given, else the path's last component.
std::string Label(const std::string& path);
//! True for DuckDB types that hold nested values (STRUCT, LIST, MAP, UNION, arrays).
bool IsNestedType(std::string_view type);
//! Upper-cases and trims a type name for comparisons.
std::string NormalizeType(std::string_view type);
//! Names made unique case-insensitively: "a", "a" -> "a", "a_2".
void Deduplicate(std::vector<std::string>* names);

//! The largest line (and so field) the CSV reader accepts, and its buffer size (DuckDB needs a
//! buffer larger than a line; its default of 16 lines per buffer would need 512 MB).
inline constexpr int64_t kMaxLineSize = 32LL * 1024 * 1024;
inline constexpr int64_t kCsvBufferSize = 40LL * 1024 * 1024;

//! The read_csv(...) call reading `path` with the plan's dialect and table's names/types.
//! `skip`: bad records are skipped and stored in reject_errors.
std::string CsvReadCall(const std::string& path, const ImportPlan& plan, const TablePlan& table,
                        bool skip);
//! The read_json(...) argument for the format: 'newline_delimited' or 'auto'.
std::string JsonFormatArg(FileFormat format);

//! Where a sheet's table starts and what its columns are, from the first rows.
struct XlsxLayout {
  //! False when the sheet has no non-empty cell.
  bool has_data = false;
  uint64_t first_row = 0;
  uint32_t first_column = 0;
  bool header = true;
  std::vector<std::string> source_names;
  std::vector<std::string> types;
  //! Data rows seen in the sample, and whether the sample reached the sheet's end.
  uint64_t sampled_rows = 0;
  bool complete = false;
};
//! Reads up to `sample_rows` rows of sheet `sheet_index` and decides its layout; the header
//! is `header_hint` when given, else whether the first row is all text.
Result<XlsxLayout> SniffSheet(XlsxReader& reader, size_t sheet_index,
                              std::optional<bool> header_hint, size_t sample_rows = 1000);
//! The status a row callback returns to stop ReadSheet early (not an error).
Status StopReading();
bool IsStopReading(const Status& status);

//! "YYYY-MM-DD HH:MM:SS[.ffffff]" for microseconds since 1970-01-01T00:00:00.
std::string FormatMicros(int64_t micros);
//! A number as text: integers without a fraction, others with the shortest round trip.
std::string FormatNumber(double value);
//! A cell's value as text (dates ISO, booleans "true"/"false"); empty for an empty cell.
std::string XlsxCellText(const XlsxCell& cell);
//! "A", "B", ... "AA" for a 0-based column.
std::string XlsxColumnName(uint32_t column);

//! A folder deleted (with its content) when the object goes away.
class TempDir {
 public:
  //! Creates a fresh folder under `parent` (the system temp folder when empty).
  static Result<TempDir> Create(const std::string& parent, std::string_view prefix);
  TempDir() = default;
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tributary::importer::internal
