// Sniff: the format from the content, the CSV dialect and encoding, the columns and types.

#include <zip.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "connectors/duckdb/duckdb_setup.h"
#include "core/text.h"
#include "importer/duckdb_session.h"
#include "importer/importer.h"
#include "importer/importer_internal.h"
#include "importer/xlsx_reader.h"

namespace tributary::importer {

using internal::Ident;
using internal::Lit;

namespace {

constexpr size_t kHeadBytes = 4 * 1024 * 1024;

//! The extension of `filename` mapped to a format, when it names one.
std::optional<FileFormat> FormatFromExtension(std::string_view filename) {
  const std::string ext =
      AsciiLower(std::filesystem::path(std::string(filename)).extension().string());
  if (ext == ".csv" || ext == ".txt") return FileFormat::kCsv;
  if (ext == ".tsv" || ext == ".tab") return FileFormat::kTsv;
  if (ext == ".json") return FileFormat::kJson;
  if (ext == ".ndjson" || ext == ".jsonl") return FileFormat::kNdjson;
  if (ext == ".xlsx" || ext == ".xlsm") return FileFormat::kXlsx;
  if (ext == ".parquet" || ext == ".pq") return FileFormat::kParquet;
  return std::nullopt;
}

std::string UpperName(FileFormat format) {
  std::string name(FormatName(format));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name;
}

Result<std::string> ReadHead(const std::string& path, size_t max_bytes, uint64_t* file_size) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("the uploaded file " + path + " does not exist");
  }
  *file_size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open the uploaded file " + path);
  std::string head(static_cast<size_t>(std::min<uint64_t>(*file_size, max_bytes)), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

//! True when `data` is valid UTF-8 (a sequence cut by the end of the buffer is allowed).
bool ValidUtf8(std::string_view data, bool truncated) {
  size_t i = 0;
  const size_t n = data.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > n) return truncated;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(data[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

bool LooksBinary(std::string_view data) {
  const size_t n = std::min<size_t>(data.size(), 64 * 1024);
  size_t control = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c == 0) return true;
    if ((c < 0x09) || (c > 0x0D && c < 0x20 && c != 0x1B)) ++control;
  }
  return n > 0 && control * 100 > n;  // more than 1% control characters
}

bool IsUtf16Bom(std::string_view head) {
  return head.size() >= 2 &&
         ((head[0] == '\xFF' && head[1] == '\xFE') || (head[0] == '\xFE' && head[1] == '\xFF'));
}

bool ZipHasWorkbook(const std::string& path) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (archive == nullptr) return false;
  const bool found = zip_name_locate(archive, "xl/workbook.xml", 0) >= 0;
  zip_discard(archive);
  return found;
}

//! What the content is, as far as magic bytes tell.
enum class ContentKind { kXlsx, kZip, kParquet, kGzip, kJsonArray, kJsonObject, kText, kBinary };

std::string_view ContentDescription(ContentKind kind) {
  switch (kind) {
    case ContentKind::kXlsx:
      return "a zip archive";
    case ContentKind::kZip:
      return "a zip archive";
    case ContentKind::kParquet:
      return "a Parquet file";
    case ContentKind::kGzip:
      return "a gzip-compressed file";
    case ContentKind::kJsonArray:
    case ContentKind::kJsonObject:
      return "JSON";
    case ContentKind::kText:
      return "a text file";
    case ContentKind::kBinary:
      return "a binary file";
  }
  return "unknown";
}

//! NDJSON when the first line is a complete JSON object, else one JSON document.
bool FirstLineIsObject(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (--depth == 0) {
        // Complete: the rest of the line must be blank.
        for (size_t k = i + 1; k < text.size() && text[k] != '\n'; ++k) {
          if (!std::isspace(static_cast<unsigned char>(text[k]))) return false;
        }
        return true;
      }
    }
    if (c == '\n') return false;
  }
  return false;
}

