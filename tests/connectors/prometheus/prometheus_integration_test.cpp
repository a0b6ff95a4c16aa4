// Integration tests of the Prometheus connector against the real Prometheus 2.42 that
// scripts/test-servers.sh starts (TRIB_TEST_PROMETHEUS_*; a missing variable FAILS the tests).
//
// The data is real: each test process starts its own `tributary serve` (TRIBUTARY_BINARY) on a
// free port, sends it queries, registers it with Prometheus through a file_sd targets file
// carrying a job label unique to the process, waits (at most 15 s) until Prometheus has scraped
// the counters those queries moved, and then queries those series through the same server's
// `prom` source (API), the `tributary query` CLI, and the connector itself. The targets file is
// removed when the process ends.
// Thread-safety: tests run one at a time; the shared fixture is built once per process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config/options.h"
#include "connectors/registry.h"
#include "core/time_util.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::PostQuery;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kOkQueries = 7;
constexpr int kFailedQueries = 3;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Quote(const std::string& text) {
  return json::serialize(json::value(text));
}

//! The `value` cell of a one-row answer.
std::optional<double> SingleValue(const std::string& body);

// One tributary server per test process, registered with the test Prometheus.
struct Fixture {
  std::string error;
  std::string job;
  std::string targets_file;
  TempDir dir;
  std::unique_ptr<ServerProcess> server;

  Fixture() {
    for (const char* name : {"TRIB_TEST_PROMETHEUS_URL", "TRIB_TEST_PROMETHEUS_USER",
                             "TRIB_TEST_PROMETHEUS_PASSWORD", "TRIB_TEST_PROMETHEUS_TARGETS_DIR"}) {
      if (Env(name).empty()) {
        error = std::string(name) +
                " is not set: start the test servers (scripts/test-servers.sh start) and source "
                "their env file";
        return;
      }
    }
    std::random_device random;
    job = "trib_prom_test_" + std::to_string(getpid()) + "_" + std::to_string(random() % 100000);
    testing::WriteFile(dir.File("tributary.yaml"),
                       "server: {listen: 127.0.0.1:0}\n"
                       "sources:\n"
                       "  mem: {type: duckdb}\n"
                       "  prom:\n"
                       "    type: prometheus\n"
                       "    url: ${TRIB_TEST_PROMETHEUS_URL}\n"
                       "    user: ${TRIB_TEST_PROMETHEUS_USER}\n"
                       "    password: ${TRIB_TEST_PROMETHEUS_PASSWORD}\n");
    server = ServerProcess::Start({"--config", dir.File("tributary.yaml")}, &error);
    if (!server) return;
    // Traffic whose counters the tests then read back from Prometheus.
    for (int i = 0; i < kOkQueries; ++i) {
      auto r = PostQuery(server->port(), R"({"source":"mem","sql":"SELECT 42 AS answer"})");
      if (r.status != 200) {
        error = "a query on the duckdb source failed: " + r.body;
        return;
      }
    }
    for (int i = 0; i < kFailedQueries; ++i) {
      (void)PostQuery(server->port(), R"({"source":"mem","sql":"SELECT no_such_column"})");
    }
    // Register with Prometheus: written under another name, then renamed, so Prometheus never
    // reads half a file.
    targets_file = Env("TRIB_TEST_PROMETHEUS_TARGETS_DIR") + "/" + job + ".json";
    const std::string temp = targets_file + ".tmp";
    testing::WriteFile(temp, "[{\"targets\":[\"127.0.0.1:" + std::to_string(server->port()) +
                                 "\"],\"labels\":{\"job\":\"" + job + "\"}}]\n");
    std::filesystem::rename(temp, targets_file);
    // Wait until a scrape after the traffic has landed.
    const std::string probe =
        R"(tributary_source_queries_total{job=")" + job + R"(",source="mem",outcome="ok"})";
    std::string last;
    const bool scraped = testing::WaitUntil(
        [&] {
          auto r = Query(probe, "");
          last = r.body;
          return r.status == 200 && SingleValue(r.body) == double{kOkQueries};
        },
        15s);
    if (!scraped) error = "Prometheus did not scrape the test server within 15 s: " + last;
  }

  ~Fixture() {
    if (!targets_file.empty()) std::filesystem::remove(targets_file);
  }

