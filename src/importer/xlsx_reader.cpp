#include "importer/xlsx_reader.h"

#include <expat.h>
#include <zip.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "core/time_util.h"

namespace tributary::importer {
namespace {

constexpr size_t kChunkBytes = size_t{64} * 1024;
constexpr uint32_t kMaxColumns = 16384;  // XFD, Excel's last column
constexpr std::string_view kFixDamaged =
    "the workbook is damaged or was not written by a spreadsheet program: open it in Excel or "
    "LibreOffice and save it again as .xlsx";

//! The local part of an expat namespace-qualified name ("uri local" -> "local").
std::string_view LocalName(const char* name) {
  std::string_view n(name);
  size_t sep = n.rfind(' ');
  return sep == std::string_view::npos ? n : n.substr(sep + 1);
}

//! The value of the attribute whose local name is `local`, or nullptr.
const char* Attr(const char** attrs, std::string_view local) {
  for (size_t i = 0; attrs[i] != nullptr; i += 2) {
    if (LocalName(attrs[i]) == local) return attrs[i + 1];
  }
  return nullptr;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

bool IsTrue(const char* v) {
  return v != nullptr && (std::strcmp(v, "1") == 0 || std::strcmp(v, "true") == 0);
}

//! Receives the events of one XML part. A handler stops the parse by setting `error` (the
//! parse fails with it) or `done` (the parse ends successfully).
struct XmlHandler {
  virtual ~XmlHandler() = default;
  virtual void Start(std::string_view name, const char** attrs) = 0;
  virtual void End(std::string_view name) = 0;
  virtual void Text(std::string_view /*text*/) {}
  //! Extra position detail for XML errors, e.g. " (after cell C17)".
  virtual std::string Where() const { return {}; }
  Status error;
  bool done = false;
};

struct ParseContext {
  XML_Parser parser;
  XmlHandler* handler;
};

void StopIfNeeded(ParseContext* ctx) {
  if (!ctx->handler->error.ok() || ctx->handler->done) XML_StopParser(ctx->parser, XML_FALSE);
}

void OnStart(void* data, const char* name, const char** attrs) {
  auto* ctx = static_cast<ParseContext*>(data);
  ctx->handler->Start(LocalName(name), attrs);
  StopIfNeeded(ctx);
}

void OnEnd(void* data, const char* name) {
  auto* ctx = static_cast<ParseContext*>(data);
  ctx->handler->End(LocalName(name));
  StopIfNeeded(ctx);
}

void OnText(void* data, const char* text, int len) {
  auto* ctx = static_cast<ParseContext*>(data);
  ctx->handler->Text(std::string_view(text, static_cast<size_t>(len)));
  StopIfNeeded(ctx);
}

struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ParserFree {
  void operator()(XML_ParserStruct* p) const { XML_ParserFree(p); }
};

bool HasEntry(zip_t* archive, const std::string& part) {
  return zip_name_locate(archive, part.c_str(), 0) >= 0;
}

//! Streams the archive entry `part` through expat in kChunkBytes pieces. `what` names the
//! part in errors (e.g. "report.xlsx: sheet 'Q3'").
Status ParsePart(zip_t* archive, const std::string& part, XmlHandler& handler,
                 const std::string& what) {
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen(archive, part.c_str(), 0));
  if (!file) {
    std::string msg = what;
    msg.append(": cannot read part ").append(part).append(" of the archive: ");
    msg.append(zip_strerror(archive)).append("; ").append(kFixDamaged);
    return InvalidArgument(std::move(msg));
  }
  std::unique_ptr<XML_ParserStruct, ParserFree> parser(XML_ParserCreateNS(nullptr, ' '));
  if (!parser) return Internal("cannot create an XML parser (out of memory)");
  ParseContext ctx{parser.get(), &handler};
  XML_SetUserData(parser.get(), &ctx);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);

