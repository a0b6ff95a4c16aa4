// Edge cases of the MySQL/MariaDB and SQLite dialects of the `llm` and `web` packs, run through
// the real runner (RunMetric on a Runtime built from a YAML config) against the live MariaDB
// test server and a SQLite file written by the test.
//
// One small hand-made dataset is stored four ways, and every base test runs on each:
//   maria_datetime   MariaDB, DATETIME(6) columns with the canonical names, TINYINT(1) flag;
//   maria_timestamp  MariaDB, TIMESTAMP(6) columns with other names, renamed by the dataset
//                    binding's `columns`;
//   sqlite           SQLite, TEXT timestamps with the canonical names, INTEGER 0/1 flag;
//   sqlite_renamed   SQLite, DATETIME-declared timestamps, a BOOLEAN-declared flag and text
//                    columns declared COLLATE NOCASE (as case-insensitive as MariaDB's
//                    defaults), with other names, renamed by `columns`.
// The expected answers are worked out by hand from the rows below (comments show the sums).
// The rows sit on the window edges (exactly at `from`, one microsecond before it, exactly at a
// fractional `to`), spell one instant in different ways in SQLite ('...00:00' against the
// bound '...00:00.000000', '.25' against '.250000'), hold tenants, users and clients that
// differ only in case ('acme' / 'ACME', 'alice' / 'Alice'), which MariaDB's default
// case-insensitive collation would merge, and tie on counts so that the byte-order tie
// breaks show. Two more projects (maria_custom, sqlite_custom) override client_pattern and
// features in the config.
//
// MariaDB: only tables named sql_mysqlite_test_* in the test database (the test user may not
// create databases), created once per fixture version (tests/support/fixture_once.h).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "connectors/mysql_test_support.h"
#include "metrics/metric_runner.h"
#include "orchestrator/runtime.h"
#include "support/contract_json.h"
#include "support/fixture_once.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;

// asOf of most calls: a fractional second, so the hours and last-24-hours windows have
// fractional bounds ([2026-11-20 13:00:00.25, 2026-11-21 13:00:00.25) for 24 hours).
constexpr const char* kAsOf = "2026-11-21T13:00:00.250000Z";

// ---- The dataset ---------------------------------------------------------------------------

// `ts` is how SQLite stores it; MariaDB gets the same literal (both spellings of one instant
// are the same DATETIME there).
struct LlmRow {
  const char* ts;
  const char* request_id;
  const char* tenant_id;
  const char* user_id;
  const char* status;
  const char* error_type;  // nullptr = NULL
  double latency_ms;
  int prompt_tokens;
  int completion_tokens;
  double cost_usd;
  const char* query_category;
  int is_anomaly;
  const char* anomaly_type;  // nullptr = NULL
};

const std::vector<LlmRow>& LlmRows() {
  static const std::vector<LlmRow> rows = {
      // One microsecond before the range [2026-11-20, 2026-11-22): outside every range test.
      {"2026-11-19 23:59:59.999999", "r01", "acme", "u1", "success", nullptr, 50, 10, 10, 0.5,
       "chat", 0, nullptr},
      // Exactly at the range's start, stored without a fraction.
      {"2026-11-20 00:00:00", "r02", "acme", "u1", "success", nullptr, 100, 100, 50, 1.0, "chat", 0,
       nullptr},
      // One microsecond before the last-24-hours window's fractional start.
      {"2026-11-20 13:00:00.249999", "r03", "ACME", "u2", "error", nullptr, 200, 40, 0, 0.25, "rag",
       1, nullptr},
      // Exactly at that start, in SQLite spelled '.25' against the bound's '.250000'.
      {"2026-11-20 13:00:00.25", "r04", "acme", "U1", "error", "timeout", 300, 60, 30, 0.75,
       "agent", 1, "spike"},
      {"2026-11-21 09:30:00.5", "r05", "ACME", "u2", "error", "rate_limit", 400, 0, 0, 0.0, "rag",
       1, nullptr},
      // Whole second just before the fractional end: inside.
      {"2026-11-21 13:00:00", "r06", "beta", "u3", "success", nullptr, 150, 20, 20, 0.2, "chat", 0,
       nullptr},
      // Exactly at the fractional end (asOf): outside the last 24 hours.
      {"2026-11-21 13:00:00.25", "r07", "beta", "u3", "error", nullptr, 250, 30, 10, 0.4, "chat", 1,
       "drift"},
      // Exactly at the range's end (exclusive). Same instant, two spellings in SQLite, and
      // request ids whose byte order ('R' < 'r') differs from a case-insensitive order. The
      // longer spelling goes with the later id, so text order alone would put r08 first.
      {"2026-11-22 00:00:00.000000", "r08", "acme", "u1", "success", nullptr, 10, 1, 1, 0.01,
       "chat", 0, nullptr},
      {"2026-11-22 00:00:00", "R08b", "acme", "u1", "success", nullptr, 20, 2, 2, 0.02, "chat", 0,
       nullptr},
  };
  return rows;
}

struct WebRow {
  const char* ts;
  const char* event_name;
  const char* user_pseudo_id;
  const char* user_id;  // nullptr = NULL
  int ga_session_id;
  const char* page_location;  // nullptr = NULL
  double purchase_revenue;    // < 0 = NULL
  const char* currency;       // nullptr = NULL
};

