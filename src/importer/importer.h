// The file importer: detects what an uploaded file is, previews it, and converts it to Parquet
// (or hands its rows to an import target) with DuckDB, reporting progress and obeying cancel.
//
// Pipeline (docs/import.md): Sniff -> PreviewFile -> (the client edits the plan) ->
// ConvertToParquet, or StreamRows into a target loader (importer/targets/). Every step reads the
// uploaded file where it is and never holds a whole file in memory: CSV, JSON and Parquet go
// through DuckDB's readers, XLSX through the streaming XlsxReader (importer/xlsx_reader.h).
// Errors say what, where (line and column; the sheet and cell for XLSX) and how to fix it.
//
// Thread-safety: the functions are safe to call concurrently on different files; each call
// opens its own in-memory DuckDB database. `progress` is called on the calling thread or on
// one helper thread, never concurrently with itself.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"

namespace tributary::importer {

enum class FileFormat { kCsv, kTsv, kJson, kNdjson, kXlsx, kParquet };

//! "csv", "tsv", "json", "ndjson", "xlsx", "parquet".
std::string_view FormatName(FileFormat format);
//! The format named `name` (as FormatName spells it); nullopt when unknown.
std::optional<FileFormat> ParseFormatName(std::string_view name);

//! How a CSV or TSV file is written; detected by Sniff, each field overridable.
struct CsvDialect {
  //! One character; "\t" for TSV.
  std::string delimiter = ",";
  //! One character, or empty for none.
  std::string quote = "\"";
  //! One character, or empty for none.
  std::string escape = "\"";
  bool header = true;
  //! "utf-8" (a BOM is skipped), "latin-1" or "utf-16".
  std::string encoding = "utf-8";
  //! Lines skipped before the header (or the first row).
  int64_t skip_rows = 0;
  //! DuckDB strptime formats of DATE and TIMESTAMP columns as detected by Sniff (e.g.
  //! "%d/%m/%Y"); empty: ISO 8601.
  std::string date_format;
  std::string timestamp_format;
};

//! A column of a table to import.
struct ColumnSpec {
  //! The name in the file: the header cell, or "column1", "column2"... without a header.
  std::string source_name;
  //! The name in the imported table (the client may rename it); unique within the table.
  std::string name;
  //! A DuckDB type name: BOOLEAN, BIGINT, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, TIME,
  //! VARCHAR (the client may override it; a value that does not convert is a bad row).
  std::string type;
};

//! One table an import produces: the file's rows, or one sheet of a workbook.
struct TablePlan {
  //! The table's name in the imported source (an identifier: letters, digits, '_').
  std::string name;
  //! XLSX: the sheet it comes from; empty for other formats.
  std::string sheet;
  std::vector<ColumnSpec> columns;
  //! Rows expected (an estimate from the file size and the sampled rows until known exactly);
  //! nullopt when there is no basis for one.
  std::optional<uint64_t> estimated_rows;
  bool estimate_exact = false;
  //! XLSX layout found by Sniff: the 1-based row of the header (or of the first data row
  //! without one; 0: find it again), the 0-based column of the first column, and whether that
  //! row is a header.
  uint64_t xlsx_first_row = 0;
  uint32_t xlsx_first_column = 0;
  bool xlsx_header = true;
};

enum class OnError {
  //! The first malformed record fails the import, naming its line and column.
  kFail,
  //! Malformed records are skipped, counted and sampled (ConvertResult::rejects).
  kSkip,
};

//! What to import and how: made by Sniff, possibly edited by the client, then executed.
struct ImportPlan {
  FileFormat format = FileFormat::kCsv;
  //! CSV and TSV only.
  CsvDialect csv;
  //! One per sheet for XLSX (every non-empty sheet, or those the hints name), else one.
  std::vector<TablePlan> tables;
  OnError on_error = OnError::kFail;
};

//! What the client said about the file before sniffing (all optional).
struct SniffHints {
  //! Trust this format instead of detecting it (a mismatch with the content is still an
  //! error: "file.csv is a zip archive (XLSX?)").
  std::optional<FileFormat> format;
  std::optional<std::string> delimiter;
  std::optional<std::string> quote;
  std::optional<std::string> escape;
  std::optional<bool> header;
  std::optional<std::string> encoding;
  std::optional<int64_t> skip_rows;
  //! XLSX: import only these sheets (by name); empty: every non-empty sheet.
  std::vector<std::string> sheets;
  //! The base name for the table(s); empty: derived from the file name.
  std::string table_name;
};

//! Detects the format from the content (the file name only breaks ties: a ".csv" that is a
//! zip archive is an error naming what it is), the CSV dialect and encoding, and the columns
//! with their types from a sample. INVALID_ARGUMENT for an empty file, a binary file that is
//! none of the formats, a workbook without data; the message says what was found.
Result<ImportPlan> Sniff(const std::string& path, std::string_view filename,
                         const SniffHints& hints);

//! The first rows of each table of `plan`, converted to the plan's types.
struct TablePreview {
  std::string name;
  std::vector<ColumnSpec> columns;
  //! Values as text, as they will be stored (nullopt: NULL).
  std::vector<std::vector<std::optional<std::string>>> rows;
  //! Rows of the preview that failed to parse or convert (with on_error kSkip they are left
  //! out of `rows`; with kFail the preview still succeeds and lists them here).
  uint64_t bad_rows = 0;
};

//! A record that could not be imported.
struct Reject {
  std::string table;
  //! XLSX: the sheet; empty otherwise.
  std::string sheet;
  //! 1-based line in the file (CSV/NDJSON), or row number in the sheet (XLSX); 0: unknown.
  uint64_t line = 0;
  //! 1-based column; 0 when the whole record is wrong (e.g. too many fields).
  uint64_t column = 0;
  std::string column_name;
  //! What is wrong, e.g. "could not convert 'abc' to BIGINT".
  std::string message;
  //! The record as written in the file (at most 1 KiB).
  std::string raw;
};

Result<std::vector<TablePreview>> PreviewFile(const std::string& path, const ImportPlan& plan,
                                              size_t max_rows = 100);

//! Where an import is.
struct Progress {
  //! "parsing" (reading for XLSX and the sniff), "converting" (rows being read and converted)
  //! or "writing" (the Parquet file being finished).
  std::string phase;
  //! 0-100 over the whole conversion.
  double percent = 0;
  uint64_t rows_processed = 0;
  //! An estimate until `total_exact`.
  uint64_t total_rows = 0;
  bool total_exact = false;
  //! Bytes of the input file consumed so far.
  uint64_t bytes_processed = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

struct ConvertedTable {
  std::string name;
  //! The Parquet file (local conversion) or the target's table name (target loads).
  std::string location;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::vector<ColumnSpec> columns;
};

struct ConvertResult {
  std::vector<ConvertedTable> tables;
  //! With OnError::kSkip: how many records were left out, and the first 20 of them.
  uint64_t rejected_rows = 0;
  std::vector<Reject> rejects;
};

//! Converts the file to one zstd-compressed Parquet file per table in `out_dir` (created;
//! files are written under a temporary name and renamed when complete). With kFail the first
//! bad record fails with INVALID_ARGUMENT naming its line and column (and sheet); CANCELLED
//! when `cancel` fires (DuckDB is interrupted); RESOURCE_EXHAUSTED when the disk fills.
//! On any error the partial files are deleted.
Result<ConvertResult> ConvertToParquet(const std::string& path, const ImportPlan& plan,
                                       const std::string& out_dir, const ProgressFn& progress,
                                       const CancelToken& cancel);

//! Rows as text in a target-neutral form: ISO 8601 dates and timestamps, '.' decimals,
//! "true"/"false"; nullopt is NULL.
using RowBatch = std::vector<std::vector<std::optional<std::string>>>;

//! Reads table `table_index` of the plan with its names and types and hands its rows to `sink`
//! in batches of up to `batch_rows`, for loaders that write elsewhere (importer/targets/).
//! Bad records follow plan.on_error (rejects are counted in the result, as for
//! ConvertToParquet). XLSX sheets may be staged in `scratch_dir` (the caller deletes it).
//! A non-OK status from `sink` stops the read and is returned.
Result<ConvertResult> StreamRows(const std::string& path, const ImportPlan& plan,
                                 size_t table_index, const std::string& scratch_dir,
                                 size_t batch_rows,
                                 const std::function<Status(const RowBatch&)>& sink,
                                 const ProgressFn& progress, const CancelToken& cancel);

//! A table or column name made safe as an identifier: letters, digits and '_', not starting
//! with a digit, at most 63 characters; "" becomes "column".
std::string SanitizeIdentifier(std::string_view name);

}  // namespace tributary::importer
