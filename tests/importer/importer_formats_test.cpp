// The importer's format detection (magic bytes first, the name only breaking ties) and its
// JSON, NDJSON, Parquet and XLSX paths, on files written by the tests.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "importer/importer.h"
#include "importer/importer_fixtures.h"

namespace tributary::importer {
namespace {

namespace fs = std::filesystem;
using testing::ImporterTest;
using testing::TestSheet;
using testing::WriteXlsx;
using testing::XInline;
using testing::XNum;
using testing::XRow;
using testing::XStr;

class ImporterFormatsTest : public ImporterTest {
 protected:
  ImportPlan MustSniff(const std::string& path, std::string_view name = "",
                       const SniffHints& hints = {}) {
    auto plan = Sniff(path, name, hints);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? *plan : ImportPlan{};
  }
  ConvertResult MustConvert(const std::string& path, const ImportPlan& plan) {
    auto result = ConvertToParquet(path, plan, Path("out"), nullptr, CancelToken());
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : ConvertResult{};
  }
  std::string Parquet(const std::string& table) { return Path("out/" + table + ".parquet"); }

  //! A workbook with one sheet "Q3": a header of shared strings, dates (style 1), timestamps
  //! (style 2), numbers and empty cells.
  std::string DatesWorkbook(const std::string& name) {
    const std::string path = Path(name);
    std::string rows =
        XRow(1, {XStr("A1", 0), XStr("B1", 1), XStr("C1", 2), XInline("D1", "stamp")});
    rows += XRow(
        2, {XStr("A2", 3), XNum("B2", "45000", 1), XNum("C2", "1.5"), XNum("D2", "45000.5", 2)});
    rows += XRow(3, {XStr("A3", 4), XNum("C3", "2")});
    rows += XRow(4, {XNum("B4", "45001", 1), "<c r=\"C4\" s=\"0\"/>"});
    WriteXlsx(path, {{"Q3", rows, "A1:D4"}}, {"name", "when", "amount", "alpha", "beta"});
    return path;
  }
};

TEST_F(ImporterFormatsTest, JsonArrayWithNestedValues) {
  const std::string path =
      Write("items.json",
            "  [\n{\"id\": 1, \"name\": \"a\", \"tags\": [\"x\", \"y\"], \"meta\": {\"k\": 1}},\n"
            "{\"id\": 2, \"name\": \"b\", \"tags\": [], \"meta\": null}]\n");
  ImportPlan plan = MustSniff(path, "items.json");
  EXPECT_EQ(plan.format, FileFormat::kJson);
  ASSERT_EQ(plan.tables[0].columns.size(), 4u);
  EXPECT_EQ(plan.tables[0].columns[0].type, "BIGINT");
  EXPECT_EQ(plan.tables[0].columns[2].type, "JSON");
  EXPECT_EQ(plan.tables[0].columns[3].type, "JSON");
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 2u);
  auto rows =
      Sql("SELECT name, tags::VARCHAR, meta::VARCHAR FROM '" + Parquet("items") + "' ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], "a");
  EXPECT_EQ(rows.rows[0][1], "[\"x\",\"y\"]");
  EXPECT_EQ(rows.rows[0][2], "{\"k\":1}");
}

TEST_F(ImporterFormatsTest, NdjsonOneObjectPerLine) {
  const std::string path = Write("events.json",
                                 "{\"id\": 1, \"v\": 1.5, \"when\": \"2024-01-02\"}\n"
                                 "{\"id\": 2, \"v\": null, \"when\": \"2024-01-03\"}\n"
                                 "{\"id\": 3, \"v\": 3, \"when\": \"2024-01-04\"}\n");
  ImportPlan plan = MustSniff(path, "events.json");
  EXPECT_EQ(plan.format, FileFormat::kNdjson);
  ASSERT_EQ(plan.tables[0].columns.size(), 3u);
  EXPECT_EQ(plan.tables[0].columns[1].type, "DOUBLE");
  EXPECT_EQ(plan.tables[0].columns[2].type, "DATE");
  // Retyped and renamed.
  plan.tables[0].columns[2].type = "VARCHAR";
  plan.tables[0].columns[1].name = "value";
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 3u);
  auto rows = Sql("SELECT value, \"when\" FROM '" + Parquet("events") + "' ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[1][0], std::nullopt);
  EXPECT_EQ(rows.rows[2][1], "2024-01-04");
}

TEST_F(ImporterFormatsTest, JsonTypeOverrideFailsAndSkips) {
  const std::string path = Write("codes.ndjson",
                                 "{\"code\": \"1\"}\n{\"code\": \"x2\"}\n"
                                 "{\"code\": \"3\"}\n");
  ImportPlan plan = MustSniff(path, "codes.ndjson");
  ASSERT_EQ(plan.tables[0].columns[0].type, "VARCHAR");
  plan.tables[0].columns[0].type = "INTEGER";
  auto failed = ConvertToParquet(path, plan, Path("out"), nullptr, CancelToken());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("column code: could not convert 'x2' to INTEGER"),
            std::string::npos)
      << failed.status().message();
  plan.on_error = OnError::kSkip;
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 2u);
  EXPECT_EQ(result.rejected_rows, 1u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].column_name, "code");
  EXPECT_EQ(result.rejects[0].raw, "x2");
}

