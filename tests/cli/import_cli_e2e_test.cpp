// `tributary import` against a real `tributary serve`: a CSV is uploaded, previewed, confirmed
// and converted, and the rows are then queryable through /api/v1/query; a CSV with a bad value
// in fail mode exits 1 naming the line and column; a key without the import role is told which
// role it needs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <regex>
#include <string>

#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

class ImportCliE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("seed.csv"), "x\n1\n");
    WriteFile(dir_.File("config.yaml"),
              "imports:\n"
              "  dir: " +
                  dir_.File("imports") +
                  "\n"
                  "sources:\n"
                  "  files:\n"
                  "    type: duckdb\n"
                  "    tables:\n"
                  "      seed: " +
                  dir_.File("seed.csv") +
                  "\n"
                  "projects:\n"
                  "  cli_e2e:\n"
                  "    sources: [files]\n");
    std::string error;
    server_ = ServerProcess::Start(
        {"--config", dir_.File("config.yaml"), "--listen", "127.0.0.1:0", "--no-web"}, &error);
    ASSERT_TRUE(server_) << error;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ImportCliE2eTest, ImportsACsvThatIsThenQueryable) {
  std::string csv = dir_.File("people.csv");
  WriteFile(csv, "id,name,score\n1,Ada,9.5\n2,Grace,8.25\n3,\"Lin, the Great\",7\n");
  ProcessResult r = RunTributary(
      {"import", csv, "--server", server_->url(), "--project", "cli_e2e", "--name", "people_cli"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << server_->Stderr();
  EXPECT_NE(r.out.find("uploaded people.csv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("format: csv (delimiter ','"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("table people_cli, about 3 rows:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  name   VARCHAR"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ready: source 'people_cli', 1 table, 3 rows, 0 rejected rows"),
            std::string::npos)
      << r.out;
  // Not a terminal: plain progress lines (or none for a file this small), never '\r'.
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;

  HttpResponse q = PostQuery(server_->port(),
                             R"({"project":"cli_e2e","source":"people_cli",)"
                             R"("sql":"SELECT count(*) AS n, max(name) AS m FROM people_cli"})");
  ASSERT_EQ(q.status, 200) << q.body;
  json::value rows = json::parse(q.body).at("rows");
  EXPECT_EQ(rows.at(0).at(0).to_number<int64_t>(), 3);
  EXPECT_EQ(rows.at(0).at(1).as_string(), "Lin, the Great");
}

TEST_F(ImportCliE2eTest, BadRowInFailModeExitsOneNamingLineAndColumn) {
  std::string csv = dir_.File("bad.csv");
  std::string text = "id,amount\n";
  for (int i = 1; i <= 30000; ++i)
    text.append(std::to_string(i)).append(",").append(std::to_string(i * 2)).append("\n");
  text += "30001,not-a-number\n";  // line 30002, column 2: past the sniffer's sample
  WriteFile(csv, text);
  ProcessResult r = RunTributary({"import", csv, "--server", server_->url(), "--project", "cli_e2e",
                                  "--name", "bad_cli", "--on-error", "fail"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("tributary: import: import imp_"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 30002, column 2 (amount)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("ready:"), std::string::npos) << r.out;
}

TEST_F(ImportCliE2eTest, CtrlCCancelsTheImportOnTheServer) {
  std::string csv = dir_.File("big.csv");
  {
    std::string text = "id,label,amount\n";
    text.reserve(40 << 20);
    for (int i = 0; i < 1'500'000; ++i) {
      text.append(std::to_string(i)).append(",label ").append(std::to_string(i % 977));
      text.append(",").append(std::to_string(i * 3)).append(".25\n");
    }
    WriteFile(csv, text);
  }
  const std::string out_path = dir_.File("cli.out");
  const std::string err_path = dir_.File("cli.err");
  std::vector<std::string> args = {BinaryPath(), "import",  csv,      "--server", server_->url(),
                                   "--project",  "cli_e2e", "--name", "big_cli"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Once the server has accepted the upload (the CLI printed the import id), interrupt it.
  ASSERT_TRUE(
      WaitUntil([&] { return ReadFile(out_path).find("table big_cli") != std::string::npos; }, 60s))
      << ReadFile(out_path) << ReadFile(err_path);
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_TRUE(WaitUntil([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 30s));
  ASSERT_TRUE(WIFEXITED(status));
  const std::string out = ReadFile(out_path);
  const std::string err = ReadFile(err_path);
  EXPECT_EQ(WEXITSTATUS(status), 130) << out << err;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(out, id, std::regex("as import (imp_[0-9a-f]+)"))) << out;
  EXPECT_NE(err.find("interrupted; import " + id[1].str() + " cancelled"), std::string::npos)
      << err;
  HttpClient client(server_->port());
  HttpResponse job = client.Get("/api/v1/imports/" + id[1].str());
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_EQ(json::parse(job.body).at("status").as_string(), "cancelled") << job.body;
  HttpResponse sources = client.Get("/api/v1/sources");
  EXPECT_EQ(sources.body.find("big_cli"), std::string::npos) << sources.body;
}

}  // namespace
}  // namespace tributary::testing
