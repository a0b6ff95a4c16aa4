// End-to-end tests of the server's life cycle: startup errors, readiness with a broken
// source, SIGHUP reloads, SIGTERM draining and the built-in demo config. Each test runs its
// own server process.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <regex>
#include <thread>

#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

std::string DuckDbCsvConfig(const TempDir& dir, const std::string& source_id,
                            const std::string& extra_server = "") {
  std::string csv = dir.File("events.csv");
  WriteFile(csv, "id,name\n1,alice\n2,bob\n");
  return "server:\n"
         "  listen: 127.0.0.1:0\n" +
         extra_server +
         "sources:\n"
         "  " +
         source_id +
         ":\n"
         "    type: duckdb\n"
         "    tables:\n"
         "      events: " +
         csv + "\n";
}

std::vector<std::string> SourceIds(uint16_t port) {
  HttpClient client(port);
  HttpResponse r = client.Get("/api/v1/sources");
  std::vector<std::string> ids;
  if (r.status != 200) return ids;
  json::value doc = json::parse(r.body);
  for (const auto& s : doc.at("sources").as_array()) {
    ids.emplace_back(s.at("id").as_string());
  }
  return ids;
}

TEST(HttpStartup, MalformedConfigExitsWith2NamingTheLocation) {
  TempDir dir;
  std::string config = dir.File("broken.yaml");
  WriteFile(config, "server:\n  listen: 127.0.0.1:0\n  no_such_setting: 5\nsources: {}\n");
  ProcessResult r = RunTributary({"serve", "--config", config});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(broken\.yaml:\d+:\d+)"))) << r.err;
  EXPECT_EQ(r.out.find("listening"), std::string::npos);

  std::string syntax = dir.File("syntax.yaml");
  WriteFile(syntax, "server:\n  listen: [127.0.0.1\nsources:\n");
  ProcessResult s = RunTributary({"serve", "--config", syntax});
  EXPECT_EQ(s.exit_code, 2) << s.err;
  EXPECT_TRUE(std::regex_search(s.err, std::regex(R"(syntax\.yaml:\d+:\d+)"))) << s.err;
}

TEST(HttpStartup, AddressInUseExitsWith1) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor taken(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  uint16_t port = taken.local_endpoint().port();
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "local"));
  ProcessResult r =
      RunTributary({"serve", "--config", config, "--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;

  ProcessResult bad = RunTributary({"serve", "--config", config, "--listen", "nonsense"});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.err.find("HOST:PORT"), std::string::npos) << bad.err;
}

TEST(HttpStartup, ReadyzIs503WhenASourceFileIsMissing) {
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "good") +
                        "  broken:\n"
                        "    type: duckdb\n"
                        "    path: " +
                        dir.File("missing.duckdb") + "\n");
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;
  HttpClient client(server->port());

  HttpResponse ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  json::value v = json::parse(ready.body);
  EXPECT_EQ(v.at("status").as_string(), "not_ready");
  const json::array& reasons = v.at("reasons").as_array();
  ASSERT_EQ(reasons.size(), 1u) << ready.body;
  EXPECT_EQ(std::string(reasons[0].as_string()).rfind("source 'broken': ", 0), 0u) << ready.body;

  // Still alive, and the good source still answers.
  EXPECT_EQ(client.Get("/healthz").status, 200);
  HttpResponse sources = client.Get("/api/v1/sources");
  EXPECT_NE(sources.body.find("\"unavailable\""), std::string::npos) << sources.body;
  HttpResponse q =
      client.Post("/api/v1/query", R"js({"source":"good","sql":"SELECT count(*) FROM events"})js");
  EXPECT_EQ(q.status, 200) << q.body;
  HttpResponse broken = client.Post("/api/v1/query", R"js({"source":"broken","sql":"SELECT 1"})js");
  EXPECT_EQ(broken.status, 503) << broken.body;
}

TEST(HttpReload, SighupSwapsInAValidConfig) {
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "alpha"));
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;
  EXPECT_EQ(SourceIds(server->port()), std::vector<std::string>{"alpha"});

  WriteFile(config, DuckDbCsvConfig(dir, "beta"));
  server->Signal(SIGHUP);
  EXPECT_TRUE(
      WaitUntil([&] { return SourceIds(server->port()) == std::vector<std::string>{"beta"}; }, 20s))
      << server->Stderr();
  EXPECT_TRUE(server->WaitForStderr("config reloaded", 5s));
  HttpResponse q = PostQuery(server->port(), R"js({"sql":"SELECT count(*) AS n FROM events"})js");
  EXPECT_EQ(q.status, 200) << q.body;
  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitExit(30s), 0);
}

