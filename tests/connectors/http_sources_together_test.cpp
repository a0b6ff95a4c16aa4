// Issue 6's "done when", in one config: a BigQuery source with a service-account key from the
// environment (protocol-level test server), the real Prometheus of scripts/test-servers.sh, an
// Elasticsearch (protocol-level test server) and a JSON API (local server), side by side in one
// project, answering through POST /api/v1/query, the schema routes, /api/v1/sources and a
// metric pack, on the real HTTP stack. Each connector's own suites test it in depth; this one
// proves they load, coexist and answer together.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "connectors/bigquery/bigquery_test_server.h"
#include "connectors/elasticsearch/es_protocol_server.h"
#include "connectors/json_api/json_api_test_support.h"
#include "orchestrator/runtime.h"
#include "support/in_process_server.h"
#include "support/packs_dataset.h"
#include "support/packs_oracle.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("trib_http_together_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string ConfigYaml(const std::string& bq_url, const std::string& es_url,
                       const std::string& crm_url) {
  return "sources:\n"
         "  warehouse:\n"
         "    type: bigquery\n"
         "    credentials_json: ${GOOGLE_APPLICATION_CREDENTIALS_JSON}\n"
         "    endpoint: " +
         bq_url +
         "\n"
         "    location: US\n"
         "  prom:\n"
         "    type: prometheus\n"
         "    url: ${TRIB_TEST_PROMETHEUS_URL}\n"
         "    user: ${TRIB_TEST_PROMETHEUS_USER}\n"
         "    password: ${TRIB_TEST_PROMETHEUS_PASSWORD}\n"
         "  logs:\n"
         "    type: elasticsearch\n"
         "    url: " +
         es_url +
         "\n"
         "    api_key: ${TRIB_TOGETHER_ES_KEY}\n"
         "    index: app-logs-*\n"
         "  crm:\n"
         "    type: json_api\n"
         "    base_url: " +
         crm_url +
         "\n"
         "    auth:\n"
         "      type: bearer\n"
         "      token: ${TRIB_TOGETHER_CRM_TOKEN}\n"
         "    tables:\n"
         "      customers:\n"
         "        path: /next/customers?status={status}\n"
         "        defaults: {status: active}\n"
         "        records: /data\n"
         "        pagination: {type: next_link, pointer: /links/next}\n"
         "        columns:\n"
         "          id: {pointer: /id, type: int64}\n"
         "          email: {pointer: /contact/email, type: string}\n"
         "projects:\n"
         "  ops:\n"
         "    sources: [warehouse, prom, logs, crm]\n"
         "    datasets:\n"
         "      llm_logs: {source: warehouse, table: 'test-project.gateway.llm_logs'}\n";
}

class HttpSourcesTogether : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"TRIB_TEST_PROMETHEUS_URL", "TRIB_TEST_PROMETHEUS_USER",
                             "TRIB_TEST_PROMETHEUS_PASSWORD"}) {
      ASSERT_FALSE(RequiredEnv(name).empty())
          << name << " is not set: run the tests through `make test` (scripts/test-servers.sh)";
    }
    // BigQuery: the generated LLM-gateway rows the pack tests use, as gateway.llm_logs.
    bq_ = std::make_unique<bigquery_test::BigQueryTestServer>("test-project");
    db_path_ = TempPath("llm.duckdb");
    data_ = packs_test::GenerateDataset(packs_test::kDatasetSeed, false);
    ASSERT_EQ(packs_test::LoadDuckDb(db_path_, data_), "");
    ASSERT_EQ(bq_->Exec("ATTACH '" + db_path_ + "' AS src (READ_ONLY)"), "");
    ASSERT_EQ(bq_->Exec("CREATE SCHEMA gateway; CREATE TABLE gateway.llm_logs AS SELECT * FROM "
                        "src.llm_logs"),
              "");
    ::setenv("GOOGLE_APPLICATION_CREDENTIALS_JSON", bq_->KeyJson().c_str(), 1);

    // Elasticsearch: two daily log indices behind the pattern app-logs-*.
    testing::es::EsServerOptions es_options;
    es_options.api_keys = {"together-key"};
    es_ = std::make_unique<testing::es::EsProtocolServer>(es_options);
    for (const std::string day : {"2026.12.01", "2026.12.02"}) {
      ASSERT_TRUE(es_->CreateIndex("app-logs-" + day,
                                   R"({"level": {"type": "keyword"}, "n": {"type": "long"}})")
                      .ok());
      std::vector<std::pair<std::string, std::string>> docs;
      for (int i = 1; i <= 30; ++i) {
        docs.emplace_back(day + "-" + std::to_string(i), std::string(R"({"level":")") +
                                                             (i % 3 == 0 ? "error" : "info") +
                                                             R"(","n":)" + std::to_string(i) + "}");
      }
      ASSERT_TRUE(es_->AddDocuments("app-logs-" + day, docs).ok());
    }
    ::setenv("TRIB_TOGETHER_ES_KEY", "together-key", 1);

    // JSON API: 23 customers, 5 per page.
    crm_ = std::make_unique<json_api_test::CrmServer>(json_api_test::MakeCustomers(23));
    crm_->RequireAuthorization("Bearer together-token");
    ::setenv("TRIB_TOGETHER_CRM_TOKEN", "together-token", 1);

    config_path_ = TempPath("tributary.yaml");
    std::ofstream(config_path_) << ConfigYaml(bq_->url(), es_->url(), crm_->url());
    Result<Config> config = LoadConfigFile(config_path_);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    runtime_ = Runtime::Open(std::move(*config));
    std::string error;
    server_ = testing::InProcessServer::Start(runtime_, &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  void TearDown() override {
    server_.reset();
    runtime_.reset();
    crm_.reset();
    es_.reset();
    bq_.reset();
    std::filesystem::remove(config_path_);
    std::filesystem::remove(db_path_);
  }

  json::value Query(const std::string& source, const std::string& sql,
                    const std::string& options = "") {
    json::object body{{"project", "ops"}, {"source", source}, {"sql", sql}};
    if (!options.empty()) body["options"] = json::parse(options);
    testing::HttpResponse r = testing::PostQuery(server_->port(), json::serialize(body));
    EXPECT_EQ(r.status, 200) << source << ": " << r.body.substr(0, 2000);
    return r.status == 200 ? json::parse(r.body) : json::value();
  }

  packs_test::Dataset data_;
  std::unique_ptr<bigquery_test::BigQueryTestServer> bq_;
  std::unique_ptr<testing::es::EsProtocolServer> es_;
  std::unique_ptr<json_api_test::CrmServer> crm_;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<testing::InProcessServer> server_;
  std::string config_path_;
  std::string db_path_;
};