ContentKind Classify(const std::string& path, std::string_view head) {
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("PK\x03\x04", 4)) {
    return ZipHasWorkbook(path) ? ContentKind::kXlsx : ContentKind::kZip;
  }
  if (head.size() >= 4 && head.substr(0, 4) == "PAR1") return ContentKind::kParquet;
  if (head.size() >= 2 && head[0] == '\x1F' && head[1] == '\x8B') return ContentKind::kGzip;
  if (IsUtf16Bom(head)) return ContentKind::kText;
  if (LooksBinary(head)) return ContentKind::kBinary;
  std::string_view text = head;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && text[i] == '[') return ContentKind::kJsonArray;
  if (i < text.size() && text[i] == '{') return ContentKind::kJsonObject;
  return ContentKind::kText;
}

bool IsBlank(std::string_view head) {
  std::string_view text = head;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

//! Decides the format from the content, the hint and the file name's extension.
Result<FileFormat> DecideFormat(ContentKind kind, std::string_view head, const std::string& label,
                                std::optional<FileFormat> named, bool named_by_hint) {
  const std::string how =
      named_by_hint ? "pass the right format= or leave it out" : "rename the file or pass format=";
  auto mismatch = [&](FileFormat expected, std::string_view suggestion) {
    std::string message = label;
    message.append(" is ").append(ContentDescription(kind)).append(", not ");
    message.append(UpperName(expected)).append(" (").append(suggestion).append(")");
    return InvalidArgument(std::move(message));
  };
  switch (kind) {
    case ContentKind::kBinary:
      return InvalidArgument(label +
                             " is not a text (CSV/TSV), JSON, XLSX or Parquet file: it holds "
                             "binary data. Upload one of those formats.");
    case ContentKind::kGzip:
      return InvalidArgument(label +
                             " is gzip-compressed: decompress it and upload the file "
                             "inside (CSV, TSV, JSON, NDJSON, XLSX or Parquet)");
    case ContentKind::kZip:
      return InvalidArgument(label +
                             " is a zip archive but not an XLSX workbook (no xl/workbook.xml): "
                             "extract the file you want to import and upload it");
    case ContentKind::kXlsx:
      if (named && *named != FileFormat::kXlsx) {
        return mismatch(*named, "an XLSX workbook? upload it as .xlsx or pass format=xlsx");
      }
      return FileFormat::kXlsx;
    case ContentKind::kParquet:
      if (named && *named != FileFormat::kParquet) {
        return mismatch(*named, "upload it as .parquet or pass format=parquet");
      }
      return FileFormat::kParquet;
    case ContentKind::kJsonArray:
    case ContentKind::kJsonObject: {
      if (named == FileFormat::kCsv || named == FileFormat::kTsv) return *named;
      if (named == FileFormat::kXlsx || named == FileFormat::kParquet) {
        return mismatch(*named, "it looks like JSON: upload it as .json or pass format=json");
      }
      // .json or .ndjson: the content tells an array (or one document) from NDJSON.
      if (kind == ContentKind::kJsonArray) return FileFormat::kJson;
      std::string_view text = head;
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
      }
      return FirstLineIsObject(text) ? FileFormat::kNdjson : FileFormat::kJson;
    }
    case ContentKind::kText:
      if (named == FileFormat::kXlsx || named == FileFormat::kParquet) {
        return mismatch(*named, "a CSV or other text file? upload it as .csv or pass format=csv");
      }
      if (named == FileFormat::kJson || named == FileFormat::kNdjson) {
        return InvalidArgument(label + " is not JSON: it does not start with '[' or '{' (" + how +
                               "csv if it is a CSV file)");
      }
      if (named) return *named;
      return FileFormat::kCsv;
  }
  return Internal("unreachable format decision");
}

std::string TableBaseName(std::string_view filename, const SniffHints& hints,
                          const std::string& path) {
  if (!hints.table_name.empty()) return SanitizeIdentifier(hints.table_name);
  std::string stem =
      std::filesystem::path(std::string(filename.empty() ? std::string_view(path) : filename))
          .stem()
          .string();
  return SanitizeIdentifier(stem);
}