TEST_F(ImporterFormatsTest, ParquetIsTakenAsIs) {
  const std::string path = Path("source.parquet");
  Sql("COPY (SELECT range AS id, 'n' || range AS \"Full Name\" FROM range(1000)) TO '" + path +
      "' (FORMAT parquet)");
  ImportPlan plan = MustSniff(path, "export.bin");  // the content decides
  EXPECT_EQ(plan.format, FileFormat::kParquet);
  ASSERT_EQ(plan.tables[0].columns.size(), 2u);
  EXPECT_EQ(plan.tables[0].columns[1].source_name, "Full Name");
  EXPECT_EQ(plan.tables[0].columns[1].name, "full_name");
  EXPECT_EQ(plan.tables[0].estimated_rows, 1000u);
  EXPECT_TRUE(plan.tables[0].estimate_exact);
  plan.tables[0].name = "people";
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 1000u);
  auto rows = Sql("SELECT full_name FROM '" + Parquet("people") + "' WHERE id = 7");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0][0], "n7");
  // Nothing renamed or retyped: the file is copied as it is.
  plan.tables[0].columns[1].name = "Full Name";
  plan.tables[0].name = "same";
  auto same = MustConvert(path, plan);
  EXPECT_EQ(same.tables[0].rows, 1000u);
  EXPECT_EQ(fs::file_size(Parquet("same")), fs::file_size(path));
}

TEST_F(ImporterFormatsTest, XlsxDatesSharedStringsAndEmptyCells) {
  const std::string path = DatesWorkbook("report.xlsx");
  ImportPlan plan = MustSniff(path, "report.xlsx");
  EXPECT_EQ(plan.format, FileFormat::kXlsx);
  ASSERT_EQ(plan.tables.size(), 1u);
  const TablePlan& table = plan.tables[0];
  EXPECT_EQ(table.name, "report");
  EXPECT_EQ(table.sheet, "Q3");
  ASSERT_EQ(table.columns.size(), 4u);
  EXPECT_EQ(table.columns[0].name, "name");
  EXPECT_EQ(table.columns[0].type, "VARCHAR");
  EXPECT_EQ(table.columns[1].type, "DATE");
  EXPECT_EQ(table.columns[2].type, "DOUBLE");
  EXPECT_EQ(table.columns[3].type, "TIMESTAMP");
  EXPECT_EQ(table.estimated_rows, 3u);
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].rows, 3u);
  auto rows = Sql("SELECT name, \"when\", amount, stamp FROM '" + Parquet("report") + "'");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0][0], "alpha");
  EXPECT_EQ(rows.rows[0][1], "2023-03-15");
  EXPECT_EQ(rows.rows[0][2], "1.5");
  EXPECT_EQ(rows.rows[0][3], "2023-03-15 12:00:00");
  EXPECT_EQ(rows.rows[1][1], std::nullopt);
  EXPECT_EQ(rows.rows[1][2], "2.0");
  EXPECT_EQ(rows.rows[2][0], std::nullopt);
  EXPECT_EQ(rows.rows[2][1], "2023-03-16");
  EXPECT_EQ(rows.rows[2][2], std::nullopt);
  auto preview = PreviewFile(path, plan);
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  ASSERT_EQ((*preview)[0].rows.size(), 3u);
  EXPECT_EQ((*preview)[0].rows[0][1], "2023-03-15");
}

TEST_F(ImporterFormatsTest, XlsxCellThatDoesNotConvertNamesSheetAndCell) {
  std::string rows =
      XRow(1, {XInline("A1", "id"), XInline("B1", "label"), XInline("C1", "amount")});
  for (int r = 2; r <= 20; ++r) {
    const std::string n = std::to_string(r);
    rows += XRow(r, {XNum("A" + n, n), XInline("B" + n, "row" + n),
                     r == 17 ? XInline("C17", "n/a") : XNum("C" + n, n + ".25")});
  }
  const std::string path = Path("q.xlsx");
  WriteXlsx(path, {{"Q3", rows, ""}}, {});
  ImportPlan plan = MustSniff(path);
  ASSERT_EQ(plan.tables[0].columns.size(), 3u);
  EXPECT_EQ(plan.tables[0].columns[2].type, "VARCHAR");  // mixed in the sample
  plan.tables[0].columns[2].type = "DOUBLE";
  auto failed = ConvertToParquet(path, plan, Path("out"), nullptr, CancelToken());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("sheet 'Q3', cell C17"), std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find("could not convert 'n/a' to DOUBLE"), std::string::npos)
      << failed.status().message();
  EXPECT_TRUE(fs::is_empty(Path("out")));
  // A type staged as text and cast by DuckDB names the cell too.
  plan.tables[0].columns[2].type = "DECIMAL(10,2)";
  auto decimal = ConvertToParquet(path, plan, Path("out"), nullptr, CancelToken());
  ASSERT_FALSE(decimal.ok());
  EXPECT_NE(decimal.status().message().find("sheet 'Q3', cell C17"), std::string::npos)
      << decimal.status().message();
  plan.on_error = OnError::kSkip;
  plan.tables[0].columns[2].type = "DOUBLE";
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 18u);
  EXPECT_EQ(result.rejected_rows, 1u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].sheet, "Q3");
  EXPECT_EQ(result.rejects[0].line, 17u);
  EXPECT_EQ(result.rejects[0].column, 3u);
  EXPECT_EQ(result.rejects[0].column_name, "amount");
  EXPECT_NE(result.rejects[0].raw.find("n/a"), std::string::npos);
}

