// The DuckDB and PostgreSQL dialects of the `llm` and `web` packs (packs/*/duckdb.yaml,
// packs/*/postgres.yaml), run through the real runner (RunMetric on a Runtime opened from a YAML
// config) on a small hand-made dataset. Every expected answer below is worked out by hand from
// the rows in kLlmRows / kWebRows (the comments next to each expectation say which rows count);
// nothing is computed by code, so a wrong SQL cannot agree with itself.
//
// The same rows are stored the ways the contract says users store them, one project each:
//   duckdb_timestamp             DuckDB TIMESTAMP columns
//   duckdb_timestamp_ns          DuckDB TIMESTAMP_NS (as Parquet files from other tools bring)
//   duckdb_timestamptz_renamed   DuckDB TIMESTAMPTZ, with column names renamed by the binding
//   duckdb_parquet / duckdb_csv  Parquet / CSV files declared as tables of the source
//   postgres_timestamp           PostgreSQL timestamp (UTC), schema sql_duckpg_test
//   postgres_timestamptz_renamed PostgreSQL timestamptz, with renamed columns
// PostgreSQL text columns use the ICU English collation, which sorts 'a' before 'B': only an
// explicit byte-order sort gives the contract's order; web currency uses a case-insensitive
// collation, under which 'usd' = 'USD'. `*_overrides` projects bind web_events
// with their own client_pattern and feature rules.
//
// asOf has a fractional second (13:00:00.25), and rows sit one microsecond either side of the
// window bounds it gives, so `from <= t < to` is checked to the microsecond.
#include <duckdb.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/time_util.h"
#include "metrics/metric_runner.h"
#include "orchestrator/runtime.h"
#include "support/contract_json.h"
#include "support/fixture_once.h"
#include "support/server_harness.h"
#include "support/test_postgres.h"

namespace tributary {
namespace {

namespace json = boost::json;
using testing::TestPgSession;

constexpr const char* kAsOf = "2026-11-21T13:00:00.25Z";  // a Saturday
// A time with no row within 30 days before it: every window is empty.
constexpr const char* kEmptyAsOf = "2020-01-01T00:00:00Z";
constexpr const char* kPgSchema = "sql_duckpg_test";

// request_id, timestamp, tenant_id, user_id, model, status, error_type, latency_ms,
// prompt_tokens, completion_tokens, cost_usd, query_category, is_anomaly, anomaly_type.
// asOf 2026-11-21 13:00:00.25: the last 24 hours are [11-20 13:00:00.25, 11-21 13:00:00.25).
constexpr const char* kLlmRows = R"(
('r01', '2026-11-20 13:00:00.249999', 'B-corp', 'u1', 'gpt', 'success', NULL, 100, 10, 5, 0.01, 'chat', true, 'edge'),
('r02', '2026-11-20 13:00:00.25', 'a-corp', 'u2', 'gpt', 'error', 'timeout', 300, 20, 0, 0.02, 'rag', true, 'latency_spike'),
('r03', '2026-11-21 13:00:00.25', 'B-corp', 'u3', 'claude', 'success', NULL, 50, 30, 30, 0.03, 'chat', false, NULL),
('r04', '2026-11-21 13:00:00', 'a-corp', 'u1', 'claude', 'error', NULL, 200, 40, 10, 0.05, 'agent', true, NULL),
('r05', '2026-11-21 00:00:00', 'a-corp', 'u1', 'gpt', 'success', NULL, 150, 10, 20, 0.04, 'chat', false, NULL),
('r06', '2026-11-20 23:59:59.999999', 'B-corp', 'u2', 'gpt', 'error', 'unknown', 250, 0, 0, 0, 'Embedding', true, 'cost_spike'),
('r07', '2026-11-20 08:30:00', 'zero-co', 'u4', 'gpt', 'success', NULL, 80, 0, 7, 0.07, 'completion', true, NULL),
('r08', '2026-11-19 23:59:59', 'a-corp', 'u5', 'gpt', 'error', 'Zlib', 400, 5, 5, 0.01, 'rag', true, 'Zeta'),
('r10', '2026-11-15 10:00:00', 'a-corp', 'u1', 'gpt', 'error', 'auth', 60, 1, 1, 0.001, 'chat', true, 'alpha'),
('r11', '2026-11-14 23:00:00', 'a-corp', 'u1', 'gpt', 'success', NULL, 70, 2, 2, 0.002, 'chat', true, 'cost_spike'),
('r12', '2026-11-10 09:00:00', 'idle', 'u7', 'gpt', 'success', NULL, 10, 0, 0, 0.5, 'embedding', true, 'loop'),
('req-b', '2026-11-22 00:00:00', 'a-corp', 'u6', 'gpt', 'success', NULL, 20, 1, 1, 0.001, 'chat', false, NULL),
('REQ-z', '2026-11-22 00:00:00', 'B-corp', 'u6', 'gpt', 'error', 'timeout', 30, 2, 2, 0.002, 'chat', false, NULL)
)";

// event_timestamp, event_name, user_pseudo_id, user_id, ga_session_id, page_location,
// purchase_revenue, currency (w01..w20 in this order).
constexpr const char* kWebRows = R"(
('2026-11-20 09:00:00', 'page_view', 'd1', NULL, 1, 'https://acme.8020rei.com/home', NULL, NULL),
('2026-11-20 09:01:00', 'add_to_cart', 'd1', NULL, 1, 'https://acme.8020rei.com/buybox/deals/1', NULL, NULL),
('2026-11-20 09:02:00', 'purchase', 'd1', 'U1', 1, 'https://acme.8020rei.com/checkout', 10.5, 'USD'),
('2026-11-20 10:00:00', 'page_view', 'd2', 'U1', 7, 'https://Beta.8020rei.com/buybox', NULL, NULL),
('2026-11-20 23:59:59.999999', 'page_view', 'd3', NULL, 3, 'https://other.example.com/home', NULL, NULL),
('2026-11-20 12:00:00', 'session_start', 'd3', NULL, 3, NULL, NULL, NULL),
('2026-11-21 00:00:00', 'page_view', 'd2', 'U1', 8, 'https://acme.8020rei.com/integrations/api-tokens', NULL, NULL),
('2026-11-21 01:00:00', 'begin_checkout', 'd2', 'U1', 8, 'https://acme.8020rei.com/settings', NULL, NULL),
('2026-11-21 02:00:00', 'purchase', 'd4', NULL, 4, 'https://Beta.8020rei.com/x', 20, 'MXN'),
('2026-11-21 03:00:00', 'purchase', 'd4', NULL, 4, 'https://Beta.8020rei.com/x', 5, 'usd'),
('2026-11-21 12:59:59', 'page_view', 'd5', NULL, 5, 'https://acme.8020rei.com/settings', NULL, NULL),
('2026-11-22 00:00:00', 'page_view', 'd6', NULL, 6, 'https://zzz.8020rei.com/home', NULL, NULL),
('2026-11-19 23:59:59', 'page_view', 'd7', NULL, 9, 'https://old.8020rei.com/home', NULL, NULL),
('2026-11-18 00:00:00', 'session_start', 'd7', NULL, 10, NULL, NULL, NULL),
('2026-11-17 23:59:59', 'page_view', 'd8', NULL, 11, 'https://old.8020rei.com/home', NULL, NULL),
('2026-11-21 04:00:00', 'page_view', 'd5', NULL, 5, 'https://acme.8020rei.com/buybox/deals/9', NULL, NULL),
('2026-11-21 05:00:00', 'page_view', 'd5', NULL, 5, NULL, NULL, NULL),
('2026-11-21 06:00:00', 'scroll', 'd6', NULL, 6, 'https://alpha.8020rei.com/a', NULL, NULL),
('2026-11-21 06:01:00', 'scroll', 'd6', NULL, 6, 'https://alpha.8020rei.com/b', NULL, NULL),
('2026-11-21 06:02:00', 'page_view', 'd6', NULL, 6, 'https://alpha.8020rei.com/properties', NULL, NULL)
)";

