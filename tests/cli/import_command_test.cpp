// The pure parts of `tributary import`: argument checks, the upload URL and confirm body, the
// SSE parser (events split across chunks anywhere, CRLF, comments), progress event parsing,
// the rate and ETA arithmetic and the progress lines. Plus the binary's own answers when no
// server is listening or the file is missing.
#include "cli/import_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/server_harness.h"

namespace tributary::cli {
namespace {

using ::tributary::testing::RunTributary;
using ::tributary::testing::TempDir;
using ::tributary::testing::WriteFile;

class ImportCommandArgsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    csv_ = dir_.File("sales data.csv");
    WriteFile(csv_, "a,b\n1,2\n");
    args_.file = csv_;
  }
  TempDir dir_;
  std::string csv_;
  ImportArgs args_;
};

TEST_F(ImportCommandArgsTest, AcceptsDefaultsAndEveryValidHint) {
  EXPECT_TRUE(ValidateImportArgs(args_).ok());
  args_.format = "tsv";
  args_.delimiter = "\\t";
  args_.header = "false";
  args_.encoding = "latin-1";
  args_.on_error = "skip";
  args_.server = "https://example.org:8443/";
  EXPECT_TRUE(ValidateImportArgs(args_).ok()) << ValidateImportArgs(args_).ToString();
}

TEST_F(ImportCommandArgsTest, RefusesBadValuesSayingWhatToWrite) {
  auto refused = [&](auto change, const std::string& needle) {
    ImportArgs a = args_;
    change(a);
    Status st = ValidateImportArgs(a);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << needle;
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  refused([](ImportArgs& a) { a.format = "xls"; }, "--format 'xls'");
  refused([](ImportArgs& a) { a.delimiter = ";;"; }, "one character");
  refused([](ImportArgs& a) { a.header = "yes"; }, "true or false");
  refused([](ImportArgs& a) { a.encoding = "cp1252"; }, "utf-8, latin-1, utf-16");
  refused([](ImportArgs& a) { a.on_error = "ignore"; }, "fail or skip");
  refused([](ImportArgs& a) { a.server = "127.0.0.1:8080"; }, "http://127.0.0.1:8080");
  refused([](ImportArgs& a) { a.sheets = {"Sheet1"}; }, "XLSX workbooks only");
  refused([&](ImportArgs& a) { a.file = dir_.File("missing.csv"); }, "No such file");
  refused([&](ImportArgs& a) { a.file = dir_.path(); }, "not a regular file");
  refused([](ImportArgs& a) { a.file.clear(); }, "FILE is required");
}

TEST_F(ImportCommandArgsTest, SheetsAreFineForWorkbooks) {
  std::string book = dir_.File("book.XLSX");
  WriteFile(book, "PK");
  args_.file = book;
  args_.sheets = {"Q1", "Q2"};
  EXPECT_TRUE(ValidateImportArgs(args_).ok());
  args_.file = csv_;
  args_.format = "xlsx";
  EXPECT_TRUE(ValidateImportArgs(args_).ok());
}

TEST_F(ImportCommandArgsTest, UploadUrlCarriesOnlyTheGivenHintsEncoded) {
  args_.server = "http://127.0.0.1:9000/";
  EXPECT_EQ(BuildUploadUrl(args_, "sales data.csv"),
            "http://127.0.0.1:9000/api/v1/imports?filename=sales%20data.csv");
  args_.project = "demo";
  args_.name = "sales&co";
  args_.format = "csv";
  args_.delimiter = "tab";
  args_.header = "true";
  args_.encoding = "utf-8";
  args_.sheets = {"A B", "C"};
  EXPECT_EQ(BuildUploadUrl(args_, "x.csv"),
            "http://127.0.0.1:9000/api/v1/imports?project=demo&filename=x.csv&name=sales%26co"
            "&format=csv&delimiter=%09&header=true&encoding=utf-8&sheet=A%20B&sheet=C");
}

TEST_F(ImportCommandArgsTest, ConfirmBodyHasOnErrorAndTargetWhenGiven) {
  EXPECT_EQ(BuildConfirmBody(args_), R"({"onError":"fail"})");
  args_.on_error = "skip";
  args_.target = "warehouse";
  EXPECT_EQ(BuildConfirmBody(args_), R"({"onError":"skip","target":"warehouse"})");
}

TEST(ImportCommandDelimiterTest, TabSpellings) {
  EXPECT_EQ(NormalizeDelimiter("\\t"), "\t");
  EXPECT_EQ(NormalizeDelimiter("tab"), "\t");
  EXPECT_EQ(NormalizeDelimiter(";"), ";");
}

// ------------------------------------------------------------------ SSE

std::vector<SseEvent> ParseAll(const std::vector<std::string>& chunks, SseParser* parser) {
  std::vector<SseEvent> events;
  for (const auto& c : chunks) parser->Feed(c, [&](const SseEvent& e) { events.push_back(e); });
  return events;
}

const char kStream[] =
    ": keep-alive\n\n"
    "event: progress\nid: 1\ndata: {\"phase\":\"converting\",\"progress\":10}\n\n"
    ": keep-alive\n\n"
    "event: progress\r\nid: 2\r\ndata: {\"phase\":\"converting\",\r\ndata: \"progress\":50}\r\n\r\n"
    "event: complete\rid: 3\rdata:{\"phase\":\"complete\",\"source\":\"sales\",\"rows\":7}\r\r";

void ExpectStreamEvents(const std::vector<SseEvent>& events, const SseParser& parser) {
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, "progress");
  EXPECT_EQ(events[0].id, "1");
  EXPECT_EQ(events[0].data, R"({"phase":"converting","progress":10})");
  EXPECT_EQ(events[1].id, "2");
  EXPECT_EQ(events[1].data, "{\"phase\":\"converting\",\n\"progress\":50}");
  EXPECT_EQ(events[2].event, "complete");
  EXPECT_EQ(events[2].data, R"({"phase":"complete","source":"sales","rows":7})");
  EXPECT_EQ(parser.last_event_id(), "3");
  EXPECT_EQ(parser.comments(), 2u);
}