  //! POST /api/v1/query on the prom source with PromQL and an options object (JSON text).
  testing::HttpResponse Query(const std::string& promql, const std::string& options_json,
                              const std::string& extra = "") {
    std::string body = "{\"source\":\"prom\",\"sql\":" + Quote(promql);
    if (!options_json.empty()) body += ",\"options\":" + options_json;
    body += extra + "}";
    return PostQuery(server->port(), body);
  }
};

Fixture* g_fixture = nullptr;

Fixture& Shared() {
  if (!g_fixture) g_fixture = new Fixture();
  return *g_fixture;
}

// After the last test: unregisters the server from Prometheus and stops it.
class FixtureEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_fixture;
    g_fixture = nullptr;
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new FixtureEnvironment);

json::object ParseObject(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

std::vector<std::string> ColumnNames(const json::object& result) {
  std::vector<std::string> names;
  if (!result.contains("columns")) return names;
  for (const auto& c : result.at("columns").as_array()) {
    names.emplace_back(c.as_object().at("name").as_string());
  }
  return names;
}

size_t IndexOf(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return names.size();
}

std::optional<double> SingleValue(const std::string& body) {
  json::object result = ParseObject(body);
  const auto names = ColumnNames(result);
  const size_t value = IndexOf(names, "value");
  if (value == names.size() || !result.contains("rows")) return std::nullopt;
  const auto& rows = result.at("rows").as_array();
  if (rows.size() != 1) return std::nullopt;
  const auto& cell = rows[0].as_array()[value];
  if (!cell.is_number()) return std::nullopt;
  return cell.to_number<double>();
}

class PrometheusIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Shared().error.empty()) << Shared().error; }
  Fixture& f() { return Shared(); }
  std::string JobSelector(const std::string& metric, const std::string& more = "") {
    return metric + "{job=\"" + f().job + "\"" + more + "}";
  }
  std::unique_ptr<Connector> OpenConnector(const std::string& password) {
    const ConnectorFactory* factory = FindConnector("prometheus");
    EXPECT_NE(factory, nullptr);
    if (!factory) return nullptr;
    SourceContext context;
    context.id = "prom_direct";
    context.options.Set("url", {Env("TRIB_TEST_PROMETHEUS_URL"), {}, false});
    context.options.Set("user", {Env("TRIB_TEST_PROMETHEUS_USER"), {}, false});
    context.options.Set("password", {password, {}, true});
    auto connector = factory->create(context);
    EXPECT_TRUE(connector->Open().ok());
    return connector;
  }
};

TEST_F(PrometheusIntegrationTest, InstantQueryReadsTheScrapedCounters) {
  auto r = f().Query(JobSelector("tributary_source_queries_total", ",source=\"mem\""),
                     R"({"time":"now"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object result = ParseObject(r.body);
  const auto names = ColumnNames(result);
  // timestamp, the labels sorted by name, value.
  EXPECT_EQ(names, (std::vector<std::string>{"timestamp", "__name__", "instance", "job", "outcome",
                                             "source", "type", "value"}));
  const auto& rows = result.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u) << r.body;  // outcome ok and QUERY_ERROR
  std::map<std::string, double> by_outcome;
  for (const auto& row : rows) {
    const auto& cells = row.as_array();
    EXPECT_EQ(cells[IndexOf(names, "__name__")].as_string(), "tributary_source_queries_total");
    EXPECT_EQ(cells[IndexOf(names, "job")].as_string(), f().job);
    EXPECT_EQ(cells[IndexOf(names, "type")].as_string(), "duckdb");
    EXPECT_EQ(cells[IndexOf(names, "instance")].as_string(),
              "127.0.0.1:" + std::to_string(f().server->port()));
    by_outcome[std::string(cells[IndexOf(names, "outcome")].as_string())] =
        cells[IndexOf(names, "value")].to_number<double>();
  }
  EXPECT_EQ(by_outcome["ok"], kOkQueries);
  EXPECT_EQ(by_outcome["QUERY_ERROR"], kFailedQueries);
  EXPECT_EQ(result.at("columns").as_array()[0].as_object().at("type").as_string(), "timestamp");
  EXPECT_EQ(result.at("columns").as_array()[names.size() - 1].as_object().at("type").as_string(),
            "double");
}

