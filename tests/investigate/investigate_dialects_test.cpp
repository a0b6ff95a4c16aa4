// The SQL log gatherer on the other dialects, through the real binary: a SQLite file made by
// the test, and tables on the shared MariaDB and ClickHouse servers (TRIB_TEST_MARIADB_*,
// TRIB_TEST_CLICKHOUSE_*; a missing variable FAILS the test; table names unique to the process).
// Each holds the same log lines of `cart`: one every 3 s over [09:00, 11:00) on 2026-11-02, one
// ERROR a minute before 10:40 ("slow disk"), ten a minute from 10:40 (eight "cart db deadlock",
// two "oops"). The window [10:00, 11:00) at 60 s: the shift is at 10:40, 240 errors in the window
// (40 + 200), 60 in the baseline hour, and "cart db deadlock" 160 times.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <random>
#include <string>

#include "connectors/clickhouse_test_support.h"
#include "connectors/mysql_test_support.h"
#include "support/local_http_server.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::ServerProcess;
using testing::TempDir;

std::string Suffix() {
  std::random_device random;
  return std::to_string(getpid()) + "_" + std::to_string(random() % 100000);
}

// The rows as (unix seconds, level, message), i from 0 to 2399.
constexpr int64_t kNine = 1793610000;      // 2026-11-02T09:00:00Z
constexpr int64_t kIncident = 1793616000;  // 10:40
constexpr int kLines = 2400;

std::string Level(int i) {
  const int64_t t = kNine + 3 * i;
  const int64_t sec = t % 60;
  return sec < (t >= kIncident ? 30 : 3) ? "ERROR" : "INFO";
}
std::string Message(int i) {
  const int64_t t = kNine + 3 * i;
  if (t < kIncident) return "slow disk";
  return t % 60 < 24 ? "cart db deadlock" : "oops";
}

std::string Values(const std::string& time_of /* printf-like: %s gets the unix seconds */) {
  std::string out;
  for (int i = 0; i < kLines; ++i) {
    if (i > 0) out += ",";
    std::string time = time_of;
    time.replace(time.find("%s"), 2, std::to_string(kNine + 3 * i));
    out += "(" + time + ", 'cart', '" + Level(i) + "', '" + Message(i) + "')";
  }
  return out;
}

void CheckAnswer(uint16_t port, const std::string& source) {
  HttpClient client(port);
  auto r = client.Post("/api/v1/investigate",
                       R"({"context":{"time_range":{"start":"2026-11-02T10:00:00Z",)"
                       R"("end":"2026-11-02T11:00:00Z"},"services":["cart"]},"step_seconds":60})");
  ASSERT_EQ(r.status, 200) << r.body;
  SCOPED_TRACE(r.body.substr(0, 6000));
  json::object answer = json::parse(r.body).as_object();
  EXPECT_TRUE(answer.at("failed_sources").as_array().empty());
  const json::array& timeline = answer.at("timeline").as_array();
  ASSERT_FALSE(timeline.empty());
  const json::object& shift = timeline[0].as_object();
  EXPECT_EQ(shift.at("kind").as_string(), "shift");
  EXPECT_EQ(shift.at("time").as_string(), "2026-11-02T10:40:00Z");
  EXPECT_EQ(shift.at("service").as_string(), "cart");
  EXPECT_EQ(shift.at("source").as_string(), source);
  EXPECT_EQ(shift.at("signal").as_string(), "errors");
  const json::object& evidence = answer.at("evidence").as_array().at(0).as_object();
  EXPECT_EQ(evidence.at("errors").at("total").as_int64(), 240);
  EXPECT_EQ(evidence.at("errors").at("baseline_total").as_int64(), 60);
  const json::array& top = evidence.at("errors").at("top_messages").as_array();
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].at("message").as_string(), "cart db deadlock");
  EXPECT_EQ(top[0].at("count").as_int64(), 160);
  EXPECT_EQ(top[0].at("first_seen").as_string(), "2026-11-02T10:40:00Z");
}

std::string Config(const std::string& source, const std::string& table) {
  return "server: {listen: 127.0.0.1:0}\nsources:\n  logs:\n" + source +
         "    tags: {services: [cart]}\n"
         "    investigate:\n"
         "      logs: {table: " +
         table +
         ", time_column: at, service_column: svc, level_column: sev, message_column: msg}\n"
         "projects:\n  shop: {sources: [logs]}\n";
}

std::unique_ptr<ServerProcess> Serve(const TempDir& dir, const std::string& config) {
  testing::WriteFile(dir.File("tributary.yaml"), config);
  std::string error;
  auto server = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
  EXPECT_TRUE(server) << error;
  return server;
}