TEST(ImportCommandSseTest, ParsesAWholeStream) {
  SseParser parser;
  ExpectStreamEvents(ParseAll({kStream}, &parser), parser);
}

TEST(ImportCommandSseTest, EverySplitPointGivesTheSameEvents) {
  const std::string stream = kStream;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    auto events = ParseAll({stream.substr(0, cut), stream.substr(cut)}, &parser);
    ExpectStreamEvents(events, parser);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "split at " << cut;
      return;
    }
  }
  // One byte at a time (a CRLF split between its two bytes included).
  SseParser parser;
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  ExpectStreamEvents(ParseAll(bytes, &parser), parser);
}

TEST(ImportCommandSseTest, NoDataNoEventAndUnterminatedEventWaits) {
  SseParser parser;
  auto events =
      ParseAll({"event: progress\nid: 9\n\n", "retry: 100\nfoo: bar\n\n", "data: x"}, &parser);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.last_event_id(), "9");  // the id is kept even without data
  events = ParseAll({"\n\n"}, &parser);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "x");
  EXPECT_EQ(events[0].id, "9");
}

TEST(ImportCommandSseTest, ProgressCompleteAndErrorData) {
  auto p = ParseProgressEvent(
      R"({"phase":"converting","progress":42.5,"rowsProcessed":510000,"totalRows":1200000,)"
      R"("totalExact":false,"bytesProcessed":44040192,"etaSeconds":7.1,"status":"importing"})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->phase, "converting");
  EXPECT_DOUBLE_EQ(p->percent, 42.5);
  EXPECT_EQ(p->rows_processed, 510000u);
  EXPECT_EQ(p->total_rows, 1200000u);
  EXPECT_FALSE(p->total_exact);
  EXPECT_EQ(p->bytes_processed, 44040192u);
  ASSERT_TRUE(p->eta_seconds);
  EXPECT_DOUBLE_EQ(*p->eta_seconds, 7.1);
  EXPECT_EQ(p->status, "importing");

  auto done = ParseProgressEvent(R"({"phase":"complete","source":"sales","rows":12,)"
                                 R"("etaSeconds":null})");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->source, "sales");
  EXPECT_EQ(done->rows, 12u);
  EXPECT_FALSE(done->eta_seconds);

  auto err = ParseProgressEvent(
      R"({"phase":"error","error":{"code":"INVALID_ARGUMENT","message":"line 3, column 2: x"}})");
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->error_code, "INVALID_ARGUMENT");
  EXPECT_EQ(err->error_message, "line 3, column 2: x");

  EXPECT_FALSE(ParseProgressEvent("not json").ok());
  EXPECT_FALSE(ParseProgressEvent("[1]").ok());
}

// ------------------------------------------------------------------ rates, ETA, lines

TEST(ImportCommandRateTest, SlopeOverTheWindow) {
  RateMeter meter(5.0);
  EXPECT_EQ(meter.PerSecond(), 0);
  meter.Add(100.0, 0);
  EXPECT_EQ(meter.PerSecond(), 0);
  meter.Add(101.0, 10e6);
  EXPECT_DOUBLE_EQ(meter.PerSecond(), 10e6);
  meter.Add(102.0, 30e6);
  EXPECT_DOUBLE_EQ(meter.PerSecond(), 15e6);  // 30 MB over 2 s
  // Later samples push the old ones out: only the last 5 s (plus one edge sample) count.
  for (int t = 3; t <= 20; ++t) meter.Add(100.0 + t, 30e6 + (t - 2) * 1e6);
  EXPECT_NEAR(meter.PerSecond(), 1e6, 1e-6);
  // A total going back (a new phase) restarts the meter.
  meter.Add(121.0, 5);
  EXPECT_EQ(meter.PerSecond(), 0);
  meter.Add(120.0, 10);  // time going back is ignored
  EXPECT_EQ(meter.PerSecond(), 0);
}

