// End-to-end protocol-level tests of the BigQuery connector: a config whose BigQuery source
// takes its service-account key from an environment variable (credentials_json:
// ${GOOGLE_APPLICATION_CREDENTIALS_JSON}) and points at BigQueryTestServer, used through
// `tributary query`, POST /api/v1/query, the schema routes and the metric packs. The `llm`
// pack reads gateway.llm_logs and the `web` pack a GA4-export-shaped dataset (events_YYYYMMDD
// shards with nested event_params, some ga_session_id values sent as text), both built from the
// generated rows of the pack suites (tests/support/packs_dataset.h); every metric's answer is
// compared with the oracle (tests/support/packs_oracle.h). Cost warnings and refusals are
// checked through the API with project and source `limits:`.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "config/config.h"
#include "connectors/bigquery/bigquery_test_server.h"
#include "connectors/common/http_client.h"
#include "core/time_util.h"
#include "metrics/pack.h"
#include "orchestrator/runtime.h"
#include "support/in_process_server.h"
#include "support/packs_dataset.h"
#include "support/packs_oracle.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;
using bigquery_test::BigQueryTestServer;
using testing::InProcessServer;

constexpr const char* kAsOf = "2026-11-21T13:00:00Z";

const packs_test::Dataset& Rows() {
  static const packs_test::Dataset data =
      packs_test::GenerateDataset(packs_test::kDatasetSeed, false);
  return data;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("trib_bq_e2e_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// The GA4 shards: one events_YYYYMMDD table per UTC day of the rows, in the export's layout.
std::string LoadGa4(BigQueryTestServer& server) {
  std::set<int64_t> days;
  for (const auto& r : Rows().web) {
    days.insert(r.ts >= 0 ? r.ts / 86'400'000'000LL
                          : -((-r.ts + 86'399'999'999LL) / 86'400'000'000LL));
  }
  std::string error = server.Exec("CREATE SCHEMA analytics_123456");
  if (!error.empty()) return error;
  for (int64_t day : days) {
    std::string date = FormatDate(day);
    std::string suffix = date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2);
    const std::string param =
        "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, float_value "
        "DOUBLE, double_value DOUBLE))";
    std::string sql =
        "CREATE TABLE analytics_123456.events_" + suffix + " AS SELECT '" + suffix +
        "' AS event_date, epoch_us(w.event_timestamp) AS event_timestamp, w.event_name, "
        "w.user_pseudo_id, w.user_id, "
        "list_filter(["
        "CAST({'key': 'ga_session_id', 'value': {'string_value': CASE WHEN w.ga_session_id % 5 "
        "= 0 THEN CAST(w.ga_session_id AS VARCHAR) END, 'int_value': CASE WHEN w.ga_session_id "
        "% 5 <> 0 THEN w.ga_session_id END, 'float_value': NULL, 'double_value': NULL}} AS " +
        param +
        "), CAST({'key': 'page_location', 'value': {'string_value': w.page_location, "
        "'int_value': NULL, 'float_value': NULL, 'double_value': NULL}} AS " +
        param +
        "), CAST({'key': 'currency', 'value': {'string_value': w.currency, 'int_value': NULL, "
        "'float_value': NULL, 'double_value': NULL}} AS " +
        param +
        ")], p -> p.value.string_value IS NOT NULL OR p.value.int_value IS NOT NULL) AS "
        "event_params, "
        "CASE WHEN w.purchase_revenue IS NULL THEN NULL ELSE {'purchase_revenue': "
        "w.purchase_revenue, 'transaction_id': 'T' || w.user_pseudo_id} END AS ecommerce "
        "FROM src.web_events AS w WHERE CAST(w.event_timestamp AS DATE) = DATE '" +
        date + "'";
    error = server.Exec(sql);
    if (!error.empty()) return error;
  }
  return "";
}

struct Fixture {
  std::unique_ptr<BigQueryTestServer> bq;
  std::shared_ptr<Runtime> runtime;
  std::unique_ptr<InProcessServer> server;
  std::string config_path;
  std::string error;
};

std::string ConfigYaml(const std::string& endpoint) {
  return "sources:\n"
         "  bq:\n"
         "    type: bigquery\n"
         "    credentials_json: ${GOOGLE_APPLICATION_CREDENTIALS_JSON}\n"
         "    endpoint: " +
         endpoint +
         "\n"
         "    location: US\n"
         "    page_size: 700\n"
         "    labels: {app: tributary}\n"
         "  bq_cheap:\n"
         "    type: bigquery\n"
         "    credentials_json: ${GOOGLE_APPLICATION_CREDENTIALS_JSON}\n"
         "    endpoint: " +
         endpoint +
         "\n"
         "    limits: {cost_warn_bytes: 100, cost_deny_bytes: 5000}\n"
         "projects:\n"
         "  bq_packs:\n"
         "    sources: [bq]\n"
         "    datasets:\n"
         "      llm_logs: {source: bq, table: 'test-project.gateway.llm_logs'}\n"
         "      web_events: {source: bq, table: 'test-project.analytics_123456.events_*'}\n"
         "  bq_warned:\n"
         "    sources: [bq]\n"
         "    limits: {cost_warn_bytes: 1000, cost_deny_bytes: 1000000000}\n"
         "    datasets:\n"
         "      llm_logs: {source: bq, table: 'test-project.gateway.llm_logs'}\n"
         "  bq_costly:\n"
         "    sources: [bq]\n"
         "    limits: {cost_warn_bytes: 1000, cost_deny_bytes: 20000}\n"
         "    datasets:\n"
         "      llm_logs: {source: bq, table: 'test-project.gateway.llm_logs'}\n";
}

// Built on first use; torn down by the environment below before static destruction, so no
// server thread is still answering while the process's statics are being destroyed.
Fixture*& SharedSlot() {
  static Fixture* fixture = nullptr;
  return fixture;
}

class SharedFixtureEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    Fixture* f = SharedSlot();
    if (!f) return;
    f->server.reset();
    if (f->runtime) f->runtime.reset();
    f->bq.reset();
  }
};

