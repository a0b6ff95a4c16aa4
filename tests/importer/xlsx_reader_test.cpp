// Tests of the streaming XLSX reader against workbooks written here with libzip: the minimal
// parts a spreadsheet program writes ([Content_Types].xml, workbook, its relationships,
// sheets, shared strings, styles).
#include "importer/xlsx_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <list>
#include <string>
#include <vector>

#include "core/time_util.h"

namespace tributary::importer {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr const char* kRelNs =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

//! Writes a zip archive from in-memory parts and files on disk.
class ZipWriter {
 public:
  void Add(std::string name, std::string content) {
    parts_.push_back({std::move(name), std::move(content), false});
  }
  //! The file is read when the archive is written, so a big part never sits in memory.
  void AddFile(std::string name, std::string path) {
    parts_.push_back({std::move(name), std::move(path), true});
  }
  void Write(const fs::path& path) const {
    int err = 0;
    zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    ASSERT_NE(za, nullptr) << "zip_open error " << err;
    for (const auto& p : parts_) {
      zip_source_t* src = p.is_file
                              ? zip_source_file(za, p.data.c_str(), 0, -1)
                              : zip_source_buffer(za, p.data.data(), p.data.size(), /*freep=*/0);
      ASSERT_NE(src, nullptr) << zip_strerror(za);
      ASSERT_GE(zip_file_add(za, p.name.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8), 0)
          << zip_strerror(za);
    }
    ASSERT_EQ(zip_close(za), 0) << zip_strerror(za);
  }

 private:
  struct Part {
    std::string name;
    std::string data;
    bool is_file;
  };
  std::list<Part> parts_;
};

struct SheetSpec {
  std::string name;
  std::string xml;     // the whole part; empty when `file` is set
  std::string file;    // a file holding the part
  std::string target;  // relationship target; default worksheets/sheetN.xml
};

std::string SheetXml(std::string_view rows, std::string_view dimension = "") {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)";
  xml.append("\n<worksheet xmlns=\"").append(kMainNs).append("\" xmlns:r=\"");
  xml.append(kRelNs).append("\">");
  if (!dimension.empty()) xml.append("<dimension ref=\"").append(dimension).append("\"/>");
  xml.append("<sheetData>").append(rows).append("</sheetData></worksheet>");
  return xml;
}

std::string StylesXml(const std::vector<std::pair<int, std::string>>& custom,
                      const std::vector<int>& xf_formats) {
  std::string xml = "<styleSheet xmlns=\"";
  xml.append(kMainNs).append("\">");
  if (!custom.empty()) {
    xml.append("<numFmts count=\"").append(std::to_string(custom.size())).append("\">");
    for (const auto& [id, code] : custom) {
      xml.append("<numFmt numFmtId=\"").append(std::to_string(id));
      xml.append("\" formatCode=\"").append(code).append("\"/>");
    }
    xml.append("</numFmts>");
  }
  // cellStyleXfs precede cellXfs and must not be counted as cell styles.
  xml.append("<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>");
  xml.append("<cellXfs count=\"").append(std::to_string(xf_formats.size())).append("\">");
  for (int id : xf_formats) {
    xml.append("<xf numFmtId=\"").append(std::to_string(id)).append("\" xfId=\"0\"/>");
  }
  xml.append("</cellXfs></styleSheet>");
  return xml;
}

struct WorkbookSpec {
  std::vector<SheetSpec> sheets;
  std::vector<std::string> shared_strings;  // raw <si> contents
  std::string styles;                       // empty: no styles part
  bool date1904 = false;
};

