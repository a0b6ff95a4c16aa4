// The MCP server end to end through the real binary, over both transports: streamable HTTP
// (`tributary serve`, POST /mcp) and stdio (`tributary mcp` as a child with pipes). Checks that
// a tool call is its REST route: the same rows as POST /api/v1/query, the same error code for
// a refused write, project isolation for a key of another project, 401 without a key, the
// cancellation of a running query by notifications/cancelled, and the result-size cut.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

#include "config/config.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

constexpr const char* kKeyA = "mcpe2e-alpha-query-0123456789";
constexpr const char* kKeyB = "mcpe2e-bravo-read-0123456789";
constexpr const char* kLongQuery =
    "SELECT count(*) FROM range(1000000000) a, range(1000000000) b WHERE a.range + b.range = -1";

//! Two projects with one DuckDB source each (an `events` CSV table) and a key per project.
std::string WriteMcpConfig(const TempDir& dir, const std::string& extra = "") {
  std::string csv = dir.File("mcpe2e_events.csv");
  std::string body = "id,name,score\n";
  for (int i = 1; i <= 300; ++i) body += fmt::format("{},name-{},{}.5\n", i, i, i);
  WriteFile(csv, body);
  std::string config = fmt::format(
      "server: {{listen: 127.0.0.1:0, io_threads: 2, worker_threads: 4}}\n"
      "sources:\n"
      "  mcpe2e_a: {{type: duckdb, tables: {{events: {0}}}}}\n"
      "  mcpe2e_b: {{type: duckdb, tables: {{events: {0}}}}}\n"
      "projects:\n"
      "  mcpe2e_alpha: {{sources: [mcpe2e_a]}}\n"
      "  mcpe2e_bravo: {{sources: [mcpe2e_b]}}\n"
      "default_project: mcpe2e_alpha\n"
      "auth:\n"
      "  keys:\n"
      "    - {{name: alpha, sha256: {1}, projects: [mcpe2e_alpha], roles: [read, query]}}\n"
      "    - {{name: bravo, sha256: {2}, projects: [mcpe2e_bravo], roles: [read]}}\n"
      "rate_limits: {{per_minute: 100000, per_hour: 1000000}}\n"
      "mcp: {{max_result_bytes: 4096, default_row_limit: 50}}\n"
      "{3}",
      csv, KeySha256Hex(kKeyA), KeySha256Hex(kKeyB), extra);
  std::string path = dir.File("mcp.yaml");
  WriteFile(path, config);
  return path;
}

json::value Parse(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v;
}

std::string Rpc(int id, const std::string& method, const std::string& params) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})", id, method,
                     params);
}

std::string ToolCall(int id, const std::string& tool, const std::string& arguments) {
  return Rpc(id, "tools/call", fmt::format(R"({{"name":"{}","arguments":{}}})", tool, arguments));
}

//! The error code of an isError tool result ("" when it is not one).
std::string ToolErrorCode(const json::value& response) {
  const json::object& result = response.at("result").as_object();
  if (!result.at("isError").as_bool()) return "";
  EXPECT_FALSE(result.contains("structuredContent"));
  return std::string(Parse(std::string(result.at("content").at(0).at("text").as_string()))
                         .at("error")
                         .at("code")
                         .as_string());
}

class McpServerProcess {
 public:
  static McpServerProcess& Get() {
    static McpServerProcess server;
    return server;
  }
  uint16_t port() const { return process_ ? process_->port() : 0; }
  const std::string& error() const { return error_; }
  const std::string& config() const { return config_; }

 private:
  McpServerProcess() {
    config_ = WriteMcpConfig(dir_);
    process_ = ServerProcess::Start({"--config", config_}, &error_);
  }
  TempDir dir_;
  std::string config_;
  std::string error_;
  std::unique_ptr<ServerProcess> process_;
};

class McpHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(McpServerProcess::Get().port(), 0) << McpServerProcess::Get().error();
    port_ = McpServerProcess::Get().port();
  }
  HttpResponse Post(const std::string& body, const std::string& key,
                    std::map<std::string, std::string> headers = {}) {
    HttpClient client(port_);
    if (!key.empty()) headers["Authorization"] = std::string("Bearer ") + key;
    headers.try_emplace("Accept", "application/json, text/event-stream");
    headers.try_emplace("Content-Type", "application/json");
    return client.Post("/mcp", body, headers);
  }
  json::value Send(const std::string& body, const std::string& key = kKeyA) {
    HttpResponse r = Post(body, key);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.Header("content-type").find("application/json"), std::string::npos);
    return Parse(r.body);
  }
  uint16_t port_ = 0;
};