const std::vector<WebRow>& WebRows() {
  static const std::vector<WebRow> rows = {
      // w01: one microsecond before 2026-11-20.
      {"2026-11-19 23:59:59.999999", "page_view", "dev1", nullptr, 1,
       "https://acme.8020rei.com/home", -1, nullptr},
      // w02: exactly at 2026-11-20 00:00.
      {"2026-11-20 00:00:00", "page_view", "dev1", nullptr, 10, "https://acme.8020rei.com/home", -1,
       nullptr},
      // w03..w05: signed-in 'alice' on dev2, client 'ACME' (upper case), one session.
      {"2026-11-20 08:00:00.5", "page_view", "dev2", "alice", 20,
       "https://ACME.8020rei.com/buybox/deals/7", -1, nullptr},
      {"2026-11-20 08:05:00", "add_to_cart", "dev2", "alice", 20,
       "https://ACME.8020rei.com/buybox/cart", -1, nullptr},
      {"2026-11-20 08:10:00", "purchase", "dev2", "alice", 20, nullptr, 100.0, "USD"},
      // w06: 'alice' again on another device: one unified user, a second session.
      {"2026-11-20 09:00:00", "page_view", "dev3", "alice", 21, "https://beta.8020rei.com/settings",
       -1, nullptr},
      // w07: '/HOME' does not match the rule '/home' (regexes are case-sensitive).
      {"2026-11-21 10:00:00", "page_view", "dev1", nullptr, 11, "https://acme.8020rei.com/HOME", -1,
       nullptr},
      // w08: revenue in 'usd', which is not 'USD'.
      {"2026-11-21 10:01:00", "purchase", "dev1", nullptr, 11, nullptr, 50.0, "usd"},
      // w09: 'Alice' is another unified user than 'alice'; no client.
      {"2026-11-21 10:02:00", "purchase", "dev4", "Alice", 30, "https://example.com/checkout", 25.5,
       "USD"},
      // w10: the last microsecond of 2026-11-21; a page view without a page_location.
      {"2026-11-21 23:59:59.999999", "page_view", "dev5", nullptr, 40, nullptr, -1, nullptr},
      // w11: exactly at 2026-11-22 00:00 (the exclusive end).
      {"2026-11-22 00:00:00", "page_view", "dev1", nullptr, 12, "https://acme.8020rei.com/home", -1,
       nullptr},
      // w12: 'alice' on dev2 in a third session, client 'beta'.
      {"2026-11-21 11:00:00", "add_to_cart", "dev2", "alice", 22,
       "https://beta.8020rei.com/properties/1", -1, nullptr},
  };
  return rows;
}

std::string Quoted(const char* text) {
  if (text == nullptr) return "NULL";
  std::string out = "'";
  for (const char* p = text; *p; ++p) {
    if (*p == '\'') out.push_back('\'');
    out.push_back(*p);
  }
  out.push_back('\'');
  return out;
}

std::string Number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

std::string LlmInsert(const std::string& table) {
  std::string sql = "INSERT INTO " + table + " VALUES ";
  bool first = true;
  for (const auto& r : LlmRows()) {
    if (!first) sql.append(", ");
    first = false;
    sql.append("(")
        .append(Quoted(r.ts))
        .append(", ")
        .append(Quoted(r.request_id))
        .append(", ")
        .append(Quoted(r.tenant_id))
        .append(", ")
        .append(Quoted(r.user_id))
        .append(", 'm1', ")
        .append(Quoted(r.status))
        .append(", ")
        .append(Quoted(r.error_type))
        .append(", ")
        .append(Number(r.latency_ms))
        .append(", ")
        .append(std::to_string(r.prompt_tokens))
        .append(", ")
        .append(std::to_string(r.completion_tokens))
        .append(", ")
        .append(Number(r.cost_usd))
        .append(", ")
        .append(Quoted(r.query_category))
        .append(", ")
        .append(std::to_string(r.is_anomaly))
        .append(", ")
        .append(Quoted(r.anomaly_type))
        .append(")");
  }
  return sql;
}

std::string WebInsert(const std::string& table) {
  std::string sql = "INSERT INTO " + table + " VALUES ";
  bool first = true;
  for (const auto& r : WebRows()) {
    if (!first) sql.append(", ");
    first = false;
    sql.append("(")
        .append(Quoted(r.ts))
        .append(", ")
        .append(Quoted(r.event_name))
        .append(", ")
        .append(Quoted(r.user_pseudo_id))
        .append(", ")
        .append(Quoted(r.user_id))
        .append(", ")
        .append(std::to_string(r.ga_session_id))
        .append(", ")
        .append(Quoted(r.page_location))
        .append(", ")
        .append(r.purchase_revenue < 0 ? std::string("NULL") : Number(r.purchase_revenue))
        .append(", ")
        .append(Quoted(r.currency))
        .append(")");
  }
  return sql;
}