[[maybe_unused]] ::testing::Environment* const kSharedFixtureEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedFixtureEnvironment);

Fixture& Shared() {
  static Fixture* fixture = SharedSlot() = [] {
    auto* f = new Fixture;
    f->bq = std::make_unique<BigQueryTestServer>("test-project");
    const std::string db = TempPath("src.duckdb");
    f->error = packs_test::LoadDuckDb(db, Rows());
    if (!f->error.empty()) return f;
    f->error = f->bq->Exec("ATTACH '" + db + "' AS src (READ_ONLY)");
    if (f->error.empty()) {
      f->error = f->bq->Exec(
          "CREATE SCHEMA gateway; CREATE TABLE gateway.llm_logs AS SELECT * FROM src.llm_logs;"
          "CREATE SCHEMA shop; CREATE TABLE shop.items AS SELECT i AS id, 'item ' || i AS name, "
          "i * 1.5 AS price FROM range(40) t(i)");
    }
    if (f->error.empty()) f->error = LoadGa4(*f->bq);
    if (!f->error.empty()) return f;
    // The key reaches the config only through the environment, as in production.
    ::setenv("GOOGLE_APPLICATION_CREDENTIALS_JSON", f->bq->KeyJson().c_str(), 1);
    f->config_path = TempPath("tributary.yaml");
    std::ofstream(f->config_path) << ConfigYaml(f->bq->url());
    Result<Config> config = LoadConfigFile(f->config_path);
    if (!config.ok()) {
      f->error = config.status().ToString();
      return f;
    }
    f->runtime = Runtime::Open(std::move(*config));
    f->server = InProcessServer::Start(f->runtime, &f->error);
    return f;
  }();
  return *fixture;
}

class BigQueryProtocolEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    Fixture& f = Shared();
    ASSERT_EQ(f.error, "");
    ASSERT_NE(f.server, nullptr);
  }
  uint16_t port() { return Shared().server->port(); }
};

