// Test fixtures for the importer: files written by the tests themselves (no binary fixtures
// in git): text files, XLSX workbooks built part by part with libzip, Parquet files written by
// DuckDB, and a reader of the Parquet files an import produces.
// Thread-safety: each helper is used by one test at a time.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "importer/duckdb_session.h"

namespace tributary::importer::testing {

namespace fs = std::filesystem;

//! A folder per test, removed afterwards.
class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trib_importer_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out << content;
    return path.string();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  //! Runs `sql` in a fresh DuckDB database (e.g. to read a produced Parquet file).
  TextTable Sql(const std::string& sql) {
    auto session = DuckSession::Open((dir_ / "check-duckdb").string());
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    if (!session.ok()) return {};
    auto result = (*session)->Query(sql);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    return result.ok() ? *result : TextTable{};
  }

  fs::path dir_;
};

//! One worksheet: its name and its <sheetData> rows (raw XML).
struct TestSheet {
  std::string name;
  std::string rows;
  std::string dimension;
};

//! Writes a minimal .xlsx workbook: content types, workbook, relationships, sheets, shared
//! strings (raw <si> contents) and a style sheet whose cellXfs use `xf_formats` (number format
//! ids: 14 is a date, 22 a date and time).
inline void WriteXlsx(const fs::path& path, const std::vector<TestSheet>& sheets,
                      const std::vector<std::string>& shared_strings,
                      const std::vector<int>& xf_formats = {0, 14, 22}) {
  const std::string main_ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const std::string rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  std::list<std::pair<std::string, std::string>> parts;
  parts.emplace_back(
      "[Content_Types].xml",
      R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
      R"(<Default Extension="xml" ContentType="application/xml"/></Types>)");
  parts.emplace_back(
      "_rels/.rels",
      R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
      R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/)"
      R"(2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>)");
  std::string wb = "<workbook xmlns=\"" + main_ns + "\" xmlns:r=\"" + rel_ns + "\"><sheets>";
  std::string rels =
      R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)";
  for (size_t i = 0; i < sheets.size(); ++i) {
    const std::string id = "rId" + std::to_string(i + 10);
    const std::string part = "worksheets/sheet" + std::to_string(i + 1) + ".xml";
    wb.append("<sheet name=\"" + sheets[i].name + "\" sheetId=\"" + std::to_string(i + 1) +
              "\" r:id=\"" + id + "\"/>");
    rels.append("<Relationship Id=\"" + id + "\" Type=\"x\" Target=\"" + part + "\"/>");
    std::string xml = "<worksheet xmlns=\"" + main_ns + "\" xmlns:r=\"" + rel_ns + "\">";
    if (!sheets[i].dimension.empty()) {
      xml.append("<dimension ref=\"" + sheets[i].dimension + "\"/>");
    }
    xml.append("<sheetData>" + sheets[i].rows + "</sheetData></worksheet>");
    parts.emplace_back("xl/" + part, xml);
  }
  parts.emplace_back("xl/workbook.xml", wb + "</sheets></workbook>");
  parts.emplace_back("xl/_rels/workbook.xml.rels", rels + "</Relationships>");
  if (!shared_strings.empty()) {
    std::string sst = "<sst xmlns=\"" + main_ns + "\">";
    for (const auto& si : shared_strings) sst.append("<si><t>" + si + "</t></si>");
    parts.emplace_back("xl/sharedStrings.xml", sst + "</sst>");
  }
  std::string styles = "<styleSheet xmlns=\"" + main_ns + "\"><cellXfs count=\"" +
                       std::to_string(xf_formats.size()) + "\">";
  for (int id : xf_formats) styles.append("<xf numFmtId=\"" + std::to_string(id) + "\"/>");
  parts.emplace_back("xl/styles.xml", styles + "</cellXfs></styleSheet>");

  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(za, nullptr) << "zip_open error " << err;
  for (const auto& [name, data] : parts) {
    zip_source_t* src = zip_source_buffer(za, data.data(), data.size(), 0);
    ASSERT_NE(src, nullptr);
    ASSERT_GE(zip_file_add(za, name.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8), 0);
  }
  ASSERT_EQ(zip_close(za), 0) << zip_strerror(za);
}

//! A row of cells for TestSheet::rows: each cell is raw XML inside <row>.
inline std::string XRow(int number, const std::vector<std::string>& cells) {
  std::string xml = "<row r=\"" + std::to_string(number) + "\">";
  for (const auto& c : cells) xml.append(c);
  return xml + "</row>";
}
//! A shared-string cell.
inline std::string XStr(const std::string& ref, int index) {
  return "<c r=\"" + ref + "\" t=\"s\"><v>" + std::to_string(index) + "</v></c>";
}
//! An inline-string cell.
inline std::string XInline(const std::string& ref, const std::string& text) {
  return "<c r=\"" + ref + "\" t=\"inlineStr\"><is><t>" + text + "</t></is></c>";
}
//! A number cell with an optional style index.
inline std::string XNum(const std::string& ref, const std::string& value, int style = -1) {
  std::string xml = "<c r=\"" + ref + "\"";
  if (style >= 0) xml.append(" s=\"" + std::to_string(style) + "\"");
  return xml + "><v>" + value + "</v></c>";
}

}  // namespace tributary::importer::testing