TEST_F(McpHttp, NeedsAKey) {
  HttpResponse none = Post(Rpc(1, "ping", "{}"), "");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.Header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(Post(Rpc(1, "ping", "{}"), "not-a-key-of-this-server").status, 401);
}

TEST_F(McpHttp, TransportRules) {
  json::value init = Send(Rpc(
      1, "initialize",
      R"({"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}})"));
  EXPECT_EQ(init.at("result").at("protocolVersion").as_string(), "2025-11-25");
  HttpResponse note = Post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", kKeyA);
  EXPECT_EQ(note.status, 202) << note.body;
  EXPECT_TRUE(note.body.empty());
  HttpClient client(port_);
  EXPECT_EQ(client.Get("/mcp", {{"Authorization", std::string("Bearer ") + kKeyA}}).status, 405);
  EXPECT_EQ(
      client.Request("DELETE", "/mcp", "", {{"Authorization", std::string("Bearer ") + kKeyA}})
          .status,
      405);
  EXPECT_EQ(Post(Rpc(2, "ping", "{}"), kKeyA, {{"MCP-Protocol-Version", "1999-01-01"}}).status,
            400);
  EXPECT_EQ(Post(Rpc(2, "ping", "{}"), kKeyA, {{"MCP-Protocol-Version", "2025-06-18"}}).status,
            200);
  EXPECT_EQ(Post(Rpc(2, "ping", "{}"), kKeyA, {{"Origin", "http://evil.example"}}).status, 403);
  std::string own = "127.0.0.1:";
  own.append(std::to_string(port_));
  std::string own_origin = "http://";
  own_origin.append(own);
  EXPECT_EQ(Post(Rpc(2, "ping", "{}"), kKeyA, {{"Origin", own_origin}, {"Host", own}}).status, 200);
  EXPECT_EQ(Post(Rpc(2, "ping", "{}"), kKeyA, {{"Accept", "text/plain"}}).status, 406);
  std::string batch_body = "[";
  batch_body.append(Rpc(3, "ping", "{}")).append("]");
  HttpResponse batch = Post(batch_body, kKeyA);
  EXPECT_EQ(batch.status, 400);
  EXPECT_EQ(Parse(batch.body).at("error").at("code").to_number<int64_t>(), -32600);
  HttpResponse bad = Post("{oops", kKeyA);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Parse(bad.body).at("error").at("code").to_number<int64_t>(), -32700);
  json::value tools = Send(Rpc(4, "tools/list", "{}"));
  EXPECT_EQ(tools.at("result").at("tools").as_array().size(), 6u);
}

TEST_F(McpHttp, RunQueryEqualsTheRestRoute) {
  const std::string sql = "SELECT id, name, score FROM events WHERE id <= 20 ORDER BY id";
  const std::string body = json::serialize(json::object{{"sql", sql}, {"source", "mcpe2e_a"}});
  json::value mcp = Send(ToolCall(5, "run_query", body));
  ASSERT_EQ(ToolErrorCode(mcp), "") << json::serialize(mcp);
  HttpResponse rest = PostQuery(port_, body, {{"Authorization", std::string("Bearer ") + kKeyA}});
  ASSERT_EQ(rest.status, 200) << rest.body;
  const json::value& s = mcp.at("result").at("structuredContent");
  EXPECT_EQ(s.at("rows"), Parse(rest.body).at("rows"));
  EXPECT_EQ(s.at("rows").as_array().size(), 20u);
  EXPECT_EQ(s.at("columns").at(1).at("name").as_string(), "name");
  EXPECT_EQ(Parse(std::string(mcp.at("result").at("content").at(0).at("text").as_string())), s);
}

TEST_F(McpHttp, AWriteIsAToolErrorWithTheRestCode) {
  const std::string body =
      json::serialize(json::object{{"sql", "DROP TABLE events"}, {"source", "mcpe2e_a"}});
  json::value mcp = Send(ToolCall(6, "run_query", body));
  HttpResponse rest = PostQuery(port_, body, {{"Authorization", std::string("Bearer ") + kKeyA}});
  ASSERT_NE(rest.status, 200);
  EXPECT_EQ(ToolErrorCode(mcp), std::string(Parse(rest.body).at("error").at("code").as_string()));
  EXPECT_EQ(ToolErrorCode(mcp), "PERMISSION_DENIED");
}