TEST_F(ImporterFormatsTest, TwoSheetsAreTwoTablesAndEmptySheetsAreLeftOut) {
  const std::string path = Path("book.xlsx");
  WriteXlsx(path,
            {{"Sheet One", XRow(1, {XInline("A1", "a")}) + XRow(2, {XNum("A2", "1")}), ""},
             {"Empty", "", ""},
             {"Data2",
              // The table starts at B3: leading blank rows and columns are skipped.
              XRow(3, {XInline("B3", "x"), XInline("C3", "y")}) +
                  XRow(4, {XNum("B4", "1"), XInline("C4", "p")}) +
                  XRow(5, {XNum("B5", "2"), XInline("C5", "q")}),
              ""}},
            {});
  ImportPlan plan = MustSniff(path, "book.xlsx");
  ASSERT_EQ(plan.tables.size(), 2u);
  EXPECT_EQ(plan.tables[0].name, "book_sheet_one");
  EXPECT_EQ(plan.tables[1].name, "book_data2");
  EXPECT_EQ(plan.tables[1].sheet, "Data2");
  ASSERT_EQ(plan.tables[1].columns.size(), 2u);
  EXPECT_EQ(plan.tables[1].columns[0].source_name, "x");
  EXPECT_EQ(plan.tables[1].columns[0].type, "BIGINT");
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 2u);
  EXPECT_EQ(result.tables[0].rows, 1u);
  EXPECT_EQ(result.tables[1].rows, 2u);
  auto rows = Sql("SELECT x, y FROM '" + Parquet("book_data2") + "' ORDER BY x");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[1][1], "q");
  SniffHints hints;
  hints.sheets = {"Data2"};
  ImportPlan one = MustSniff(path, "book.xlsx", hints);
  ASSERT_EQ(one.tables.size(), 1u);
  EXPECT_EQ(one.tables[0].name, "book");
  EXPECT_EQ(one.tables[0].sheet, "Data2");
  hints.sheets = {"Nope"};
  EXPECT_FALSE(Sniff(path, "book.xlsx", hints).ok());
}

TEST_F(ImporterFormatsTest, CsvNamedFileThatIsAWorkbook) {
  const std::string path = Path("sales.csv");
  WriteXlsx(path, {{"S", XRow(1, {XInline("A1", "a")}), ""}}, {});
  auto plan = Sniff(path, "sales.csv", {});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("sales.csv is a zip archive, not CSV"), std::string::npos)
      << plan.status().message();
  EXPECT_NE(plan.status().message().find("format=xlsx"), std::string::npos);
}

TEST_F(ImporterFormatsTest, XlsxNamedFileThatIsText) {
  const std::string path = Write("data.xlsx", "a,b\n1,2\n");
  auto plan = Sniff(path, "data.xlsx", {});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("data.xlsx is a text file, not XLSX"), std::string::npos)
      << plan.status().message();
  // The format hint is checked against the content the same way.
  SniffHints hints;
  hints.format = FileFormat::kParquet;
  auto hinted = Sniff(Write("data.csv", "a,b\n1,2\n"), "data.csv", hints);
  ASSERT_FALSE(hinted.ok());
  EXPECT_NE(hinted.status().message().find("not PARQUET"), std::string::npos);
}

TEST_F(ImporterFormatsTest, RandomBinaryIsRejected) {
  std::mt19937 rng(42);
  std::string bytes(20000, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xFF);
  bytes[0] = 'x';  // not a known magic number
  const std::string path = Write("blob.csv", bytes);
  auto plan = Sniff(path, "blob.csv", {});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("is not a text (CSV/TSV), JSON, XLSX or Parquet file"),
            std::string::npos)
      << plan.status().message();
  auto zip = Sniff(Write("a.zip", std::string("PK\x03\x04", 4) + "garbage"), "a.zip", {});
  ASSERT_FALSE(zip.ok());
  EXPECT_NE(zip.status().message().find("zip archive"), std::string::npos);
}

}  // namespace
}  // namespace tributary::importer
