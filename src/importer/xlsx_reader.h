// XlsxReader: a streaming reader of Excel workbooks (.xlsx, Office Open XML spreadsheets).
//
// The workbook is a zip archive (read with libzip); its XML parts are parsed with expat in
// fixed-size chunks straight from the decompressing zip stream, so a sheet is never held in
// memory whole: only the current row is. The workbook's shared strings (xl/sharedStrings.xml)
// and cell styles (xl/styles.xml) are loaded once when the file is opened, since any cell may
// refer to them.
//
// Cells are reported row by row with their column index (from the cell reference, so a gap
// in the columns is empty cells), their kind and value. Numbers whose cell style is a date or
// time format (built-in ids 14-22 and 45-47, or a custom format with d/m/y/h/s outside quotes
// and brackets) are reported as dates or timestamps converted from the serial number, in the
// 1900 date system (with Excel's 1900 leap-year bug) or the 1904 one when the workbook says so.
//
// Errors name the file, the sheet and the cell or XML position, and say how to fix them; a
// file that is not a zip archive or not a workbook gives INVALID_ARGUMENT.
//
// Thread-safety: an XlsxReader is not thread-safe (it owns one libzip handle); use one reader
// per thread. Distinct readers, even of the same file, may be used concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct zip;

namespace tributary::importer {

//! What a cell holds.
enum class XlsxCellKind {
  //! A cell present in the file with no value (e.g. only a style).
  kEmpty,
  //! A number (`number`); also a formula's cached numeric result.
  kNumber,
  //! A string from the shared string table (`text`).
  kSharedString,
  //! A string stored in the cell itself (`t="inlineStr"`, `text`).
  kInlineString,
  //! A formula's cached string result (`t="str"`, `text`).
  kFormulaString,
  //! A boolean: `number` is 0 or 1, `text` is "FALSE" or "TRUE".
  kBool,
  //! An error value such as "#DIV/0!" (`text`).
  kError,
  //! A number in a date-only format: `days` since 1970-01-01, `number` is the serial.
  kDate,
  //! A number in a format with a time of day: `micros` since 1970-01-01T00:00:00 (no zone),
  //! `number` is the serial.
  kTimestamp,
};

//! The stable lower-case name of a kind, e.g. "shared_string".
std::string_view XlsxCellKindName(XlsxCellKind kind);

//! One cell of a row.
struct XlsxCell {
  //! 0-based column index (A = 0); the cells of a row come in increasing column order as
  //! the file stores them, and a missing index is an empty cell.
  uint32_t column = 0;
  XlsxCellKind kind = XlsxCellKind::kEmpty;
  //! True when the cell holds a formula; the value is the formula's cached result.
  bool formula = false;
  std::string text;
  double number = 0;
  int64_t days = 0;
  int64_t micros = 0;
};

//! One row: its 1-based row number (rows absent from the file are skipped, so numbers may
//! jump) and its non-absent cells.
struct XlsxRow {
  uint64_t number = 0;
  std::vector<XlsxCell> cells;
};

//! A worksheet listed in the workbook.
struct XlsxSheetInfo {
  //! The name shown on the sheet's tab.
  std::string name;
  //! 0-based position in the workbook.
  size_t index = 0;
  //! The sheet's part inside the archive, e.g. "xl/worksheets/sheet1.xml".
  std::string part_path;
};

//! Called once per row in file order; a non-OK status stops the read and is returned by
//! ReadSheet as is.
using XlsxRowCallback = std::function<Status(const XlsxRow& row)>;

//! "A1"-style reference for a 0-based column and 1-based row, e.g. (2, 17) -> "C17".
std::string XlsxCellRef(uint32_t column, uint64_t row);
//! The 0-based column of an "A1"-style reference ("C17" -> 2); nullopt when malformed.
std::optional<uint32_t> XlsxColumnFromRef(std::string_view ref);
//! Whether a number format (built-in id, or custom format code when not empty) shows a date
//! or time; `has_time` is set when it shows a time of day.
bool XlsxIsDateFormat(int num_fmt_id, std::string_view format_code, bool* has_time);
//! Converts a date serial to microseconds since 1970-01-01T00:00:00, in the 1900 system (serial
//! 1 = 1900-01-01, the nonexistent 1900-02-29 = 60 maps to 1900-02-28) or the 1904 one.
int64_t XlsxSerialToMicros(double serial, bool date1904);

//! Reads one .xlsx file. Open it with Open(); list sheets with sheets(); read a sheet with
//! ReadSheet().
class XlsxReader {
 public:
  //! Opens the workbook at `path`: reads the sheet list, styles and shared strings.
  //! INVALID_ARGUMENT when the file is not a zip archive or not a workbook, NOT_FOUND when
  //! it does not exist.
  static Result<std::unique_ptr<XlsxReader>> Open(const std::string& path);
  ~XlsxReader();
  XlsxReader(const XlsxReader&) = delete;
  XlsxReader& operator=(const XlsxReader&) = delete;

  //! The worksheets in workbook order.
  const std::vector<XlsxSheetInfo>& sheets() const { return sheets_; }
  //! The sheet named `name`; NOT_FOUND (listing the names) when there is none.
  Result<XlsxSheetInfo> FindSheet(std::string_view name) const;
  //! True when the workbook uses the 1904 date system.
  bool date1904() const { return date1904_; }
  //! The number of shared strings loaded.
  size_t shared_string_count() const { return shared_strings_.size(); }

  //! The sheet's row count from its <dimension ref> (read from the start of the sheet part
  //! only); nullopt when the sheet has none. An estimate: writers may leave it stale.
  Result<std::optional<uint64_t>> EstimateRowCount(size_t sheet_index);
  //! Streams the rows of sheet `sheet_index` to `on_row`.
  Status ReadSheet(size_t sheet_index, const XlsxRowCallback& on_row);

 private:
  struct Style {
    bool is_date = false;
    bool has_time = false;
  };
  friend struct XlsxSheetParser;

  XlsxReader(std::string path, zip* archive) : path_(std::move(path)), archive_(archive) {}
  Status LoadWorkbook();
  Status LoadStyles();
  Status LoadSharedStrings();

  std::string path_;
  zip* archive_ = nullptr;
  std::vector<XlsxSheetInfo> sheets_;
  std::vector<Style> styles_;
  std::vector<std::string> shared_strings_;
  bool date1904_ = false;
};

}  // namespace tributary::importer
