// POST /api/v1/investigate through the real binary over SQL log tables: a PostgreSQL table on
// the shared test server (TRIB_TEST_PG_*; a missing variable FAILS the tests; table names
// unique to the process), DuckDB files made by the test, a PostgreSQL deployments table, the
// llm_logs dataset read as logs, a dead source, skipped sources, the deadline, request errors
// and roles.
//
// The data has fixed times: the window is [2026-11-02T10:00Z, 11:00Z) at a 60 s step, so the
// baseline window is [09:00, 10:00). Every expected number below is counted from the inserts.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>

#include "connectors/duckdb_test_support.h"
#include "core/time_util.h"
#include "support/server_harness.h"
#include "support/test_postgres.h"

namespace tributary {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpResponse;
using testing::ServerProcess;
using testing::TempDir;
using testing::TestPgSession;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Suffix() {
  std::random_device random;
  return std::to_string(getpid()) + "_" + std::to_string(random() % 100000);
}

// The PostgreSQL log table: `checkout` (20 lines a minute; before 10:30 1 or 2 ERROR lines a
// minute, "connection reset"; from 10:30 30 error lines a minute, 25 "payment timeout" and 5
// "db locked"; latency 50 then 400) and `search` (1 error a minute throughout).
void CreatePgFixture(TestPgSession& pg, const std::string& logs, const std::string& deploys) {
  const std::string day = "TIMESTAMPTZ '2026-11-02 ";
  pg.Exec("CREATE TABLE " + logs +
          " (ts timestamptz, service text, level text, message text, latency_ms double "
          "precision)");
  pg.Exec("INSERT INTO " + logs +
          " SELECT ts, s, 'info', 'ok', CASE WHEN s = 'checkout' AND ts >= " + day +
          "10:30:00Z' THEN 400 ELSE 50 END FROM generate_series(" + day + "09:00:00Z', " + day +
          "10:59:59Z', interval '3 seconds') ts, unnest(ARRAY['checkout', 'search']) s");
  pg.Exec("INSERT INTO " + logs +
          " SELECT m + interval '1 second', 'checkout', 'ERROR', 'connection reset', 50 FROM "
          "generate_series(" +
          day + "09:00:00Z', " + day + "10:29:00Z', interval '1 minute') m");
  pg.Exec("INSERT INTO " + logs +
          " SELECT m + interval '2 seconds', 'checkout', 'Error', 'connection reset', 50 FROM "
          "generate_series(" +
          day + "09:00:00Z', " + day +
          "10:29:00Z', interval '1 minute') m WHERE extract(minute FROM m)::int % 2 = 1");
  pg.Exec("INSERT INTO " + logs +
          " SELECT m + i * interval '1 second', 'checkout', 'error', CASE WHEN i < 25 THEN "
          "'payment timeout' ELSE 'db locked' END, 400 FROM generate_series(" +
          day + "10:30:00Z', " + day +
          "10:59:00Z', interval '1 minute') m, generate_series(0, 29) i");
  pg.Exec("INSERT INTO " + logs +
          " SELECT m + interval '1 second', 'search', 'error', 'timeout upstream', 50 FROM "
          "generate_series(" +
          day + "09:00:00Z', " + day + "10:59:00Z', interval '1 minute') m");
  pg.Exec("CREATE TABLE " + deploys + " (deployed_at timestamptz, service text, version text)");
  pg.Exec("INSERT INTO " + deploys + " VALUES (" + day + "10:28:00Z', 'checkout', 'v2.4.1'), (" +
          day + "08:00:00Z', 'checkout', 'v2.4.0'), (" + day + "10:10:00Z', 'billing', 'v9')");
}

// DuckDB log table `events` for `cart` (renamed columns): 20 lines a minute, 1 ERROR a minute
// before 10:40, 10 from 10:40 (8 "cart db deadlock", 2 "oops").
void CreateDuckFixture(const std::string& path) {
  duckdb_test::RunRawSql(
      path,
      {"CREATE TABLE events AS SELECT ts AS \"at\", 'cart' AS svc, "
       "CASE WHEN CAST(epoch(ts) AS BIGINT) % 60 < (CASE WHEN ts >= TIMESTAMP '2026-11-02 "
       "10:40:00' THEN 30 ELSE 3 END) THEN 'ERROR' ELSE 'INFO' END AS sev, "
       "CASE WHEN ts >= TIMESTAMP '2026-11-02 10:40:00' AND CAST(epoch(ts) AS BIGINT) % 60 < 24 "
       "THEN 'cart db deadlock' WHEN ts >= TIMESTAMP '2026-11-02 10:40:00' THEN 'oops' ELSE "
       "'slow disk' END AS msg, 20.0 AS dur_ms "
       "FROM range(TIMESTAMP '2026-11-02 09:00:00', TIMESTAMP '2026-11-02 11:00:00', "
       "INTERVAL 3 SECOND) t(ts)"});
}

// llm_logs of the gateway (timestamp column renamed `at`): 10 requests a minute; before 10:20
// one error a minute with a NULL error_type; from 10:20 six a minute: five "rate_limited" and
// one NULL.
void CreateGatewayFixture(const std::string& path) {
  duckdb_test::RunRawSql(
      path, {"CREATE TABLE gw_requests AS SELECT ts AS \"at\", "
             "CASE WHEN CAST(epoch(ts) AS BIGINT) % 60 < (CASE WHEN ts >= TIMESTAMP '2026-11-02 "
             "10:20:00' THEN 36 ELSE 6 END) THEN 'error' ELSE 'success' END AS status, "
             "CASE WHEN ts >= TIMESTAMP '2026-11-02 10:20:00' AND CAST(epoch(ts) AS BIGINT) % 60 "
             "< 30 THEN 'rate_limited' END AS error_type, "
             "CASE WHEN ts >= TIMESTAMP '2026-11-02 10:20:00' THEN 900.0 ELSE 100.0 END AS "
             "latency_ms FROM range(TIMESTAMP '2026-11-02 09:00:00', TIMESTAMP '2026-11-02 "
             "11:00:00', INTERVAL 6 SECOND) t(ts)"});
}

std::string PgSource(const std::string& port_var) {
  return "    type: postgres\n"
         "    host: \"${TRIB_TEST_PG_HOST}\"\n"
         "    port: \"" +
         port_var +
         "\"\n"
         "    database: \"${TRIB_TEST_PG_DB}\"\n"
         "    user: \"${TRIB_TEST_PG_USER}\"\n"
         "    password: \"${TRIB_TEST_PG_PASSWORD}\"\n"
         "    sslmode: disable\n";
}

const json::object* FindEntry(const json::array& timeline, const std::string& kind,
                              const std::string& service, const std::string& signal) {
  for (const auto& e : timeline) {
    const json::object& o = e.as_object();
    if (o.at("kind").as_string() == kind && o.at("service").as_string() == service &&
        o.at("signal").as_string() == signal) {
      return &o;
    }
  }
  return nullptr;
}

const json::object* FindEvidence(const json::object& answer, const std::string& source) {
  for (const auto& e : answer.at("evidence").as_array()) {
    if (e.at("source").as_string() == source) return &e.as_object();
  }
  return nullptr;
}

std::string Body(const std::string& services, const std::string& extra = "") {
  return "{\"question\":\"what broke?\",\"context\":{\"environment\":\"prod\",\"time_range\":{"
         "\"start\":\"2026-11-02T10:00:00Z\",\"end\":\"2026-11-02T11:00:00Z\"},\"services\":" +
         services + "},\"step_seconds\":60" + extra + "}";
}

constexpr const char* kQueryKey = "inv-test-query-key-0123456789";
constexpr const char* kReadKey = "inv-test-read-key-0123456789";
constexpr const char* kOtherKey = "inv-test-other-key-0123456789";

class InvestigateLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Env("TRIB_TEST_PG_HOST").empty())
        << "TRIB_TEST_PG_* variables are not set: source the test servers' env file";
    pg_ = std::make_unique<TestPgSession>();
    ASSERT_TRUE(pg_->ok()) << pg_->error();
    const std::string suffix = Suffix();
    logs_ = "inv_logs_" + suffix;
    deploys_ = "inv_deploys_" + suffix;
    CreatePgFixture(*pg_, logs_, deploys_);
    CreateDuckFixture(dir_.File("logs.duckdb"));
    CreateGatewayFixture(dir_.File("gateway.duckdb"));
    setenv("TRIB_INV_QUERY_KEY", kQueryKey, 1);
    setenv("TRIB_INV_READ_KEY", kReadKey, 1);
    setenv("TRIB_INV_OTHER_KEY", kOtherKey, 1);
  }
  void TearDown() override {
    if (pg_ && pg_->ok() && !logs_.empty())
      pg_->Exec("DROP TABLE IF EXISTS " + logs_ + ", " + deploys_);
  }

  std::unique_ptr<ServerProcess> Start(const std::string& extra_sources,
                                       const std::string& extra = "") {
    const std::string config =
        "server: {listen: 127.0.0.1:0}\n" + extra +
        "sources:\n"
        "  pg_logs:\n" +
        PgSource("${TRIB_TEST_PG_PORT}") +
        "    tags: {environments: [prod], services: [checkout, search]}\n"
        "    investigate:\n"
        "      logs: {table: " +
        logs_ +
        ", time_column: ts, service_column: service, level_column: level, message_column: "
        "message, latency_column: latency_ms}\n"
        "  deploys:\n" +
        PgSource("${TRIB_TEST_PG_PORT}") +
        "    tags: {environments: [prod]}\n"
        "    investigate:\n"
        "      changes:\n"
        "        sql: SELECT deployed_at AS time, service, 'deploy ' || version AS description "
        "FROM " +
        deploys_ +
        " WHERE deployed_at >= $1 AND deployed_at < $2\n"
        "  duck_logs:\n"
        "    type: duckdb\n"
        "    path: " +
        dir_.File("logs.duckdb") +
        "\n"
        "    tags: {services: [cart]}\n"
        "    investigate:\n"
        "      logs: {table: events, time_column: at, service_column: svc, level_column: sev, "
        "message_column: msg, error_levels: [error]}\n"
        "  gateway:\n"
        "    type: duckdb\n"
        "    path: " +
        dir_.File("gateway.duckdb") +
        "\n"
        "    tags: {services: [llm-gateway]}\n"
        "    investigate: {logs: {dataset: llm_logs}}\n"
        "  staging_logs:\n"
        "    type: duckdb\n"
        "    tags: {environments: [staging]}\n"
        "    investigate: {logs: {table: t, time_column: a, service_column: b, level_column: c, "
        "message_column: d}}\n"
        "  billing_logs:\n"
        "    type: duckdb\n"
        "    tags: {services: [billing]}\n"
        "    investigate: {logs: {table: t, time_column: a, service_column: b, level_column: c, "
        "message_column: d}}\n" +
        extra_sources +
        "projects:\n"
        "  shop:\n"
        "    sources: [pg_logs, deploys, duck_logs, gateway, staging_logs, billing_logs" +
        (extra_sources.empty() ? std::string() : ", extra") +
        "]\n"
        "    datasets: {llm_logs: {source: gateway, table: gw_requests, columns: {timestamp: "
        "at}}}\n"
        "  other: {sources: [duck_logs]}\n"
        "default_project: shop\n";
    testing::WriteFile(dir_.File("tributary.yaml"), config);
    std::string error;
    auto server = ServerProcess::Start({"--config", dir_.File("tributary.yaml")}, &error);
    EXPECT_TRUE(server) << error;
    return server;
  }

  TempDir dir_;
  std::unique_ptr<TestPgSession> pg_;
  std::string logs_;
  std::string deploys_;
};