TEST(ImportCommandRateTest, Eta) {
  EXPECT_DOUBLE_EQ(*EstimateEta(40, 100, 10), 6.0);
  EXPECT_DOUBLE_EQ(*EstimateEta(100, 100, 0), 0.0);
  EXPECT_FALSE(EstimateEta(40, 100, 0));
  EXPECT_FALSE(EstimateEta(40, 0, 10));
  EXPECT_FALSE(EstimateEta(140, 100, 10));  // past an estimated total: unknown
}

TEST(ImportCommandFormatTest, DurationsAndRates) {
  EXPECT_EQ(FormatDuration(std::nullopt), "?");
  EXPECT_EQ(FormatDuration(-1.0), "?");
  EXPECT_EQ(FormatDuration(7.1), "7s");
  EXPECT_EQ(FormatDuration(59.4), "59s");
  EXPECT_EQ(FormatDuration(125), "2m05s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatRate(85.34e6), "85.3 MB/s");
  EXPECT_EQ(FormatRate(0), "0.0 MB/s");
}

TEST(ImportCommandFormatTest, PlainLine) {
  ProgressView v;
  v.phase = "converting";
  v.percent = 42.5;
  v.done = 510000;
  v.total = 1200000;
  v.total_exact = false;
  v.bytes_per_second = 85.3e6;
  v.eta_seconds = 7.1;
  EXPECT_EQ(FormatPlainLine(v), "converting 42% 510000/1200000 rows 85.3 MB/s eta 7s");
  v.bytes_per_second = 0;
  v.eta_seconds.reset();
  v.total = 0;
  EXPECT_EQ(FormatPlainLine(v), "converting 42% 510000 rows");
  ProgressView up;
  up.phase = "uploading";
  up.unit = "MB";
  up.percent = 100;
  up.done = 500'000'000;
  up.total = 500'000'000;
  up.bytes_per_second = 400e6;
  up.eta_seconds = 0.0;
  EXPECT_EQ(FormatPlainLine(up), "uploading 100% 500.0/500.0 MB 400.0 MB/s eta 0s");
}

TEST(ImportCommandFormatTest, BarLineFitsTheWidth) {
  ProgressView v;
  v.phase = "converting";
  v.percent = 50;
  v.done = 510000;
  v.total = 1200000;
  v.total_exact = false;
  v.bytes_per_second = 85.3e6;
  v.eta_seconds = 7.1;
  std::string bar = FormatBarLine(v, 100);
  EXPECT_LE(bar.size(), 100u);
  EXPECT_EQ(bar.rfind("converting [###############---------------]  50.0%", 0), 0u) << bar;
  EXPECT_NE(bar.find("510,000/~1,200,000 rows  85.3 MB/s  eta 7s"), std::string::npos) << bar;
  std::string narrow = FormatBarLine(v, 40);
  EXPECT_EQ(narrow.size(), 40u);
  EXPECT_EQ(narrow.find('['), std::string::npos) << narrow;  // no room for a bar
  v.total_exact = true;
  v.percent = 140;  // clamped
  EXPECT_NE(FormatBarLine(v, 120).find("100.0%  510,000/1,200,000 rows"), std::string::npos);
}

// ------------------------------------------------------------------ the binary, no server

TEST(ImportCommandBinaryTest, ServerDownSaysHowToStartIt) {
  TempDir dir;
  std::string csv = dir.File("t.csv");
  WriteFile(csv, "a\n1\n");
  // Port 1 on loopback: nothing listens there.
  auto r = RunTributary({"import", csv, "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot reach the server at http://127.0.0.1:1: connection refused; start "
                       "it with `tributary serve` or pass --server"),
            std::string::npos)
      << r.err;
}

TEST(ImportCommandBinaryTest, MissingFileAndBadOptionsAreUsageErrors) {
  TempDir dir;
  auto r = RunTributary({"import", dir.File("nope.csv")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read '" + dir.File("nope.csv") + "': No such file or directory"),
            std::string::npos)
      << r.err;
  std::string csv = dir.File("t.csv");
  WriteFile(csv, "a\n1\n");
  EXPECT_EQ(RunTributary({"import", csv, "--on-error", "ignore"}).exit_code, 2);
  EXPECT_EQ(RunTributary({"import"}).exit_code, 2);
  auto help = RunTributary({"import", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--on-error"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace tributary::cli