// The renamed tables: canonical -> stored column, as the `columns` bindings below say.
constexpr const char* kLlmRenamedSelect =
    "SELECT request_id, {ts} AS ts, tenant_id AS org, user_id, model, status, error_type AS err, "
    "latency_ms, prompt_tokens, completion_tokens, cost_usd, query_category, "
    "is_anomaly AS flagged, anomaly_type FROM {schema}llm_ts";
constexpr const char* kWebRenamedSelect =
    "SELECT {ts} AS ts, event_name, user_pseudo_id AS device, user_id, ga_session_id, "
    "page_location AS url, purchase_revenue, currency FROM {schema}web_ts";
constexpr const char* kLlmRenames =
    "{timestamp: ts, tenant_id: org, error_type: err, is_anomaly: flagged}";
constexpr const char* kWebRenames =
    "{event_timestamp: ts, user_pseudo_id: device, page_location: url}";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// ---- Fixtures ----------------------------------------------------------------------------------

std::vector<std::string> DuckDbFixture(const std::string& dir) {
  std::string llm_tstz =
      Replace(Replace(kLlmRenamedSelect, "{ts}", "timezone('UTC', \"timestamp\")"), "{schema}", "");
  std::string web_tstz = Replace(
      Replace(kWebRenamedSelect, "{ts}", "timezone('UTC', event_timestamp)"), "{schema}", "");
  return {
      "CREATE TABLE llm_ts(request_id VARCHAR, \"timestamp\" TIMESTAMP, tenant_id VARCHAR, "
      "user_id VARCHAR, model VARCHAR, status VARCHAR, error_type VARCHAR, latency_ms DOUBLE, "
      "prompt_tokens BIGINT, completion_tokens BIGINT, cost_usd DOUBLE, query_category VARCHAR, "
      "is_anomaly BOOLEAN, anomaly_type VARCHAR)",
      std::string("INSERT INTO llm_ts VALUES ") + kLlmRows,
      "CREATE TABLE web_ts(event_timestamp TIMESTAMP, event_name VARCHAR, user_pseudo_id VARCHAR, "
      "user_id VARCHAR, ga_session_id BIGINT, page_location VARCHAR, purchase_revenue DOUBLE, "
      "currency VARCHAR)",
      std::string("INSERT INTO web_ts VALUES ") + kWebRows,
      "CREATE TABLE llm_ts_ns AS SELECT * REPLACE (CAST(\"timestamp\" AS TIMESTAMP_NS) AS "
      "\"timestamp\") FROM llm_ts",
      "CREATE TABLE web_ts_ns AS SELECT * REPLACE (CAST(event_timestamp AS TIMESTAMP_NS) AS "
      "event_timestamp) FROM web_ts",
      "CREATE TABLE llm_tstz AS " + llm_tstz,
      "CREATE TABLE web_tstz AS " + web_tstz,
      // Parquet: llm as a plain TIMESTAMP, web as TIMESTAMPTZ (an instant, isAdjustedToUTC).
      // CSV: text, read back by DuckDB's type detection.
      "COPY (SELECT * FROM llm_ts) TO '" + dir + "/llm.parquet' (FORMAT parquet)",
      "COPY (SELECT * REPLACE (timezone('UTC', event_timestamp) AS event_timestamp) FROM web_ts) "
      "TO '" +
          dir + "/web.parquet' (FORMAT parquet)",
      "COPY llm_ts TO '" + dir + "/llm.csv' (HEADER)",
      "COPY web_ts TO '" + dir + "/web.csv' (HEADER)",
  };
}

