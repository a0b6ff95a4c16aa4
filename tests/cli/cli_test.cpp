// Drives the real `tributary` binary: exit codes, output formats and config errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace tributary {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr interleaved
};

CommandResult RunBinary(const std::string& args) {
  std::string command = std::string(TRIBUTARY_BINARY) + " " + args + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tributary-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Write("people.csv", "id,name,score\n1,Ada,9.5\n2,Grace,8.25\n3,\"Lin, \"\"the\"\" Great\",7\n");
    Write("config.yaml",
          "sources:\n"
          "  files:\n"
          "    type: duckdb\n"
          "    tables:\n"
          "      people: people.csv\n"
          "projects:\n"
          "  p:\n"
          "    sources: [files]\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(CliTest, VersionAndHelp) {
  auto version = RunBinary("version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("tributary ") + TRIBUTARY_VERSION + "\n");
  for (const char* cmd : {"serve", "query", "sources", "check-config", "demo-data", "version"}) {
    auto help = RunBinary(std::string(cmd) + " --help");
    EXPECT_EQ(help.exit_code, 0) << cmd;
    EXPECT_NE(help.out.find("Usage:"), std::string::npos) << cmd;
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunBinary("").exit_code, 2);
  EXPECT_EQ(RunBinary("no-such-command").exit_code, 2);
  EXPECT_EQ(RunBinary("query").exit_code, 2);  // SQL missing
  EXPECT_EQ(RunBinary("query --format xml 'SELECT 1'").exit_code, 2);
}

TEST_F(CliTest, QueryPrintsTableCsvAndJson) {
  std::string base = "query --config " + Path("config.yaml") + " ";
  auto csv = RunBinary(base + "--format csv 'SELECT id, name FROM people ORDER BY id'");
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  EXPECT_EQ(csv.out, "id,name\r\n1,Ada\r\n2,Grace\r\n3,\"Lin, \"\"the\"\" Great\"\r\n");

  auto json = RunBinary(base + "--format json -p 2 'SELECT name FROM people WHERE id = $1'");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  EXPECT_NE(json.out.find("\"rows\":[[\"Grace\"]]"), std::string::npos) << json.out;

  auto table = RunBinary(base + "--limit 2 'SELECT id FROM people ORDER BY id'");
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("(2 rows, truncated by rows limit"), std::string::npos) << table.out;
}

TEST_F(CliTest, WriteStatementIsRefusedWithExitOne) {
  auto r = RunBinary("query --config " + Path("config.yaml") + " 'DELETE FROM people'");
  EXPECT_EQ(r.exit_code, 1);
  // A view cannot be a DELETE target, so DuckDB's binder refuses it before the guard can.
  EXPECT_NE(r.out.find("QUERY_ERROR"), std::string::npos) << r.out;
}

TEST_F(CliTest, MalformedConfigExitsTwoWithLocation) {
  std::string bad = Write("bad.yaml",
                          "sources:\n"
                          "  files:\n"
                          "    type: duckdb\n"
                          "    tabels: {}\n");
  auto check = RunBinary("check-config " + bad);
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.out.find(bad + ":4:5:"), std::string::npos) << check.out;
  auto query = RunBinary("query --config " + bad + " 'SELECT 1'");
  EXPECT_EQ(query.exit_code, 2);
  auto serve = RunBinary("serve --listen 127.0.0.1:0 --config " + bad);
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_NE(serve.out.find(bad + ":4:5:"), std::string::npos) << serve.out;
}

TEST_F(CliTest, CheckConfigRedactsSecrets) {
  std::string cfg = Write("env.yaml",
                          "sources:\n"
                          "  files:\n"
                          "    type: duckdb\n"
                          "    path: ${TRIB_CLI_TEST_DB:-missing.duckdb}\n"
                          "projects:\n"
                          "  p: {sources: [files]}\n");
  auto r = RunBinary("check-config " + cfg);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("missing.duckdb"), std::string::npos) << r.out;
}

TEST_F(CliTest, SourcesReportsHealth) {
  auto ok = RunBinary("sources --format csv --config " + Path("config.yaml"));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("files,duckdb,ok,"), std::string::npos) << ok.out;

  std::string dead = Write("dead.yaml",
                           "sources:\n"
                           "  gone:\n"
                           "    type: duckdb\n"
                           "    path: does-not-exist.duckdb\n"
                           "projects:\n"
                           "  p: {sources: [gone]}\n");
  auto r = RunBinary("sources --format csv --config " + dead);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("gone,duckdb,unavailable"), std::string::npos) << r.out;
}

TEST_F(CliTest, DemoDataWritesAQueryableFile) {
  std::string out = Path("demo.duckdb");
  auto gen = RunBinary("demo-data --rows 2000 --out " + out);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  Write("demo.yaml",
        "sources:\n"
        "  demo:\n"
        "    type: duckdb\n"
        "    path: demo.duckdb\n"
        "projects:\n"
        "  p: {sources: [demo]}\n");
  auto r = RunBinary("query --format csv --config " + Path("demo.yaml") +
                     " 'SELECT (SELECT count(*) FROM llm_logs) AS l, (SELECT count(*) FROM "
                     "web_events) AS w'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "l,w\r\n2000,2000\r\n");

  auto del = RunBinary("query --config " + Path("demo.yaml") + " 'DELETE FROM llm_logs'");
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_NE(del.out.find("PERMISSION_DENIED"), std::string::npos) << del.out;
}

}  // namespace
}  // namespace tributary