TEST(HttpReload, SighupWithAnInvalidConfigKeepsTheOldOne) {
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "alpha"));
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;

  WriteFile(config, "sources:\n  alpha:\n    type: duckdb\n    bogus_option: 1\n");
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->WaitForStderr("config reload failed", 20s)) << server->Stderr();
  EXPECT_TRUE(std::regex_search(server->Stderr(), std::regex(R"(tributary\.yaml:\d+:\d+)")))
      << server->Stderr();
  EXPECT_EQ(SourceIds(server->port()), std::vector<std::string>{"alpha"});
  HttpResponse q = PostQuery(server->port(), R"js({"sql":"SELECT count(*) AS n FROM events"})js");
  EXPECT_EQ(q.status, 200) << q.body;
  HttpClient client(server->port());
  EXPECT_EQ(client.Get("/readyz").status, 200);
}

TEST(HttpShutdown, SigtermLetsTheInFlightQueryBeAnsweredAndExits0) {
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "local", "  shutdown_grace_ms: 20000\n"));
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;
  uint16_t port = server->port();

  // A query that the engine stops at its timeout: it ends well within the grace period.
  auto slow = std::async(std::launch::async, [port] {
    return PostQuery(port, R"js({"sql":"SELECT sum(a.range * b.range) FROM range(1000000) a, )js"
                           R"js(range(1000000) b","timeoutMs":1500})js");
  });
  HttpClient client(port);
  // The query and this /metrics request are both in flight.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return client.Get("/metrics").body.find("tributary_http_requests_in_flight 2") !=
               std::string::npos;
      },
      20s));
  client.Close();
  server->Signal(SIGTERM);
  HttpResponse answer = slow.get();
  EXPECT_TRUE(answer.status == 504 || answer.status == 200)
      << answer.status << " " << answer.error << " " << answer.body;
  EXPECT_EQ(server->WaitExit(60s), 0) << server->Stderr();
  EXPECT_NE(server->Stderr().find("shutting down"), std::string::npos);
}

TEST(HttpShutdown, SigtermClosesIdleKeepAliveConnectionsAndExits0) {
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "local"));
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;
  HttpClient idle(server->port());
  ASSERT_EQ(idle.Get("/healthz").status, 200);  // leaves a keep-alive connection open
  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitExit(30s), 0) << server->Stderr();
}

TEST(HttpStartup, ServesTheBuiltInDemoWithoutAConfig) {
  TempDir dir;
  std::string data_dir = dir.File("data");
  std::string error;
  auto server =
      ServerProcess::Start({"--data-dir", data_dir, "--listen", "127.0.0.1:0"}, &error, 300s);
  ASSERT_TRUE(server) << error;
  EXPECT_TRUE(std::filesystem::exists(data_dir + "/demo.duckdb"));
  HttpResponse q = PostQuery(server->port(), R"js({"sql":"SELECT count(*) AS n FROM llm_logs"})js");
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_GT(json::parse(q.body).at("rows").at(0).at(0).to_number<int64_t>(), 0);
  server->Signal(SIGHUP);  // nothing to reload: logged and ignored
  EXPECT_TRUE(server->WaitForStderr("SIGHUP ignored", 10s));
  HttpClient client(server->port());
  EXPECT_EQ(client.Get("/readyz").status, 200);
}

}  // namespace
}  // namespace tributary::testing

namespace tributary::testing {
namespace {

//! Reads until the server closes the connection (or `timeout`); returns what arrived.
std::string ReadUntilClosed(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout,
                            bool* closed) {
  std::string all;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  socket.non_blocking(true);
  *closed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    char buf[4096];
    boost::system::error_code ec;
    size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    if (ec == boost::asio::error::would_block) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    all.append(buf, n);
    if (ec) {
      *closed = true;
      break;
    }
  }
  return all;
}

TEST(HttpLimits, ClosesIdleConnectionsAndAnswersSlowRequestsWith408) {
  TempDir dir;
  std::string config = dir.File("tributary.yaml");
  WriteFile(config, DuckDbCsvConfig(dir, "local",
                                    "  read_timeout_ms: 300\n"
                                    "  idle_timeout_ms: 300\n"));
  std::string error;
  auto server = ServerProcess::Start({"--config", config}, &error);
  ASSERT_TRUE(server) << error;
  boost::asio::io_context ioc;
  auto endpoint =
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port());

  // Idle: connected, nothing sent: closed without an answer.
  boost::asio::ip::tcp::socket idle(ioc);
  idle.connect(endpoint);
  bool closed = false;
  std::string got = ReadUntilClosed(idle, 10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got, "");

  // Slow: half a request, then silence: 408.
  boost::asio::ip::tcp::socket slow(ioc);
  slow.connect(endpoint);
  boost::asio::write(slow,
                     boost::asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  got = ReadUntilClosed(slow, 10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_NE(got.find("REQUEST_TIMEOUT"), std::string::npos) << got;

  // Keep-alive works between requests sent in time.
  HttpClient client(server->port());
  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

}  // namespace
}  // namespace tributary::testing