void WriteWorkbook(const fs::path& path, const WorkbookSpec& spec) {
  ZipWriter zip;
  std::string types =
      R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
      R"(<Default Extension="xml" ContentType="application/xml"/></Types>)";
  zip.Add("[Content_Types].xml", types);
  zip.Add("_rels/.rels",
          R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
          R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/)"
          R"(2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>)");
  std::string wb = "<workbook xmlns=\"";
  wb.append(kMainNs).append("\" xmlns:r=\"").append(kRelNs).append("\">");
  if (spec.date1904) wb.append("<workbookPr date1904=\"1\"/>");
  wb.append("<sheets>");
  std::string rels =
      R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)";
  for (size_t i = 0; i < spec.sheets.size(); ++i) {
    const auto& s = spec.sheets[i];
    std::string id = "rId" + std::to_string(i + 10);
    std::string part = "worksheets/sheet" + std::to_string(i + 1) + ".xml";
    wb.append("<sheet name=\"").append(s.name).append("\" sheetId=\"");
    wb.append(std::to_string(i + 1)).append("\" r:id=\"").append(id).append("\"/>");
    rels.append("<Relationship Id=\"").append(id).append("\" Type=\"x\" Target=\"");
    rels.append(s.target.empty() ? part : s.target).append("\"/>");
    if (s.file.empty()) {
      zip.Add("xl/" + part, s.xml);
    } else {
      zip.AddFile("xl/" + part, s.file);
    }
  }
  wb.append("</sheets></workbook>");
  zip.Add("xl/workbook.xml", wb);
  zip.Add("xl/_rels/workbook.xml.rels", rels + "</Relationships>");
  if (!spec.shared_strings.empty()) {
    std::string sst = "<sst xmlns=\"";
    sst.append(kMainNs).append("\" uniqueCount=\"");
    sst.append(std::to_string(spec.shared_strings.size())).append("\">");
    for (const auto& si : spec.shared_strings) sst.append("<si>").append(si).append("</si>");
    zip.Add("xl/sharedStrings.xml", sst + "</sst>");
  }
  if (!spec.styles.empty()) zip.Add("xl/styles.xml", spec.styles);
  zip.Write(path);
}

class XlsxReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trib_xlsx_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<XlsxRow> ReadAll(XlsxReader& reader, size_t sheet) {
    std::vector<XlsxRow> rows;
    Status st = reader.ReadSheet(sheet, [&](const XlsxRow& row) {
      rows.push_back(row);
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return rows;
  }

  fs::path dir_;
};

TEST_F(XlsxReaderTest, ReadsEveryCellKindWithGaps) {
  WorkbookSpec spec;
  spec.shared_strings = {"<t>alpha</t>",
                         // a rich-text string: runs are joined; phonetic runs are not text
                         R"(<r><t>be</t></r><r><t xml:space="preserve">ta </t></r>)"
                         R"(<rPh sb="0" eb="1"><t>XX</t></rPh>)",
                         "<t>&lt;tag&gt; &amp; caf\xC3\xA9</t>"};
  spec.sheets.push_back(
      {"Data",
       SheetXml(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c>)"
                R"(<c r="D1" t="s"><v>2</v></c></row>)"
                R"(<row r="2"><c r="A2"><v>42</v></c><c r="B2"><v>-1.5E3</v></c>)"
                R"(<c r="C2" t="b"><v>1</v></c><c r="D2" t="b"><v>0</v></c>)"
                R"(<c r="E2" t="e"><v>#DIV/0!</v></c></row>)"
                R"(<row r="4"><c r="B4" t="inlineStr"><is><t>inline</t></is></c>)"
                R"(<c r="C4" s="0"/><c r="D4"><f>1+1</f><v>2</v></c>)"
                R"(<c r="E4" t="str"><f>"x"&amp;"y"</f><v>xy</v></c></row>)"
                R"(<row><c><v>7</v></c><c><v>8</v></c></row>)"),
       "", ""});
  WriteWorkbook(dir_ / "kinds.xlsx", spec);