  std::array<char, kChunkBytes> buffer;
  while (true) {
    zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
    if (n < 0) {
      std::string msg = what;
      msg.append(": cannot decompress part ").append(part).append(": ");
      msg.append(zip_file_strerror(file.get())).append("; ").append(kFixDamaged);
      return InvalidArgument(std::move(msg));
    }
    bool last = n == 0;
    if (XML_Parse(parser.get(), buffer.data(), static_cast<int>(n), last ? XML_TRUE : XML_FALSE) ==
        XML_STATUS_ERROR) {
      if (!handler.error.ok()) return handler.error;
      if (handler.done) return Status::Ok();
      std::string msg = what;
      msg.append(", line ").append(std::to_string(XML_GetCurrentLineNumber(parser.get())));
      msg.append(", column ").append(std::to_string(XML_GetCurrentColumnNumber(parser.get()) + 1));
      msg.append(handler.Where()).append(": malformed XML in ").append(part).append(" (");
      msg.append(XML_ErrorString(XML_GetErrorCode(parser.get()))).append("); ");
      msg.append(kFixDamaged);
      return InvalidArgument(std::move(msg));
    }
    if (last) return Status::Ok();
  }
}

//! Resolves a relationship target against the folder of the part that refers to it.
std::string ResolveTarget(std::string_view base_dir, std::string_view target) {
  if (!target.empty() && target.front() == '/') return std::string(target.substr(1));
  std::string dir(base_dir);
  while (target.substr(0, 3) == "../") {
    target.remove_prefix(3);
    if (!dir.empty() && dir.back() == '/') dir.pop_back();
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? std::string() : dir.substr(0, slash + 1);
  }
  dir.append(target);
  return dir;
}

struct WorkbookHandler : XmlHandler {
  struct Sheet {
    std::string name;
    std::string rel_id;
  };
  std::vector<Sheet> sheets;
  bool date1904 = false;
  bool saw_workbook = false;
  void Start(std::string_view name, const char** attrs) override {
    if (name == "workbook") {
      saw_workbook = true;
    } else if (name == "workbookPr") {
      date1904 = IsTrue(Attr(attrs, "date1904"));
    } else if (name == "sheet") {
      const char* n = Attr(attrs, "name");
      const char* id = Attr(attrs, "id");
      sheets.push_back({n ? n : "", id ? id : ""});
    }
  }
  void End(std::string_view) override {}
};

struct RelsHandler : XmlHandler {
  std::map<std::string, std::string> targets;
  void Start(std::string_view name, const char** attrs) override {
    if (name != "Relationship") return;
    const char* id = Attr(attrs, "Id");
    const char* target = Attr(attrs, "Target");
    if (id && target) targets[id] = target;
  }
  void End(std::string_view) override {}
};

struct StylesHandler : XmlHandler {
  std::map<int, std::string> custom_formats;
  std::vector<int> xf_formats;
  bool in_cell_xfs = false;
  void Start(std::string_view name, const char** attrs) override {
    if (name == "numFmt") {
      const char* id = Attr(attrs, "numFmtId");
      const char* code = Attr(attrs, "formatCode");
      auto parsed = id ? ParseInt(id) : std::nullopt;
      if (parsed && code) custom_formats[static_cast<int>(*parsed)] = code;
    } else if (name == "cellXfs") {
      in_cell_xfs = true;
    } else if (name == "xf" && in_cell_xfs) {
      const char* id = Attr(attrs, "numFmtId");
      auto parsed = id ? ParseInt(id) : std::nullopt;
      xf_formats.push_back(parsed ? static_cast<int>(*parsed) : 0);
    }
  }
  void End(std::string_view name) override {
    if (name == "cellXfs") in_cell_xfs = false;
  }
};

//! Collects <si> items: the text of their <t> elements, skipping phonetic runs (<rPh>).
struct SharedStringsHandler : XmlHandler {
  std::vector<std::string>* out;
  std::string current;
  bool in_si = false;
  int in_t = 0;
  int in_phonetic = 0;
  explicit SharedStringsHandler(std::vector<std::string>* o) : out(o) {}
  void Start(std::string_view name, const char** attrs) override {
    if (name == "sst") {
      const char* unique = Attr(attrs, "uniqueCount");
      auto n = unique ? ParseInt(unique) : std::nullopt;
      // A hint only: capped so a lying header cannot reserve gigabytes.
      if (n && *n > 0) out->reserve(static_cast<size_t>(std::min<int64_t>(*n, 1'000'000)));
    } else if (name == "si") {
      in_si = true;
      current.clear();
    } else if (name == "rPh") {
      ++in_phonetic;
    } else if (name == "t") {
      ++in_t;
    }
  }
  void End(std::string_view name) override {
    if (name == "si") {
      in_si = false;
      out->push_back(std::move(current));
      current.clear();
    } else if (name == "rPh") {
      --in_phonetic;
    } else if (name == "t") {
      --in_t;
    }
  }
  void Text(std::string_view text) override {
    if (in_si && in_t > 0 && in_phonetic == 0) current.append(text);
  }
};

//! Reads the start of a sheet up to <sheetData> for its <dimension ref>.
struct DimensionHandler : XmlHandler {
  std::optional<uint64_t> rows;
  void Start(std::string_view name, const char** attrs) override {
    if (name == "dimension") {
      const char* ref = Attr(attrs, "ref");
      if (ref != nullptr) rows = RowsOf(ref);
      done = true;
    } else if (name == "sheetData") {
      done = true;
    }
  }
  void End(std::string_view) override {}
  static std::optional<uint64_t> RowNumber(std::string_view ref) {
    size_t i = 0;
    while (i < ref.size() && (std::isalpha(static_cast<unsigned char>(ref[i])) || ref[i] == '$')) {
      ++i;
    }
    if (i < ref.size() && ref[i] == '$') ++i;
    auto n = ParseInt(ref.substr(i));
    if (!n || *n < 1) return std::nullopt;
    return static_cast<uint64_t>(*n);
  }
  static std::optional<uint64_t> RowsOf(std::string_view ref) {
    size_t colon = ref.find(':');
    auto first = RowNumber(ref.substr(0, colon));
    auto last = colon == std::string_view::npos ? first : RowNumber(ref.substr(colon + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    return *last - *first + 1;
  }
};

std::string Quoted(std::string_view name) {
  std::string s = "'";
  s.append(name).append("'");
  return s;
}

}  // namespace

//! Streams one worksheet's <sheetData>, building one row at a time.
struct XlsxSheetParser : XmlHandler {
  const XlsxReader& reader;
  const XlsxSheetInfo& sheet;
  const XlsxRowCallback& on_row;
  XlsxRow row;
  bool in_sheet_data = false;
  bool in_row = false;
  bool in_cell = false;
  bool in_value = false;
  bool in_inline = false;
  int in_t = 0;
  int in_phonetic = 0;
  std::string cell_type;
  int64_t cell_style = 0;
  bool cell_formula = false;
  std::string cell_text;
  uint32_t cell_column = 0;
  int64_t last_column = -1;
  uint64_t last_row = 0;

