// The importer on CSV and TSV files written by the tests: dialect and encoding detection,
// awkward content (quoted delimiters and newlines, BOM, Latin-1, 10,000 columns, a 20 MB
// field) and bad records in fail and skip mode.
#include <gtest/gtest.h>

#include <string>

#include "importer/importer.h"
#include "importer/importer_fixtures.h"

namespace tributary::importer {
namespace {

namespace fs = std::filesystem;
using testing::ImporterTest;

class ImporterCsvTest : public ImporterTest {
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
};

TEST_F(ImporterCsvTest, QuotedDelimitersAndEmbeddedNewlinesRoundTrip) {
  const std::string path = Write("sales.csv",
                                 "id,name,note\n"
                                 "1,\"Smith, John\",\"line one\nline two\"\n"
                                 "2,\"say \"\"hi\"\"\",plain\n"
                                 "3,x,\"a,b,c\"\n");
  ImportPlan plan = MustSniff(path, "sales.csv");
  EXPECT_EQ(plan.format, FileFormat::kCsv);
  EXPECT_EQ(plan.csv.delimiter, ",");
  EXPECT_EQ(plan.csv.quote, "\"");
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].name, "sales");
  ASSERT_EQ(plan.tables[0].columns.size(), 3u);
  EXPECT_EQ(plan.tables[0].columns[0].type, "BIGINT");
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].rows, 3u);
  EXPECT_GT(result.tables[0].bytes, 0u);
  auto rows = Sql("SELECT name, note FROM '" + Parquet("sales") + "' ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0][0], "Smith, John");
  EXPECT_EQ(rows.rows[0][1], "line one\nline two");
  EXPECT_EQ(rows.rows[1][0], "say \"hi\"");
  EXPECT_EQ(rows.rows[2][1], "a,b,c");
}

TEST_F(ImporterCsvTest, Utf8BomIsSkipped) {
  const std::string path = Write("bom.csv", "\xEF\xBB\xBFid,city\n1,K\xC3\xB6ln\n");
  ImportPlan plan = MustSniff(path);
  EXPECT_EQ(plan.csv.encoding, "utf-8");
  ASSERT_EQ(plan.tables[0].columns.size(), 2u);
  EXPECT_EQ(plan.tables[0].columns[0].source_name, "id");
  EXPECT_EQ(plan.tables[0].columns[0].name, "id");
  MustConvert(path, plan);
  auto rows = Sql("SELECT id, city FROM '" + Parquet("bom") + "'");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0][0], "1");
  EXPECT_EQ(rows.rows[0][1], "K\xC3\xB6ln");
}

TEST_F(ImporterCsvTest, Latin1IsDetectedAndStoredAsUtf8) {
  const std::string path = Write("latin.csv", "id;name;caf\xE9\n1;Ren\xE9;x\n2;na\xEFve;y\n");
  ImportPlan plan = MustSniff(path);
  EXPECT_EQ(plan.csv.encoding, "latin-1");
  EXPECT_EQ(plan.csv.delimiter, ";");
  ASSERT_EQ(plan.tables[0].columns.size(), 3u);
  EXPECT_EQ(plan.tables[0].columns[2].source_name, "caf\xC3\xA9");
  EXPECT_EQ(plan.tables[0].columns[2].name, "cafe");
  auto preview = PreviewFile(path, plan);
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  ASSERT_EQ((*preview)[0].rows.size(), 2u);
  EXPECT_EQ((*preview)[0].rows[0][1], "Ren\xC3\xA9");
  MustConvert(path, plan);
  auto rows = Sql("SELECT name FROM '" + Parquet("latin") + "' ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], "Ren\xC3\xA9");
  EXPECT_EQ(rows.rows[1][0], "na\xC3\xAFve");
}

TEST_F(ImporterCsvTest, Utf16WithBom) {
  const std::string text = "id,name\n1,Z\xC3\xBCrich\n";
  // UTF-16LE by hand: the BOM, then each code unit (all below U+0100 here) low byte first.
  std::string utf16 = "\xFF\xFE";
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC3) {
      utf16.push_back(static_cast<char>(0xC0 | (static_cast<unsigned char>(text[++i]) & 0x3F)));
    } else {
      utf16.push_back(static_cast<char>(c));
    }
    utf16.push_back('\0');
  }
  const std::string path = Write("wide16.csv", utf16);
  ImportPlan plan = MustSniff(path);
  EXPECT_EQ(plan.csv.encoding, "utf-16");
  ASSERT_EQ(plan.tables.size(), 1u);
  ASSERT_EQ(plan.tables[0].columns.size(), 2u);
  EXPECT_EQ(plan.tables[0].columns[1].name, "name");
  MustConvert(path, plan);
  auto rows = Sql("SELECT name FROM '" + Parquet("wide16") + "'");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0][0], "Z\xC3\xBCrich");
}