TEST_F(BigQueryProtocolEndToEnd, QueryApi) {
  testing::HttpResponse r = testing::PostQuery(
      port(),
      R"({"source":"bq","sql":"SELECT id, name, price FROM `shop.items` WHERE id < ? ORDER BY id","params":[3]})");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  // price is i * 1.5, a NUMERIC: exact decimal text, without trailing zeros as BigQuery sends.
  EXPECT_NE(r.body.find(R"("rows":[[0,"item 0",0],[1,"item 1",1.5],[2,"item 2",3]])"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(v.at("columns").at(2).at("sourceType"), "NUMERIC");
  EXPECT_EQ(v.at("columns").at(0).at("sourceType"), "INT64");
  EXPECT_FALSE(v.as_object().contains("meta")) << "no warning below the default threshold";

  testing::HttpResponse bad =
      testing::PostQuery(port(), R"({"source":"bq","sql":"SELECT nope FROM `shop.items`"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("QUERY_ERROR"), std::string::npos) << bad.body;
}

TEST_F(BigQueryProtocolEndToEnd, CostWarningAndLimitThroughTheApi) {
  // shop.items: 40 rows x 3 columns x 8 bytes = 960 bytes; bq_cheap warns above 100 bytes.
  testing::HttpResponse warned =
      testing::PostQuery(port(), R"({"source":"bq_cheap","sql":"SELECT id FROM `shop.items`"})");
  ASSERT_EQ(warned.status, 200) << warned.body;
  json::value v = json::parse(warned.body);
  const auto& warning = v.at("meta").at("warnings").at(0);
  EXPECT_EQ(warning.at("code"), "COST_WARNING");
  EXPECT_EQ(warning.at("bytes").to_number<int64_t>(), 960);
  EXPECT_GT(warning.at("usd").to_number<double>(), 0);

  // gateway.llm_logs is far above bq_cheap's 5000-byte limit.
  testing::HttpResponse denied = testing::PostQuery(
      port(), R"({"source":"bq_cheap","sql":"SELECT COUNT(*) FROM `gateway.llm_logs`"})");
  EXPECT_EQ(denied.status, 400) << denied.body;
  EXPECT_NE(denied.body.find("COST_LIMIT"), std::string::npos) << denied.body;
  EXPECT_NE(denied.body.find("sources.bq_cheap.limits.cost_deny_bytes"), std::string::npos)
      << denied.body;

  // A project's limits apply to its metrics: bq_costly refuses what bq_packs allows.
  testing::HttpClient client(port());
  testing::HttpResponse metric =
      client.Get("/api/v1/projects/bq_costly/metrics/llm/realtime_kpi?asOf=2026-11-21T13:00:00Z");
  EXPECT_NE(metric.body.find("COST_LIMIT"), std::string::npos) << metric.body;
  EXPECT_NE(metric.body.find("projects.bq_costly.limits.cost_deny_bytes"), std::string::npos)
      << metric.body;
}

TEST_F(BigQueryProtocolEndToEnd, CostWarningInTheMetricEnvelope) {
  testing::HttpClient client(port());
  testing::HttpResponse r =
      client.Get("/api/v1/projects/bq_warned/metrics/llm/realtime_kpi?asOf=2026-11-21T13:00:00Z");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  const auto& warning = v.at("meta").at("warnings").at(0);
  EXPECT_EQ(warning.at("code"), "COST_WARNING");
  EXPECT_EQ(warning.at("source"), "bq");
  EXPECT_GT(warning.at("bytes").to_number<int64_t>(), 1000);
  EXPECT_NE(std::string(warning.at("message").as_string()).find("warning threshold of 1000 bytes"),
            std::string::npos)
      << r.body;
  // The same metric under the default thresholds carries no warning.
  testing::HttpResponse plain =
      client.Get("/api/v1/projects/bq_packs/metrics/llm/realtime_kpi?asOf=2026-11-21T13:00:00Z");
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_FALSE(json::parse(plain.body).at("meta").as_object().contains("warnings"));
}

TEST_F(BigQueryProtocolEndToEnd, SchemaRoutes) {
  testing::HttpClient client(port());
  testing::HttpResponse tables = client.Get("/api/v1/sources/bq/tables");
  ASSERT_EQ(tables.status, 200) << tables.body;
  EXPECT_NE(tables.body.find("\"llm_logs\""), std::string::npos);
  EXPECT_NE(tables.body.find("\"gateway\""), std::string::npos);
  EXPECT_NE(tables.body.find("events_2026"), std::string::npos);
  testing::HttpResponse one =
      client.Get("/api/v1/sources/bq/tables/analytics_123456.events_20261120");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_NE(one.body.find("ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING"),
            std::string::npos)
      << one.body;
  testing::HttpResponse missing = client.Get("/api/v1/sources/bq/tables/shop.nope");
  EXPECT_EQ(missing.status, 404) << missing.body;
}

TEST_F(BigQueryProtocolEndToEnd, CliQuery) {
  std::string command = std::string(TRIBUTARY_BINARY) + " query --config " + Shared().config_path +
                        " --source bq --format csv \"SELECT id, name FROM \\`shop.items\\` "
                        "WHERE id IN (4, 5) ORDER BY id\" 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_EQ(out, "id,name\r\n4,item 4\r\n5,item 5\r\n");
}

// Equal JSON, doubles to 1e-9 relative; "" or the first differing path.
std::string Difference(const json::value& a, const json::value& b, const std::string& path) {
  if (a.is_number() && b.is_number()) {
    double x = a.to_number<double>(), y = b.to_number<double>();
    if (std::fabs(x - y) <= 1e-9 * std::max(1.0, std::max(std::fabs(x), std::fabs(y)))) return "";
    return path + ": " + json::serialize(a) + " vs " + json::serialize(b);
  }
  if (a.kind() != b.kind()) return path + ": " + json::serialize(a) + " vs " + json::serialize(b);
  if (a.is_array()) {
    if (a.as_array().size() != b.as_array().size()) return path + ": array sizes differ";
    for (size_t i = 0; i < a.as_array().size(); ++i) {
      auto d = Difference(a.as_array()[i], b.as_array()[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a.is_object()) {
    if (a.as_object().size() != b.as_object().size()) return path + ": object sizes differ";
    for (const auto& [k, v] : a.as_object()) {
      if (!b.as_object().contains(k)) return path + "." + std::string(k) + " missing";
      auto d = Difference(v, b.as_object().at(k), path + "." + std::string(k));
      if (!d.empty()) return d;
    }
    return "";
  }
  return a == b ? "" : path + ": " + json::serialize(a) + " vs " + json::serialize(b);
}

struct PackCase {
  std::string pack, metric;
  packs_test::OracleParams params;
};

// What ctest prints for a case: "web/daily asOf=... days=7", not the bytes of the struct.
void PrintTo(const PackCase& c, std::ostream* os) {
  *os << c.pack << "/" << c.metric;
  for (const auto& [name, value] : c.params) *os << " " << name << "=" << value;
}

// Two parameter sets per metric: the default window, and a second one of the metric's own
// window kind with a fractional asOf (sample_logs: a page further in).
std::vector<PackCase> PackCases() {
  std::vector<PackCase> cases;
  auto catalog = PackCatalog::LoadEmbedded();
  if (!catalog.ok()) {
    ADD_FAILURE() << catalog.status().ToString();
    return cases;
  }
  for (const std::string pack_name : {"llm", "web"}) {
    const Pack* pack = (*catalog)->Find(pack_name);
    if (!pack) {
      ADD_FAILURE() << "no pack " << pack_name;
      continue;
    }
    for (const auto& metric : packs_test::OracleMetricNames(pack_name)) {
      cases.push_back({pack_name, metric, {{"asOf", kAsOf}}});
      const MetricDef* def = pack->FindMetric(metric);
      packs_test::OracleParams second = {{"asOf", "2026-11-21T13:00:00.25Z"}};
      if (metric == "sample_logs") {
        second = {{"asOf", kAsOf}, {"limit", "7"}, {"offset", "3"}};
      } else if (def && (def->window == WindowKind::kDays || def->window == WindowKind::kRange)) {
        second.emplace_back("days", "7");
      } else if (def && def->window == WindowKind::kHours) {
        second.emplace_back("hours", "6");
      }
      cases.push_back({pack_name, metric, second});
      if (metric == "kpis") {
        cases.push_back({pack_name, metric, {{"asOf", kAsOf}, {"currency", "USD"}}});
      }
      if (metric == "sample_logs") {
        // The filters (docs/packs.md): each alone, combined, a page further in, none matching.
        const packs_test::OracleParams filters[] = {
            {{"tenant", "ACME"}, {"limit", "1000"}},
            {{"tenant", "globex "}, {"limit", "1000"}},
            {{"tenant", "\xC3\x9Cmlaut-Corp"}},
            {{"model", "claude-3"}, {"limit", "20"}},
            {{"status", "error"}, {"limit", "1000"}},
            {{"errorType", "unknown"}, {"limit", "1000"}},
            {{"anomaly", "true"}, {"limit", "1000"}},
            {{"anomaly", "false"}, {"limit", "50"}, {"offset", "20"}},
            {{"search", "JOS"}, {"limit", "1000"}},
            {{"search", "-b"}, {"limit", "9"}, {"offset", "4"}},
            {{"tenant", "globex"}, {"status", "error"}, {"anomaly", "false"}, {"limit", "1000"}},
            {{"tenant", "acme"},
             {"model", "gpt-4o"},
             {"status", "error"},
             {"errorType", "quota"},
             {"anomaly", "false"},
             {"search", "REQ"}},
            {{"tenant", "globex"}, {"status", "success"}, {"limit", "7"}, {"offset", "14"}},
            {{"tenant", "acme"}, {"model", "no-such-model"}},
        };
        for (const auto& filter : filters) {
          packs_test::OracleParams p = {{"asOf", kAsOf}};
          p.insert(p.end(), filter.begin(), filter.end());
          cases.push_back({pack_name, metric, p});
        }
      }
      if (metric == "funnel") {
        cases.push_back(
            {pack_name, metric, {{"asOf", kAsOf}, {"steps", "session_start,page_view,purchase"}}});
      }
    }
  }
  return cases;
}

class BigQueryProtocolPacks : public ::testing::TestWithParam<PackCase> {};

TEST_P(BigQueryProtocolPacks, MatchesOracle) {
  const PackCase& c = GetParam();
  Fixture& f = Shared();
  ASSERT_EQ(f.error, "");
  std::string target = "/api/v1/projects/bq_packs/metrics/" + c.pack + "/" + c.metric;
  char sep = '?';
  for (const auto& [k, v] : c.params) {
    target += sep + UrlEncode(k) + "=" + UrlEncode(v);
    sep = '&';
  }
  testing::HttpClient client(f.server->port());
  testing::HttpResponse r = client.Get(target);
  ASSERT_EQ(r.status, 200) << "GET " << target << "\n" << r.body.substr(0, 3000);
  json::value envelope = json::parse(r.body);
  packs_test::OracleAnswer oracle = packs_test::OracleData(Rows(), c.pack, c.metric, c.params);
  ASSERT_EQ(oracle.error, "");
  EXPECT_EQ(Difference(json::parse(oracle.json), envelope.at("data"), "data"), "")
      << "GET " << target << "\nAPI:    " << r.body.substr(0, 1500)
      << "\noracle: " << oracle.json.substr(0, 1500);
  EXPECT_EQ(envelope.at("meta").at("sources").at(0).at("status"), "ok");
}

// sample_logs' filters page: the pages of a filtered list concatenate to the oracle's whole
// filtered list, and a value a parameter's pattern refuses is a 400 INVALID_ARGUMENT.
TEST(BigQueryProtocolLogFilters, FilteredPagesConcatenateToTheOracleList) {
  Fixture& f = Shared();
  ASSERT_EQ(f.error, "");
  const packs_test::OracleParams filter = {{"tenant", "globex"}, {"anomaly", "false"}};
  packs_test::OracleParams all = {{"asOf", kAsOf}, {"limit", "1000"}};
  all.insert(all.end(), filter.begin(), filter.end());
  packs_test::OracleAnswer oracle = packs_test::OracleData(Rows(), "llm", "sample_logs", all);
  ASSERT_EQ(oracle.error, "");
  json::value expected = json::parse(oracle.json);
  ASSERT_GT(expected.as_array().size(), 60u);
  json::array pages;
  int pages_read = 0;
  for (int offset = 0;; offset += 23) {
    std::string target = "/api/v1/projects/bq_packs/metrics/llm/sample_logs?asOf=";
    target.append(UrlEncode(kAsOf)).append("&limit=23&offset=").append(std::to_string(offset));
    for (const auto& [k, v] : filter) {
      target.append("&").append(UrlEncode(k)).append("=").append(UrlEncode(v));
    }
    testing::HttpClient client(f.server->port());
    testing::HttpResponse r = client.Get(target);
    ASSERT_EQ(r.status, 200) << "GET " << target << "\n" << r.body.substr(0, 1500);
    json::array page = json::parse(r.body).at("data").as_array();
    for (auto& row : page) pages.push_back(row);
    ++pages_read;
    if (page.size() < 23) break;
    ASSERT_LT(pages_read, 100) << "the pages never end";
  }
  EXPECT_GE(pages_read, 3);
  EXPECT_EQ(Difference(expected, pages, "data"), "");
}

TEST(BigQueryProtocolLogFilters, ValuesThePatternRefusesAreInvalidArguments) {
  Fixture& f = Shared();
  ASSERT_EQ(f.error, "");
  const std::pair<std::string, std::string> bad[] = {
      {"tenant", "acme\n"}, {"status", "error'; --"}, {"anomaly", "yes"}, {"search", "50%"}};
  for (const auto& [name, value] : bad) {
    testing::HttpClient client(f.server->port());
    std::string target = "/api/v1/projects/bq_packs/metrics/llm/sample_logs?";
    target.append(UrlEncode(name)).append("=").append(UrlEncode(value));
    testing::HttpResponse r = client.Get(target);
    EXPECT_EQ(r.status, 400) << name << "=" << value << ": " << r.body;
    EXPECT_NE(r.body.find("\"INVALID_ARGUMENT\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("parameter '" + name + "' must match"), std::string::npos) << r.body;
  }
}

std::string CaseName(const ::testing::TestParamInfo<PackCase>& info) {
  std::string name = info.param.pack + "_" + info.param.metric + "_" + std::to_string(info.index);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Packs, BigQueryProtocolPacks, ::testing::ValuesIn(PackCases()), CaseName);

}  // namespace
}  // namespace tributary