TEST_F(InvestigateLogs, PostgresAndDuckDbIncidentsDeployAndDeadSource) {
  auto server = Start(
      "  extra:\n" + PgSource("1") +
      "    tags: {services: [checkout]}\n"
      "    investigate: {logs: {table: gone, time_column: a, service_column: b, level_column: c, "
      "message_column: d}}\n");
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  HttpResponse r = client.Post("/api/v1/investigate", Body("[\"checkout\", \"cart\"]"));
  ASSERT_EQ(r.status, 200) << r.body;
  SCOPED_TRACE(r.body.substr(0, 8000));
  json::object answer = json::parse(r.body).as_object();
  const json::array& timeline = answer.at("timeline").as_array();

  // PostgreSQL: checkout's errors and latency shift at 10:30, from pg_logs.
  for (const char* signal : {"errors", "latency_ms"}) {
    const json::object* shift = FindEntry(timeline, "shift", "checkout", signal);
    ASSERT_NE(shift, nullptr) << signal;
    EXPECT_EQ(shift->at("time").as_string(), "2026-11-02T10:30:00Z") << signal;
    EXPECT_EQ(shift->at("source").as_string(), "pg_logs");
  }
  const json::object* pg = FindEvidence(answer, "pg_logs");
  ASSERT_NE(pg, nullptr);
  EXPECT_EQ(pg->at("status").as_string(), "ok");
  // 30 minutes of 1 or 2 errors (15 odd minutes) + 30 minutes of 30; baseline 60 + 30.
  EXPECT_EQ(pg->at("errors").at("total").as_int64(), 945);
  EXPECT_EQ(pg->at("errors").at("baseline_total").as_int64(), 90);
  const json::array& top = pg->at("errors").at("top_messages").as_array();
  ASSERT_GE(top.size(), 2u);
  EXPECT_EQ(top[0].at("message").as_string(), "payment timeout");
  EXPECT_EQ(top[0].at("count").as_int64(), 750);
  EXPECT_EQ(top[0].at("service").as_string(), "checkout");
  EXPECT_EQ(top[0].at("first_seen").as_string(), "2026-11-02T10:30:00Z");
  // Bound parameters, never spliced: the services are parameters of the recorded query.
  const json::object& q0 = pg->at("queries").as_array().at(0).as_object();
  EXPECT_EQ(std::string(q0.at("query").as_string()).find("'checkout'"), std::string::npos);
  EXPECT_NE(json::serialize(q0.at("params")).find("\"checkout\""), std::string::npos);

  // DuckDB: cart's errors shift at 10:40, from duck_logs; 40 + 20 × 10 errors in the window.
  const json::object* cart = FindEntry(timeline, "shift", "cart", "errors");
  ASSERT_NE(cart, nullptr);
  EXPECT_EQ(cart->at("time").as_string(), "2026-11-02T10:40:00Z");
  EXPECT_EQ(cart->at("source").as_string(), "duck_logs");
  const json::object* duck = FindEvidence(answer, "duck_logs");
  ASSERT_NE(duck, nullptr);
  EXPECT_EQ(duck->at("errors").at("total").as_int64(), 240);
  EXPECT_EQ(duck->at("errors").at("baseline_total").as_int64(), 60);
  EXPECT_EQ(duck->at("errors").at("top_messages").at(0).at("message").as_string(),
            "cart db deadlock");
  EXPECT_EQ(duck->at("errors").at("top_messages").at(0).at("count").as_int64(), 160);

  // The deploy at 10:28 is in the timeline; the one before the window and billing's are not.
  const json::object* deploy = FindEntry(timeline, "deploy_or_change", "checkout", "change");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->at("time").as_string(), "2026-11-02T10:28:00Z");
  EXPECT_EQ(deploy->at("source").as_string(), "deploys");
  EXPECT_EQ(deploy->at("description").as_string(), "deploy v2.4.1");
  int changes = 0;
  for (const auto& e : timeline) changes += e.at("kind").as_string() == "deploy_or_change";
  EXPECT_EQ(changes, 1);

  // search is not asked about: no series, no shift.
  EXPECT_EQ(FindEntry(timeline, "shift", "search", "errors"), nullptr);

  // The dead source is failed with its code; the others answered.
  const json::array& failed = answer.at("failed_sources").as_array();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("source").as_string(), "extra");
  EXPECT_EQ(failed[0].at("code").as_string(), "UNAVAILABLE");
  const json::object* dead = FindEvidence(answer, "extra");
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->at("status").as_string(), "error");
  EXPECT_FALSE(dead->at("queries").as_array().empty());

  // Components by first shift: checkout (10:30), then cart (10:40).
  const json::array& components = answer.at("components").as_array();
  ASSERT_EQ(components.size(), 2u);
  EXPECT_EQ(components[0].at("service").as_string(), "checkout");
  EXPECT_EQ(components[0].at("first_shift").as_string(), "2026-11-02T10:30:00Z");
  EXPECT_EQ(components[1].at("service").as_string(), "cart");

  // Skipped, with reasons: environment and service tags are respected.
  const json::array& skipped = answer.at("skipped_sources").as_array();
  std::map<std::string, std::string> reasons;
  for (const auto& s : skipped) {
    reasons[std::string(s.at("source").as_string())] = s.at("reason").as_string();
  }
  EXPECT_EQ(reasons["staging_logs"], "tagged for environments [staging], not prod");
  EXPECT_EQ(reasons["billing_logs"], "tagged for services [billing], none asked");
  EXPECT_EQ(reasons.count("gateway"), 1u);  // tagged for llm-gateway, not asked
  EXPECT_EQ(reasons.count("pg_logs"), 0u);
  EXPECT_FALSE(answer.contains("root_cause"));
}