TEST_F(ImporterCsvTest, RaggedRowFailsNamingLineAndColumn) {
  std::string content = "a,b\n";
  for (int i = 0; i < 50; ++i) content.append(std::to_string(i) + "," + std::to_string(i) + "\n");
  content.append("7,8,9\n10,11\n");  // line 52 has a third field
  const std::string path = Write("ragged.csv", content);
  ImportPlan plan = MustSniff(path);
  ASSERT_EQ(plan.tables[0].columns.size(), 2u);
  auto result = ConvertToParquet(path, plan, Path("out"), nullptr, CancelToken());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("line 52, column 3"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("7,8,9"), std::string::npos);
  EXPECT_FALSE(fs::exists(Parquet("ragged")));
  EXPECT_FALSE(fs::exists(Parquet("ragged") + ".tmp"));
}

TEST_F(ImporterCsvTest, RaggedRowsAreSkippedCountedAndSampled) {
  const std::string path = Write("ragged.csv", "a,b\n1,2\n3,4,5\n6,7\n8,9,10,11\n12,13\n");
  ImportPlan plan = MustSniff(path);
  plan.on_error = OnError::kSkip;
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].rows, 3u);
  EXPECT_EQ(result.rejected_rows, 2u);
  ASSERT_EQ(result.rejects.size(), 2u);
  EXPECT_EQ(result.rejects[0].line, 3u);
  EXPECT_EQ(result.rejects[0].raw, "3,4,5");
  EXPECT_EQ(result.rejects[0].table, "ragged");
  EXPECT_FALSE(result.rejects[0].message.empty());
  EXPECT_EQ(result.rejects[1].line, 5u);
  auto rows = Sql("SELECT sum(a) FROM '" + Parquet("ragged") + "'");
  EXPECT_EQ(rows.rows[0][0], "19");
}

TEST_F(ImporterCsvTest, EmptyFileIsRejected) {
  const std::string path = Write("empty.csv", "");
  auto plan = Sniff(path, "empty.csv", {});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("the file is empty"), std::string::npos);
  auto blank = Sniff(Write("blank.csv", "\n  \n"), "blank.csv", {});
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.status().message().find("the file is empty"), std::string::npos);
}

TEST_F(ImporterCsvTest, HeaderOnlyGivesVarcharColumnsAndNoRows) {
  const std::string path = Write("header.csv", "alpha,Beta Gamma,alpha\n");
  ImportPlan plan = MustSniff(path);
  ASSERT_EQ(plan.tables[0].columns.size(), 3u);
  EXPECT_EQ(plan.tables[0].columns[1].source_name, "Beta Gamma");
  EXPECT_EQ(plan.tables[0].columns[1].name, "beta_gamma");
  EXPECT_EQ(plan.tables[0].columns[2].source_name, "alpha");
  EXPECT_EQ(plan.tables[0].columns[2].name, "alpha_2");
  for (const auto& c : plan.tables[0].columns) EXPECT_EQ(c.type, "VARCHAR");
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].rows, 0u);
  auto rows = Sql("SELECT count(*) FROM '" + Parquet("header") + "'");
  EXPECT_EQ(rows.rows[0][0], "0");
}