// MariaDB tables: utf8mb4 with the server's default, case-insensitive collation
// (utf8mb4_general_ci), as users create them.
std::vector<std::string> MariaDbFixture() {
  return {
      "DROP TABLE IF EXISTS sql_mysqlite_test_llm_dt",
      "CREATE TABLE sql_mysqlite_test_llm_dt (`timestamp` DATETIME(6) NOT NULL, "
      "request_id VARCHAR(64) NOT NULL, tenant_id VARCHAR(64) NOT NULL, user_id VARCHAR(64) NOT "
      "NULL, model VARCHAR(64) NOT NULL, status VARCHAR(16) NOT NULL, error_type VARCHAR(64) NULL, "
      "latency_ms DOUBLE NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT "
      "NULL, cost_usd DOUBLE NOT NULL, query_category VARCHAR(32) NOT NULL, is_anomaly TINYINT(1) "
      "NOT NULL, anomaly_type VARCHAR(64) NULL) DEFAULT CHARSET=utf8mb4",
      LlmInsert("sql_mysqlite_test_llm_dt"),
      "DROP TABLE IF EXISTS sql_mysqlite_test_llm_ts",
      "CREATE TABLE sql_mysqlite_test_llm_ts (ts TIMESTAMP(6) NULL DEFAULT NULL, "
      "request_id VARCHAR(64) NOT NULL, org VARCHAR(64) NOT NULL, user_id VARCHAR(64) NOT NULL, "
      "model VARCHAR(64) NOT NULL, status VARCHAR(16) NOT NULL, err VARCHAR(64) NULL, "
      "latency_ms DOUBLE NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT "
      "NULL, cost_usd DOUBLE NOT NULL, query_category VARCHAR(32) NOT NULL, flag TINYINT(1) NOT "
      "NULL, anomaly_type VARCHAR(64) NULL) DEFAULT CHARSET=utf8mb4",
      LlmInsert("sql_mysqlite_test_llm_ts"),
      "DROP TABLE IF EXISTS sql_mysqlite_test_web_dt",
      "CREATE TABLE sql_mysqlite_test_web_dt (event_timestamp DATETIME(6) NOT NULL, "
      "event_name VARCHAR(64) NOT NULL, user_pseudo_id VARCHAR(64) NOT NULL, user_id VARCHAR(64) "
      "NULL, ga_session_id BIGINT NOT NULL, page_location TEXT NULL, purchase_revenue DOUBLE NULL, "
      "currency VARCHAR(8) NULL) DEFAULT CHARSET=utf8mb4",
      WebInsert("sql_mysqlite_test_web_dt"),
      "DROP TABLE IF EXISTS sql_mysqlite_test_web_ts",
      "CREATE TABLE sql_mysqlite_test_web_ts (happened_at TIMESTAMP(6) NULL DEFAULT NULL, "
      "event_name VARCHAR(64) NOT NULL, device VARCHAR(64) NOT NULL, user_id VARCHAR(64) NULL, "
      "ga_session_id BIGINT NOT NULL, url VARCHAR(500) NULL, purchase_revenue DOUBLE NULL, "
      "currency VARCHAR(8) NULL) DEFAULT CHARSET=utf8mb4",
      WebInsert("sql_mysqlite_test_web_ts"),
  };
}

std::vector<std::string> SqliteFixture() {
  return {
      "CREATE TABLE llm_logs (\"timestamp\" TEXT, request_id TEXT, tenant_id TEXT, user_id TEXT, "
      "model TEXT, status TEXT, error_type TEXT, latency_ms REAL, prompt_tokens INTEGER, "
      "completion_tokens INTEGER, cost_usd REAL, query_category TEXT, is_anomaly INTEGER, "
      "anomaly_type TEXT)",
      LlmInsert("llm_logs"),
      "CREATE TABLE llm_renamed (ts DATETIME, request_id TEXT COLLATE NOCASE, "
      "org TEXT COLLATE NOCASE, user_id TEXT COLLATE NOCASE, "
      "model TEXT, status TEXT, err TEXT, latency_ms REAL, prompt_tokens INTEGER, "
      "completion_tokens INTEGER, cost_usd REAL, query_category TEXT, flag BOOLEAN, "
      "anomaly_type TEXT)",
      LlmInsert("llm_renamed"),
      "CREATE TABLE web_events (event_timestamp TEXT, event_name TEXT, user_pseudo_id TEXT, "
      "user_id TEXT, ga_session_id INTEGER, page_location TEXT, purchase_revenue REAL, "
      "currency TEXT)",
      WebInsert("web_events"),
      "CREATE TABLE web_renamed (happened_at TIMESTAMP, event_name TEXT COLLATE NOCASE, "
      "device TEXT COLLATE NOCASE, user_id TEXT COLLATE NOCASE, ga_session_id INTEGER, "
      "url TEXT COLLATE NOCASE, purchase_revenue REAL, currency TEXT COLLATE NOCASE)",
      WebInsert("web_renamed"),
  };
}

constexpr const char* kConfig = R"(sources:
  maria:
    type: mysql
    host: "${TRIB_TEST_MARIADB_HOST}"
    port: "${TRIB_TEST_MARIADB_PORT}"
    user: "${TRIB_TEST_MARIADB_USER}"
    password: "${TRIB_TEST_MARIADB_PASSWORD}"
    database: "${TRIB_TEST_MARIADB_DB}"
  lite:
    type: sqlite
    path: edges.sqlite