  auto reader = XlsxReader::Open((dir_ / "kinds.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->shared_string_count(), 3u);
  auto rows = ReadAll(**reader, 0);
  ASSERT_EQ(rows.size(), 4u);

  EXPECT_EQ(rows[0].number, 1u);
  ASSERT_EQ(rows[0].cells.size(), 3u);
  EXPECT_EQ(rows[0].cells[0].column, 0u);
  EXPECT_EQ(rows[0].cells[0].kind, XlsxCellKind::kSharedString);
  EXPECT_EQ(rows[0].cells[0].text, "alpha");
  EXPECT_EQ(rows[0].cells[1].column, 2u);  // B1 is absent: an empty cell
  EXPECT_EQ(rows[0].cells[1].text, "beta ");
  EXPECT_EQ(rows[0].cells[2].text, "<tag> & caf\xC3\xA9");

  const auto& r2 = rows[1].cells;
  ASSERT_EQ(r2.size(), 5u);
  EXPECT_EQ(r2[0].kind, XlsxCellKind::kNumber);
  EXPECT_EQ(r2[0].number, 42);
  EXPECT_EQ(r2[1].number, -1500);
  EXPECT_EQ(r2[2].kind, XlsxCellKind::kBool);
  EXPECT_EQ(r2[2].text, "TRUE");
  EXPECT_EQ(r2[2].number, 1);
  EXPECT_EQ(r2[3].text, "FALSE");
  EXPECT_EQ(r2[4].kind, XlsxCellKind::kError);
  EXPECT_EQ(r2[4].text, "#DIV/0!");

  EXPECT_EQ(rows[2].number, 4u);  // row 3 is absent
  const auto& r4 = rows[2].cells;
  ASSERT_EQ(r4.size(), 4u);
  EXPECT_EQ(r4[0].column, 1u);
  EXPECT_EQ(r4[0].kind, XlsxCellKind::kInlineString);
  EXPECT_EQ(r4[0].text, "inline");
  EXPECT_EQ(r4[1].kind, XlsxCellKind::kEmpty);
  EXPECT_EQ(r4[2].kind, XlsxCellKind::kNumber);
  EXPECT_TRUE(r4[2].formula);
  EXPECT_EQ(r4[2].number, 2);
  EXPECT_FALSE(r4[0].formula);
  EXPECT_EQ(r4[3].kind, XlsxCellKind::kFormulaString);
  EXPECT_TRUE(r4[3].formula);
  EXPECT_EQ(r4[3].text, "xy");

  // Rows and cells without references follow the previous ones.
  EXPECT_EQ(rows[3].number, 5u);
  ASSERT_EQ(rows[3].cells.size(), 2u);
  EXPECT_EQ(rows[3].cells[0].column, 0u);
  EXPECT_EQ(rows[3].cells[1].column, 1u);
  EXPECT_EQ(rows[3].cells[1].number, 8);
}

TEST_F(XlsxReaderTest, ListsAndReadsSeveralSheets) {
  WorkbookSpec spec;
  spec.sheets.push_back({"First", SheetXml(R"(<row r="1"><c r="A1"><v>1</v></c></row>)"), "", ""});
  spec.sheets.push_back(
      {"Q3 & more", SheetXml(R"(<row r="1"><c r="A1"><v>2</v></c></row>)", "A1:B9"), "", ""});
  // An absolute relationship target, as some writers use.
  spec.sheets.push_back({"Third", SheetXml(R"(<row r="1"><c r="A1"><v>3</v></c></row>)"), "",
                         "/xl/worksheets/sheet3.xml"});
  spec.sheets[1].name = "Q3 &amp; more";
  WriteWorkbook(dir_ / "multi.xlsx", spec);

  auto reader = XlsxReader::Open((dir_ / "multi.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const auto& sheets = (*reader)->sheets();
  ASSERT_EQ(sheets.size(), 3u);
  EXPECT_EQ(sheets[0].name, "First");
  EXPECT_EQ(sheets[1].name, "Q3 & more");
  EXPECT_EQ(sheets[1].index, 1u);
  EXPECT_EQ(sheets[1].part_path, "xl/worksheets/sheet2.xml");
  EXPECT_EQ(sheets[2].part_path, "xl/worksheets/sheet3.xml");
  for (size_t i = 0; i < 3; ++i) {
    auto rows = ReadAll(**reader, i);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].cells.at(0).number, static_cast<double>(i + 1));
  }
  auto found = (*reader)->FindSheet("Third");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->index, 2u);
  auto missing = (*reader)->FindSheet("Nope");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'First', 'Q3 & more', 'Third'"), std::string::npos)
      << missing.status().message();

  auto estimate = (*reader)->EstimateRowCount(1);
  ASSERT_TRUE(estimate.ok()) << estimate.status().ToString();
  EXPECT_EQ(*estimate, std::optional<uint64_t>(9));
  estimate = (*reader)->EstimateRowCount(0);
  ASSERT_TRUE(estimate.ok());
  EXPECT_EQ(*estimate, std::nullopt);
  EXPECT_EQ((*reader)->ReadSheet(3, [](const XlsxRow&) { return Status::Ok(); }).code(),
            ErrorCode::kNotFound);
}

TEST_F(XlsxReaderTest, ConvertsDateFormattedSerials) {
  // Styles: 0 General, 1 built-in date (14), 2 built-in date-time (22), 3 custom date-time,
  // 4 a "d" in quotes (not a date), 5 a bracketed colour (not a date), 6 a locale-tagged
  // custom date, 7 built-in time (20).
  WorkbookSpec spec;
  spec.styles = StylesXml({{164, "yyyy-mm-dd hh:mm"},
                           {165, "&quot;d&quot;0.00"},
                           {166, "[Red]0.00"},
                           {167, "[$-409]d-mmm-yy;@"}},
                          {0, 14, 22, 164, 165, 166, 167, 20});
  spec.sheets.push_back({"Dates",
                         SheetXml(R"(<row r="1"><c r="A1" s="1"><v>45000</v></c>)"
                                  R"(<c r="B1" s="2"><v>45000.5</v></c>)"
                                  R"(<c r="C1" s="3"><v>45000.75</v></c>)"
                                  R"(<c r="D1" s="4"><v>45000</v></c>)"
                                  R"(<c r="E1" s="5"><v>45000</v></c>)"
                                  R"(<c r="F1" s="6"><v>45000</v></c>)"
                                  R"(<c r="G1" s="0"><v>45000</v></c>)"
                                  R"(<c r="H1" s="7"><v>0.25</v></c></row>)"
                                  R"(<row r="2"><c r="A2" s="1"><v>1</v></c>)"
                                  R"(<c r="B2" s="1"><v>59</v></c>)"
                                  R"(<c r="C2" s="1"><v>61</v></c>)"
                                  R"(<c r="D2" t="d"><v>2024-02-29</v></c>)"
                                  R"(<c r="E2" s="1" t="s"><v>0</v></c></row>)"),
                         "", ""});
  spec.shared_strings = {"<t>not a date</t>"};
  WriteWorkbook(dir_ / "dates.xlsx", spec);

  auto reader = XlsxReader::Open((dir_ / "dates.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_FALSE((*reader)->date1904());
  auto rows = ReadAll(**reader, 0);
  ASSERT_EQ(rows.size(), 2u);
  const auto& c = rows[0].cells;
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(c[0].kind, XlsxCellKind::kDate);
  EXPECT_EQ(FormatDate(c[0].days), "2023-03-15");
  EXPECT_EQ(c[0].number, 45000);
  EXPECT_EQ(c[1].kind, XlsxCellKind::kTimestamp);
  EXPECT_EQ(FormatTimestamp(c[1].micros), "2023-03-15T12:00:00Z");
  EXPECT_EQ(c[2].kind, XlsxCellKind::kTimestamp);
  EXPECT_EQ(FormatTimestamp(c[2].micros), "2023-03-15T18:00:00Z");
  EXPECT_EQ(c[3].kind, XlsxCellKind::kNumber);
  EXPECT_EQ(c[4].kind, XlsxCellKind::kNumber);
  EXPECT_EQ(c[5].kind, XlsxCellKind::kDate);
  EXPECT_EQ(FormatDate(c[5].days), "2023-03-15");
  EXPECT_EQ(c[6].kind, XlsxCellKind::kNumber);
  EXPECT_EQ(c[7].kind, XlsxCellKind::kTimestamp);  // a time of day on Excel's day 0
  EXPECT_EQ(FormatTimestamp(c[7].micros), "1899-12-31T06:00:00Z");

  const auto& d = rows[1].cells;
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(FormatDate(d[0].days), "1900-01-01");
  EXPECT_EQ(FormatDate(d[1].days), "1900-02-28");
  EXPECT_EQ(FormatDate(d[2].days), "1900-03-01");  // after Excel's phantom 1900-02-29
  EXPECT_EQ(d[3].kind, XlsxCellKind::kDate);
  EXPECT_EQ(FormatDate(d[3].days), "2024-02-29");
  EXPECT_EQ(d[4].kind, XlsxCellKind::kSharedString);  // a date style on text changes nothing
}

TEST_F(XlsxReaderTest, Honours1904DateSystem) {
  WorkbookSpec spec;
  spec.date1904 = true;
  spec.styles = StylesXml({}, {0, 14});
  spec.sheets.push_back({"Mac",
                         SheetXml(R"(<row r="1"><c r="A1" s="1"><v>0</v></c>)"
                                  R"(<c r="B1" s="1"><v>43538</v></c></row>)"),
                         "", ""});
  WriteWorkbook(dir_ / "mac.xlsx", spec);
  auto reader = XlsxReader::Open((dir_ / "mac.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->date1904());
  auto rows = ReadAll(**reader, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(FormatDate(rows[0].cells.at(0).days), "1904-01-01");
  EXPECT_EQ(FormatDate(rows[0].cells.at(1).days), "2023-03-15");  // 45000 in the 1900 system
}

long CurrentRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST_F(XlsxReaderTest, StreamsABigSheetInLittleMemory) {
  // 200,000 rows of 6 cells, about 40 MB of XML: written to a file in pieces and zipped from
  // it, so the test itself never holds the sheet either.
  constexpr int kRows = 200'000;
  const fs::path sheet_file = dir_ / "big_sheet.xml";
  {
    std::ofstream out(sheet_file, std::ios::binary);
    std::string head = SheetXml("", "A1:F200000");
    out << head.substr(0, head.find("</sheetData>"));
    std::string row;
    for (int r = 1; r <= kRows; ++r) {
      std::string n = std::to_string(r);
      row.assign("<row r=\"").append(n).append("\">");
      row.append("<c r=\"A").append(n).append("\"><v>").append(n).append("</v></c>");
      row.append("<c r=\"B").append(n).append("\" t=\"s\"><v>").append(std::to_string(r % 3));
      row.append("</v></c>");
      row.append("<c r=\"C").append(n).append("\" t=\"inlineStr\"><is><t>row number ");
      row.append(n).append(" with some padding text</t></is></c>");
      row.append("<c r=\"D").append(n).append("\"><v>").append(n).append(".25</v></c>");
      row.append("<c r=\"F").append(n).append("\" t=\"b\"><v>1</v></c>");
      row.append("</row>\n");
      out << row;
    }
    out << "</sheetData></worksheet>";
  }
  const auto sheet_bytes = fs::file_size(sheet_file);
  ASSERT_GT(sheet_bytes, 30ul * 1024 * 1024);
  WorkbookSpec spec;
  spec.shared_strings = {"<t>a</t>", "<t>b</t>", "<t>c</t>"};
  spec.sheets.push_back({"Big", "", sheet_file.string(), ""});
  WriteWorkbook(dir_ / "big.xlsx", spec);
  fs::remove(sheet_file);

  auto reader = XlsxReader::Open((dir_ / "big.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto estimate = (*reader)->EstimateRowCount(0);
  ASSERT_TRUE(estimate.ok());
  EXPECT_EQ(*estimate, std::optional<uint64_t>(kRows));

  const long baseline_kb = CurrentRssKb();
  ASSERT_GT(baseline_kb, 0);
  long peak_kb = baseline_kb;
  uint64_t count = 0;
  double sum = 0;
  Status st = (*reader)->ReadSheet(0, [&](const XlsxRow& row) {
    ++count;
    if (row.number != count || row.cells.size() != 5 || row.cells[4].column != 5) {
      return Internal("unexpected row " + std::to_string(row.number));
    }
    sum += row.cells[0].number;
    if (count % 5000 == 0) peak_kb = std::max(peak_kb, CurrentRssKb());
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(count, static_cast<uint64_t>(kRows));
  EXPECT_EQ(sum, static_cast<double>(kRows) * (kRows + 1) / 2);
  // Holding the sheet's XML (over 30 MB) or its rows would show; the reader's own buffers are
  // well under a megabyte. 12 MB of slack leaves room for the allocator's moods. AddressSanitizer
  // keeps freed memory in quarantine (resident), so the bound only holds without it.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kSlackKb = 512L * 1024;
#else
  constexpr long kSlackKb = 12L * 1024;
#endif
  EXPECT_LT(peak_kb - baseline_kb, kSlackKb)
      << "RSS grew from " << baseline_kb << " kB to " << peak_kb << " kB while reading";
}

TEST_F(XlsxReaderTest, ReadsWideRowsAndHugeFieldsAcrossChunks) {
  // 10,000 columns in one row, and 1 MB strings (inline and shared) that expat delivers in
  // many pieces across the reader's 64 KB chunks.
  std::string wide = "<row r=\"1\">";
  for (uint32_t c = 0; c < 10'000; ++c) {
    wide.append("<c r=\"").append(XlsxCellRef(c, 1)).append("\"><v>");
    wide.append(std::to_string(c)).append("</v></c>");
  }
  wide.append("</row>");
  std::string huge(1 << 20, 'x');
  huge[0] = '<';
  std::string escaped = "&lt;" + huge.substr(1);
  wide.append("<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>").append(escaped);
  wide.append("</t></is></c><c r=\"B2\" t=\"s\"><v>0</v></c></row>");
  WorkbookSpec spec;
  spec.shared_strings = {"<t>" + escaped + "</t>"};
  spec.sheets.push_back({"Wide", SheetXml(wide), "", ""});
  WriteWorkbook(dir_ / "wide.xlsx", spec);
  auto reader = XlsxReader::Open((dir_ / "wide.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto rows = ReadAll(**reader, 0);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[0].cells.size(), 10'000u);
  for (uint32_t c = 0; c < 10'000; ++c) {
    ASSERT_EQ(rows[0].cells[c].column, c);
    ASSERT_EQ(rows[0].cells[c].number, static_cast<double>(c));
  }
  ASSERT_EQ(rows[1].cells.size(), 2u);
  EXPECT_TRUE(rows[1].cells[0].text == huge) << rows[1].cells[0].text.size();
  EXPECT_TRUE(rows[1].cells[1].text == huge) << rows[1].cells[1].text.size();
}

TEST_F(XlsxReaderTest, CallbackErrorStopsTheRead) {
  WorkbookSpec spec;
  spec.sheets.push_back({"S",
                         SheetXml(R"(<row r="1"><c r="A1"><v>1</v></c></row>)"
                                  R"(<row r="2"><c r="A2"><v>2</v></c></row>)"
                                  R"(<row r="3"><c r="A3"><v>3</v></c></row>)"),
                         "", ""});
  WriteWorkbook(dir_ / "stop.xlsx", spec);
  auto reader = XlsxReader::Open((dir_ / "stop.xlsx").string());
  ASSERT_TRUE(reader.ok());
  int seen = 0;
  Status st = (*reader)->ReadSheet(
      0, [&](const XlsxRow&) { return ++seen == 2 ? Cancelled("enough") : Status::Ok(); });
  EXPECT_EQ(st.code(), ErrorCode::kCancelled);
  EXPECT_EQ(st.message(), "enough");
  EXPECT_EQ(seen, 2);
}

TEST_F(XlsxReaderTest, RejectsAFileThatIsNotAZip) {
  const fs::path path = dir_ / "report.xlsx";
  std::ofstream(path) << "name,amount\nalice,3\n";
  auto reader = XlsxReader::Open(path.string());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kInvalidArgument);
  const auto& msg = reader.status().message();
  EXPECT_EQ(msg.rfind(path.string() + ": not an Excel workbook", 0), 0u) << msg;
  EXPECT_NE(msg.find("this file is not one"), std::string::npos) << msg;

  std::ofstream(dir_ / "empty.xlsx") << "";
  EXPECT_EQ(XlsxReader::Open((dir_ / "empty.xlsx").string()).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(XlsxReader::Open((dir_ / "missing.xlsx").string()).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(XlsxReaderTest, RejectsAZipWithoutWorkbook) {
  ZipWriter zip;
  zip.Add("word/document.xml", "<document/>");
  zip.Write(dir_ / "letter.xlsx");
  auto reader = XlsxReader::Open((dir_ / "letter.xlsx").string());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(reader.status().message().find("no xl/workbook.xml"), std::string::npos)
      << reader.status().message();
}

TEST_F(XlsxReaderTest, MalformedSheetNamesSheetLineAndCell) {
  WorkbookSpec spec;
  spec.sheets.push_back({"Good", SheetXml(R"(<row r="1"><c r="A1"><v>1</v></c></row>)"), "", ""});
  spec.sheets.push_back({"Q3",
                         SheetXml("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>\n"
                                  "<row r=\"2\"><c r=\"A2\"><v>2</v></c>\n"
                                  "<c r=\"B2\"><v>3</x></c></row>"),
                         "", ""});
  WriteWorkbook(dir_ / "report.xlsx", spec);
  auto reader = XlsxReader::Open((dir_ / "report.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(ReadAll(**reader, 0).size(), 1u);  // the other sheet is fine
  int rows = 0;
  Status st = (*reader)->ReadSheet(1, [&](const XlsxRow&) {
    ++rows;
    return Status::Ok();
  });
  EXPECT_EQ(rows, 1);  // the rows before the damage were delivered
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  std::string expected = (dir_ / "report.xlsx").string() + ": sheet 'Q3', line 4, column ";
  EXPECT_EQ(st.message().rfind(expected, 0), 0u) << st.message();
  EXPECT_NE(st.message().find("cell B2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("mismatched tag"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("save it again"), std::string::npos) << st.message();
}

TEST_F(XlsxReaderTest, BadCellValuesNameTheCell) {
  WorkbookSpec spec;
  spec.shared_strings = {"<t>only</t>"};
  spec.sheets.push_back(
      {"S1",
       SheetXml(R"(<row r="17"><c r="A17" t="s"><v>0</v></c><c r="C17" t="s"><v>5</v></c></row>)"),
       "", ""});
  spec.sheets.push_back({"S2", SheetXml(R"(<row r="2"><c r="B2"><v>12abc</v></c></row>)"), "", ""});
  spec.sheets.push_back({"S3", SheetXml(R"(<row r="1"><c r="1A"><v>1</v></c></row>)"), "", ""});
  WriteWorkbook(dir_ / "bad.xlsx", spec);
  auto reader = XlsxReader::Open((dir_ / "bad.xlsx").string());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const std::string file = (dir_ / "bad.xlsx").string();
  auto ignore = [](const XlsxRow&) { return Status::Ok(); };

  Status st = (*reader)->ReadSheet(0, ignore);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind(file + ": sheet 'S1', cell C17: shared string index \"5\"", 0), 0u)
      << st.message();
  st = (*reader)->ReadSheet(1, ignore);
  EXPECT_EQ(st.message().rfind(file + ": sheet 'S2', cell B2: numeric cell holds \"12abc\"", 0), 0u)
      << st.message();
  st = (*reader)->ReadSheet(2, ignore);
  EXPECT_NE(st.message().find("cell reference \"1A\""), std::string::npos) << st.message();
}

TEST(XlsxHelpers, CellReferencesAndFormats) {
  EXPECT_EQ(XlsxColumnFromRef("A1"), std::optional<uint32_t>(0));
  EXPECT_EQ(XlsxColumnFromRef("Z9"), std::optional<uint32_t>(25));
  EXPECT_EQ(XlsxColumnFromRef("AA10"), std::optional<uint32_t>(26));
  EXPECT_EQ(XlsxColumnFromRef("XFD1048576"), std::optional<uint32_t>(16383));
  EXPECT_EQ(XlsxColumnFromRef("$B$7"), std::optional<uint32_t>(1));
  EXPECT_EQ(XlsxColumnFromRef("XFE1"), std::nullopt);
  EXPECT_EQ(XlsxColumnFromRef("B"), std::nullopt);
  EXPECT_EQ(XlsxColumnFromRef("7"), std::nullopt);
  EXPECT_EQ(XlsxCellRef(2, 17), "C17");
  EXPECT_EQ(XlsxCellRef(26, 1), "AA1");
  EXPECT_EQ(XlsxCellRef(16383, 5), "XFD5");

  bool time = false;
  EXPECT_TRUE(XlsxIsDateFormat(14, "", &time));
  EXPECT_FALSE(time);
  EXPECT_TRUE(XlsxIsDateFormat(47, "", &time));
  EXPECT_TRUE(time);
  EXPECT_FALSE(XlsxIsDateFormat(0, "", &time));
  EXPECT_FALSE(XlsxIsDateFormat(23, "", &time));
  EXPECT_FALSE(XlsxIsDateFormat(164, "General", &time));
  EXPECT_FALSE(XlsxIsDateFormat(164, "0.00\\h", &time));
  EXPECT_FALSE(XlsxIsDateFormat(164, "#,##0 \"days\"", &time));
  EXPECT_TRUE(XlsxIsDateFormat(164, "dd/mm/yyyy", &time));
  EXPECT_FALSE(time);
  EXPECT_TRUE(XlsxIsDateFormat(164, "[h]:mm:ss", &time));
  EXPECT_TRUE(time);
}

}  // namespace
}  // namespace tributary::importer