TEST_F(InvestigateLogs, LlmLogsDatasetOnDuckDb) {
  auto server = Start("");
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  HttpResponse r = client.Post("/api/v1/investigate", Body("[\"llm-gateway\"]"));
  ASSERT_EQ(r.status, 200) << r.body;
  SCOPED_TRACE(r.body.substr(0, 8000));
  json::object answer = json::parse(r.body).as_object();
  const json::array& timeline = answer.at("timeline").as_array();
  for (const char* signal : {"error_rate", "errors", "latency_ms"}) {
    const json::object* shift = FindEntry(timeline, "shift", "llm-gateway", signal);
    ASSERT_NE(shift, nullptr) << signal;
    EXPECT_EQ(shift->at("time").as_string(), "2026-11-02T10:20:00Z") << signal;
    EXPECT_EQ(shift->at("source").as_string(), "gateway");
  }
  const json::object* shift = FindEntry(timeline, "shift", "llm-gateway", "error_rate");
  EXPECT_DOUBLE_EQ(shift->at("value").as_double(), 0.6);
  EXPECT_DOUBLE_EQ(shift->at("baseline").as_double(), 0.1);
  const json::object* gateway = FindEvidence(answer, "gateway");
  ASSERT_NE(gateway, nullptr);
  // 20 minutes × 1 + 40 minutes × 6 errors; the baseline hour 60.
  EXPECT_EQ(gateway->at("errors").at("total").as_int64(), 260);
  EXPECT_EQ(gateway->at("errors").at("baseline_total").as_int64(), 60);
  const json::array& top = gateway->at("errors").at("top_messages").as_array();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].at("message").as_string(), "rate_limited");
  EXPECT_EQ(top[0].at("count").as_int64(), 200);
  EXPECT_EQ(top[1].at("message").as_string(), "unknown");  // NULL error_type
  EXPECT_EQ(top[1].at("count").as_int64(), 60);
  // The binding's table and renamed column are what was queried.
  const std::string query(gateway->at("queries").at(0).at("query").as_string());
  EXPECT_NE(query.find("\"gw_requests\""), std::string::npos) << query;
  EXPECT_NE(query.find("\"at\""), std::string::npos) << query;
}