TEST_F(PrometheusIntegrationTest, RangeQueryGivesOneRowPerSample) {
  // The series exists since the first scrape, seconds ago: wait until it spans three steps.
  const std::string promql =
      "sum(" + JobSelector("tributary_source_queries_total", ",source=\"mem\"") + ")";
  testing::HttpResponse r;
  json::object result;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        r = f().Query(promql, R"({"start":"now-20s","end":"now","step":"1s"})");
        result = ParseObject(r.body);
        return r.status == 200 && result.contains("rows") &&
               result.at("rows").as_array().size() >= 3;
      },
      10s))
      << r.body;
  ASSERT_EQ(r.status, 200) << r.body;
  const auto names = ColumnNames(result);
  EXPECT_EQ(names, (std::vector<std::string>{"timestamp", "value"}));
  const auto& rows = result.at("rows").as_array();
  ASSERT_GE(rows.size(), 3u) << r.body;
  EXPECT_LE(rows.size(), 21u);
  // Samples exactly one step apart, and each counts every query sent.
  for (size_t i = 1; i < rows.size(); ++i) {
    auto a = ParseTimestamp(std::string(rows[i - 1].as_array()[0].as_string()));
    auto b = ParseTimestamp(std::string(rows[i].as_array()[0].as_string()));
    ASSERT_TRUE(a && b) << r.body;
    EXPECT_EQ(*b - *a, 1'000'000) << r.body;
    EXPECT_EQ(rows[i].as_array()[1].to_number<double>(), kOkQueries + kFailedQueries);
  }

  // Numbers are accepted as option values too.
  auto numeric = f().Query("vector(1)", R"({"start":0,"end":120,"step":60})");
  ASSERT_EQ(numeric.status, 200) << numeric.body;
  EXPECT_NE(
      numeric.body.find(
          R"("rows":[["1970-01-01T00:00:00Z",1.0],["1970-01-01T00:01:00Z",1.0],["1970-01-01T00:02:00Z",1.0]])"),
      std::string::npos)
      << numeric.body;
}

TEST_F(PrometheusIntegrationTest, LabelColumnsAreTheUnionOverSeries) {
  // The in-flight gauge has no outcome/source/type labels: NULL there.
  auto r = f().Query("{job=\"" + f().job +
                         "\",__name__=~\"tributary_http_requests_in_flight|"
                         "tributary_source_queries_total\",source!=\"prom\"}",
                     "");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object result = ParseObject(r.body);
  const auto names = ColumnNames(result);
  EXPECT_EQ(names, (std::vector<std::string>{"timestamp", "__name__", "instance", "job", "outcome",
                                             "source", "type", "value"}));
  bool saw_gauge = false;
  for (const auto& row : result.at("rows").as_array()) {
    const auto& cells = row.as_array();
    if (cells[IndexOf(names, "__name__")].as_string() == "tributary_http_requests_in_flight") {
      saw_gauge = true;
      EXPECT_TRUE(cells[IndexOf(names, "outcome")].is_null());
      EXPECT_TRUE(cells[IndexOf(names, "source")].is_null());
    }
  }
  EXPECT_TRUE(saw_gauge) << r.body;

  // Aggregated away: no label columns at all, and `by` keeps exactly the named one.
  auto by = f().Query(
      "sum by (outcome) (" + JobSelector("tributary_source_queries_total", ",source=\"mem\"") + ")",
      "");
  ASSERT_EQ(by.status, 200) << by.body;
  EXPECT_EQ(ColumnNames(ParseObject(by.body)),
            (std::vector<std::string>{"timestamp", "outcome", "value"}));
}