//! Counts line ends in `head` outside double quotes; estimates rows for the whole file.
std::optional<uint64_t> EstimateLines(std::string_view head, uint64_t file_size, bool* exact) {
  uint64_t lines = 0;
  bool quoted = false;
  for (char c : head) {
    if (c == '"') quoted = !quoted;
    if (c == '\n' && !quoted) ++lines;
  }
  if (!head.empty() && head.back() != '\n') ++lines;
  *exact = false;
  if (head.size() >= file_size) return lines;
  if (lines == 0 || head.empty()) return std::nullopt;
  return static_cast<uint64_t>(static_cast<double>(file_size) * static_cast<double>(lines) /
                               static_cast<double>(head.size()));
}

Result<std::string> DetectEncoding(std::string_view head, bool truncated, const SniffHints& hints) {
  if (hints.encoding) {
    const std::string e = AsciiLower(*hints.encoding);
    if (e == "utf-8" || e == "utf8") return std::string("utf-8");
    if (e == "latin-1" || e == "latin1" || e == "iso-8859-1") return std::string("latin-1");
    if (e == "utf-16" || e == "utf16") return std::string("utf-16");
    return InvalidArgument("unknown encoding \"" + *hints.encoding +
                           "\": use utf-8, latin-1 or utf-16");
  }
  if (IsUtf16Bom(head)) return std::string("utf-16");
  return std::string(ValidUtf8(head, truncated) ? "utf-8" : "latin-1");
}

std::string CsvOption(std::string_view value) {
  return value.empty() ? std::string("''") : Lit(value);
}

Result<ImportPlan> SniffCsv(const std::string& path, const std::string& label, FileFormat format,
                            std::string_view head, uint64_t file_size, const SniffHints& hints,
                            const std::string& table_name) {
  ImportPlan plan;
  plan.format = format;
  TRIB_ASSIGN_OR_RETURN(plan.csv.encoding, DetectEncoding(head, head.size() < file_size, hints));
  TRIB_ASSIGN_OR_RETURN(auto temp, internal::TempDir::Create("", "tributary-sniff-"));
  TRIB_ASSIGN_OR_RETURN(auto session, DuckSession::Open(temp.path() + "/duckdb", "1GB"));

  std::string args = Lit(path);
  args.append(", sample_size=20480, ignore_errors=true, max_line_size=")
      .append(std::to_string(internal::kMaxLineSize))
      .append(", buffer_size=")
      .append(std::to_string(internal::kCsvBufferSize))
      .append(", encoding=")
      .append(Lit(plan.csv.encoding));
  std::optional<std::string> delimiter = hints.delimiter;
  if (!delimiter && format == FileFormat::kTsv) delimiter = "\t";
  if (delimiter) args.append(", delim=").append(CsvOption(*delimiter));
  if (hints.quote) args.append(", quote=").append(CsvOption(*hints.quote));
  if (hints.escape) args.append(", escape=").append(CsvOption(*hints.escape));
  if (hints.header) args.append(", header=").append(*hints.header ? "true" : "false");
  if (hints.skip_rows) args.append(", skip=").append(std::to_string(*hints.skip_rows));

  DuckError error;
  auto dialect = session->Query(
      "SELECT Delimiter, Quote, Escape, HasHeader, SkipRows, DateFormat, TimestampFormat "
      "FROM sniff_csv(" +
          args + ")",
      &error);
  if (!dialect.ok() || dialect->rows.empty()) {
    return InvalidArgument(label + " could not be read as CSV: " + error.message +
                           " (pass delimiter=, quote=, header= or encoding= to help)");
  }
  const auto& d = dialect->rows[0];
  auto get = [&](size_t i) { return d[i].value_or(""); };
  plan.csv.delimiter = delimiter.value_or(get(0));
  plan.csv.quote = hints.quote.value_or(get(1) == "(empty)" ? "" : get(1));
  plan.csv.escape = hints.escape.value_or(get(2) == "(empty)" ? "" : get(2));
  // A sample without quoted fields says "no quote"; the rest of the file may still have
  // them, and RFC 4180 quoting is harmless where there are none.
  if (!hints.quote && plan.csv.quote.empty()) plan.csv.quote = "\"";
  if (!hints.escape && plan.csv.escape.empty()) plan.csv.escape = plan.csv.quote;
  plan.csv.header = hints.header.value_or(get(3) == "true");
  plan.csv.skip_rows = hints.skip_rows.value_or(std::stoll(get(4).empty() ? "0" : get(4)));
  plan.csv.date_format = get(5);
  plan.csv.timestamp_format = get(6);
  if (plan.csv.delimiter == "\t" && format == FileFormat::kCsv && !hints.format) {
    plan.format = FileFormat::kTsv;
  }

  auto columns = session->Query(
      "SELECT c.name, c.type FROM (SELECT unnest(Columns) AS c FROM "
      "sniff_csv(" +
          args + "))",
      &error);
  if (!columns.ok()) {
    return InvalidArgument(label + " could not be read as CSV: " + error.message);
  }
  TablePlan table;
  table.name = table_name;
  for (const auto& row : columns->rows) {
    ColumnSpec column;
    column.source_name = row[0].value_or("");
    column.type = row[1].value_or("VARCHAR");
    table.columns.push_back(std::move(column));
  }
  if (table.columns.empty()) return InvalidArgument(label + " has no columns");
  // The header as written (DuckDB renames empty and duplicate names).
  if (plan.csv.header) {
    TablePlan raw_table;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      raw_table.columns.push_back({"", "c" + std::to_string(i + 1), "VARCHAR"});
    }
    ImportPlan raw_plan = plan;
    raw_plan.csv.header = false;
    raw_plan.csv.date_format.clear();
    raw_plan.csv.timestamp_format.clear();
    auto header = session->Query(
        "SELECT * FROM " + internal::CsvReadCall(path, raw_plan, raw_table, true) + " LIMIT 1");
    if (header.ok() && !header->rows.empty()) {
      for (size_t i = 0; i < table.columns.size() && i < header->rows[0].size(); ++i) {
        table.columns[i].source_name = header->rows[0][i].value_or("");
      }
    }
  } else {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      table.columns[i].source_name = "column" + std::to_string(i + 1);
    }
  }
  std::vector<std::string> names;
  for (auto& column : table.columns) {
    if (column.source_name.empty()) {
      column.source_name = "column" + std::to_string(names.size() + 1);
    }
    names.push_back(SanitizeIdentifier(column.source_name));
  }
  internal::Deduplicate(&names);
  for (size_t i = 0; i < names.size(); ++i) table.columns[i].name = names[i];
  bool exact = false;
  auto lines = EstimateLines(head, file_size, &exact);
  if (lines) {
    const uint64_t skipped = static_cast<uint64_t>(plan.csv.skip_rows) + (plan.csv.header ? 1 : 0);
    table.estimated_rows = *lines > skipped ? *lines - skipped : 0;
  }
  plan.tables.push_back(std::move(table));
  return plan;
}