void RunDuckDb(const std::string& path, const std::vector<std::string>& statements) {
  duckdb_database db = nullptr;
  ASSERT_EQ(duckdb_open(path.c_str(), &db), DuckDBSuccess) << path;
  duckdb_connection con = nullptr;
  ASSERT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
  for (const auto& sql : statements) {
    duckdb_result result;
    const bool ok = duckdb_query(con, sql.c_str(), &result) == DuckDBSuccess;
    const char* error = duckdb_result_error(&result);
    EXPECT_TRUE(ok) << sql << ": " << (error ? error : "");
    duckdb_destroy_result(&result);
  }
  duckdb_disconnect(&con);
  duckdb_close(&db);
}

void CreatePgFixture() {
  TestPgSession pg;
  ASSERT_TRUE(pg.ok()) << pg.error();
  const std::string s = std::string(kPgSchema) + ".";
  // ICU English sorts 'a' before 'B' (byte order puts 'B' first).
  const std::string text = "text COLLATE \"en-x-icu\"";
  std::vector<std::string> statements = {
      std::string("DROP SCHEMA IF EXISTS ") + kPgSchema + " CASCADE",
      std::string("CREATE SCHEMA ") + kPgSchema,
      // Case-insensitive equality ('usd' = 'USD'): the currency filter must still be exact.
      "CREATE COLLATION " + s +
          "case_insensitive (provider = icu, locale = 'und-u-ks-level2', "
          "deterministic = false)",
      "CREATE TABLE " + s + "llm_ts(request_id " + text + ", \"timestamp\" timestamp, tenant_id " +
          text + ", user_id " + text + ", model " + text + ", status " + text + ", error_type " +
          text +
          ", latency_ms double precision, prompt_tokens bigint, completion_tokens bigint, "
          "cost_usd double precision, query_category " +
          text + ", is_anomaly boolean, anomaly_type " + text + ")",
      "INSERT INTO " + s + "llm_ts VALUES " + kLlmRows,
      "CREATE TABLE " + s + "web_ts(event_timestamp timestamp, event_name " + text +
          ", user_pseudo_id " + text + ", user_id " + text +
          ", ga_session_id bigint, page_location " + text +
          ", purchase_revenue double precision, currency text COLLATE " + s + "case_insensitive)",
      "INSERT INTO " + s + "web_ts VALUES " + kWebRows,
      "CREATE TABLE " + s + "llm_tstz AS " +
          Replace(Replace(kLlmRenamedSelect, "{ts}", "\"timestamp\" AT TIME ZONE 'UTC'"),
                  "{schema}", s),
      "CREATE TABLE " + s + "web_tstz AS " +
          Replace(Replace(kWebRenamedSelect, "{ts}", "event_timestamp AT TIME ZONE 'UTC'"),
                  "{schema}", s),
  };
  for (const auto& sql : statements) {
    if (!pg.Exec(sql)) return;
  }
}

// ---- The runtime -------------------------------------------------------------------------------

struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<Runtime> runtime;
  std::string error;
};

std::string ConfigYaml(const std::string& dir) {
  std::string yaml = R"(server:
  max_row_limit: 100000
sources:
  duck:
    type: duckdb
    path: )" + dir + R"(/fixture.duckdb
    tables:
      llm_parquet: )" +
                     dir + R"(/llm.parquet
      web_parquet: )" +
                     dir + R"(/web.parquet
      llm_csv: )" + dir +
                     R"(/llm.csv
      web_csv: )" + dir +
                     R"(/web.csv
  pg:
    type: postgres
    host: "${TRIB_TEST_PG_HOST}"
    port: "${TRIB_TEST_PG_PORT}"
    database: "${TRIB_TEST_PG_DB}"
    user: "${TRIB_TEST_PG_USER}"
    password: "${TRIB_TEST_PG_PASSWORD}"
    sslmode: disable
projects:
)";
  auto project = [&](const std::string& name, const std::string& source, const std::string& llm,
                     const std::string& web, const std::string& llm_extra,
                     const std::string& web_extra) {
    yaml += "  " + name + ":\n    sources: [" + source + "]\n    datasets:\n";
    if (!llm.empty()) {
      yaml += "      llm_logs: {source: " + source + ", table: " + llm + llm_extra + "}\n";
    }
    yaml += "      web_events: {source: " + source + ", table: " + web + web_extra + "}\n";
  };
  const std::string llm_renamed = std::string(", columns: ") + kLlmRenames;
  const std::string web_renamed = std::string(", columns: ") + kWebRenames;
  const std::string pg = std::string(kPgSchema) + ".";
  // Overrides: the client is the first path segment; the rules name their own features, and
  // `deals` comes after `/buybox`, so a /buybox/deals page is `buy` (first match wins).
  const std::string overrides =
      ", client_pattern: '^https://[^/]+/([a-z]+)', features: ["
      "{match: /buybox, name: buy}, {match: deals, name: Deals}, {match: /home, name: Main}, "
      "{match: '/integrations|/settings', name: Zed}]";
  project("duckdb_timestamp", "duck", "llm_ts", "web_ts", "", "");
  project("duckdb_timestamp_ns", "duck", "llm_ts_ns", "web_ts_ns", "", "");
  project("duckdb_timestamptz_renamed", "duck", "llm_tstz", "web_tstz", llm_renamed, web_renamed);
  project("duckdb_parquet", "duck", "llm_parquet", "web_parquet", "", "");
  project("duckdb_csv", "duck", "llm_csv", "web_csv", "", "");
  project("postgres_timestamp", "pg", pg + "llm_ts", pg + "web_ts", "", "");
  project("postgres_timestamptz_renamed", "pg", pg + "llm_tstz", pg + "web_tstz", llm_renamed,
          web_renamed);
  project("duckdb_overrides", "duck", "", "web_ts", "", overrides);
  project("postgres_overrides", "pg", "", pg + "web_ts", "", overrides);
  yaml += "default_project: duckdb_timestamp\n";
  return yaml;
}