TEST_F(PrometheusIntegrationTest, LabelsNamedLikeTheSampleColumnsAreRenamed) {
  auto r = f().Query(
      R"(label_replace(label_replace(vector(5), "value", "v", "", ""), "timestamp", "t", "", ""))",
      R"({"time":"1700000000"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object result = ParseObject(r.body);
  EXPECT_EQ(ColumnNames(result),
            (std::vector<std::string>{"timestamp", "label_timestamp", "label_value", "value"}));
  EXPECT_NE(r.body.find(R"("rows":[["2023-11-14T22:13:20Z","t","v",5.0]])"), std::string::npos)
      << r.body;
}

TEST_F(PrometheusIntegrationTest, RowLimitTruncates) {
  auto r = f().Query("time()", R"({"start":"0","end":"99","step":"1"})", R"(,"limit":10)");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object result = ParseObject(r.body);
  EXPECT_EQ(result.at("rows").as_array().size(), 10u);
  EXPECT_EQ(result.at("stats").as_object().at("truncated").as_bool(), true);
  EXPECT_EQ(result.at("stats").as_object().at("truncatedBy").as_string(), "rows");
  EXPECT_EQ(result.at("rows").as_array()[9].as_array()[1].to_number<double>(), 9);
}

TEST_F(PrometheusIntegrationTest, SpecialValues) {
  auto r = f().Query("vector(0) / 0", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"NaN\""), std::string::npos) << r.body;
  auto inf = f().Query("vector(1) / 0", "");
  ASSERT_EQ(inf.status, 200) << inf.body;
  EXPECT_NE(inf.body.find("\"Infinity\""), std::string::npos) << inf.body;
  auto neg = f().Query("vector(-1) / 0", "");
  EXPECT_NE(neg.body.find("\"-Infinity\""), std::string::npos) << neg.body;
  // Scalar and string results.
  auto scalar = f().Query("scalar(vector(2.5))", R"({"time":"1700000000"})");
  ASSERT_EQ(scalar.status, 200) << scalar.body;
  EXPECT_NE(scalar.body.find(R"("rows":[["2023-11-14T22:13:20Z",2.5]])"), std::string::npos)
      << scalar.body;
  auto text = f().Query("\"hello\"", R"({"time":"1700000000"})");
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_NE(text.body.find(R"("rows":[["2023-11-14T22:13:20Z","hello"]])"), std::string::npos)
      << text.body;
}

TEST_F(PrometheusIntegrationTest, BadPromQLIsAQueryErrorWithPrometheusMessage) {
  auto r = f().Query("sum(rate(x[1m])", "");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("QUERY_ERROR"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("parse error"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("source 'prom'"), std::string::npos) << r.body;
}

TEST_F(PrometheusIntegrationTest, OptionErrors) {
  auto unknown = f().Query("up", R"({"index":"logs"})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("INVALID_ARGUMENT"), std::string::npos) << unknown.body;
  EXPECT_NE(unknown.body.find("time, start, end, step"), std::string::npos) << unknown.body;

  auto too_many = f().Query("up", R"({"start":"now-1d","step":"1s"})");
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_NE(too_many.body.find("max_points"), std::string::npos) << too_many.body;
  EXPECT_NE(too_many.body.find("step=8s"), std::string::npos) << too_many.body;

  auto bad_time = f().Query("up", R"({"time":"yesterday"})");
  EXPECT_EQ(bad_time.status, 400) << bad_time.body;
  EXPECT_NE(bad_time.body.find("option time"), std::string::npos) << bad_time.body;

  // The body's shape: options must be an object of scalars.
  auto not_object = f().Query("up", R"(["start"])");
  EXPECT_EQ(not_object.status, 400) << not_object.body;
  EXPECT_NE(not_object.body.find("'options' must be an object"), std::string::npos)
      << not_object.body;
  auto nested = f().Query("up", R"({"step":{"s":1}})");
  EXPECT_EQ(nested.status, 400) << nested.body;
  EXPECT_NE(nested.body.find("'options.step'"), std::string::npos) << nested.body;

  // A SQL source takes no options.
  auto sql_source =
      PostQuery(f().server->port(), R"({"source":"mem","sql":"SELECT 1","options":{"step":"1m"}})");
  EXPECT_EQ(sql_source.status, 400) << sql_source.body;
  EXPECT_NE(sql_source.body.find("takes no per-query options"), std::string::npos)
      << sql_source.body;

  // Parameters are refused: PromQL has no placeholders.
  auto params = f().Query("up", "", R"(,"params":[1])");
  EXPECT_EQ(params.status, 400) << params.body;
  EXPECT_NE(params.body.find("no query parameters"), std::string::npos) << params.body;
}

TEST_F(PrometheusIntegrationTest, SchemaRoutes) {
  testing::HttpClient http(f().server->port(), 30s);
  auto tables = http.Get("/api/v1/sources/prom/tables");
  ASSERT_EQ(tables.status, 200) << tables.body;
  EXPECT_NE(tables.body.find(R"("name":"tributary_source_queries_total")"), std::string::npos);
  EXPECT_NE(tables.body.find(R"("kind":"metric")"), std::string::npos);

  auto described = http.Get("/api/v1/sources/prom/tables/tributary_source_queries_total");
  ASSERT_EQ(described.status, 200) << described.body;
  json::object d = ParseObject(described.body);
  std::vector<std::string> columns;
  for (const auto& c : d.at("columns").as_array()) {
    columns.emplace_back(c.as_object().at("name").as_string());
  }
  EXPECT_EQ(columns.front(), "timestamp");
  EXPECT_EQ(columns.back(), "value");
  for (const char* label : {"__name__", "instance", "job", "outcome", "source", "type"}) {
    EXPECT_NE(IndexOf(columns, label), columns.size()) << label << " in " << described.body;
  }

  auto missing = http.Get("/api/v1/sources/prom/tables/trib_no_such_metric_anywhere");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_NE(missing.body.find("NOT_FOUND"), std::string::npos) << missing.body;
}

TEST_F(PrometheusIntegrationTest, HealthNamesTheVersion) {
  auto connector = OpenConnector(Env("TRIB_TEST_PROMETHEUS_PASSWORD"));
  ASSERT_NE(connector, nullptr);
  auto health = connector->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_NE(health->detail.find("Prometheus 2.42"), std::string::npos) << health->detail;
  EXPECT_GT(health->latency.count(), 0);
  EXPECT_EQ(connector->capabilities().dialect, "promql");
  EXPECT_FALSE(connector->capabilities().parameters);

  // Through the API: the source is healthy and says it speaks PromQL.
  testing::HttpClient http(f().server->port(), 30s);
  std::string body;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        body = http.Get("/api/v1/sources").body;
        return body.find(R"("id":"prom","type":"prometheus","status":"ok")") != std::string::npos;
      },
      10s))
      << body;
  EXPECT_NE(body.find("\"promql\""), std::string::npos) << body;
}