projects:
  maria_datetime:
    sources: [maria]
    datasets:
      llm_logs: {source: maria, table: sql_mysqlite_test_llm_dt}
      web_events: {source: maria, table: sql_mysqlite_test_web_dt}
  maria_timestamp:
    sources: [maria]
    datasets:
      llm_logs:
        source: maria
        table: sql_mysqlite_test_llm_ts
        columns: {timestamp: ts, tenant_id: org, error_type: err, is_anomaly: flag}
      web_events:
        source: maria
        table: sql_mysqlite_test_web_ts
        columns: {event_timestamp: happened_at, user_pseudo_id: device, page_location: url}
  sqlite:
    sources: [lite]
    datasets:
      llm_logs: {source: lite}
      web_events: {source: lite}
  sqlite_renamed:
    sources: [lite]
    datasets:
      llm_logs:
        source: lite
        table: llm_renamed
        columns: {timestamp: ts, tenant_id: org, error_type: err, is_anomaly: flag}
      web_events:
        source: lite
        table: web_renamed
        columns: {event_timestamp: happened_at, user_pseudo_id: device, page_location: url}
  maria_custom:
    sources: [maria]
    datasets:
      web_events:
        source: maria
        table: sql_mysqlite_test_web_dt
        client_pattern: '//([a-z]+)\.'
        features:
          - {match: /HOME, name: Shouting Home}
          - {match: settings$, name: Settings}
          - {match: 8020rei, name: Any Portal}
  sqlite_custom:
    sources: [lite]
    datasets:
      web_events:
        source: lite
        client_pattern: '//([a-z]+)\.'
        features:
          - {match: /HOME, name: Shouting Home}
          - {match: settings$, name: Settings}
          - {match: 8020rei, name: Any Portal}
)";

// ---- The runtime ---------------------------------------------------------------------------

struct Environment {
  testing::TempDir dir;
  std::shared_ptr<Runtime> runtime;
  std::string error;
};

void WriteSqlite(const std::string& path, std::string* error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    error->append("cannot create ").append(path);
    sqlite3_close(db);
    return;
  }
  for (const auto& sql : SqliteFixture()) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      error->append(sql).append(": ").append(message ? message : "?");
      sqlite3_free(message);
      break;
    }
  }
  sqlite3_close(db);
}

Environment& Shared() {
  static Environment* env = [] {
    auto* e = new Environment;
    WriteSqlite(e->dir.File("edges.sqlite"), &e->error);
    if (!e->error.empty()) return e;
    // TRIB_TEST_PACKS_DIR runs the same cases on a packs folder instead of the built-in packs
    // (to try a change of the SQL without a rebuild).
    std::string text;
    if (const char* packs = std::getenv("TRIB_TEST_PACKS_DIR"); packs && *packs) {
      text.append("server: {packs_dir: '").append(packs).append("'}\n");
    }
    text.append(kConfig);
    auto config = LoadConfigText(text, "edges.yaml", e->dir.path());
    if (!config.ok()) {
      e->error = config.status().ToString();
      return e;
    }
    e->runtime = Runtime::Open(std::move(config).value());
    return e;
  }();
  return *env;
}

class MySqliteEdges : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (!mysql_test::ServerEnv().ok()) return;  // SetUp fails each test with the reason
    std::string version;
    for (const auto& sql : MariaDbFixture()) version.append(sql).push_back('\n');
    version = std::to_string(std::hash<std::string>{}(version));
    test_support::RunFixtureSetupOnce("sql_mysqlite_test_edges", version,
                                      [] { mysql_test::RunOwnerSql(MariaDbFixture()); });
  }

  void SetUp() override {
    TRIB_REQUIRE_MARIADB();
    ASSERT_TRUE(Shared().runtime) << Shared().error;
  }

  //! The `data` JSON of one metric for the test's project.
  std::string Data(const std::string& pack, const std::string& metric, RawParams params) {
    MetricCall call;
    call.project = GetParam();
    call.pack = pack;
    call.metric = metric;
    call.params = std::move(params);
    auto answer = RunMetric(*Shared().runtime, call);
    if (!answer.ok()) return "RunMetric failed: " + answer.status().ToString();
    if (!answer->failure.ok()) return "source failed: " + answer->failure.ToString();
    return answer->data_json;
  }
};

// ---- Comparing JSON ------------------------------------------------------------------------

::testing::AssertionResult JsonMatches(const char*, const char*, const std::string& want,
                                       const std::string& got) {
  json::value w;
  try {
    w = json::parse(want);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "bad expected JSON: " << e.what() << "\n" << want;
  }
  json::value g;
  try {
    g = json::parse(got);
  } catch (const std::exception&) {
    return ::testing::AssertionFailure() << "not JSON: " << got;
  }
  // Hand-written expectations: to 1e-9, absolute below 1; a double field must be a double.
  std::vector<std::string> diffs = testing::JsonDifferences(w, g, "data", {.floor = 1});
  if (diffs.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  for (const auto& d : diffs) failure << d << "\n";
  return failure << "got: " << got;
}

#define EXPECT_DATA(want, got) EXPECT_PRED_FORMAT2(JsonMatches, want, got)

// The range [2026-11-20 00:00, 2026-11-22 00:00) holds r02..r07 and w02..w10, w12.
const RawParams kRange = {{"asOf", kAsOf}, {"start", "2026-11-20"}, {"end", "2026-11-21"}};
// days=2 ending on asOf's date is the same window.
const RawParams kTwoDays = {{"asOf", kAsOf}, {"days", "2"}};
// A window with no row at all.
const RawParams kEmptyRange = {{"asOf", kAsOf}, {"start", "2025-01-01"}, {"end", "2025-01-31"}};
const RawParams kEmptyDays = {{"asOf", "2025-06-01T12:00:00.5Z"}, {"days", "7"}};

// ---- llm -----------------------------------------------------------------------------------

TEST_P(MySqliteEdges, RealtimeKpiTakesFractionalAsOfMinus24hInclusiveToAsOfExclusive) {
  // [11-20 13:00:00.25, 11-21 13:00:00.25): r04 (at the start), r05, r06; not r03 (1 us
  // before) nor r07 (at the end). success 1 of 3; latency (300 + 400 + 150) / 3; tokens
  // 90 + 0 + 40; users U1, u2, u3; errors r04, r05.
  EXPECT_DATA(R"({"totalRequests":3,"successRate":33.333333333333336,
                  "avgResponseTime":283.3333333333333,"totalTokens":130,"activeUsers":3,
                  "errorCount":2})",
              Data("llm", "realtime_kpi", {{"asOf", kAsOf}}));
}