void CreateSqlite(const TempDir& dir) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("logs.sqlite").c_str(), &db), SQLITE_OK);
  const std::string sql =
      "CREATE TABLE events (at TEXT, svc TEXT, sev TEXT, msg TEXT); INSERT INTO events VALUES " +
      Values("datetime(%s, 'unixepoch')") + ";";
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The route with investigate.synthesis: the chat endpoint is a local server speaking the
// OpenAI chat completions API (no model runs here); its answer lands in the three fields, and
// a failing endpoint gives synthesis.error with the rest of the answer unchanged.
TEST(InvestigateDialects, SynthesisThroughTheRouteAgainstLocalOpenAiCompatibleServer) {
  std::atomic<bool> fail{false};
  testing::LocalHttpServer chat([&](const testing::LocalHttpRequest& req) {
    testing::LocalHttpResponse r;
    if (req.path != "/v1/chat/completions" || fail) {
      r.status = 500;
      r.body = R"({"error":{"message":"model overloaded"}})";
      return r;
    }
    // The evidence reached the model: the top message is in the prompt.
    const bool seen = req.body.find("cart db deadlock") != std::string::npos;
    json::object content{{"root_cause", seen ? "cart db deadlock" : "unknown"},
                         {"affected_components", json::array{"cart"}},
                         {"recommended_actions", json::array{"kill the blocking query"}}};
    json::object message{{"role", "assistant"}, {"content", json::serialize(content)}};
    r.body = json::serialize(
        json::object{{"choices", json::array{json::object{{"index", 0}, {"message", message}}}}});
    return r;
  });
  TempDir dir;
  CreateSqlite(dir);
  std::string config = "investigate:\n  synthesis: {url: '";
  config.append(chat.url()).append("/v1', model: test-model}\n");
  config.append(Config("    type: sqlite\n    path: " + dir.File("logs.sqlite") + "\n", "events"));
  auto server = Serve(dir, config);
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  const std::string body =
      R"({"question":"why is cart slow?","context":{"time_range":{"start":)"
      R"("2026-11-02T10:00:00Z","end":"2026-11-02T11:00:00Z"},"services":["cart"]},)"
      R"("step_seconds":60})";
  auto r = client.Post("/api/v1/investigate", body);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object answer = json::parse(r.body).as_object();
  EXPECT_EQ(answer.at("root_cause").as_string(), "cart db deadlock") << r.body;
  EXPECT_EQ(json::serialize(answer.at("affected_components")), "[\"cart\"]");
  EXPECT_EQ(answer.at("synthesis").at("model").as_string(), "test-model");
  EXPECT_FALSE(answer.at("synthesis").as_object().contains("error"));
  EXPECT_FALSE(answer.at("timeline").as_array().empty());

  fail = true;
  r = client.Post("/api/v1/investigate", body);
  ASSERT_EQ(r.status, 200) << r.body;
  answer = json::parse(r.body).as_object();
  EXPECT_FALSE(answer.contains("root_cause")) << r.body;
  EXPECT_FALSE(answer.contains("recommended_actions"));
  EXPECT_EQ(answer.at("synthesis").at("error").at("code").as_string(), "UNAVAILABLE") << r.body;
  EXPECT_FALSE(answer.at("timeline").as_array().empty());
}

TEST(InvestigateDialects, SqliteLogTable) {
  TempDir dir;
  CreateSqlite(dir);
  auto server =
      Serve(dir, Config("    type: sqlite\n    path: " + dir.File("logs.sqlite") + "\n", "events"));
  ASSERT_TRUE(server);
  CheckAnswer(server->port(), "logs");
}

TEST(InvestigateDialects, MariaDbLogTable) {
  TRIB_REQUIRE_MARIADB();
  const std::string table = "inv_events_" + Suffix();
  mysql_test::RunOwnerSql({"CREATE TABLE " + table +
                               " (at DATETIME, svc VARCHAR(32), sev VARCHAR(16), msg "
                               "VARCHAR(64))",
                           "INSERT INTO " + table + " VALUES " + Values("FROM_UNIXTIME(%s)")});
  TempDir dir;
  auto server = Serve(dir, Config("    type: mysql\n"
                                  "    host: \"${TRIB_TEST_MARIADB_HOST}\"\n"
                                  "    port: \"${TRIB_TEST_MARIADB_PORT}\"\n"
                                  "    user: \"${TRIB_TEST_MARIADB_USER}\"\n"
                                  "    password: \"${TRIB_TEST_MARIADB_PASSWORD}\"\n"
                                  "    database: \"${TRIB_TEST_MARIADB_DB}\"\n",
                                  table));
  if (server) CheckAnswer(server->port(), "logs");
  mysql_test::RunOwnerSql({"DROP TABLE " + table});
}

TEST(InvestigateDialects, ClickHouseLogTable) {
  clickhouse_test::ServerEnv env = clickhouse_test::LiveServer();
  ASSERT_FALSE(env.url.empty());
  const std::string table = "inv_events_" + Suffix();
  clickhouse_test::Admin("CREATE TABLE " + table +
                         " (at DateTime('UTC'), svc String, sev String, msg String) ENGINE = "
                         "Memory");
  clickhouse_test::Admin("INSERT INTO " + table + " VALUES " + Values("toDateTime(%s, 'UTC')"));
  TempDir dir;
  auto server = Serve(dir, Config("    type: clickhouse\n"
                                  "    url: ${TRIB_TEST_CLICKHOUSE_URL}\n"
                                  "    database: ${TRIB_TEST_CLICKHOUSE_DB}\n"
                                  "    user: ${TRIB_TEST_CLICKHOUSE_USER}\n"
                                  "    password: ${TRIB_TEST_CLICKHOUSE_PASSWORD}\n",
                                  table));
  if (server) CheckAnswer(server->port(), "logs");
  clickhouse_test::Admin("DROP TABLE " + table);
}

}  // namespace
}  // namespace tributary