// Built by the first test that needs it; closed and its files removed after the last test
// (FixtureCleanup), before static destruction, while the connectors can still shut down cleanly.
std::unique_ptr<Fixture>& SharedSlot() {
  static std::unique_ptr<Fixture> fixture;
  return fixture;
}

class FixtureCleanup : public ::testing::Environment {
 public:
  void TearDown() override { SharedSlot().reset(); }
};
[[maybe_unused]] ::testing::Environment* const kFixtureCleanup =
    ::testing::AddGlobalTestEnvironment(new FixtureCleanup);

Fixture& Shared() {
  if (SharedSlot()) return *SharedSlot();
  SharedSlot() = std::make_unique<Fixture>();
  Fixture* f = SharedSlot().get();
  [&] {
    if (Env("TRIB_TEST_PG_HOST").empty()) {
      f->error =
          "TRIB_TEST_PG_* variables are not set: run via `make test` or source the test servers' "
          "env file";
      return;
    }
    // Bump the version when the rows or the tables change: the PostgreSQL fixture is then
    // re-created once, whichever test process gets there first.
    test_support::RunFixtureSetupOnce(
        "sql_duckpg_test",
        std::string("v2\n") + kLlmRows + kWebRows + kLlmRenamedSelect + kWebRenamedSelect,
        CreatePgFixture);
    RunDuckDb(f->dir.File("fixture.duckdb"), DuckDbFixture(f->dir.path()));
    if (::testing::Test::HasFailure()) {
      f->error = "fixture setup failed (see above)";
      return;
    }
    Result<Config> config = LoadConfigText(ConfigYaml(f->dir.path()), "duckpg.yaml", f->dir.path());
    if (!config.ok()) {
      f->error = config.status().ToString();
      return;
    }
    f->runtime = Runtime::Open(std::move(config).value());
  }();
  return *f;
}

// ---- Comparing answers -------------------------------------------------------------------------

class PackMetrics : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(Shared().runtime) << Shared().error; }

  //! The `data` of the metric for this test's project, or a failure.
  static std::string Data(const std::string& pack, const std::string& metric, RawParams params,
                          const std::string& as_of = kAsOf) {
    MetricCall call;
    call.project = GetParam();
    call.pack = pack;
    call.metric = metric;
    call.params = std::move(params);
    call.params.emplace_back("asOf", as_of);
    Result<MetricAnswer> answer = RunMetric(*Shared().runtime, call);
    if (!answer.ok()) {
      ADD_FAILURE() << pack << "/" << metric << ": " << answer.status().ToString();
      return "";
    }
    if (!answer->failure.ok()) {
      ADD_FAILURE() << pack << "/" << metric << ": " << answer->failure.ToString();
      return "";
    }
    return answer->data_json;
  }

  static void Expect(const std::string& pack, const std::string& metric, const RawParams& params,
                     const std::string& expected, const std::string& as_of = kAsOf) {
    const std::string actual = Data(pack, metric, params, as_of);
    if (actual.empty()) return;
    boost::system::error_code ec;
    json::value a = json::parse(actual, ec);
    ASSERT_FALSE(ec) << "not JSON: " << actual;
    json::value e = json::parse(expected, ec);
    ASSERT_FALSE(ec) << "expected text is not JSON: " << expected;
    // Hand-written expectations: numbers compare by value, to 1e-9 (absolute below 1).
    std::vector<std::string> diffs = testing::JsonDifferences(
        e, a, pack + "/" + metric, {.floor = 1, .exact_number_kinds = false});
    std::string all;
    for (const auto& d : diffs) all += "\n  " + d;
    EXPECT_TRUE(diffs.empty()) << GetParam() << ":" << all << "\ngot:  " << actual
                               << "\nwant: " << json::serialize(e);
  }
};

using LlmPack = PackMetrics;
using WebPack = PackMetrics;
using WebSettings = PackMetrics;

// ---- llm ---------------------------------------------------------------------------------------

TEST_P(LlmPack, RealtimeKpiCountsTheLast24HoursUpToAFractionalAsOf) {
  // [11-20 13:00:00.25, 11-21 13:00:00.25): r02 (at the lower bound), r04, r05, r06; not r01
  // (one microsecond early) nor r03 (at the upper bound). Success: r05 only. Latency
  // (300+200+150+250)/4; tokens 20+50+30+0; users u1, u2; errors r02, r04, r06.
  Expect("llm", "realtime_kpi", {},
         R"({"totalRequests":4,"successRate":25,"avgResponseTime":225,"totalTokens":100,
             "activeUsers":2,"errorCount":3})");
}

TEST_P(LlmPack, RealtimeKpiOfAnEmptyWindowIsAllZeros) {
  Expect("llm", "realtime_kpi", {},
         R"({"totalRequests":0,"successRate":0,"avgResponseTime":0,"totalTokens":0,
             "activeUsers":0,"errorCount":0})",
         kEmptyAsOf);
}

TEST_P(LlmPack, HourlyTrafficBucketsByUtcHourFromStartToEndInclusive) {
  // [11-20 00:00, 11-22 00:00): r01..r07 (r08 is 11-19 23:59:59, req-b/REQ-z 11-22 00:00).
  Expect(
      "llm", "hourly_traffic", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
      R"([{"hour":"2026-11-20T08:00:00Z","requests":1,"errors":0,"avgLatencyMs":80,"totalTokens":7},
             {"hour":"2026-11-20T13:00:00Z","requests":2,"errors":1,"avgLatencyMs":200,"totalTokens":35},
             {"hour":"2026-11-20T23:00:00Z","requests":1,"errors":1,"avgLatencyMs":250,"totalTokens":0},
             {"hour":"2026-11-21T00:00:00Z","requests":1,"errors":0,"avgLatencyMs":150,"totalTokens":30},
             {"hour":"2026-11-21T13:00:00Z","requests":2,"errors":1,"avgLatencyMs":125,"totalTokens":110}])");
}