TEST_P(MySqliteEdges, RealtimeKpiOverAnEmptyWindowIsAllZeros) {
  EXPECT_DATA(R"({"totalRequests":0,"successRate":0.0,"avgResponseTime":0.0,"totalTokens":0,
                  "activeUsers":0,"errorCount":0})",
              Data("llm", "realtime_kpi", {{"asOf", "2025-01-01T00:00:00.5Z"}}));
}

TEST_P(MySqliteEdges, HourlyTrafficGroupsUtcHoursFromStartMidnightToTheDayAfterEnd) {
  // r02 at 11-20 00:00 is in, r01 (1 us before) and r08/R08b (at 11-22 00:00) are out.
  EXPECT_DATA(R"([
      {"hour":"2026-11-20T00:00:00Z","requests":1,"errors":0,"avgLatencyMs":100.0,"totalTokens":150},
      {"hour":"2026-11-20T13:00:00Z","requests":2,"errors":2,"avgLatencyMs":250.0,"totalTokens":130},
      {"hour":"2026-11-21T09:00:00Z","requests":1,"errors":1,"avgLatencyMs":400.0,"totalTokens":0},
      {"hour":"2026-11-21T13:00:00Z","requests":2,"errors":1,"avgLatencyMs":200.0,"totalTokens":80}])",
              Data("llm", "hourly_traffic", kRange));
}

TEST_P(MySqliteEdges, DailyTrafficCountsUsersDifferingOnlyInCaseSeparately) {
  // 11-20: r02 u1, r03 u2, r04 U1 -> 3 users; 11-21: r05 u2, r06 u3, r07 u3 -> 2 users.
  EXPECT_DATA(R"([
      {"date":"2026-11-20","requests":3,"errors":2,"uniqueUsers":3,"totalTokens":280,"avgLatencyMs":200.0},
      {"date":"2026-11-21","requests":3,"errors":2,"uniqueUsers":2,"totalTokens":80,"avgLatencyMs":266.6666666666667}])",
              Data("llm", "daily_traffic", kTwoDays));
}

TEST_P(MySqliteEdges, TenantUsageKeepsAcmeAndUpperAcmeApartAndBreaksTiesInByteOrder) {
  // Every tenant has 2 requests: byte order puts 'ACME' before 'acme' before 'beta'.
  // ACME: r03, r05; acme: r02, r04 (users u1 and U1); beta: r06, r07.
  EXPECT_DATA(R"([
      {"tenantId":"ACME","requests":2,"totalTokens":40,"totalCost":0.25,"avgLatencyMs":300.0,"errorRate":100.0,"uniqueUsers":1},
      {"tenantId":"acme","requests":2,"totalTokens":240,"totalCost":1.75,"avgLatencyMs":200.0,"errorRate":50.0,"uniqueUsers":2},
      {"tenantId":"beta","requests":2,"totalTokens":80,"totalCost":0.6,"avgLatencyMs":200.0,"errorRate":50.0,"uniqueUsers":1}])",
              Data("llm", "tenant_usage", kRange));
}

TEST_P(MySqliteEdges, UsageHeatmapNumbersSundayZeroAndOrdersByDayThenHour) {
  // days=3 ending Sunday 11-22: r02..r07 plus r08 and R08b at Sunday 00:00. 11-20 is a Friday
  // (5), 11-21 a Saturday (6).
  EXPECT_DATA(R"([
      {"dayOfWeek":0,"hour":0,"requests":2},
      {"dayOfWeek":5,"hour":0,"requests":1},
      {"dayOfWeek":5,"hour":13,"requests":2},
      {"dayOfWeek":6,"hour":9,"requests":1},
      {"dayOfWeek":6,"hour":13,"requests":2}])",
              Data("llm", "usage_heatmap", {{"asOf", "2026-11-22T12:00:00Z"}, {"days", "3"}}));
}

TEST_P(MySqliteEdges, ErrorAnalysisCountsNullTypeAsUnknownAndBreaksCountTiesByType) {
  // Errors: r03 (NULL, ACME), r04 (timeout, acme), r05 (rate_limit, ACME), r07 (NULL, beta).
  EXPECT_DATA(R"([
      {"errorType":"unknown","count":2,"percentage":50.0,"affectedTenants":2,"lastOccurrence":"2026-11-21T13:00:00.250000Z"},
      {"errorType":"rate_limit","count":1,"percentage":25.0,"affectedTenants":1,"lastOccurrence":"2026-11-21T09:30:00.500000Z"},
      {"errorType":"timeout","count":1,"percentage":25.0,"affectedTenants":1,"lastOccurrence":"2026-11-20T13:00:00.250000Z"}])",
              Data("llm", "error_analysis", kRange));
}