Result<ImportPlan> SniffJson(const std::string& path, const std::string& label, FileFormat format,
                             std::string_view head, uint64_t file_size,
                             const std::string& table_name) {
  ImportPlan plan;
  plan.format = format;
  TRIB_ASSIGN_OR_RETURN(auto temp, internal::TempDir::Create("", "tributary-sniff-"));
  TRIB_ASSIGN_OR_RETURN(auto session, DuckSession::Open(temp.path() + "/duckdb", "1GB"));
  DuckError error;
  auto described = session->Query("DESCRIBE SELECT * FROM read_json(" + Lit(path) + ", format=" +
                                      internal::JsonFormatArg(format) + ", sample_size=20480)",
                                  &error);
  if (!described.ok()) {
    return InvalidArgument(label + " could not be read as " + UpperName(format) + ": " +
                           error.message);
  }
  TablePlan table;
  table.name = table_name;
  std::vector<std::string> names;
  for (const auto& row : described->rows) {
    ColumnSpec column;
    column.source_name = row[0].value_or("");
    column.type = row[1].value_or("VARCHAR");
    if (internal::IsNestedType(column.type)) column.type = "JSON";
    names.push_back(SanitizeIdentifier(column.source_name));
    table.columns.push_back(std::move(column));
  }
  if (table.columns.empty()) {
    return InvalidArgument(label + " holds no JSON objects with fields to import");
  }
  internal::Deduplicate(&names);
  for (size_t i = 0; i < names.size(); ++i) table.columns[i].name = names[i];
  if (format == FileFormat::kNdjson) {
    bool exact = false;
    table.estimated_rows = EstimateLines(head, file_size, &exact);
  }
  plan.tables.push_back(std::move(table));
  return plan;
}