  XlsxSheetParser(const XlsxReader& r, const XlsxSheetInfo& s, const XlsxRowCallback& cb)
      : reader(r), sheet(s), on_row(cb) {}

  std::string Prefix() const {
    std::string s = reader.path_;
    s.append(": sheet ").append(Quoted(sheet.name));
    return s;
  }
  std::string CellPrefix() const {
    std::string s = Prefix();
    s.append(", cell ").append(XlsxCellRef(cell_column, row.number));
    return s;
  }
  std::string Where() const override {
    if (row.number == 0) return {};
    std::string s = " (in or after cell ";
    s.append(XlsxCellRef(
                 in_cell ? cell_column : static_cast<uint32_t>(std::max<int64_t>(last_column, 0)),
                 row.number))
        .append(")");
    return s;
  }
  void Fail(std::string_view detail, std::string_view fix, bool at_cell) {
    std::string msg = at_cell ? CellPrefix() : Prefix();
    msg.append(": ").append(detail).append("; ").append(fix);
    error = InvalidArgument(std::move(msg));
  }

  void Start(std::string_view name, const char** attrs) override {
    if (!in_sheet_data) {
      if (name == "sheetData") in_sheet_data = true;
      return;
    }
    if (name == "row") {
      const char* r = Attr(attrs, "r");
      uint64_t number = last_row + 1;
      if (r != nullptr) {
        auto n = ParseInt(r);
        if (!n || *n < 1) {
          std::string detail = "row number \"";
          detail.append(r).append("\" (after row ").append(std::to_string(last_row));
          detail.append(") is not a positive integer");
          Fail(detail, kFixDamaged, false);
          return;
        }
        number = static_cast<uint64_t>(*n);
      }
      row.number = number;
      row.cells.clear();
      in_row = true;
      last_column = -1;
    } else if (name == "c" && in_row) {
      in_cell = true;
      const char* r = Attr(attrs, "r");
      if (r != nullptr) {
        auto col = XlsxColumnFromRef(r);
        if (!col) {
          cell_column = static_cast<uint32_t>(last_column + 1);
          std::string detail = "cell reference \"";
          detail.append(r).append("\" is not a valid A1-style reference");
          Fail(detail, kFixDamaged, false);
          return;
        }
        cell_column = *col;
      } else {
        cell_column = static_cast<uint32_t>(last_column + 1);
      }
      const char* t = Attr(attrs, "t");
      cell_type = t ? t : "n";
      const char* s = Attr(attrs, "s");
      auto style = s ? ParseInt(s) : std::nullopt;
      cell_style = style ? *style : 0;
      cell_formula = false;
      cell_text.clear();
    } else if (in_cell) {
      if (name == "v") {
        in_value = true;
      } else if (name == "f") {
        cell_formula = true;
      } else if (name == "is") {
        in_inline = true;
      } else if (name == "rPh") {
        ++in_phonetic;
      } else if (name == "t") {
        ++in_t;
      }
    }
  }