TEST_F(InvestigateLogs, SlowSourceTimesOutAtTheDeadlineWhileTheOthersAnswer) {
  auto server =
      Start("  extra:\n" + PgSource("${TRIB_TEST_PG_PORT}") +
                "    investigate:\n"
                "      changes:\n"
                "        sql: SELECT now() AS time, 'slow' AS description FROM pg_sleep(30) WHERE "
                "$1::timestamptz < $2::timestamptz\n",
            "investigate: {deadline_ms: 2000}\n");
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  const auto started = std::chrono::steady_clock::now();
  HttpResponse r = client.Post("/api/v1/investigate", Body("[\"cart\"]"));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_LT(took, 10s);
  json::object answer = json::parse(r.body).as_object();
  const json::array& failed = answer.at("failed_sources").as_array();
  ASSERT_EQ(failed.size(), 1u) << r.body;
  EXPECT_EQ(failed[0].at("source").as_string(), "extra");
  EXPECT_EQ(failed[0].at("status").as_string(), "timeout");
  EXPECT_EQ(failed[0].at("code").as_string(), "DEADLINE_EXCEEDED");
  const json::object* duck = FindEvidence(answer, "duck_logs");
  ASSERT_NE(duck, nullptr);
  EXPECT_EQ(duck->at("status").as_string(), "ok");
  EXPECT_NE(FindEntry(answer.at("timeline").as_array(), "shift", "cart", "errors"), nullptr);
}