TEST_P(LlmPack, DailyTrafficCoversTheLastNDaysTodayIncluded) {
  // days=2: [11-20, 11-22). 11-20: r01 r02 r06 r07 (users u1 u2 u4; latency 730/4);
  // 11-21: r03 r04 r05 (users u3 u1; latency 400/3).
  Expect(
      "llm", "daily_traffic", {{"days", "2"}},
      R"([{"date":"2026-11-20","requests":4,"errors":2,"uniqueUsers":3,"totalTokens":42,"avgLatencyMs":182.5},
             {"date":"2026-11-21","requests":3,"errors":1,"uniqueUsers":2,"totalTokens":140,
              "avgLatencyMs":133.33333333333333}])");
}

TEST_P(LlmPack, TenantUsageBreaksRequestTiesByTenantIdInByteOrder) {
  // B-corp (r01 r03 r06) and a-corp (r02 r04 r05) tie at 3 requests: 'B' (0x42) sorts before
  // 'a' (0x61) in byte order, the other way round in a linguistic collation.
  Expect("llm", "tenant_usage", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
         R"([{"tenantId":"B-corp","requests":3,"totalTokens":75,"totalCost":0.04,
              "avgLatencyMs":133.33333333333333,"errorRate":33.333333333333333,"uniqueUsers":3},
             {"tenantId":"a-corp","requests":3,"totalTokens":100,"totalCost":0.11,
              "avgLatencyMs":216.66666666666667,"errorRate":66.666666666666667,"uniqueUsers":2},
             {"tenantId":"zero-co","requests":1,"totalTokens":7,"totalCost":0.07,
              "avgLatencyMs":80,"errorRate":0,"uniqueUsers":1}])");
}

TEST_P(LlmPack, UsageHeatmapNumbersSundayZeroAndUsesUtcHours) {
  // days=7: [11-15, 11-22). 11-15 is a Sunday (r10), 11-19 a Thursday (r08), 11-20 a Friday
  // (r07; r01 r02; r06), 11-21 a Saturday (r05; r03 r04).
  Expect("llm", "usage_heatmap", {{"days", "7"}},
         R"([{"dayOfWeek":0,"hour":10,"requests":1},{"dayOfWeek":4,"hour":23,"requests":1},
             {"dayOfWeek":5,"hour":8,"requests":1},{"dayOfWeek":5,"hour":13,"requests":2},
             {"dayOfWeek":5,"hour":23,"requests":1},{"dayOfWeek":6,"hour":0,"requests":1},
             {"dayOfWeek":6,"hour":13,"requests":2}])");
}

TEST_P(LlmPack, ErrorAnalysisCountsNullErrorTypeAsUnknownAndBreaksTiesInByteOrder) {
  // [11-15, 11-22) errors: r04 (NULL) and r06 ('unknown') are one type of 2 over two tenants;
  // r08 Zlib, r10 auth, r02 timeout (at 13:00:00.25) are 1 each: 'Z' < 'a' < 't' in bytes.
  Expect("llm", "error_analysis", {{"start", "2026-11-15"}, {"end", "2026-11-21"}},
         R"([{"errorType":"unknown","count":2,"percentage":40,"affectedTenants":2,
              "lastOccurrence":"2026-11-21T13:00:00Z"},
             {"errorType":"Zlib","count":1,"percentage":20,"affectedTenants":1,
              "lastOccurrence":"2026-11-19T23:59:59Z"},
             {"errorType":"auth","count":1,"percentage":20,"affectedTenants":1,
              "lastOccurrence":"2026-11-15T10:00:00Z"},
             {"errorType":"timeout","count":1,"percentage":20,"affectedTenants":1,
              "lastOccurrence":"2026-11-20T13:00:00.250000Z"}])");
}

TEST_P(LlmPack, TokenEfficiencyRatiosAreSumRatiosAndZeroWithoutTokens) {
  // B-corp: prompts 10+30+0, completions 5+30+0, cost 0.04; a-corp: 20+40+10, 0+10+20, 0.11;
  // zero-co: no prompt tokens, so completionRatio is 0.
  Expect("llm", "token_efficiency", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
         R"([{"tenantId":"B-corp","avgPromptTokens":13.333333333333333,
              "avgCompletionTokens":11.666666666666667,"completionRatio":0.875,
              "costPer1kTokens":0.53333333333333333},
             {"tenantId":"a-corp","avgPromptTokens":23.333333333333333,"avgCompletionTokens":10,
              "completionRatio":0.42857142857142857,"costPer1kTokens":1.1},
             {"tenantId":"zero-co","avgPromptTokens":0,"avgCompletionTokens":7,
              "completionRatio":0,"costPer1kTokens":10}])");
  // 11-10 holds only r12: no token at all, so both ratios are 0.
  Expect("llm", "token_efficiency", {{"start", "2026-11-10"}, {"end", "2026-11-10"}},
         R"([{"tenantId":"idle","avgPromptTokens":0,"avgCompletionTokens":0,
              "completionRatio":0,"costPer1kTokens":0}])");
}

TEST_P(LlmPack, AnomalyStatsKeepsTheTopFiveTypesWithNullAsUnknown) {
  // hours=720: [10-22 13:00:00.25, 11-21 13:00:00.25): 10 rows, all anomalies but r05.
  // cost_spike (r06 r11) and unknown (r04 r07, NULL type) 2 each, then 1 each in byte order:
  // Zeta, alpha, edge (latency_spike and loop fall beyond the top five).
  Expect("llm", "anomaly_stats", {{"hours", "720"}},
         R"({"totalAnomalies":9,"anomalyRate":90,
             "topAnomalyTypes":[{"type":"cost_spike","count":2},{"type":"unknown","count":2},
               {"type":"Zeta","count":1},{"type":"alpha","count":1},{"type":"edge","count":1}]})");
}