TEST_F(PrometheusIntegrationTest, WrongPasswordIsUnavailable) {
  auto connector = OpenConnector("wrong-password");
  ASSERT_NE(connector, nullptr);
  QueryRequest request;
  request.sql = "up";
  auto result = connector->Execute(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kUnavailable) << result.status().ToString();
  EXPECT_NE(result.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(result.status().message().find("wrong-password"), std::string::npos);
}

TEST_F(PrometheusIntegrationTest, TimeoutStopsTheQuery) {
  auto connector = OpenConnector(Env("TRIB_TEST_PROMETHEUS_PASSWORD"));
  ASSERT_NE(connector, nullptr);
  std::string slow;
  for (int i = 0; i < 300; ++i)
    slow += (i ? " + " : "") + std::string("count_over_time(vector(1)[100s:1ms])");
  QueryRequest request;
  request.sql = slow;
  request.options = {{"time", "1000000"}};
  request.timeout = 400ms;
  const auto start = std::chrono::steady_clock::now();
  auto result = connector->Execute(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDeadlineExceeded) << result.status().ToString();
  EXPECT_LT(elapsed, 3s);
}

TEST_F(PrometheusIntegrationTest, CliQueryWithOptions) {
  const std::string config = f().dir.File("tributary.yaml");
  auto instant = testing::RunTributary(
      {"query", "--config", config, "--source", "prom", "--format", "json", "--option", "time=now",
       JobSelector("tributary_source_queries_total", ",source=\"mem\",outcome=\"ok\"")});
  ASSERT_EQ(instant.exit_code, 0) << instant.err << instant.out;
  json::object result = ParseObject(instant.out);
  ASSERT_EQ(result.at("rows").as_array().size(), 1u) << instant.out;
  const auto names = ColumnNames(result);
  EXPECT_EQ(result.at("rows").as_array()[0].as_array()[IndexOf(names, "value")].to_number<double>(),
            kOkQueries);

  auto range = testing::RunTributary({"query", "--config", config, "--source", "prom", "--format",
                                      "csv", "--option", "start=0", "--option", "end=180",
                                      "--option", "step=1m", "vector(3)"});
  ASSERT_EQ(range.exit_code, 0) << range.err << range.out;
  EXPECT_EQ(range.out,
            "timestamp,value\r\n1970-01-01T00:00:00Z,3.0\r\n1970-01-01T00:01:00Z,3.0\r\n"
            "1970-01-01T00:02:00Z,3.0\r\n1970-01-01T00:03:00Z,3.0\r\n");

  auto unknown = testing::RunTributary(
      {"query", "--config", config, "--source", "prom", "--option", "bogus=1", "up"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("unknown query option 'bogus'"), std::string::npos) << unknown.err;

  auto malformed = testing::RunTributary(
      {"query", "--config", config, "--source", "prom", "--option", "step", "up"});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.err;
  EXPECT_NE(malformed.err.find("is not KEY=VALUE"), std::string::npos) << malformed.err;
}

}  // namespace
}  // namespace tributary