TEST_F(McpHttp, AKeyOfAnotherProjectSeesNothingOfIt) {
  json::value q = Send(ToolCall(7, "run_query", R"({"sql":"SELECT 1","source":"mcpe2e_b"})"));
  EXPECT_EQ(ToolErrorCode(q), "PERMISSION_DENIED");
  json::value d = Send(ToolCall(8, "describe_source", R"({"source":"mcpe2e_b"})"));
  EXPECT_EQ(ToolErrorCode(d), "PERMISSION_DENIED");
  json::value p = Send(ToolCall(9, "list_sources", R"({"project":"mcpe2e_bravo"})"));
  EXPECT_EQ(ToolErrorCode(p), "PERMISSION_DENIED");
  json::value list = Send(ToolCall(10, "list_sources", "{}"));
  ASSERT_EQ(ToolErrorCode(list), "");
  const json::array& sources = list.at("result").at("structuredContent").at("sources").as_array();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources.at(0).at("id").as_string(), "mcpe2e_a");
  json::value read =
      Send(Rpc(11, "resources/read", R"({"uri":"tributary://sources/mcpe2e_b/schema"})"));
  EXPECT_EQ(read.at("error").at("code").to_number<int64_t>(), -32002);
  json::value resources = Send(Rpc(12, "resources/list", "{}"));
  EXPECT_EQ(resources.at("result").at("resources").as_array().size(), 1u);
  // The bravo key has no query role: the REST route's 403, as a tool error.
  json::value role =
      Send(ToolCall(13, "run_query", R"({"sql":"SELECT 1","source":"mcpe2e_b"})"), kKeyB);
  EXPECT_EQ(ToolErrorCode(role), "PERMISSION_DENIED");
  json::value mine = Send(ToolCall(14, "describe_source", R"({"source":"mcpe2e_b"})"), kKeyB);
  ASSERT_EQ(ToolErrorCode(mine), "") << json::serialize(mine);
  EXPECT_EQ(mine.at("result").at("structuredContent").at("tables").at(0).at("name").as_string(),
            "events");
}

TEST_F(McpHttp, ResultsAreCutToMaxResultBytes) {
  json::value r = Send(ToolCall(15, "run_query", R"({"sql":"SELECT * FROM events","limit":300})"));
  ASSERT_EQ(ToolErrorCode(r), "") << json::serialize(r);
  const json::value& s = r.at("result").at("structuredContent");
  EXPECT_TRUE(s.at("truncated").as_bool());
  const size_t rows = s.at("rows").as_array().size();
  EXPECT_GT(rows, 10u);
  EXPECT_LT(rows, 300u);
  EXPECT_LE(r.at("result").at("content").at(0).at("text").as_string().size(), 4096u);
  EXPECT_EQ(s.at("rows").at(rows - 1).at(0).to_number<int64_t>(), static_cast<int64_t>(rows));
  // Without a limit: mcp.default_row_limit (50).
  json::value d = Send(ToolCall(16, "run_query", R"({"sql":"SELECT id FROM events"})"));
  EXPECT_EQ(d.at("result").at("structuredContent").at("rows").as_array().size(), 50u);
}

TEST_F(McpHttp, NotificationsCancelledInterruptsARunningQuery) {
  auto call = std::async(std::launch::async, [&] {
    return Post(ToolCall(4242, "run_query", json::serialize(json::object{{"sql", kLongQuery}})),
                kKeyA);
  });
  // The query is running once it is not answered within 500 ms (it would take hours).
  ASSERT_EQ(call.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  // Over HTTP the call and its cancellation travel on different connections: the cancellation
  // is sent again until the call ends, in case it overtook the call. Without it the query
  // would run for hours (until server.default_timeout_ms, then DEADLINE_EXCEEDED).
  const auto start = std::chrono::steady_clock::now();
  while (call.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
    HttpResponse cancel = Post(
        R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4242,"reason":"test"}})",
        kKeyA);
    EXPECT_EQ(cancel.status, 202);
    call.wait_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(call.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  HttpResponse answer = call.get();
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(ToolErrorCode(Parse(answer.body)), "CANCELLED") << answer.body;
}

TEST(McpHttpDisabled, McpEnabledFalseAnswers404) {
  TempDir dir;
  std::string config = WriteMcpConfig(dir);
  std::string text = ReadFile(config);
  size_t at = text.find("mcp: {");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 6, "enabled: false, ");
  WriteFile(config, text);
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;
  HttpClient client(server->port());
  HttpResponse r = client.Post("/mcp", Rpc(1, "ping", "{}"),
                               {{"Authorization", std::string("Bearer ") + kKeyA},
                                {"Accept", "application/json, text/event-stream"},
                                {"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("mcp.enabled"), std::string::npos) << r.body;
  // The REST API is unaffected.
  EXPECT_EQ(
      client.Get("/api/v1/sources", {{"Authorization", std::string("Bearer ") + kKeyA}}).status,
      200);
}

TEST_F(McpHttp, MetricsTools) {
  json::value packs = Send(ToolCall(17, "list_metrics", "{}"));
  ASSERT_EQ(ToolErrorCode(packs), "") << json::serialize(packs);
  EXPECT_FALSE(packs.at("result").at("structuredContent").at("packs").as_array().empty());
  // No dataset is bound: the metric route's error, as a tool error with a stable code.
  json::value metric = Send(
      ToolCall(18, "get_metric", R"({"pack":"llm","metric":"daily_traffic","params":{"days":7}})"));
  EXPECT_NE(ToolErrorCode(metric), "");
}

// ---- stdio ----

//! `tributary mcp <args>` with pipes on stdin, stdout and stderr.
class StdioChild {
 public:
  StdioChild(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    int in[2], out[2], err[2];
    // Close-on-exec: another child spawned meanwhile (a server) must not hold our stdin open.
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe");
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
      for (const auto& [k, v] : env) {
        if (v.empty()) {
          unsetenv(k.c_str());
        } else {
          setenv(k.c_str(), v.c_str(), 1);
        }
      }
      std::string binary = BinaryPath();
      std::vector<char*> argv;
      argv.push_back(binary.data());
      std::string mcp = "mcp";
      argv.push_back(mcp.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
    fcntl(stderr_, F_SETFL, O_NONBLOCK);
  }
  ~StdioChild() {
    if (stdin_ >= 0) close(stdin_);
    if (!exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdout_);
    close(stderr_);
  }
  void Send(const std::string& line) {
    std::string data = line + "\n";
    ASSERT_EQ(write(stdin_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  void CloseStdin() {
    close(stdin_);
    stdin_ = -1;
  }
  //! The next line of stdout; "" after `timeout` or at EOF.
  std::string ReadLine(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char chunk[65536];
      ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  //! The response with `id`, reading (and keeping) others meanwhile.
  json::value Response(int id) {
    auto it = responses_.find(id);
    while (it == responses_.end()) {
      std::string line = ReadLine();
      if (line.empty()) return nullptr;
      json::value v = Parse(line);
      EXPECT_TRUE(v.is_object() && v.as_object().contains("id")) << line;
      if (!v.is_object() || !v.as_object().contains("id")) return nullptr;
      responses_[static_cast<int>(v.at("id").to_number<int64_t>())] = v;
      it = responses_.find(id);
    }
    return it->second;
  }
  std::optional<int> WaitExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }
  std::string Stderr() {
    char chunk[65536];
    ssize_t n;
    while ((n = read(stderr_, chunk, sizeof chunk)) > 0) err_.append(chunk, static_cast<size_t>(n));
    return err_;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
  bool exited_ = false;
  std::string buffer_;
  std::string err_;
  std::map<int, json::value> responses_;
};

class McpStdio : public ::testing::Test {
 protected:
  void SetUp() override { config_ = WriteMcpConfig(dir_); }
  TempDir dir_;
  std::string config_;
};

TEST_F(McpStdio, ServesToolsAsTheKeysCaller) {
  StdioChild child({"--config", config_}, {{"TRIBUTARY_API_KEY", kKeyA}});
  child.Send(Rpc(
      1, "initialize",
      R"({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}})"));
  json::value init = child.Response(1);
  ASSERT_TRUE(init.is_object()) << child.Stderr();
  EXPECT_EQ(init.at("result").at("protocolVersion").as_string(), "2025-06-18");
  child.Send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  child.Send(Rpc(2, "tools/list", "{}"));
  const std::string sql = "SELECT id, name, score FROM events WHERE id <= 5 ORDER BY id";
  const std::string body = json::serialize(json::object{{"sql", sql}, {"source", "mcpe2e_a"}});
  child.Send(ToolCall(3, "run_query", body));
  child.Send(ToolCall(4, "run_query", R"({"sql":"DROP TABLE events"})"));
  child.Send(ToolCall(5, "run_query", R"({"sql":"SELECT 1","source":"mcpe2e_b"})"));
  child.Send(ToolCall(6, "list_sources", "{}"));
  EXPECT_EQ(child.Response(2).at("result").at("tools").as_array().size(), 6u);
  json::value q = child.Response(3);
  ASSERT_EQ(ToolErrorCode(q), "") << json::serialize(q);
  // The same rows as the REST route of a server on the same config.
  ASSERT_NE(McpServerProcess::Get().port(), 0) << McpServerProcess::Get().error();
  HttpResponse rest = PostQuery(McpServerProcess::Get().port(), body,
                                {{"Authorization", std::string("Bearer ") + kKeyA}});
  EXPECT_EQ(q.at("result").at("structuredContent").at("rows"), Parse(rest.body).at("rows"));
  EXPECT_EQ(ToolErrorCode(child.Response(4)), "PERMISSION_DENIED");
  EXPECT_EQ(ToolErrorCode(child.Response(5)), "PERMISSION_DENIED");
  json::value listed = child.Response(6);
  const json::array& sources = listed.at("result").at("structuredContent").at("sources").as_array();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources.at(0).at("id").as_string(), "mcpe2e_a");
  child.CloseStdin();
  EXPECT_EQ(child.WaitExit(std::chrono::seconds(30)), 0) << child.Stderr();
  // stdout held nothing but the responses.
  EXPECT_EQ(child.ReadLine(std::chrono::milliseconds(100)), "");
}

TEST_F(McpStdio, CancelledCallsStopAndGetNoResponse) {
  StdioChild child({"--config", config_}, {{"TRIBUTARY_API_KEY", kKeyA}});
  child.Send(ToolCall(1, "run_query", json::serialize(json::object{{"sql", kLongQuery}})));
  child.Send(Rpc(2, "ping", "{}"));
  ASSERT_TRUE(child.Response(2).is_object()) << child.Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  child.Send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})");
  child.Send(Rpc(3, "ping", "{}"));
  ASSERT_TRUE(child.Response(3).is_object());
  // A cancellation right behind its call (the call is registered before its thread starts).
  child.Send(ToolCall(4, "run_query", json::serialize(json::object{{"sql", kLongQuery}})));
  child.Send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}})");
  child.Send(Rpc(5, "ping", "{}"));
  ASSERT_TRUE(child.Response(5).is_object());
  child.CloseStdin();
  // Exits promptly (the query was interrupted), and never answered the cancelled call.
  EXPECT_EQ(child.WaitExit(std::chrono::seconds(20)), 0) << child.Stderr();
  EXPECT_EQ(child.ReadLine(std::chrono::milliseconds(100)), "");
}

TEST_F(McpStdio, AMissingOrUnknownKeyExitsWith2) {
  {
    StdioChild child({"--config", config_}, {{"TRIBUTARY_API_KEY", ""}});
    EXPECT_EQ(child.WaitExit(std::chrono::seconds(30)), 2);
    EXPECT_NE(child.Stderr().find("TRIBUTARY_API_KEY"), std::string::npos) << child.Stderr();
    EXPECT_EQ(child.ReadLine(std::chrono::milliseconds(100)), "");
  }
  {
    StdioChild child({"--config", config_}, {{"TRIBUTARY_API_KEY", "mcpe2e-not-a-key"}});
    EXPECT_EQ(child.WaitExit(std::chrono::seconds(30)), 2);
    EXPECT_NE(child.Stderr().find("not one of the keys"), std::string::npos) << child.Stderr();
  }
  {
    // --project names a project the key may not use.
    StdioChild child({"--config", config_, "--project", "mcpe2e_bravo"},
                     {{"TRIBUTARY_API_KEY", kKeyA}});
    EXPECT_EQ(child.WaitExit(std::chrono::seconds(30)), 2);
    EXPECT_NE(child.Stderr().find("may not access project"), std::string::npos) << child.Stderr();
  }
  {
    std::string key_file = dir_.File("key.txt");
    WriteFile(key_file, std::string(kKeyA) + "\n");
    StdioChild child({"--config", config_, "--api-key-file", key_file},
                     {{"TRIBUTARY_API_KEY", ""}});
    child.Send(Rpc(1, "ping", "{}"));
    EXPECT_TRUE(child.Response(1).is_object()) << child.Stderr();
    child.CloseStdin();
    EXPECT_EQ(child.WaitExit(std::chrono::seconds(30)), 0);
  }
}

TEST_F(McpStdio, DisabledMcpRefusesToStart) {
  TempDir dir;
  std::string config = WriteMcpConfig(dir, "");
  // A second `mcp:` key would be a duplicate: write the file with enabled: false instead.
  std::string text = ReadFile(config);
  size_t at = text.find("mcp: {");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 6, "enabled: false, ");
  WriteFile(config, text);
  StdioChild child({"--config", config}, {{"TRIBUTARY_API_KEY", kKeyA}});
  EXPECT_EQ(child.WaitExit(std::chrono::seconds(30)), 2);
  EXPECT_NE(child.Stderr().find("mcp.enabled"), std::string::npos) << child.Stderr();
}

}  // namespace
}  // namespace tributary::testing