TEST_F(ImporterCsvTest, TenThousandColumns) {
  std::string content;
  for (int c = 0; c < 10000; ++c) content.append(c ? "," : "").append("col" + std::to_string(c));
  content.push_back('\n');
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 10000; ++c) content.append(c ? "," : "").append(std::to_string(r * c));
    content.push_back('\n');
  }
  const std::string path = Write("wide.csv", content);
  ImportPlan plan = MustSniff(path);
  ASSERT_EQ(plan.tables[0].columns.size(), 10000u);
  EXPECT_EQ(plan.tables[0].columns[9999].name, "col9999");
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].rows, 3u);
  auto rows = Sql("SELECT col9999 FROM '" + Parquet("wide") + "' ORDER BY col1");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[2][0], "19998");
}

TEST_F(ImporterCsvTest, HugeSingleField) {
  const std::string big(20 * 1024 * 1024, 'x');
  const std::string path = Write("huge.csv", "id,blob\n1,\"" + big + "\"\n2,small\n");
  ImportPlan plan = MustSniff(path);
  ASSERT_EQ(plan.tables[0].columns.size(), 2u);
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 2u);
  auto rows = Sql("SELECT length(blob) FROM '" + Parquet("huge") + "' ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], std::to_string(big.size()));
}

TEST_F(ImporterCsvTest, TsvByExtensionAndContent) {
  const std::string path = Write("data.tsv", "id\tname\n1\ta,b\n2\tc\n");
  ImportPlan plan = MustSniff(path, "data.tsv");
  EXPECT_EQ(plan.format, FileFormat::kTsv);
  EXPECT_EQ(plan.csv.delimiter, "\t");
  ASSERT_EQ(plan.tables[0].columns.size(), 2u);
  MustConvert(path, plan);
  auto rows = Sql("SELECT name FROM '" + Parquet("data") + "' ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], "a,b");
  // Tabs in a file without an extension: TSV too.
  ImportPlan unnamed = MustSniff(Write("noext", "x\ty\n1\t2\n"), "upload");
  EXPECT_EQ(unnamed.format, FileFormat::kTsv);
}

TEST_F(ImporterCsvTest, SemicolonDelimiterAndHints) {
  const std::string path = Write("semi.csv", "a;b;c\n1;2,5;x\n3;4,5;y\n");
  ImportPlan plan = MustSniff(path);
  EXPECT_EQ(plan.csv.delimiter, ";");
  ASSERT_EQ(plan.tables[0].columns.size(), 3u);
  EXPECT_EQ(plan.tables[0].columns[1].source_name, "b");
  // The hints override detection.
  SniffHints hints;
  hints.header = false;
  ImportPlan hinted = MustSniff(path, "semi.csv", hints);
  EXPECT_EQ(hinted.csv.delimiter, ";");
  EXPECT_FALSE(hinted.csv.header);
  ASSERT_EQ(hinted.tables[0].columns.size(), 3u);
  EXPECT_EQ(hinted.tables[0].columns[0].source_name, "column1");
  EXPECT_EQ(hinted.tables[0].columns[0].type, "VARCHAR");
  hints = {};
  hints.delimiter = "|";
  ImportPlan piped = MustSniff(path, "semi.csv", hints);
  EXPECT_EQ(piped.csv.delimiter, "|");
  ASSERT_EQ(piped.tables[0].columns.size(), 1u);
  EXPECT_EQ(piped.tables[0].columns[0].source_name, "a;b;c");
}

TEST_F(ImporterCsvTest, TypeOverrideThatFailsInFailMode) {
  const std::string path = Write("typed.csv", "id,amount\n1,10\n2,20\n3,abc\n");
  ImportPlan plan = MustSniff(path);
  EXPECT_EQ(plan.tables[0].columns[1].type, "VARCHAR");
  plan.tables[0].columns[1].type = "BIGINT";
  auto result = ConvertToParquet(path, plan, Path("out"), nullptr, CancelToken());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  const std::string& message = result.status().message();
  EXPECT_NE(message.find("line 4, column 2"), std::string::npos) << message;
  EXPECT_NE(message.find("amount"), std::string::npos) << message;
  EXPECT_NE(message.find("'abc'"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_empty(Path("out"))) << "partial files left";
}

TEST_F(ImporterCsvTest, TypeOverrideThatFailsInSkipModeIsAReject) {
  const std::string path = Write("typed.csv", "id,amount\n1,10\n2,20\n3,abc\n");
  ImportPlan plan = MustSniff(path);
  plan.tables[0].columns[1].type = "BIGINT";
  plan.on_error = OnError::kSkip;
  auto result = MustConvert(path, plan);
  EXPECT_EQ(result.tables[0].rows, 2u);
  EXPECT_EQ(result.rejected_rows, 1u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].line, 4u);
  EXPECT_EQ(result.rejects[0].column, 2u);
  EXPECT_EQ(result.rejects[0].column_name, "amount");
  EXPECT_NE(result.rejects[0].message.find("abc"), std::string::npos);
  auto rows = Sql("SELECT sum(amount), typeof(sum(amount)) FROM '" + Parquet("typed") + "'");
  EXPECT_EQ(rows.rows[0][0], "30");
}

TEST_F(ImporterCsvTest, RenamedColumnsAreUsedInTheOutput) {
  const std::string path = Write("ren.csv", "Order ID,Total Amount\n1,2.5\n");
  ImportPlan plan = MustSniff(path);
  EXPECT_EQ(plan.tables[0].columns[0].name, "order_id");
  EXPECT_EQ(plan.tables[0].columns[1].name, "total_amount");
  plan.tables[0].columns[0].name = "OrderNo";
  plan.tables[0].columns[1].name = "total";
  plan.tables[0].columns[1].type = "DECIMAL(10,2)";
  plan.tables[0].name = "orders";
  auto result = MustConvert(path, plan);
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].name, "orders");
  auto rows = Sql("SELECT OrderNo, total, typeof(total) FROM '" + Parquet("orders") + "'");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0][1], "2.50");
  EXPECT_EQ(rows.rows[0][2], "DECIMAL(10,2)");
  auto columns = Sql("SELECT name FROM parquet_schema('" + Parquet("orders") +
                     "') WHERE "
                     "name <> 'duckdb_schema' ORDER BY name");
  ASSERT_EQ(columns.rows.size(), 2u);
  EXPECT_EQ(columns.rows[0][0], "OrderNo");
}

TEST_F(ImporterCsvTest, SanitizeIdentifier) {
  EXPECT_EQ(SanitizeIdentifier("Order ID"), "order_id");
  EXPECT_EQ(SanitizeIdentifier("  total ($) "), "total");
  EXPECT_EQ(SanitizeIdentifier("2024 sales"), "c_2024_sales");
  EXPECT_EQ(SanitizeIdentifier(""), "column");
  EXPECT_EQ(SanitizeIdentifier("***"), "column");
  EXPECT_EQ(SanitizeIdentifier("Stra\xC3\x9F"
                               "e caf\xC3\xA9"),
            "strasse_cafe");
  EXPECT_EQ(SanitizeIdentifier(std::string(100, 'a')).size(), 63u);
  EXPECT_EQ(ParseFormatName("NDJSON"), FileFormat::kNdjson);
  EXPECT_EQ(ParseFormatName("xls"), std::nullopt);
  EXPECT_EQ(FormatName(FileFormat::kParquet), "parquet");
}

}  // namespace
}  // namespace tributary::importer