Result<ImportPlan> SniffParquet(const std::string& path, const std::string& label,
                                const std::string& table_name) {
  ImportPlan plan;
  plan.format = FileFormat::kParquet;
  TRIB_ASSIGN_OR_RETURN(auto temp, internal::TempDir::Create("", "tributary-sniff-"));
  TRIB_ASSIGN_OR_RETURN(auto session, DuckSession::Open(temp.path() + "/duckdb", "1GB"));
  DuckError error;
  auto described = session->Query("DESCRIBE SELECT * FROM read_parquet(" + Lit(path) + ")", &error);
  if (!described.ok()) {
    return InvalidArgument(label + " is not a readable Parquet file: " + error.message);
  }
  TablePlan table;
  table.name = table_name;
  std::vector<std::string> names;
  for (const auto& row : described->rows) {
    table.columns.push_back({row[0].value_or(""), "", row[1].value_or("VARCHAR")});
    names.push_back(SanitizeIdentifier(table.columns.back().source_name));
  }
  internal::Deduplicate(&names);
  for (size_t i = 0; i < names.size(); ++i) table.columns[i].name = names[i];
  auto count = session->Query("SELECT sum(num_rows) FROM parquet_file_metadata(" + Lit(path) + ")");
  if (count.ok() && !count->rows.empty() && count->rows[0][0]) {
    table.estimated_rows = std::stoull(*count->rows[0][0]);
    table.estimate_exact = true;
  }
  plan.tables.push_back(std::move(table));
  return plan;
}

Result<ImportPlan> SniffXlsx(const std::string& path, const std::string& label,
                             const SniffHints& hints, const std::string& base_name) {
  ImportPlan plan;
  plan.format = FileFormat::kXlsx;
  TRIB_ASSIGN_OR_RETURN(auto reader, XlsxReader::Open(path));
  std::vector<size_t> indexes;
  if (hints.sheets.empty()) {
    for (const auto& sheet : reader->sheets()) indexes.push_back(sheet.index);
  } else {
    for (const auto& name : hints.sheets) {
      TRIB_ASSIGN_OR_RETURN(auto sheet, reader->FindSheet(name));
      indexes.push_back(sheet.index);
    }
  }
  std::vector<TablePlan> tables;
  for (size_t index : indexes) {
    const XlsxSheetInfo& info = reader->sheets()[index];
    TRIB_ASSIGN_OR_RETURN(auto layout, internal::SniffSheet(*reader, index, hints.header));
    if (!layout.has_data) continue;
    TablePlan table;
    table.sheet = info.name;
    table.xlsx_first_row = layout.first_row;
    table.xlsx_first_column = layout.first_column;
    table.xlsx_header = layout.header;
    std::vector<std::string> names;
    for (size_t i = 0; i < layout.source_names.size(); ++i) {
      table.columns.push_back({layout.source_names[i], "", layout.types[i]});
      names.push_back(SanitizeIdentifier(layout.source_names[i]));
    }
    internal::Deduplicate(&names);
    for (size_t i = 0; i < names.size(); ++i) table.columns[i].name = names[i];
    if (layout.complete) {
      table.estimated_rows = layout.sampled_rows;
      table.estimate_exact = true;
    } else {
      auto dimension = reader->EstimateRowCount(index);
      if (dimension.ok() && *dimension) {
        const uint64_t skipped = layout.first_row - 1 + (layout.header ? 1 : 0);
        table.estimated_rows = **dimension > skipped ? **dimension - skipped : 0;
      }
    }
    tables.push_back(std::move(table));
  }
  if (tables.empty()) {
    return InvalidArgument(
        label + " has no sheet with data" +
        (hints.sheets.empty() ? std::string() : std::string(" among the sheets asked for")));
  }
  std::vector<std::string> names;
  for (const auto& table : tables) {
    names.push_back(tables.size() == 1 ? base_name
                                       : SanitizeIdentifier(base_name + "_" + table.sheet));
  }
  internal::Deduplicate(&names);
  for (size_t i = 0; i < tables.size(); ++i) tables[i].name = names[i];
  plan.tables = std::move(tables);
  return plan;
}

}  // namespace

