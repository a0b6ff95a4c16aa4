// Protocol-level tests of the BigQuery connector against BigQueryTestServer (a local stand-in
// for the REST API v2 and the OAuth token endpoint that verifies the JWT's RS256 signature and
// answers queries by executing them on DuckDB): auth and token caching, jobs.query with
// jobComplete:false, getQueryResults paging, types, parameters, limits, errors, quota retries,
// timeouts and cancels through jobs.cancel, cost control, the schema browser and health.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "connectors/bigquery/bigquery_auth.h"
#include "connectors/bigquery/bigquery_connector.h"
#include "connectors/bigquery/bigquery_test_server.h"
#include "connectors/bigquery/bigquery_types.h"
#include "core/time_util.h"

namespace tributary {
namespace {

using bigquery_test::BigQueryTestServer;

Options::Entry E(OptionValue value, bool secret = false) {
  return Options::Entry{std::move(value), {}, secret};
}

class BigQueryProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(
        server_.Exec("CREATE SCHEMA sales; CREATE SCHEMA web;"
                     "CREATE TABLE sales.orders(id BIGINT, customer VARCHAR, amount "
                     "DECIMAL(38,9), paid BOOLEAN, ratio DOUBLE, day DATE, at_ts TIMESTAMP, "
                     "blob BLOB, tags VARCHAR[], address STRUCT(city VARCHAR, zip "
                     "BIGINT));"
                     "INSERT INTO sales.orders SELECT i, 'c' || i, "
                     "CAST('12345678901234567890.123456789' AS DECIMAL(38,9)) + i, i % 2 = "
                     "0, i / 4, DATE '2026-11-01' + CAST(i AS INTEGER), TIMESTAMP '2026-11-21 "
                     "13:00:00.250001' + INTERVAL (i) SECOND, '\\xAA\\x00'::BLOB, "
                     "['a', 'b' || i], {'city': 'Lyon', 'zip': 69000 + i} FROM range(10) "
                     "t(i);"
                     "CREATE TABLE web.hits(n BIGINT); INSERT INTO web.hits VALUES (1), (2);"
                     "CREATE VIEW web.hits_view AS SELECT * FROM web.hits;"),
        "");
    server_.SetTableType("web", "hits_view", "VIEW");
  }

  Options BaseOptions() {
    Options o;
    o.Set("credentials_json", E(server_.KeyJson(), true));
    o.Set("endpoint", E(server_.url()));
    o.Set("location", E(std::string("EU")));
    o.Set("labels", E(std::map<std::string, std::string>{{"team", "analytics"}}));
    o.Set("maximum_bytes_billed", E(int64_t{1} << 40));
    return o;
  }

  std::unique_ptr<Connector> Open(const Options& options) {
    auto connector = BigQueryConnectorFactory().create(SourceContext{"bq", options, "."});
    Status s = connector->Open();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return connector;
  }

  QueryRequest Request(const std::string& sql) {
    QueryRequest r;
    r.sql = sql;
    r.timeout = std::chrono::seconds(20);
    return r;
  }

  BigQueryTestServer server_;
};