TEST_P(MySqliteEdges, TokenEfficiencyOrdersTenantsByBytes) {
  // ACME: prompt 40 + 0, completion 0; acme: (100, 50) + (60, 30), cost 1.75 over 240 tokens;
  // beta: (20, 20) + (30, 10), cost 0.6 over 80 tokens.
  EXPECT_DATA(R"([
      {"tenantId":"ACME","avgPromptTokens":20.0,"avgCompletionTokens":0.0,"completionRatio":0.0,"costPer1kTokens":6.25},
      {"tenantId":"acme","avgPromptTokens":80.0,"avgCompletionTokens":40.0,"completionRatio":0.5,"costPer1kTokens":7.291666666666667},
      {"tenantId":"beta","avgPromptTokens":25.0,"avgCompletionTokens":15.0,"completionRatio":0.6,"costPer1kTokens":7.5}])",
              Data("llm", "token_efficiency", kRange));
}

TEST_P(MySqliteEdges, TokenEfficiencyRatiosAreZeroWhenATenantHasNoTokens) {
  // 11-21 only: ACME has r05 alone, with 0 prompt and 0 completion tokens.
  EXPECT_DATA(R"([
      {"tenantId":"ACME","avgPromptTokens":0.0,"avgCompletionTokens":0.0,"completionRatio":0.0,"costPer1kTokens":0.0},
      {"tenantId":"beta","avgPromptTokens":25.0,"avgCompletionTokens":15.0,"completionRatio":0.6,"costPer1kTokens":7.5}])",
              Data("llm", "token_efficiency",
                   {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}}));
}

TEST_P(MySqliteEdges, AnomalyStatsUsesFractionalHourBoundsAndBreaksTypeTiesByName) {
  // hours=24: r04 (spike), r05 (NULL type), r06 (no anomaly); r03 and r07 sit just outside.
  EXPECT_DATA(R"({"totalAnomalies":2,"anomalyRate":66.66666666666667,
                  "topAnomalyTypes":[{"type":"spike","count":1},{"type":"unknown","count":1}]})",
              Data("llm", "anomaly_stats", {{"asOf", kAsOf}, {"hours", "24"}}));
}

TEST_P(MySqliteEdges, AnomalyStatsCountsNullTypeAsUnknown) {
  // hours=48 from 11-19 13:00:00.25: r01..r06; anomalies r03 (NULL), r04 (spike), r05 (NULL).
  EXPECT_DATA(R"({"totalAnomalies":3,"anomalyRate":50.0,
                  "topAnomalyTypes":[{"type":"unknown","count":2},{"type":"spike","count":1}]})",
              Data("llm", "anomaly_stats", {{"asOf", kAsOf}, {"hours", "48"}}));
}

TEST_P(MySqliteEdges, AnomalyStatsOverAnEmptyWindowIsZerosAndAnEmptyList) {
  EXPECT_DATA(R"({"totalAnomalies":0,"anomalyRate":0.0,"topAnomalyTypes":[]})",
              Data("llm", "anomaly_stats", {{"asOf", "2025-01-01T00:00:00Z"}, {"hours", "5"}}));
}

TEST_P(MySqliteEdges, CostTrendSumsPerUtcDate) {
  // 11-20: 1.0 + 0.25 + 0.75 over 3; 11-21: 0 + 0.2 + 0.4 over 3.
  EXPECT_DATA(R"([
      {"date":"2026-11-20","totalCost":2.0,"requests":3,"costPerRequest":0.6666666666666666},
      {"date":"2026-11-21","totalCost":0.6,"requests":3,"costPerRequest":0.2}])",
              Data("llm", "cost_trend", kTwoDays));
}

TEST_P(MySqliteEdges, QueryPatternsOrdersByCountWithPercentErrorRates) {
  // chat: r02, r06, r07; rag: r03, r05; agent: r04.
  EXPECT_DATA(R"([
      {"pattern":"chat","count":3,"avgLatencyMs":166.66666666666666,"avgTokens":76.66666666666667,"errorRate":33.333333333333336},
      {"pattern":"rag","count":2,"avgLatencyMs":300.0,"avgTokens":20.0,"errorRate":100.0},
      {"pattern":"agent","count":1,"avgLatencyMs":300.0,"avgTokens":90.0,"errorRate":100.0}])",
              Data("llm", "query_patterns", kRange));
}

TEST_P(MySqliteEdges, SampleLogsBreaksTimestampTiesByRequestIdBytesAcrossSpellings) {
  // r08 and R08b are the same instant (two spellings in SQLite): 'R08b' sorts first by bytes.
  // r07 carries a set TINYINT(1)/INTEGER/BOOLEAN flag.
  EXPECT_DATA(R"([
      {"timestamp":"2026-11-22T00:00:00Z","requestId":"R08b","tenantId":"acme","userId":"u1","model":"m1","status":"success","errorType":null,"latencyMs":20.0,"promptTokens":2,"completionTokens":2,"costUsd":0.02,"queryCategory":"chat","isAnomaly":false,"anomalyType":null},
      {"timestamp":"2026-11-22T00:00:00Z","requestId":"r08","tenantId":"acme","userId":"u1","model":"m1","status":"success","errorType":null,"latencyMs":10.0,"promptTokens":1,"completionTokens":1,"costUsd":0.01,"queryCategory":"chat","isAnomaly":false,"anomalyType":null},
      {"timestamp":"2026-11-21T13:00:00.250000Z","requestId":"r07","tenantId":"beta","userId":"u3","model":"m1","status":"error","errorType":null,"latencyMs":250.0,"promptTokens":30,"completionTokens":10,"costUsd":0.4,"queryCategory":"chat","isAnomaly":true,"anomalyType":"drift"}])",
              Data("llm", "sample_logs", {{"limit", "3"}}));
}

