// ConvertToParquet's progress and cancellation on a large generated CSV, StreamRows' text
// values and batches, and PreviewFile.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

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

class ImporterConvertTest : public ImporterTest {
 protected:
  //! A CSV of `rows` rows (about 60 bytes each).
  std::string BigCsv(const std::string& name, int rows) {
    const std::string path = Path(name);
    std::ofstream out(path, std::ios::binary);
    out << "id,name,amount,day,flag\n";
    std::string line;
    for (int i = 0; i < rows; ++i) {
      line.clear();
      line.append(std::to_string(i)).append(",\"customer ").append(std::to_string(i % 9973));
      line.append(", inc\",")
          .append(std::to_string(i % 1000))
          .append(".")
          .append(std::to_string(i % 100));
      line.append(",2024-0").append(std::to_string(1 + i % 9)).append("-1");
      line.append(std::to_string(i % 10)).append(i % 3 ? ",true\n" : ",false\n");
      out << line;
    }
    return path;
  }
};

TEST_F(ImporterConvertTest, ProgressIsMonotonicAndReaches100) {
  const std::string path = BigCsv("progress.csv", 400000);
  auto plan = Sniff(path, "progress.csv", {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_TRUE(plan->tables[0].estimated_rows.has_value());
  EXPECT_NEAR(static_cast<double>(*plan->tables[0].estimated_rows), 400000.0, 40000.0);
  std::vector<Progress> seen;
  auto result = ConvertToParquet(
      path, *plan, Path("out"), [&](const Progress& p) { seen.push_back(p); }, CancelToken());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->tables[0].rows, 400000u);
  ASSERT_GE(seen.size(), 2u);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].percent, seen[i - 1].percent) << "at report " << i;
    EXPECT_GE(seen[i].bytes_processed, seen[i - 1].bytes_processed) << "at report " << i;
  }
  // Row counts are estimates until the end, when they are exact.
  EXPECT_EQ(seen.back().percent, 100.0);
  EXPECT_EQ(seen.back().phase, "writing");
  EXPECT_EQ(seen.back().rows_processed, 400000u);
  EXPECT_EQ(seen.back().total_rows, 400000u);
  EXPECT_TRUE(seen.back().total_exact);
  EXPECT_EQ(seen.back().bytes_processed, fs::file_size(path));
  // Only the Parquet file is left in the folder.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(Path("out"))) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"progress.parquet"});
}

TEST_F(ImporterConvertTest, CancelDuringConversionLeavesNothing) {
  const std::string path = BigCsv("cancel.csv", 2500000);
  auto plan = Sniff(path, "cancel.csv", {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  CancelToken cancel;
  std::atomic<bool> saw_progress{false};
  auto result = ConvertToParquet(
      path, *plan, Path("out"),
      [&](const Progress& p) {
        if (p.phase == "converting" && p.percent > 0) {
          saw_progress = true;
          cancel.Cancel("test cancel");
        }
      },
      cancel);
  ASSERT_FALSE(result.ok()) << "finished before the cancel";
  EXPECT_TRUE(saw_progress.load());
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled) << result.status().ToString();
  EXPECT_TRUE(fs::is_empty(Path("out"))) << "files left in out_dir";
}

TEST_F(ImporterConvertTest, CancelledBeforeStart) {
  const std::string path = Write("small.csv", "a\n1\n");
  auto plan = Sniff(path, "small.csv", {});
  ASSERT_TRUE(plan.ok());
  CancelToken cancel;
  cancel.Cancel("client went away");
  auto result = ConvertToParquet(path, *plan, Path("out"), nullptr, cancel);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kCancelled);
  EXPECT_TRUE(fs::is_empty(Path("out")));
}