TEST_F(BigQueryProtocolTest, SignedKeyIsVerifiedAndTheTokenIsCached) {
  auto bq = Open(BaseOptions());
  for (int i = 0; i < 3; ++i) {
    auto r = bq->Execute(Request("SELECT COUNT(*) AS n FROM `test-project.web.hits`"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(2));
  }
  EXPECT_EQ(server_.tokens_issued.load(), 1);
  EXPECT_EQ(server_.token_refusals.load(), 0);
}

TEST_F(BigQueryProtocolTest, ConcurrentCallersShareOneRefresh) {
  auto bq = Open(BaseOptions());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (bq->Execute(Request("SELECT 1 AS x")).ok()) ok++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(server_.tokens_issued.load(), 1);
}

TEST_F(BigQueryProtocolTest, ShortLivedTokensAreRefreshed) {
  // A token valid for 30 s is inside the 60 s refresh margin: every call fetches a new one.
  server_.token_lifetime_s = 30;
  auto bq = Open(BaseOptions());
  ASSERT_TRUE(bq->Execute(Request("SELECT 1 AS x")).ok());
  ASSERT_TRUE(bq->Execute(Request("SELECT 2 AS x")).ok());
  EXPECT_GE(server_.tokens_issued.load(), 2);
}

TEST_F(BigQueryProtocolTest, WrongKeyFailsAuthenticationWithoutLeakingIt) {
  Options o = BaseOptions();
  o.Set("credentials_json", E(server_.KeyJson(/*wrong_key=*/true), true));
  auto bq = Open(o);
  auto r = bq->Execute(Request("SELECT 1 AS x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("authentication failed"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("invalid_grant"), std::string::npos);
  EXPECT_EQ(r.status().message().find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(server_.token_refusals.load(), 1);
}

TEST_F(BigQueryProtocolTest, CredentialsFileAndTokenUriOverride) {
  std::string path = ::testing::TempDir() + "bq_protocol_key.json";
  {
    std::ofstream out(path);
    out << server_.KeyJson();
  }
  Options o;
  o.Set("credentials_file", E(path));
  o.Set("endpoint", E(server_.url()));
  // The override must be what the JWT's aud names: the server checks it.
  o.Set("token_uri", E(server_.token_uri()));
  auto bq = Open(o);
  auto r = bq->Execute(Request("SELECT 'x' AS s"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::String("x"));
  std::remove(path.c_str());
}

TEST_F(BigQueryProtocolTest, MetadataServerCredentials) {
  Options o;
  o.Set("endpoint", E(server_.url()));
  o.Set("metadata_url", E(server_.url()));
  auto bq = Open(o);
  auto r = bq->Execute(Request("SELECT n FROM `web.hits` ORDER BY n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 2u);
  auto health = bq->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->detail, "BigQuery project test-project (location default)");
}

TEST_F(BigQueryProtocolTest, BadKeyIsAConfigError) {
  Options o = BaseOptions();
  o.Set("credentials_json", E(std::string("{\"type\": \"service_account\"}"), true));
  auto connector = BigQueryConnectorFactory().create(SourceContext{"bq", o, "."});
  Status s = connector->Open();
  EXPECT_EQ(s.code(), ErrorCode::kConfigError);
  EXPECT_NE(s.message().find("client_email"), std::string::npos) << s.message();
}

TEST_F(BigQueryProtocolTest, TypesFollowBigQueryConventions) {
  auto bq = Open(BaseOptions());
  auto r = bq->Execute(
      Request("SELECT id, customer, amount, paid, ratio, day, at_ts, blob, tags, address "
              "FROM `test-project.sales.orders` WHERE id = 3"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 1u);
  const auto& cols = r->columns();
  EXPECT_EQ(cols[0].type, ColumnType::kInt64);
  EXPECT_EQ(cols[0].source_type, "INT64");
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(3));
  EXPECT_EQ(r->ValueAt(0, 1), Value::String("c3"));
  // Exact, never through a double.
  EXPECT_EQ(cols[2].type, ColumnType::kDecimal);
  EXPECT_EQ(r->ValueAt(0, 2), Value::Decimal("12345678901234567893.123456789"));
  EXPECT_EQ(r->ValueAt(0, 3), Value::Bool(false));
  EXPECT_EQ(r->ValueAt(0, 4), Value::Double(0.75));
  EXPECT_EQ(r->ValueAt(0, 5), Value::Date(*ParseDate("2026-11-04")));
  EXPECT_EQ(cols[6].type, ColumnType::kTimestamp);
  EXPECT_EQ(r->ValueAt(0, 6), Value::Timestamp(*ParseTimestamp("2026-11-21T13:00:03.250001Z")));
  EXPECT_EQ(r->ValueAt(0, 7), Value::Bytes(std::string("\xAA\x00", 2)));
  EXPECT_EQ(cols[8].type, ColumnType::kJson);
  EXPECT_EQ(cols[8].source_type, "ARRAY<STRING>");
  EXPECT_EQ(r->ValueAt(0, 8), Value::Json("[\"a\",\"b3\"]"));
  EXPECT_EQ(cols[9].source_type, "STRUCT<city STRING, zip INT64>");
  EXPECT_EQ(r->ValueAt(0, 9), Value::Json("{\"city\":\"Lyon\",\"zip\":69003}"));
  // The job was created with the connector's settings.
  std::string body = server_.last_query_body();
  EXPECT_NE(body.find("\"useLegacySql\":false"), std::string::npos) << body;
  EXPECT_NE(body.find("\"location\":\"EU\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"labels\":{\"team\":\"analytics\"}"), std::string::npos) << body;
  EXPECT_NE(body.find("\"maximumBytesBilled\":\"1099511627776\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"requestId\":\"trib-"), std::string::npos) << body;
}

TEST_F(BigQueryProtocolTest, PagesThroughResults) {
  Options o = BaseOptions();
  o.Set("page_size", E(int64_t{3}));
  auto bq = Open(o);
  auto r = bq->Execute(Request("SELECT id FROM `sales.orders` ORDER BY id"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r->ValueAt(i, 0), Value::Int64(i));
  EXPECT_EQ(server_.result_pages.load(), 4);
  EXPECT_FALSE(r->stats().truncated);
}

TEST_F(BigQueryProtocolTest, FirstPageInTheQueryAnswer) {
  server_.answer_in_query = true;
  Options o = BaseOptions();
  o.Set("page_size", E(int64_t{4}));
  auto bq = Open(o);
  auto r = bq->Execute(Request("SELECT id FROM `sales.orders` ORDER BY id DESC"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r->ValueAt(i, 0), Value::Int64(9 - i));
  // Rows 0-3 came with jobs.query; 4-7 and 8-9 from two getQueryResults pages.
  EXPECT_EQ(server_.result_pages.load(), 2);
}

TEST_F(BigQueryProtocolTest, RowLimitStopsFetching) {
  Options o = BaseOptions();
  o.Set("page_size", E(int64_t{2}));
  auto bq = Open(o);
  QueryRequest req = Request("SELECT id FROM `sales.orders` ORDER BY id");
  req.max_rows = 4;
  auto r = bq->Execute(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 4u);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "rows");
  EXPECT_LT(server_.result_pages.load(), 5);
}

TEST_F(BigQueryProtocolTest, NamedAndPositionalParameters) {
  auto bq = Open(BaseOptions());
  QueryRequest named = Request(
      "SELECT COUNT(*) AS n FROM `sales.orders` WHERE id >= @low AND at_ts < @until AND customer "
      "<> @who");
  named.params = {Value::Int64(2), Value::Timestamp(*ParseTimestamp("2026-11-21T13:00:06Z")),
                  Value::String("c4")};
  named.param_names = {"low", "until", "who"};
  auto r = bq->Execute(named);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(3));  // ids 2, 3, 5
  EXPECT_NE(server_.last_query_body().find("\"parameterMode\":\"NAMED\""), std::string::npos);

  QueryRequest positional = Request("SELECT id FROM `sales.orders` WHERE id = ? OR day = ?");
  positional.params = {Value::Int64(1), Value::Date(*ParseDate("2026-11-08"))};
  r = bq->Execute(positional);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 2u);
  EXPECT_NE(server_.last_query_body().find("\"parameterMode\":\"POSITIONAL\""), std::string::npos);
}

TEST_F(BigQueryProtocolTest, ErrorsAreMapped) {
  auto bq = Open(BaseOptions());
  auto bad = bq->Execute(Request("SELECT nope FROM `sales.orders`"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(bad.status().message().find("nope"), std::string::npos) << bad.status().message();

  auto missing = bq->Execute(Request("SELECT * FROM `sales.missing`"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().ToString();

  auto write = bq->Execute(Request("DELETE FROM `sales.orders` WHERE TRUE"));
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), ErrorCode::kPermissionDenied);

  QueryRequest with_option = Request("SELECT 1 AS x");
  with_option.options["index"] = "x";
  EXPECT_EQ(bq->Execute(with_option).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(BigQueryProtocolTest, QuotaErrorsAreRetriedThenReported) {
  auto bq = Open(BaseOptions());
  server_.rate_limit_next = 2;         // 403 rateLimitExceeded
  server_.too_many_requests_next = 1;  // 429
  auto r = bq->Execute(Request("SELECT 1 AS x"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(server_.rate_limit_next.load(), 0);
  EXPECT_EQ(server_.too_many_requests_next.load(), 0);

  server_.rate_limit_next = 100;
  auto refused = bq->Execute(Request("SELECT 1 AS x"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted) << refused.status().ToString();
  server_.rate_limit_next = 0;
}

TEST_F(BigQueryProtocolTest, TimeoutCancelsTheJob) {
  auto bq = Open(BaseOptions());
  QueryRequest req = Request(std::string("SELECT 1 AS x ") + BigQueryTestServer::kSlowMarker);
  req.timeout = std::chrono::milliseconds(1500);
  req.cost_warn_bytes = 0;
  req.cost_deny_bytes = 0;
  auto r = bq->Execute(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
  auto cancelled = server_.cancelled_jobs();
  ASSERT_EQ(cancelled.size(), 1u);
}

TEST_F(BigQueryProtocolTest, CancelTokenCancelsTheJob) {
  auto bq = Open(BaseOptions());
  QueryRequest req = Request(std::string("SELECT 2 AS x ") + BigQueryTestServer::kSlowMarker);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    req.cancel.Cancel("client disconnected");
  });
  auto r = bq->Execute(req);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(server_.cancelled_jobs().size(), 1u);
}

TEST_F(BigQueryProtocolTest, CostWarnAndDeny) {
  auto bq = Open(BaseOptions());
  // sales.orders: 10 rows x 10 columns x 8 bytes = 800 bytes, by the server's dry run.
  QueryRequest warn = Request("SELECT id FROM `sales.orders`");
  warn.cost_warn_bytes = 500;
  warn.cost_deny_bytes = 5000;
  auto r = bq->Execute(warn);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->stats().warnings.size(), 1u);
  EXPECT_EQ(r->stats().warnings[0].code, "COST_WARNING");
  EXPECT_EQ(r->stats().warnings[0].bytes, 800);
  EXPECT_NEAR(r->stats().warnings[0].usd, 800.0 / (1ll << 40) * 6.25, 1e-15);
  EXPECT_GE(server_.dry_runs.load(), 1);

  QueryRequest deny = Request("SELECT id FROM `sales.orders`");
  deny.cost_deny_bytes = 700;
  deny.cost_deny_from = "sources.bq.limits.cost_deny_bytes";
  const int before = server_.queries_run.load();
  auto refused = bq->Execute(deny);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kCostLimit);
  EXPECT_EQ(ErrorCodeName(refused.status().code()), "COST_LIMIT");
  const std::string& m = refused.status().message();
  EXPECT_NE(m.find("800 bytes"), std::string::npos) << m;
  EXPECT_NE(m.find("$"), std::string::npos) << m;
  EXPECT_NE(m.find("sources.bq.limits.cost_deny_bytes"), std::string::npos) << m;
  EXPECT_EQ(server_.queries_run.load(), before) << "a refused query must not run";

  QueryRequest small = Request("SELECT n FROM `web.hits`");  // 16 bytes
  small.cost_warn_bytes = 500;
  r = bq->Execute(small);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stats().warnings.empty());
}

TEST_F(BigQueryProtocolTest, SchemaBrowser) {
  auto bq = Open(BaseOptions());
  auto tables = bq->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  std::vector<std::string> names;
  for (const auto& t : *tables) names.push_back(t.schema + "." + t.name + ":" + t.kind);
  EXPECT_EQ(names, (std::vector<std::string>{"sales.orders:table", "web.hits:table",
                                             "web.hits_view:view"}));
  auto schema = bq->DescribeTable("sales.orders");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->table.schema, "sales");
  ASSERT_EQ(schema->columns.size(), 10u);
  EXPECT_EQ(schema->columns[0].name, "id");
  EXPECT_EQ(schema->columns[0].type, ColumnType::kInt64);
  EXPECT_EQ(schema->columns[9].source_type, "STRUCT<city STRING, zip INT64>");
  EXPECT_EQ(schema->columns[8].source_type, "ARRAY<STRING>");
  auto full = bq->DescribeTable("`test-project.web.hits_view`");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->table.kind, "view");
  EXPECT_EQ(bq->DescribeTable("sales.nope").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(bq->DescribeTable("orders").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(BigQueryProtocolTest, HealthIsADryRun) {
  auto bq = Open(BaseOptions());
  auto health = bq->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->detail, "BigQuery project test-project (location EU)");
  EXPECT_EQ(server_.dry_runs.load(), 1);
  EXPECT_EQ(server_.queries_run.load(), 0);
}

TEST_F(BigQueryProtocolTest, ServerTranslatesGoogleSql) {
  ASSERT_EQ(server_.Exec("CREATE SCHEMA ga; CREATE TABLE ga.events_20261120(x BIGINT);"
                         "CREATE TABLE ga.events_20261121(x BIGINT);"
                         "INSERT INTO ga.events_20261120 VALUES (1), (2);"
                         "INSERT INTO ga.events_20261121 VALUES (3);"),
            "");
  // Backtick paths lose the project; a wildcard becomes a view with _TABLE_SUFFIX; GoogleSQL
  // functions and types map to DuckDB macros and types; strings in either quote become '...'.
  EXPECT_EQ(server_.Translate("SELECT SAFE_CAST(\"7\" AS INT64), COUNTIF(x > 1) FROM "
                              "`p.ga.events_*` WHERE _TABLE_SUFFIX >= '20261121'"),
            "SELECT TRY_CAST('7' AS BIGINT), count_if(x > 1) FROM \"ga\".\"events_*\" WHERE "
            "_TABLE_SUFFIX >= '20261121'");
  auto bq = Open(BaseOptions());
  auto r = bq->Execute(
      Request("SELECT _TABLE_SUFFIX AS s, COUNT(*) AS n FROM `test-project.ga.events_*` GROUP BY s "
              "ORDER BY s"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 2u);
  EXPECT_EQ(r->ValueAt(0, 0), Value::String("20261120"));
  EXPECT_EQ(r->ValueAt(1, 0), Value::String("20261121"));
  EXPECT_EQ(r->ValueAt(0, 1), Value::Int64(2));
  EXPECT_EQ(r->ValueAt(1, 1), Value::Int64(1));
  EXPECT_EQ(server_.Translate("SELECT TIMESTAMP_TRUNC(t, HOUR), EXTRACT(DAYOFWEEK FROM t) FROM "
                              "`ga.events_20261120`"),
            "SELECT date_trunc('HOUR', t), (dayofweek(t) + 1) FROM \"ga\".\"events_20261120\"");
}

TEST(BigQueryProtocolTypes, EpochSecondsAreExact) {
  using bigquery::ParseEpochSecondsToMicros;
  EXPECT_EQ(ParseEpochSecondsToMicros("1700000000"), 1700000000000000);
  EXPECT_EQ(ParseEpochSecondsToMicros("1.7E9"), 1700000000000000);
  EXPECT_EQ(ParseEpochSecondsToMicros("1.795266000250001E9"), 1795266000250001);
  EXPECT_EQ(ParseEpochSecondsToMicros("1700000000.123456"), 1700000000123456);
  EXPECT_EQ(ParseEpochSecondsToMicros("-1.5E0"), -1500000);
  EXPECT_EQ(ParseEpochSecondsToMicros("0"), 0);
  EXPECT_EQ(ParseEpochSecondsToMicros("abc"), std::nullopt);
  EXPECT_EQ(ParseEpochSecondsToMicros("1.7E9x"), std::nullopt);
}

TEST(BigQueryProtocolTypes, ErrorBodies) {
  auto s = bigquery::MapBigQueryError(
      400,
      R"({"error":{"code":400,"message":"Syntax error: Unexpected end of script at [1:7]",)"
      R"("errors":[{"reason":"invalidQuery","message":"x"}],"status":"INVALID_ARGUMENT"}})",
      "source 'bq': jobs.query");
  EXPECT_EQ(s.code(), ErrorCode::kQueryError);
  EXPECT_EQ(s.message(),
            "source 'bq': jobs.query: Syntax error: Unexpected end of script at [1:7]");
  EXPECT_EQ(
      bigquery::MapBigQueryError(
          403, R"({"error":{"code":403,"message":"no","errors":[{"reason":"accessDenied"}]}})", "w")
          .code(),
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      bigquery::MapBigQueryError(
          403, R"({"error":{"code":403,"message":"q","errors":[{"reason":"quotaExceeded"}]}})", "w")
          .code(),
      ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace tributary