TEST_P(MySqliteEdges, SampleLogsOffsetSkipsTheNewestRows) {
  EXPECT_DATA(R"([
      {"timestamp":"2026-11-21T13:00:00Z","requestId":"r06","tenantId":"beta","userId":"u3","model":"m1","status":"success","errorType":null,"latencyMs":150.0,"promptTokens":20,"completionTokens":20,"costUsd":0.2,"queryCategory":"chat","isAnomaly":false,"anomalyType":null},
      {"timestamp":"2026-11-21T09:30:00.500000Z","requestId":"r05","tenantId":"ACME","userId":"u2","model":"m1","status":"error","errorType":"rate_limit","latencyMs":400.0,"promptTokens":0,"completionTokens":0,"costUsd":0.0,"queryCategory":"rag","isAnomaly":true,"anomalyType":null}])",
              Data("llm", "sample_logs", {{"limit", "2"}, {"offset", "3"}}));
  EXPECT_DATA("[]", Data("llm", "sample_logs", {{"limit", "5"}, {"offset", "9"}}));
}

TEST_P(MySqliteEdges, EveryLlmListMetricOverAnEmptyWindowIsAnEmptyList) {
  for (const char* metric :
       {"hourly_traffic", "tenant_usage", "error_analysis", "token_efficiency", "query_patterns"}) {
    EXPECT_DATA("[]", Data("llm", metric, kEmptyRange)) << metric;
  }
  for (const char* metric : {"daily_traffic", "usage_heatmap", "cost_trend"}) {
    EXPECT_DATA("[]", Data("llm", metric, kEmptyDays)) << metric;
  }
}

// ---- web -----------------------------------------------------------------------------------

TEST_P(MySqliteEdges, SummaryCountsDevicesEventsPageViewsAndCaseDistinctClients) {
  // w02..w10, w12: devices dev1..dev5; page views w02, w03, w06, w07, w10; clients acme
  // (w02, w07), ACME (w03, w04), beta (w06, w12).
  EXPECT_DATA(R"({"total_users":5,"total_events":10,"page_views":5,"active_clients":3})",
              Data("web", "summary", kTwoDays));
}

TEST_P(MySqliteEdges, SummaryOverAnEmptyWindowIsZeros) {
  EXPECT_DATA(R"({"total_users":0,"total_events":0,"page_views":0,"active_clients":0})",
              Data("web", "summary", kEmptyDays));
}

TEST_P(MySqliteEdges, DailyCountsDistinctDevicesPerUtcDate) {
  // 11-20: w02..w06 (dev1, dev2, dev3); 11-21: w07..w10, w12 (dev1, dev4, dev5, dev2), with
  // w10 at its last microsecond.
  EXPECT_DATA(R"([{"date":"2026-11-20","users":3,"events":5},
                  {"date":"2026-11-21","users":4,"events":5}])",
              Data("web", "daily", kTwoDays));
}

TEST_P(MySqliteEdges, FeaturesTakeTheFirstMatchingRuleCaseSensitivelyAndDropOther) {
  // w02 /home; w03 /buybox/deals/7 (also matches /buybox, a later rule); w06 /settings and
  // w07 /HOME match nothing (Other); w10 has no page_location. Tie broken by name.
  EXPECT_DATA(R"([{"feature":"Buybox - Deals","views":1},{"feature":"Home Dashboard","views":1}])",
              Data("web", "features", kTwoDays));
}

TEST_P(MySqliteEdges, ClientsBreakEventTiesByClientBytes) {
  // Two events each: ACME (w03, w04: dev2), acme (w02, w07: dev1), beta (w06 dev3, w12 dev2).
  EXPECT_DATA(R"([{"client":"ACME","events":2,"users":1,"page_views":1},
                  {"client":"acme","events":2,"users":1,"page_views":2},
                  {"client":"beta","events":2,"users":2,"page_views":1}])",
              Data("web", "clients", kTwoDays));
}

TEST_P(MySqliteEdges, KpisCountUnifiedUsersSessionsAndEveryRevenueWithoutCurrency) {
  // 11-20: unified dev1 (session 10) and alice (20, 21 across dev2 and dev3); purchase w05.
  // 11-21: dev1 (11), Alice (30), dev5 (40), alice (22); purchases w08 (50 usd), w09 (25.5 USD).
  EXPECT_DATA(R"([
      {"date":"2026-11-20","users":2,"sessions":3,"events":5,"conversions":1,"revenue":100.0},
      {"date":"2026-11-21","users":4,"sessions":4,"events":5,"conversions":2,"revenue":75.5}])",
              Data("web", "kpis", kRange));
}

TEST_P(MySqliteEdges, KpisCurrencyFilterIsExactAndCaseSensitive) {
  RawParams usd = kRange;
  usd.emplace_back("currency", "USD");
  EXPECT_DATA(R"([
      {"date":"2026-11-20","users":2,"sessions":3,"events":5,"conversions":1,"revenue":100.0},
      {"date":"2026-11-21","users":4,"sessions":4,"events":5,"conversions":2,"revenue":25.5}])",
              Data("web", "kpis", usd));
  RawParams mxn = kRange;
  mxn.emplace_back("currency", "MXN");
  EXPECT_DATA(R"([
      {"date":"2026-11-20","users":2,"sessions":3,"events":5,"conversions":1,"revenue":0.0},
      {"date":"2026-11-21","users":4,"sessions":4,"events":5,"conversions":2,"revenue":0.0}])",
              Data("web", "kpis", mxn));
}