TEST_F(InvestigateLogs, RequestErrorsNameTheFieldAndRolesAreChecked) {
  auto server = Start("",
                      "auth:\n"
                      "  keys:\n"
                      "    - {name: q, key: '${TRIB_INV_QUERY_KEY}', projects: [shop], roles: "
                      "[read, query]}\n"
                      "    - {name: r, key: '${TRIB_INV_READ_KEY}', projects: [shop], roles: "
                      "[read]}\n"
                      "    - {name: o, key: '${TRIB_INV_OTHER_KEY}', projects: [other], roles: "
                      "[read, query]}\n");
  ASSERT_TRUE(server);
  HttpClient client(server->port());
  auto as = [](const char* key) {
    return std::map<std::string, std::string>{{"Authorization", std::string("Bearer ") + key}};
  };
  struct Case {
    std::string body;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"{\"context\":{}}", "context.time_range"},
           {"{\"context\":{\"time_range\":{\"start\":\"yesterday\",\"end\":\"now\"}}}",
            "context.time_range.start"},
           {"{\"context\":{\"time_range\":{\"start\":\"now\",\"end\":\"now-1h\"}}}",
            "context.time_range.end"},
           {"{\"context\":{\"time_range\":{\"start\":\"now-1h\",\"end\":\"now\"},\"services\":[\"a "
            "b\"]}}",
            "context.services[0]"},
           {"{\"context\":{\"time_range\":{\"start\":\"now-1h\",\"end\":\"now\"}},\"colour\":1}",
            "colour"},
           {"{\"context\":{\"time_range\":{\"start\":\"now-1h\",\"end\":\"now\"}},\"step_seconds\":"
            "0}",
            "step_seconds"},
           {"{\"context\":{\"time_range\":{\"start\":\"now-40d\",\"end\":\"now\"}}}",
            "context.time_range"},
       }) {
    HttpResponse r = client.Post("/api/v1/investigate", c.body, as(kQueryKey));
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find("INVALID_ARGUMENT"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(c.field + ":"), std::string::npos) << c.field << " -> " << r.body;
  }
  const std::string body = Body("[\"cart\"]");
  EXPECT_EQ(client.Post("/api/v1/investigate", body, as(kQueryKey)).status, 200);
  EXPECT_EQ(client.Post("/api/v1/investigate", body).status, 401);
  EXPECT_EQ(client.Post("/api/v1/investigate", body, as(kReadKey)).status, 403);
  // A key of another project: the body's project (or the default one) is checked.
  EXPECT_EQ(client.Post("/api/v1/investigate", body, as(kOtherKey)).status, 403);
  EXPECT_EQ(
      client.Post("/api/v1/investigate", Body("[\"cart\"]", ",\"project\":\"shop\""), as(kOtherKey))
          .status,
      403);
  EXPECT_EQ(client.Post("/api/v1/investigate?project=shop", body, as(kOtherKey)).status, 403);
  HttpResponse other = client.Post("/api/v1/investigate",
                                   Body("[\"cart\"]", ",\"project\":\"other\""), as(kOtherKey));
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_NE(other.body.find("\"project\":\"other\""), std::string::npos);

  // The services picker: role read.
  HttpResponse services = client.Get("/api/v1/investigate/services?project=shop", as(kReadKey));
  ASSERT_EQ(services.status, 200) << services.body;
  json::object s = json::parse(services.body).as_object();
  EXPECT_EQ(json::serialize(s.at("services")),
            "[\"billing\",\"cart\",\"checkout\",\"llm-gateway\",\"search\"]");
  EXPECT_EQ(json::serialize(s.at("environments")), "[\"prod\",\"staging\"]");
  EXPECT_FALSE(s.at("synthesis").as_bool());
  EXPECT_EQ(client.Get("/api/v1/investigate/services?project=shop", as(kOtherKey)).status, 403);
}

}  // namespace
}  // namespace tributary