TEST_P(LlmPack, AnomalyStatsWindowStartsExactlyAtTheFractionalBound) {
  // hours=24: r02 (at the bound, latency_spike), r04 (NULL type), r05, r06 (cost_spike); r01,
  // one microsecond before the bound, is left out with its type `edge`.
  Expect("llm", "anomaly_stats", {{"hours", "24"}},
         R"({"totalAnomalies":3,"anomalyRate":75,
             "topAnomalyTypes":[{"type":"cost_spike","count":1},{"type":"latency_spike","count":1},
               {"type":"unknown","count":1}]})");
}

TEST_P(LlmPack, AnomalyStatsOfAnEmptyWindowIsZerosAndNoTypes) {
  Expect("llm", "anomaly_stats", {{"hours", "24"}},
         R"({"totalAnomalies":0,"anomalyRate":0,"topAnomalyTypes":[]})", kEmptyAsOf);
}

TEST_P(LlmPack, CostTrendSumsCostPerUtcDate) {
  // 11-20: 0.01+0.02+0+0.07 over 4 requests; 11-21: 0.03+0.05+0.04 over 3.
  Expect("llm", "cost_trend", {{"days", "2"}},
         R"([{"date":"2026-11-20","totalCost":0.1,"requests":4,"costPerRequest":0.025},
             {"date":"2026-11-21","totalCost":0.12,"requests":3,"costPerRequest":0.04}])");
}

TEST_P(LlmPack, QueryPatternsBreakCountTiesByCategoryInByteOrder) {
  // chat: r01 r03 r05; then one each: 'Embedding' sorts before the lower-case categories.
  Expect("llm", "query_patterns", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
         R"([{"pattern":"chat","count":3,"avgLatencyMs":100,"avgTokens":35,"errorRate":0},
             {"pattern":"Embedding","count":1,"avgLatencyMs":250,"avgTokens":0,"errorRate":100},
             {"pattern":"agent","count":1,"avgLatencyMs":200,"avgTokens":50,"errorRate":100},
             {"pattern":"completion","count":1,"avgLatencyMs":80,"avgTokens":7,"errorRate":0},
             {"pattern":"rag","count":1,"avgLatencyMs":300,"avgTokens":20,"errorRate":100}])");
}

TEST_P(LlmPack, SampleLogsPageNewestFirstWithRequestIdTiesInByteOrderAndNulls) {
  // No window: the two rows of 11-22 00:00 come first, 'REQ-z' before 'req-b' (bytes).
  // offset 1, limit 3: req-b, r03 (its fractional second kept), r04 (NULL types).
  Expect("llm", "sample_logs", {{"limit", "3"}, {"offset", "1"}},
         R"([{"timestamp":"2026-11-22T00:00:00Z","requestId":"req-b","tenantId":"a-corp",
              "userId":"u6","model":"gpt","status":"success","errorType":null,"latencyMs":20,
              "promptTokens":1,"completionTokens":1,"costUsd":0.001,"queryCategory":"chat",
              "isAnomaly":false,"anomalyType":null},
             {"timestamp":"2026-11-21T13:00:00.250000Z","requestId":"r03","tenantId":"B-corp",
              "userId":"u3","model":"claude","status":"success","errorType":null,"latencyMs":50,
              "promptTokens":30,"completionTokens":30,"costUsd":0.03,"queryCategory":"chat",
              "isAnomaly":false,"anomalyType":null},
             {"timestamp":"2026-11-21T13:00:00Z","requestId":"r04","tenantId":"a-corp",
              "userId":"u1","model":"claude","status":"error","errorType":null,"latencyMs":200,
              "promptTokens":40,"completionTokens":10,"costUsd":0.05,"queryCategory":"agent",
              "isAnomaly":true,"anomalyType":null}])");
  // The whole table in order (default limit 100), asOf far in the past changes nothing.
  const std::string all = Data("llm", "sample_logs", {}, kEmptyAsOf);
  if (all.empty()) return;
  json::value v = json::parse(all);
  std::string ids;
  for (const auto& row : v.as_array()) ids += std::string(row.at("requestId").as_string()) + " ";
  EXPECT_EQ(ids, "REQ-z req-b r03 r04 r05 r06 r02 r01 r07 r08 r10 r11 r12 ") << GetParam();
}

TEST_P(LlmPack, ListMetricsOfAnEmptyWindowAreEmptyLists) {
  for (const char* metric :
       {"hourly_traffic", "tenant_usage", "error_analysis", "token_efficiency", "query_patterns"}) {
    Expect("llm", metric, {{"start", "2026-01-01"}, {"end", "2026-01-31"}}, "[]");
  }
  for (const char* metric : {"daily_traffic", "usage_heatmap", "cost_trend"}) {
    Expect("llm", metric, {{"days", "30"}}, "[]", kEmptyAsOf);
  }
}

// ---- web ---------------------------------------------------------------------------------------

TEST_P(WebPack, SummaryCountsDevicesEventsPageViewsAndClients) {
  // days=2: [11-20, 11-22) holds w01..w11 and w16..w20: devices d1..d6; page views w01 w04 w05
  // w07 w11 w16 w17 w20; clients acme, Beta, alpha (other.example.com and NULL have none).
  Expect("web", "summary", {{"days", "2"}},
         R"({"total_users":6,"total_events":16,"page_views":8,"active_clients":3})");
}

TEST_P(WebPack, SummaryOfAnEmptyWindowIsAllZeros) {
  Expect("web", "summary", {{"days", "30"}},
         R"({"total_users":0,"total_events":0,"page_views":0,"active_clients":0})", kEmptyAsOf);
}

