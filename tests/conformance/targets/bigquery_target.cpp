// The BigQuery conformance target ("bigquery_protocol"): the connector against the protocol-level
// test server (tests/connectors/bigquery/bigquery_test_server.h), which verifies the service-
// account JWT and executes the queries on DuckDB. The server is started lazily, once per process,
// when the suite first prepares fixtures (target constructors must not start anything).
//
// Fixtures live in the dataset `conf`, the connector's default_dataset, so the suite's
// unqualified names (conf_numbers, DescribeTable("conf_types")) resolve as in BigQuery.
// Honest capability flags: BigQuery has no interval or UUID column type; REPEATED fields cannot
// be NULL (a NULL array reads as []), so arrays are covered by the protocol tests instead of
// the NULL row here; JSON columns are not produced by the DuckDB-backed server; jobs.query runs
// DML and DDL (BigQuery has no read-only session), so the engine does not refuse writes when the
// statement guard is bypassed; the server cannot be restarted.
// Thread-safety: used by the suite's test thread only.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"
#include "connectors/bigquery/bigquery_test_server.h"

namespace tributary::conformance {
namespace {

using bigquery_test::BigQueryTestServer;

BigQueryTestServer& Server() {
  static BigQueryTestServer* server = new BigQueryTestServer("conformance-project");
  return *server;
}

class BigQueryTarget final : public Target {
 public:
  std::string name() const override { return "bigquery_protocol"; }
  std::string connector_type() const override { return "bigquery"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.timestamp_with_zone = true;  // TIMESTAMP is an instant
    c.decimal = true;              // NUMERIC
    c.json = false;
    c.arrays = false;
    c.uuid = false;
    c.interval = false;
    c.bytes = true;
    c.engine_read_only = false;
    c.credentials = true;
    c.restartable = false;
    return c;
  }

  Status PrepareFixtures() override {
    std::string error = Server().Exec(
        "CREATE SCHEMA IF NOT EXISTS conf;"
        "CREATE OR REPLACE TABLE conf.conf_types(id BIGINT, i64 BIGINT, dec DECIMAL(38,9), f64 "
        "DOUBLE, flag BOOLEAN, txt VARCHAR, day DATE, tstz TIMESTAMP, raw BLOB);"
        "INSERT INTO conf.conf_types VALUES (1, 1234567890123, 12.34, 2.5, true, 'hello', "
        "'2024-02-29', '2024-02-29 11:14:15', '\\x00\\x01hi'::BLOB), (2, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL), (3, -9223372036854775808, -99999999999999.999999, -1.5e300, "
        "false, 'Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600', '2105-12-31', "
        "'2105-12-31 23:59:59', ''::BLOB);"
        "CREATE OR REPLACE TABLE conf.conf_numbers AS SELECT i + 1 AS n FROM range(100000) "
        "t(i);");
    if (!error.empty()) return Internal("creating the BigQuery test fixtures: " + error);
    return Status::Ok();
  }

  Options BaseOptions() const override {
    return MakeOptions({{"credentials_json", Server().KeyJson()},
                        {"endpoint", Server().url()},
                        {"default_dataset", std::string("conf")},
                        {"connect_timeout_ms", int64_t{3000}}});
  }
  Options BadCredentialOptions() const override {
    return WithOverrides(BaseOptions(), {{"credentials_json", Server().KeyJson(true)}});
  }
  Options UnreachableOptions() const override {
    // Port 1 on loopback: nothing listens there; both the API and the token endpoint.
    return WithOverrides(BaseOptions(), {{"endpoint", std::string("http://127.0.0.1:1")},
                                         {"token_uri", std::string("http://127.0.0.1:1/token")}});
  }

  std::string TypesQuery() const override {
    return "SELECT id, i64, dec, f64, flag, txt, day, tstz, raw FROM conf_types ORDER BY id";
  }

  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return {{"id", ColumnType::kInt64},    {"i64", ColumnType::kInt64},
            {"dec", ColumnType::kDecimal}, {"f64", ColumnType::kDouble},
            {"flag", ColumnType::kBool},   {"txt", ColumnType::kString},
            {"day", ColumnType::kDate},    {"tstz", ColumnType::kTimestamp},
            {"raw", ColumnType::kBytes}};
  }

  std::string ExpectedTypeRowsJson() const override {
    return "["
           "[1,1234567890123,12.34,2.5,true,\"hello\",\"2024-02-29\",\"2024-02-29T11:14:15Z\","
           "\"AAFoaQ==\"],"
           "[2,null,null,null,null,null,null,null,null],"
           "[3,-9223372036854775808,-99999999999999.999999,-1.5e300,false,"
           "\"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\",\"2105-12-31\","
           "\"2105-12-31T23:59:59Z\",\"\"]"
           "]";
  }

  std::string Placeholder(int i) const override {
    (void)i;
    return "?";
  }

  //! A job the test server never completes (it answers jobComplete:false until cancelled).
  std::string SlowQuery(int seconds) const override {
    return "SELECT " + std::to_string(seconds) + " AS s " + BigQueryTestServer::kSlowMarker;
  }

  std::vector<std::string> EngineWrites() const override { return {}; }

  Status RestartServer() override {
    return Internal("the BigQuery protocol test server is not restartable");
  }
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<BigQueryTarget>(); });

}  // namespace
}  // namespace tributary::conformance