std::string_view FormatName(FileFormat format) {
  switch (format) {
    case FileFormat::kCsv:
      return "csv";
    case FileFormat::kTsv:
      return "tsv";
    case FileFormat::kJson:
      return "json";
    case FileFormat::kNdjson:
      return "ndjson";
    case FileFormat::kXlsx:
      return "xlsx";
    case FileFormat::kParquet:
      return "parquet";
  }
  return "csv";
}

std::optional<FileFormat> ParseFormatName(std::string_view name) {
  for (FileFormat f : {FileFormat::kCsv, FileFormat::kTsv, FileFormat::kJson, FileFormat::kNdjson,
                       FileFormat::kXlsx, FileFormat::kParquet}) {
    if (AsciiLower(name) == FormatName(f)) return f;
  }
  return std::nullopt;
}

std::string SanitizeIdentifier(std::string_view name) {
  // Latin-1 letters (U+00C0-U+00FF) mapped to their ASCII base letter; '_' for the others.
  static constexpr std::string_view kLatin1 =
      "AAAAAAACEEEEIIIIDNOOOOO_OUUUUYTsaaaaaaaceeeeiiiidnooooo_ouuuuyty";
  std::string out;
  bool pending_underscore = false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    char mapped = 0;
    if (std::isalnum(c)) {
      mapped = static_cast<char>(std::tolower(c));
    } else if (c == 0xC3 && i + 1 < name.size()) {
      const auto next = static_cast<unsigned char>(name[i + 1]);
      if (next >= 0x80 && next <= 0xBF) {
        const char base = kLatin1[next - 0x80];
        if (base != '_') mapped = static_cast<char>(std::tolower(static_cast<unsigned char>(base)));
        ++i;
        if (base == 's' && next == 0x9F) {  // ß
          if (pending_underscore && !out.empty()) out.push_back('_');
          pending_underscore = false;
          out.append("ss");
          continue;
        }
      }
    } else if (c >= 0x80) {
      // Skip the continuation bytes of another UTF-8 character.
      while (i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80) ++i;
    }
    if (mapped == 0) {
      pending_underscore = true;
      continue;
    }
    if (pending_underscore && !out.empty()) out.push_back('_');
    pending_underscore = false;
    out.push_back(mapped);
  }
  if (out.empty()) return "column";
  if (std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "c_");
  if (out.size() > 63) out.resize(63);
  while (out.size() > 1 && out.back() == '_') out.pop_back();
  return out;
}

Result<ImportPlan> Sniff(const std::string& path, std::string_view filename,
                         const SniffHints& hints) {
  const std::string label = filename.empty() ? internal::Label(path) : std::string(filename);
  uint64_t file_size = 0;
  TRIB_ASSIGN_OR_RETURN(std::string head, ReadHead(path, kHeadBytes, &file_size));
  if (file_size == 0 || (head.size() == file_size && IsBlank(head))) {
    return InvalidArgument(label + ": the file is empty");
  }
  const ContentKind kind = Classify(path, head);
  std::optional<FileFormat> named = hints.format;
  const bool named_by_hint = named.has_value();
  if (!named) named = FormatFromExtension(filename.empty() ? std::string_view(path) : filename);
  TRIB_ASSIGN_OR_RETURN(FileFormat format, DecideFormat(kind, head, label, named, named_by_hint));
  const std::string base = TableBaseName(filename, hints, path);
  Result<ImportPlan> plan = InvalidArgument("unknown format");
  switch (format) {
    case FileFormat::kCsv:
    case FileFormat::kTsv:
      plan = SniffCsv(path, label, format, head, file_size, hints, base);
      break;
    case FileFormat::kJson:
    case FileFormat::kNdjson:
      plan = SniffJson(path, label, format, head, file_size, base);
      break;
    case FileFormat::kParquet:
      plan = SniffParquet(path, label, base);
      break;
    case FileFormat::kXlsx:
      plan = SniffXlsx(path, label, hints, base);
      break;
  }
  return plan;
}

}  // namespace tributary::importer