TEST_P(WebPack, DailyCountsDistinctDevicesPerUtcDate) {
  // w05 (11-20 23:59:59.999999) is still 11-20.
  Expect(
      "web", "daily", {{"days", "2"}},
      R"([{"date":"2026-11-20","users":3,"events":6},{"date":"2026-11-21","users":4,"events":10}])");
}

TEST_P(WebPack, FeaturesTakeTheFirstMatchingRuleAndDropOtherAndNullPages) {
  // Page views: w01 and w05 /home (another host still "contains" /home); w04 /buybox; w07
  // /integrations/api-tokens (API Tokens, listed before /integrations); w16 /buybox/deals (the
  // Deals rule comes before Buybox); w20 /properties; w11 /settings is Other and w17 has no URL.
  Expect("web", "features", {{"days", "2"}},
         R"([{"feature":"Home Dashboard","views":2},{"feature":"API Tokens","views":1},
             {"feature":"Buybox","views":1},{"feature":"Buybox - Deals","views":1},
             {"feature":"Properties","views":1}])");
}

TEST_P(WebPack, ClientsAreTheFirstCaptureGroupWithEventTiesInByteOrder) {
  // acme: w01 w02 w03 w07 w08 w11 w16; Beta: w04 w09 w10; alpha: w18 w19 w20. Beta and alpha
  // tie at 3 events: 'B' sorts before 'a' in bytes.
  Expect("web", "clients", {{"days", "2"}},
         R"([{"client":"acme","events":7,"users":3,"page_views":4},
             {"client":"Beta","events":3,"users":2,"page_views":1},
             {"client":"alpha","events":3,"users":1,"page_views":1}])");
}

TEST_P(WebPack, KpisCountUnifiedUsersSessionsConversionsAndRevenue) {
  // 11-20: unified users d1, U1 (d1 signed in on w03, d2 on w04), d3; sessions (d1,1) (U1,1)
  // (U1,7) (d3,3). 11-21: U1, d4, d5, d6 with one session each; purchases w09 (20 MXN) and
  // w10 (5 usd).
  Expect("web", "kpis", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
         R"([{"date":"2026-11-20","users":3,"sessions":4,"events":6,"conversions":1,"revenue":10.5},
             {"date":"2026-11-21","users":4,"sessions":4,"events":10,"conversions":2,"revenue":25}])");
}

TEST_P(WebPack, KpisRevenueCountsOnlyTheRequestedCurrencyCaseSensitively) {
  // USD: w03 only ('usd' on w10 is another code); MXN: w09 only.
  Expect("web", "kpis", {{"start", "2026-11-20"}, {"end", "2026-11-21"}, {"currency", "USD"}},
         R"([{"date":"2026-11-20","users":3,"sessions":4,"events":6,"conversions":1,"revenue":10.5},
             {"date":"2026-11-21","users":4,"sessions":4,"events":10,"conversions":2,"revenue":0}])");
  Expect("web", "kpis", {{"start", "2026-11-20"}, {"end", "2026-11-21"}, {"currency", "MXN"}},
         R"([{"date":"2026-11-20","users":3,"sessions":4,"events":6,"conversions":1,"revenue":0},
             {"date":"2026-11-21","users":4,"sessions":4,"events":10,"conversions":2,"revenue":20}])");
}

TEST_P(WebPack, SessionTrendsComparesWithTheWindowJustBefore) {
  // Current [11-20, 11-22): the 8 sessions and 6 unified users of the kpis test. Previous
  // [11-18, 11-20): w14 (at 11-18 00:00) and w13, device d7 with sessions 9 and 10; w15
  // (11-17 23:59:59) is before it. Growth (8-2)/2 and (6-1)/1.
  Expect("web", "session_trends", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
         R"({"current":{"sessions":8,"users":6},"previous":{"sessions":2,"users":1},
             "sessionsGrowth":300,"usersGrowth":500})");
}

TEST_P(WebPack, SessionTrendsGrowthIsZeroWhenThePreviousWindowIsEmpty) {
  // Current 11-17: w15; previous 11-16: nothing.
  Expect("web", "session_trends", {{"start", "2026-11-17"}, {"end", "2026-11-17"}},
         R"({"current":{"sessions":1,"users":1},"previous":{"sessions":0,"users":0},
             "sessionsGrowth":0,"usersGrowth":0})");
  Expect("web", "session_trends", {{"start", "2026-01-01"}, {"end", "2026-01-31"}},
         R"({"current":{"sessions":0,"users":0},"previous":{"sessions":0,"users":0},
             "sessionsGrowth":0,"usersGrowth":0})");
}

TEST_P(WebPack, FunnelDefaultStepsNeedEveryEarlierStepInAnyOrder) {
  // Page view: d1, U1, d3, d5, d6. Add to cart as well: d1. Nobody has begin_checkout after
  // that (U1 has it but no add_to_cart), so the last steps are 0 and 0/0 is 0.
  Expect("web", "funnel", {{"start", "2026-11-20"}, {"end", "2026-11-21"}},
         R"([{"step":"page_view","users":5,"conversionRate":100,"dropOff":0},
             {"step":"add_to_cart","users":1,"conversionRate":20,"dropOff":4},
             {"step":"begin_checkout","users":0,"conversionRate":0,"dropOff":1},
             {"step":"purchase","users":0,"conversionRate":0,"dropOff":0}])");
}

TEST_P(WebPack, FunnelWithCustomStepsCountsThoseSteps) {
  // Purchase: U1 (w03) and d4; begin_checkout too: U1 (w08), though it came after the purchase.
  Expect("web", "funnel",
         {{"start", "2026-11-20"}, {"end", "2026-11-21"}, {"steps", "purchase,begin_checkout"}},
         R"([{"step":"purchase","users":2,"conversionRate":100,"dropOff":0},
             {"step":"begin_checkout","users":1,"conversionRate":50,"dropOff":1}])");
}