TEST_F(HttpSourcesTogether, EveryProtocolLevelAndRealSourceAnswersInOneProject) {
  // BigQuery: GoogleSQL, computed by the test server over the generated rows.
  json::value bq = Query("warehouse",
                         "SELECT COUNT(*) AS n FROM `test-project.gateway.llm_logs` "
                         "WHERE latency_ms >= 0 OR latency_ms IS NULL");
  ASSERT_TRUE(bq.is_object());
  const auto& bq_rows = bq.at("rows").as_array();
  ASSERT_EQ(bq_rows.size(), 1u);
  EXPECT_EQ(bq_rows.at(0).as_array().at(0).to_number<int64_t>(),
            static_cast<int64_t>(data_.llm.size()));

  // Prometheus: its own build info, scraped from itself (real server).
  json::value prom = Query("prom", "prometheus_build_info");
  ASSERT_TRUE(prom.is_object());
  EXPECT_GE(prom.at("rows").as_array().size(), 1u) << json::serialize(prom);

  // Elasticsearch: SQL over the pattern's indices, and the query DSL.
  json::value es_sql =
      Query("logs", "SELECT count(*) AS n FROM \"app-logs-*\" WHERE level = 'error'");
  ASSERT_TRUE(es_sql.is_object());
  EXPECT_EQ(es_sql.at("rows").at(0).at(0).to_number<int64_t>(), 20);
  json::value es_dsl = Query("logs", R"({"query": {"range": {"n": {"gt": 25}}}})");
  ASSERT_TRUE(es_dsl.is_object());
  EXPECT_EQ(es_dsl.at("rows").as_array().size(), 10u);

  // JSON API: SQL over the fetched pages, a template value from the query's options.
  int64_t closed = 0;
  for (const auto& c : crm_->customers()) closed += c.status == "closed";
  json::value crm = Query("crm", "SELECT count(*) AS n FROM customers", R"({"status": "closed"})");
  ASSERT_TRUE(crm.is_object());
  EXPECT_EQ(crm.at("rows").at(0).at(0).to_number<int64_t>(), closed);
}

TEST_F(HttpSourcesTogether, SchemaRoutesAndSourceListCoverAllFour) {
  testing::HttpClient client(server_->port());
  testing::HttpResponse sources = client.Get("/api/v1/sources");
  ASSERT_EQ(sources.status, 200) << sources.body;
  for (const std::string id : {"warehouse", "prom", "logs", "crm"}) {
    EXPECT_NE(sources.body.find("\"" + id + "\""), std::string::npos) << id;
  }
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"warehouse", "llm_logs"},
      {"prom", "prometheus_build_info"},
      {"logs", "app-logs-2026.12.01"},
      {"crm", "customers"}};
  for (const auto& [id, table] : expected) {
    testing::HttpResponse tables = client.Get("/api/v1/sources/" + id + "/tables");
    ASSERT_EQ(tables.status, 200) << id << ": " << tables.body;
    EXPECT_NE(tables.body.find("\"" + table + "\""), std::string::npos)
        << id << ": " << tables.body;
  }
  testing::HttpResponse described = client.Get("/api/v1/sources/crm/tables/customers");
  ASSERT_EQ(described.status, 200) << described.body;
  EXPECT_NE(described.body.find("\"email\""), std::string::npos) << described.body;
}

TEST_F(HttpSourcesTogether, MetricPackRunsOnTheBigQuerySource) {
  testing::HttpClient client(server_->port());
  testing::HttpResponse r = client.Get(
      "/api/v1/projects/ops/metrics/llm/daily_traffic?asOf=2026-11-21T13:00:00Z&days=30");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 2000);
  json::value envelope = json::parse(r.body);
  EXPECT_EQ(envelope.at("meta").at("sources").at(0).at("id"), "warehouse");
  EXPECT_EQ(envelope.at("meta").at("sources").at(0).at("status"), "ok");
  // Thirty days of daily traffic, computed over the generated rows: the same totals as the
  // C++ oracle (the BigQuery suite compares every field of every metric).
  packs_test::OracleAnswer oracle = packs_test::OracleData(
      data_, "llm", "daily_traffic", {{"asOf", "2026-11-21T13:00:00Z"}, {"days", "30"}});
  ASSERT_EQ(oracle.error, "");
  auto total = [](const json::value& days) {
    int64_t requests = 0;
    for (const auto& day : days.as_array()) requests += day.at("requests").to_number<int64_t>();
    return requests;
  };
  const int64_t expected = total(json::parse(oracle.json));
  EXPECT_GT(expected, 0);
  EXPECT_EQ(total(envelope.at("data")), expected);
}

}  // namespace
}  // namespace tributary