TEST_P(MySqliteEdges, SessionTrendsComparesWithTheWindowJustBefore) {
  // current 11-21: sessions (dev1,11) (Alice,30) (dev5,40) (alice,22), users 4; previous 11-20:
  // sessions (dev1,10) (alice,20) (alice,21), users 2.
  EXPECT_DATA(R"({"current":{"sessions":4,"users":4},"previous":{"sessions":3,"users":2},
                  "sessionsGrowth":33.333333333333336,"usersGrowth":100.0})",
              Data("web", "session_trends",
                   {{"asOf", kAsOf}, {"start", "2026-11-21"}, {"end", "2026-11-21"}}));
}

TEST_P(MySqliteEdges, SessionTrendsPutsTheLastMicrosecondBeforeStartInThePreviousWindow) {
  // current 11-20 (w02 at 00:00 exactly ... w06); previous 11-19: w01 at 23:59:59.999999.
  EXPECT_DATA(R"({"current":{"sessions":3,"users":2},"previous":{"sessions":1,"users":1},
                  "sessionsGrowth":200.0,"usersGrowth":100.0})",
              Data("web", "session_trends",
                   {{"asOf", kAsOf}, {"start", "2026-11-20"}, {"end", "2026-11-20"}}));
}

TEST_P(MySqliteEdges, SessionTrendsGrowthIsZeroWhenThePreviousWindowIsEmpty) {
  EXPECT_DATA(R"({"current":{"sessions":1,"users":1},"previous":{"sessions":0,"users":0},
                  "sessionsGrowth":0.0,"usersGrowth":0.0})",
              Data("web", "session_trends",
                   {{"asOf", kAsOf}, {"start", "2026-11-19"}, {"end", "2026-11-19"}}));
  EXPECT_DATA(R"({"current":{"sessions":0,"users":0},"previous":{"sessions":0,"users":0},
                  "sessionsGrowth":0.0,"usersGrowth":0.0})",
              Data("web", "session_trends", kEmptyRange));
}

TEST_P(MySqliteEdges, FunnelDefaultStepsCountUnifiedUsersHavingEveryStepSoFar) {
  // page_view: dev1, alice, dev5; then add_to_cart: alice; nobody began a checkout.
  EXPECT_DATA(R"([
      {"step":"page_view","users":3,"conversionRate":100.0,"dropOff":0},
      {"step":"add_to_cart","users":1,"conversionRate":33.333333333333336,"dropOff":2},
      {"step":"begin_checkout","users":0,"conversionRate":0.0,"dropOff":1},
      {"step":"purchase","users":0,"conversionRate":0.0,"dropOff":0}])",
              Data("web", "funnel", kRange));
}

TEST_P(MySqliteEdges, FunnelCustomStepsDoNotEnforceEventOrder) {
  // purchase: dev1, alice, Alice; of those with a page_view too: dev1, alice.
  RawParams params = kRange;
  params.emplace_back("steps", "purchase,page_view");
  EXPECT_DATA(R"([
      {"step":"purchase","users":3,"conversionRate":100.0,"dropOff":0},
      {"step":"page_view","users":2,"conversionRate":66.66666666666667,"dropOff":1}])",
              Data("web", "funnel", params));
}

TEST_P(MySqliteEdges, EveryWebListMetricOverAnEmptyWindowIsAnEmptyList) {
  for (const char* metric : {"kpis", "funnel"}) {
    EXPECT_DATA("[]", Data("web", metric, kEmptyRange)) << metric;
  }
  for (const char* metric : {"daily", "features", "clients"}) {
    EXPECT_DATA("[]", Data("web", metric, kEmptyDays)) << metric;
  }
}

INSTANTIATE_TEST_SUITE_P(Storage, MySqliteEdges,
                         ::testing::Values("maria_datetime", "maria_timestamp", "sqlite",
                                           "sqlite_renamed"),
                         [](const auto& info) { return info.param; });

// ---- client_pattern and features from the config -------------------------------------------

class MySqliteCustomSettings : public MySqliteEdges {};

TEST_P(MySqliteCustomSettings, ClientsUseTheConfiguredPattern) {
  // '//([a-z]+)\.': 'ACME' (upper case) has no client; example.com now has one.
  EXPECT_DATA(R"([{"client":"acme","events":2,"users":1,"page_views":2},
                  {"client":"beta","events":2,"users":2,"page_views":1},
                  {"client":"example","events":1,"users":1,"page_views":0}])",
              Data("web", "clients", kTwoDays));
  EXPECT_DATA(R"({"total_users":5,"total_events":10,"page_views":5,"active_clients":3})",
              Data("web", "summary", kTwoDays));
}

TEST_P(MySqliteCustomSettings, FeaturesUseTheConfiguredRulesInOrder) {
  // w07 /HOME matches the first rule (and the third); w06 ends in 'settings'; w02 and w03 only
  // contain '8020rei'.
  EXPECT_DATA(R"([{"feature":"Any Portal","views":2},{"feature":"Settings","views":1},
                  {"feature":"Shouting Home","views":1}])",
              Data("web", "features", kTwoDays));
}

INSTANTIATE_TEST_SUITE_P(Storage, MySqliteCustomSettings,
                         ::testing::Values("maria_custom", "sqlite_custom"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tributary