TEST_P(WebPack, ListMetricsOfAnEmptyWindowAreEmptyLists) {
  for (const char* metric : {"daily", "features", "clients"}) {
    Expect("web", metric, {{"days", "30"}}, "[]", kEmptyAsOf);
  }
  for (const char* metric : {"kpis", "funnel"}) {
    Expect("web", metric, {{"start", "2026-01-01"}, {"end", "2026-01-31"}}, "[]");
  }
}

TEST_P(WebSettings, FeatureRulesFromTheConfigReplaceTheDefaults) {
  // buy: w04 /buybox, w16 /buybox/deals (buy is listed before deals); Main: w01 w05 /home;
  // Zed: w07 /integrations, w11 /settings; w20 /properties matches no rule. A three-way tie
  // in byte order: 'M' < 'Z' < 'b'.
  Expect(
      "web", "features", {{"days", "2"}},
      R"([{"feature":"Main","views":2},{"feature":"Zed","views":2},{"feature":"buy","views":2}])");
}

TEST_P(WebSettings, ClientPatternFromTheConfigNamesTheClient) {
  // The client is the first path segment of lower-case letters: buybox w02 w04 w16; home w01
  // w05; settings w08 w11; x w09 w10; then a, b, checkout, integrations, properties once each.
  Expect("web", "clients", {{"days", "2"}},
         R"([{"client":"buybox","events":3,"users":3,"page_views":2},
             {"client":"home","events":2,"users":2,"page_views":2},
             {"client":"settings","events":2,"users":2,"page_views":1},
             {"client":"x","events":2,"users":1,"page_views":0},
             {"client":"a","events":1,"users":1,"page_views":0},
             {"client":"b","events":1,"users":1,"page_views":0},
             {"client":"checkout","events":1,"users":1,"page_views":0},
             {"client":"integrations","events":1,"users":1,"page_views":1},
             {"client":"properties","events":1,"users":1,"page_views":1}])");
  Expect("web", "summary", {{"days", "2"}},
         R"({"total_users":6,"total_events":16,"page_views":8,"active_clients":9})");
}

std::string ProjectName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

INSTANTIATE_TEST_SUITE_P(DuckPg, LlmPack,
                         ::testing::Values("duckdb_timestamp", "duckdb_timestamp_ns",
                                           "duckdb_timestamptz_renamed", "duckdb_parquet",
                                           "duckdb_csv", "postgres_timestamp",
                                           "postgres_timestamptz_renamed"),
                         ProjectName);
INSTANTIATE_TEST_SUITE_P(DuckPg, WebPack,
                         ::testing::Values("duckdb_timestamp", "duckdb_timestamp_ns",
                                           "duckdb_timestamptz_renamed", "duckdb_parquet",
                                           "duckdb_csv", "postgres_timestamp",
                                           "postgres_timestamptz_renamed"),
                         ProjectName);
INSTANTIATE_TEST_SUITE_P(DuckPg, WebSettings,
                         ::testing::Values("duckdb_overrides", "postgres_overrides"), ProjectName);

// ---- PostgreSQL session time zone --------------------------------------------------------------

// The connector runs every session in UTC, but the SQL must not depend on it for timestamptz
// columns: the rendered SQL of every bucketing metric gives the same cells in a session whose
// TimeZone is Asia/Kathmandu (+05:45, so both hours and dates would move).
TEST(DuckPgPostgresTimeZone, TimestamptzBucketsAreUtcWhateverTheSessionTimeZone) {
  ASSERT_TRUE(Shared().runtime) << Shared().error;
  TestPgSession pg;
  ASSERT_TRUE(pg.ok()) << pg.error();
  struct Case {
    const char* pack;
    const char* metric;
    RawParams params;
  };
  const std::vector<Case> cases = {
      {"llm", "hourly_traffic", {{"start", "2026-11-20"}, {"end", "2026-11-21"}}},
      {"llm", "daily_traffic", {{"days", "2"}}},
      {"llm", "usage_heatmap", {{"days", "7"}}},
      {"llm", "error_analysis", {{"start", "2026-11-15"}, {"end", "2026-11-21"}}},
      {"llm", "cost_trend", {{"days", "2"}}},
      {"llm", "sample_logs", {{"limit", "5"}}},
      {"web", "daily", {{"days", "2"}}},
      {"web", "kpis", {{"start", "2026-11-20"}, {"end", "2026-11-21"}}},
  };
  for (const Case& c : cases) {
    MetricCall call;
    call.project = "postgres_timestamptz_renamed";
    call.pack = c.pack;
    call.metric = c.metric;
    call.params = c.params;
    call.params.emplace_back("asOf", kAsOf);
    Result<std::vector<PlannedQuery>> planned = ExplainMetric(*Shared().runtime, call);
    ASSERT_TRUE(planned.ok()) << c.metric << ": " << planned.status().ToString();
    ASSERT_EQ(planned->size(), 1u) << c.metric;
    const RenderedSql& sql = (*planned)[0].sql;
    ASSERT_TRUE(pg.Exec("SET TimeZone = 'UTC'"));
    const std::string utc = pg.Query(sql.sql, sql.params);
    ASSERT_TRUE(pg.Exec("SET TimeZone = 'Asia/Kathmandu'"));
    const std::string kathmandu = pg.Query(sql.sql, sql.params);
    EXPECT_EQ(utc.rfind("ERROR", 0), std::string::npos) << c.metric << ": " << utc;
    EXPECT_NE(utc, "") << c.metric << " has no rows, so it shows nothing";
    EXPECT_EQ(kathmandu, utc) << c.pack << "/" << c.metric << " depends on the session TimeZone:\n"
                              << sql.sql;
  }
}

}  // namespace
}  // namespace tributary