TEST_F(ImporterConvertTest, StreamRowsGivesTextInBatches) {
  const std::string path = Write("typed.csv",
                                 "id,day,ts,flag,x,s\n"
                                 "1,2024-01-02,2024-01-02 03:04:05,true,1.5,a\n"
                                 "2,2024-02-03,2024-02-03 00:00:00,false,2,\n"
                                 "3,2024-03-04,2024-03-04 10:00:00,true,-0.25,c\n"
                                 "4,2024-04-05,2024-04-05 11:30:00,false,4,d\n"
                                 "5,2024-05-06,2024-05-06 12:00:01,true,5,e\n");
  auto plan = Sniff(path, "typed.csv", {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const auto& columns = plan->tables[0].columns;
  ASSERT_EQ(columns.size(), 6u);
  EXPECT_EQ(columns[1].type, "DATE");
  EXPECT_EQ(columns[2].type, "TIMESTAMP");
  EXPECT_EQ(columns[3].type, "BOOLEAN");
  EXPECT_EQ(columns[4].type, "DOUBLE");
  std::vector<RowBatch> batches;
  auto result = StreamRows(
      path, *plan, 0, Path("scratch"), 2,
      [&](const RowBatch& batch) {
        batches.push_back(batch);
        return Status::Ok();
      },
      nullptr, CancelToken());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->tables[0].rows, 5u);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].size(), 1u);
  const auto& first = batches[0][0];
  EXPECT_EQ(first[0], "1");
  EXPECT_EQ(first[1], "2024-01-02");
  EXPECT_EQ(first[2], "2024-01-02 03:04:05");
  EXPECT_EQ(first[3], "true");
  EXPECT_EQ(first[4], "1.5");
  EXPECT_EQ(batches[0][1][5], std::nullopt);
  EXPECT_EQ(batches[1][0][4], "-0.25");
  // A sink error stops the read and is returned.
  auto stopped = StreamRows(
      path, *plan, 0, Path("scratch"), 2,
      [&](const RowBatch&) { return Unavailable("target down"); }, nullptr, CancelToken());
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), ErrorCode::kUnavailable);
}

TEST_F(ImporterConvertTest, StreamRowsFromAWorkbook) {
  const std::string path = Path("w.xlsx");
  WriteXlsx(path,
            {{"S",
              XRow(1, {XInline("A1", "d"), XInline("B1", "n")}) +
                  XRow(2, {XNum("A2", "45000", 1), XNum("B2", "3")}) +
                  XRow(3, {XNum("A3", "45001", 1), XInline("B3", "oops")}),
              ""}},
            {});
  auto plan = Sniff(path, "w.xlsx", {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  plan->tables[0].columns[1].type = "BIGINT";
  plan->on_error = OnError::kSkip;
  RowBatch all;
  auto result = StreamRows(
      path, *plan, 0, Path("scratch"), 100,
      [&](const RowBatch& batch) {
        all.insert(all.end(), batch.begin(), batch.end());
        return Status::Ok();
      },
      nullptr, CancelToken());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0][0], "2023-03-15");
  EXPECT_EQ(all[0][1], "3");
  EXPECT_EQ(result->rejected_rows, 1u);
  ASSERT_EQ(result->rejects.size(), 1u);
  EXPECT_EQ(result->rejects[0].line, 3u);
  EXPECT_TRUE(fs::is_empty(Path("scratch")));
}

TEST_F(ImporterConvertTest, PreviewShowsFirstRowsAndCountsBadOnes) {
  std::string content = "id,amount\n";
  for (int i = 0; i < 300; ++i) {
    content.append(std::to_string(i)).append(",");
    content.append(i == 5 ? std::string("oops") : std::to_string(i)).append("\n");
  }
  const std::string path = Write("p.csv", content);
  auto plan = Sniff(path, "p.csv", {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  plan->tables[0].columns[1].type = "BIGINT";
  plan->tables[0].columns[1].name = "amt";
  auto preview = PreviewFile(path, *plan, 100);
  ASSERT_TRUE(preview.ok()) << preview.status().ToString();
  ASSERT_EQ(preview->size(), 1u);
  const TablePreview& p = (*preview)[0];
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.columns[1].name, "amt");
  EXPECT_EQ(p.rows.size(), 100u);
  EXPECT_GE(p.bad_rows, 1u);
  EXPECT_EQ(p.rows[5][0], "6");  // the bad row 5 is left out
}

}  // namespace
}  // namespace tributary::importer