  void Text(std::string_view text) override {
    if (in_value || (in_inline && in_t > 0 && in_phonetic == 0)) cell_text.append(text);
  }

  void End(std::string_view name) override {
    if (!in_sheet_data) return;
    if (name == "sheetData") {
      in_sheet_data = false;
      done = true;
    } else if (name == "row" && in_row) {
      in_row = false;
      last_row = row.number;
      error = on_row(row);
    } else if (name == "c" && in_cell) {
      FinishCell();
      in_cell = false;
      last_column = cell_column;
    } else if (name == "v") {
      in_value = false;
    } else if (name == "is") {
      in_inline = false;
    } else if (name == "rPh") {
      --in_phonetic;
    } else if (name == "t") {
      --in_t;
    }
  }

  void FinishCell() {
    XlsxCell cell;
    cell.column = cell_column;
    cell.formula = cell_formula;
    if (cell_type == "inlineStr") {
      cell.kind = XlsxCellKind::kInlineString;
      cell.text = std::move(cell_text);
    } else if (cell_type == "str") {
      cell.kind = XlsxCellKind::kFormulaString;
      cell.text = std::move(cell_text);
    } else if (cell_text.empty()) {
      cell.kind = XlsxCellKind::kEmpty;
    } else if (cell_type == "s") {
      auto index = ParseInt(cell_text);
      if (!index || *index < 0 || static_cast<uint64_t>(*index) >= reader.shared_strings_.size()) {
        std::string detail = "shared string index \"";
        detail.append(cell_text).append("\" is out of range (the workbook has ");
        detail.append(std::to_string(reader.shared_strings_.size())).append(" shared strings)");
        Fail(detail, kFixDamaged, true);
        return;
      }
      cell.kind = XlsxCellKind::kSharedString;
      cell.text = reader.shared_strings_[static_cast<size_t>(*index)];
    } else if (cell_type == "b") {
      cell.kind = XlsxCellKind::kBool;
      bool value = cell_text == "1" || cell_text == "true";
      cell.number = value ? 1 : 0;
      cell.text = value ? "TRUE" : "FALSE";
    } else if (cell_type == "e") {
      cell.kind = XlsxCellKind::kError;
      cell.text = std::move(cell_text);
    } else if (cell_type == "d") {
      // Strict OOXML: an ISO 8601 date or date-time.
      if (auto days = ParseDate(cell_text)) {
        cell.kind = XlsxCellKind::kDate;
        cell.days = *days;
      } else if (auto micros = ParseTimestamp(cell_text)) {
        cell.kind = XlsxCellKind::kTimestamp;
        cell.micros = *micros;
      } else {
        std::string detail = "date value \"";
        detail.append(cell_text).append("\" is not an ISO 8601 date or date-time");
        Fail(detail, kFixDamaged, true);
        return;
      }
      cell.text = std::move(cell_text);
    } else if (cell_type == "n") {
      auto number = ParseDouble(cell_text);
      if (!number) {
        std::string detail = "numeric cell holds \"";
        detail.append(cell_text.substr(0, 64)).append("\", which is not a number");
        Fail(detail, kFixDamaged, true);
        return;
      }
      cell.number = *number;
      cell.kind = XlsxCellKind::kNumber;
      if (cell_style >= 0 && static_cast<uint64_t>(cell_style) < reader.styles_.size()) {
        const auto& style = reader.styles_[static_cast<size_t>(cell_style)];
        if (style.is_date && std::isfinite(*number)) {
          cell.micros = XlsxSerialToMicros(*number, reader.date1904_);
          if (style.has_time) {
            cell.kind = XlsxCellKind::kTimestamp;
          } else {
            cell.kind = XlsxCellKind::kDate;
            int64_t day = 86'400'000'000;
            cell.days = cell.micros >= 0 ? cell.micros / day : -((-cell.micros + day - 1) / day);
          }
        }
      }
    } else {
      std::string detail = "unknown cell type t=\"";
      detail.append(cell_type).append("\"");
      Fail(detail, kFixDamaged, true);
      return;
    }
    row.cells.push_back(std::move(cell));
  }
};

std::string_view XlsxCellKindName(XlsxCellKind kind) {
  switch (kind) {
    case XlsxCellKind::kEmpty:
      return "empty";
    case XlsxCellKind::kNumber:
      return "number";
    case XlsxCellKind::kSharedString:
      return "shared_string";
    case XlsxCellKind::kInlineString:
      return "inline_string";
    case XlsxCellKind::kFormulaString:
      return "formula_string";
    case XlsxCellKind::kBool:
      return "bool";
    case XlsxCellKind::kError:
      return "error";
    case XlsxCellKind::kDate:
      return "date";
    case XlsxCellKind::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

std::string XlsxCellRef(uint32_t column, uint64_t row) {
  std::string letters;
  uint64_t n = static_cast<uint64_t>(column) + 1;
  while (n > 0) {
    letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
    n = (n - 1) / 26;
  }
  letters.append(std::to_string(row));
  return letters;
}

std::optional<uint32_t> XlsxColumnFromRef(std::string_view ref) {
  size_t i = 0;
  if (i < ref.size() && ref[i] == '$') ++i;
  uint64_t column = 0;
  size_t letters = 0;
  for (; i < ref.size() && std::isalpha(static_cast<unsigned char>(ref[i])); ++i, ++letters) {
    column = column * 26 + static_cast<uint64_t>(std::toupper(ref[i]) - 'A' + 1);
  }
  if (letters == 0 || letters > 3 || column > kMaxColumns) return std::nullopt;
  if (i < ref.size() && ref[i] == '$') ++i;
  if (i == ref.size()) return std::nullopt;
  for (; i < ref.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(ref[i]))) return std::nullopt;
  }
  return static_cast<uint32_t>(column - 1);
}

bool XlsxIsDateFormat(int num_fmt_id, std::string_view code, bool* has_time) {
  *has_time = false;
  if (code.empty()) {
    if (num_fmt_id >= 14 && num_fmt_id <= 17) return true;
    if ((num_fmt_id >= 18 && num_fmt_id <= 22) || (num_fmt_id >= 45 && num_fmt_id <= 47)) {
      *has_time = true;
      return true;
    }
    return false;
  }
  bool date = false;
  for (size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (c == '"') {
      size_t close = code.find('"', i + 1);
      if (close == std::string_view::npos) break;
      i = close;
    } else if (c == '[') {
      size_t close = code.find(']', i + 1);
      if (close == std::string_view::npos) break;
      i = close;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;  // the next character is a literal, a padding width or a fill
    } else if (c == ';') {
      break;  // only the first (positive numbers) section decides
    } else {
      char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (l == 'd' || l == 'm' || l == 'y') date = true;
      if (l == 'h' || l == 's') {
        date = true;
        *has_time = true;
      }
    }
  }
  return date;
}

int64_t XlsxSerialToMicros(double serial, bool date1904) {
  // Day 0 of each system, in days since 1970-01-01.
  static const int64_t k1899_12_30 = DaysFromCivil(1899, 12, 30);
  static const int64_t k1904_01_01 = DaysFromCivil(1904, 1, 1);
  double whole = std::floor(serial);
  double fraction = serial - whole;
  auto day = static_cast<int64_t>(whole);
  int64_t days;
  if (date1904) {
    days = k1904_01_01 + day;
  } else {
    // Excel counts the nonexistent 1900-02-29 as serial 60: serials below it are one day
    // later than a plain count from 1899-12-30 would say.
    days = k1899_12_30 + day + (day < 60 ? 1 : 0);
  }
  auto micros = static_cast<int64_t>(std::llround(fraction * 86'400'000'000.0));
  return days * 86'400'000'000 + micros;
}

XlsxReader::~XlsxReader() {
  if (archive_ != nullptr) zip_discard(archive_);
}

Result<std::unique_ptr<XlsxReader>> XlsxReader::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::string msg = path;
    msg.append(": no such file; check the path");
    return NotFound(std::move(msg));
  }
  if (std::filesystem::is_directory(path, ec)) {
    std::string msg = path;
    msg.append(": is a directory, not an .xlsx file");
    return InvalidArgument(std::move(msg));
  }
  int err = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (archive == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, err);
    std::string msg = path;
    if (err == ZIP_ER_NOZIP || err == ZIP_ER_INCONS) {
      msg.append(
          ": not an Excel workbook: an .xlsx file is a zip archive and this file is not "
          "one (");
      msg.append(zip_error_strerror(&error));
      msg.append(
          "); if it is CSV, import it as CSV; if it is an old .xls file or a "
          "password-protected workbook, open it in the spreadsheet program, remove the "
          "password and save it as .xlsx");
      zip_error_fini(&error);
      return InvalidArgument(std::move(msg));
    }
    msg.append(": cannot open: ").append(zip_error_strerror(&error));
    zip_error_fini(&error);
    if (err == ZIP_ER_OPEN || err == ZIP_ER_READ) return Unavailable(std::move(msg));
    return InvalidArgument(std::move(msg));
  }
  std::unique_ptr<XlsxReader> reader(new XlsxReader(path, archive));
  TRIB_RETURN_IF_ERROR(reader->LoadWorkbook());
  TRIB_RETURN_IF_ERROR(reader->LoadStyles());
  TRIB_RETURN_IF_ERROR(reader->LoadSharedStrings());
  return reader;
}

Status XlsxReader::LoadWorkbook() {
  const std::string workbook = "xl/workbook.xml";
  if (!HasEntry(archive_, workbook)) {
    std::string msg = path_;
    msg.append(
        ": not an Excel workbook: the zip archive has no xl/workbook.xml (is it a "
        "different Office document or a plain zip?); save the spreadsheet as .xlsx "
        "(Excel Workbook) and import that");
    return InvalidArgument(std::move(msg));
  }
  WorkbookHandler wb;
  TRIB_RETURN_IF_ERROR(ParsePart(archive_, workbook, wb, path_));
  if (!wb.saw_workbook) {
    std::string msg = path_;
    msg.append(": not an Excel workbook: xl/workbook.xml has no <workbook> element; ");
    msg.append(kFixDamaged);
    return InvalidArgument(std::move(msg));
  }
  date1904_ = wb.date1904;
  RelsHandler rels;
  const std::string rels_part = "xl/_rels/workbook.xml.rels";
  if (!HasEntry(archive_, rels_part)) {
    std::string msg = path_;
    msg.append(
        ": the workbook has no xl/_rels/workbook.xml.rels, so its sheets cannot be "
        "found; ");
    msg.append(kFixDamaged);
    return InvalidArgument(std::move(msg));
  }
  TRIB_RETURN_IF_ERROR(ParsePart(archive_, rels_part, rels, path_));
  for (const auto& s : wb.sheets) {
    auto it = rels.targets.find(s.rel_id);
    std::string part = it == rels.targets.end() ? "" : ResolveTarget("xl/", it->second);
    if (part.empty() || !HasEntry(archive_, part)) {
      std::string msg = path_;
      msg.append(": sheet ").append(Quoted(s.name));
      msg.append(part.empty() ? ": the workbook names no part for it (relationship \"" + s.rel_id +
                                    "\" is missing)"
                              : ": its part " + part + " is missing from the archive");
      msg.append("; ").append(kFixDamaged);
      return InvalidArgument(std::move(msg));
    }
    sheets_.push_back({s.name, sheets_.size(), std::move(part)});
  }
  return Status::Ok();
}

Status XlsxReader::LoadStyles() {
  const std::string part = "xl/styles.xml";
  if (!HasEntry(archive_, part)) return Status::Ok();  // optional: no styles, no dates
  StylesHandler handler;
  TRIB_RETURN_IF_ERROR(ParsePart(archive_, part, handler, path_));
  styles_.reserve(handler.xf_formats.size());
  for (int id : handler.xf_formats) {
    Style style;
    auto custom = handler.custom_formats.find(id);
    // Ids below 164 are built in; a file may still redefine them, and its code then wins.
    std::string_view code;
    if (custom != handler.custom_formats.end()) code = custom->second;
    style.is_date = XlsxIsDateFormat(id, code, &style.has_time);
    styles_.push_back(style);
  }
  return Status::Ok();
}

Status XlsxReader::LoadSharedStrings() {
  const std::string part = "xl/sharedStrings.xml";
  if (!HasEntry(archive_, part)) return Status::Ok();  // optional: no shared strings
  SharedStringsHandler handler(&shared_strings_);
  return ParsePart(archive_, part, handler, path_);
}

Result<XlsxSheetInfo> XlsxReader::FindSheet(std::string_view name) const {
  std::string names;
  for (const auto& s : sheets_) {
    if (s.name == name) return s;
    if (!names.empty()) names.append(", ");
    names.append(Quoted(s.name));
  }
  std::string msg = path_;
  msg.append(": no sheet named ").append(Quoted(name)).append("; the workbook has ");
  msg.append(names.empty() ? "no sheets" : names);
  return NotFound(std::move(msg));
}

Result<std::optional<uint64_t>> XlsxReader::EstimateRowCount(size_t sheet_index) {
  if (sheet_index >= sheets_.size()) {
    std::string msg = path_;
    msg.append(": no sheet at index ").append(std::to_string(sheet_index));
    msg.append("; the workbook has ").append(std::to_string(sheets_.size())).append(" sheets");
    return NotFound(std::move(msg));
  }
  const auto& sheet = sheets_[sheet_index];
  DimensionHandler handler;
  std::string what = path_;
  what.append(": sheet ").append(Quoted(sheet.name));
  TRIB_RETURN_IF_ERROR(ParsePart(archive_, sheet.part_path, handler, what));
  return handler.rows;
}

Status XlsxReader::ReadSheet(size_t sheet_index, const XlsxRowCallback& on_row) {
  if (sheet_index >= sheets_.size()) {
    std::string msg = path_;
    msg.append(": no sheet at index ").append(std::to_string(sheet_index));
    msg.append("; the workbook has ").append(std::to_string(sheets_.size())).append(" sheets");
    return NotFound(std::move(msg));
  }
  const auto& sheet = sheets_[sheet_index];
  XlsxSheetParser parser(*this, sheet, on_row);
  std::string what = path_;
  what.append(": sheet ").append(Quoted(sheet.name));
  return ParsePart(archive_, sheet.part_path, parser, what);
}

}  // namespace tributary::importer
