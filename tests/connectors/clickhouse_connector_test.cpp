// Integration tests of the ClickHouse connector against the live 18.16 test server: types,
// parameters, limits with early stop, timeout and cancel (stopping the server-side query),
// engine-level read-only with the guard bypassed, credentials, unreachable server, schema,
// concurrency, pool exhaustion and recovery after a server restart.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "clickhouse_test_support.h"
#include "core/result_writer.h"
#include "support/fixture_once.h"

namespace tributary::clickhouse_test {
namespace {

using Clock = std::chrono::steady_clock;

class ClickHouseLive : public ::testing::Test {
 protected:
  // In SetUp, not SetUpTestSuite: gtest reports a failed suite set-up as skipped tests,
  // which ctest would not count as failures. The fixtures are still created only once.
  void SetUp() override {
    if (LiveServer().url.empty()) return;
    // Log, not Memory: the rows must survive the serial Restart test.
    static const std::vector<std::string> kFixtures = {
        "DROP TABLE IF EXISTS ch_items",
        "CREATE TABLE ch_items (id Int32, name String, price Decimal(10, 2), "
        "tag Nullable(String)) ENGINE = Log",
        "INSERT INTO ch_items VALUES (1, 'apple', 1.25, 'red'), (2, 'pear', 0.5, NULL)",
        "DROP TABLE IF EXISTS ch_items_view",
        "CREATE VIEW ch_items_view AS SELECT id, name FROM ch_items",
    };
    std::string version;
    for (const auto& sql : kFixtures) version += sql + ";\n";
    test_support::RunFixtureSetupOnce("clickhouse-connector", version, [] {
      for (const auto& sql : kFixtures) Admin(sql);
    });
  }

  Result<QueryResult> Run(Connector& c, const std::string& sql, std::vector<Value> params = {},
                          int64_t max_rows = 10000) {
    QueryRequest request;
    request.sql = sql;
    request.params = std::move(params);
    request.max_rows = max_rows;
    return c.Execute(request);
  }

  // Counts our queries still running on the server (outside the connector).
  int64_t RunningQueries(Connector& c, const std::string& marker) {
    QueryRequest request;
    request.sql = "SELECT toInt64(count()) FROM system.processes WHERE query LIKE '%" + marker +
                  "%' AND query NOT LIKE '%system.processes%'";
    auto r = c.Execute(request);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->ValueAt(0, 0).as_int() : -1;
  }

  // KILL QUERY is asynchronous in ClickHouse: the killed query leaves system.processes a
  // moment later (longer on a loaded machine). Polls up to 5 s; the count last seen.
  int64_t RunningQueriesAfterKill(Connector& c, const std::string& marker) {
    int64_t running = RunningQueries(c, marker);
    const auto give_up = Clock::now() + std::chrono::seconds(5);
    while (running != 0 && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      running = RunningQueries(c, marker);
    }
    return running;
  }
};

TEST_F(ClickHouseLive, TypesRoundTrip) {
  auto c = MakeConnector(LiveOptions());
  auto r = Run(*c,
               "SELECT toInt8(-8) AS i8, toUInt32(4000000000) AS u32, "
               "toUInt64(18446744073709551615) AS u64, toFloat64(1.5) AS f, nan AS n, "
               "toDecimal64('-12.340', 3) AS d, 'tab\\there\\n' AS s, toFixedString('a\\0b', 3) AS "
               "fs, toDate('2020-02-29') AS day, toDateTime('2020-01-02 03:04:05') AS ts, "
               "toUUID('00000000-0000-0000-0000-000000000001') AS u, [1, NULL] AS arr, "
               "(1, 'x') AS tup, CAST(NULL AS Nullable(Int32)) AS nul, NULL AS nothing, "
               "toDateTime('2020-01-01 00:00:00', 'Asia/Tokyo') AS tokyo");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string json = ResultToJson(*r);
  EXPECT_NE(json.find("\"rows\":[[-8,4000000000,18446744073709551615,1.5,\"NaN\",-12.340,"
                      "\"tab\\there\\n\",\"a\\u0000b\",\"2020-02-29\",\"2020-01-02T03:04:05Z\","
                      "\"00000000-0000-0000-0000-000000000001\",[1,null],[1,\"x\"],null,null,"
                      "\"2020-01-01 00:00:00 Asia/Tokyo\"]]"),
            std::string::npos)
      << json;
  EXPECT_EQ(r->columns()[2].type, ColumnType::kDecimal);
  EXPECT_EQ(r->columns()[2].source_type, "UInt64");
  EXPECT_EQ(r->columns()[5].source_type, "Decimal(18, 3)");
  EXPECT_EQ(r->columns()[11].type, ColumnType::kJson);
  EXPECT_EQ(r->columns()[13].type, ColumnType::kInt64);
  EXPECT_EQ(r->columns()[14].type, ColumnType::kNull);
}

TEST_F(ClickHouseLive, ParametersAreRenderedSafely) {
  auto c = MakeConnector(LiveOptions());
  const std::string tricky = "it's a \\ back'slash\n\t' OR 1=1 --";
  auto r = Run(*c, "SELECT ? AS s, ? AS i, ? AS f, ? AS d, ? AS day, ? AS ts, ? AS b, ? AS n",
               {Value::String(tricky), Value::Int64(INT64_MIN), Value::Double(0.1),
                Value::Decimal("123.456"), Value::Date(18262), Value::Timestamp(1577836800000000),
                Value::Bool(true), Value::Null()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::String(tricky));
  EXPECT_EQ(r->ValueAt(0, 1), Value::Int64(INT64_MIN));
  EXPECT_EQ(r->ValueAt(0, 2), Value::Double(0.1));
  EXPECT_EQ(r->ValueAt(0, 3), Value::Decimal("123.456"));
  EXPECT_EQ(r->ValueAt(0, 4), Value::Date(18262));
  EXPECT_EQ(r->ValueAt(0, 5), Value::Timestamp(1577836800000000));
  EXPECT_EQ(r->ValueAt(0, 6), Value::Int64(1));
  EXPECT_TRUE(r->ValueAt(0, 7).is_null());

  auto filtered = Run(*c, "SELECT name FROM ch_items WHERE name = ? OR id = ?",
                      {Value::String("x' OR '1'='1"), Value::Int64(2)});
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  ASSERT_EQ(filtered->row_count(), 1u);
  EXPECT_EQ(filtered->ValueAt(0, 0), Value::String("pear"));

  EXPECT_EQ(Run(*c, "SELECT ?", {}).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ClickHouseLive, RowLimitStopsEarlyOnAnEndlessQuery) {
  auto c = MakeConnector(LiveOptions());
  auto start = Clock::now();
  auto r = Run(*c, "SELECT number FROM system.numbers", {}, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 10u);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "rows");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  auto exact = Run(*c, "SELECT number FROM system.numbers LIMIT 10", {}, 10);
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->stats().truncated);
}

TEST_F(ClickHouseLive, ByteLimit) {
  auto c = MakeConnector(LiveOptions());
  QueryRequest request;
  request.sql =
      "SELECT arrayStringConcat(arrayMap(x -> 'x', range(1000))) FROM system.numbers LIMIT 1000";
  request.max_bytes = 10'000;
  auto r = c->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "bytes");
  EXPECT_LT(r->row_count(), 11u);
}

TEST_F(ClickHouseLive, TimeoutKillsTheServerQuery) {
  auto c = MakeConnector(LiveOptions());
  QueryRequest request;
  request.sql = "SELECT count() FROM system.numbers WHERE number != 4242001";
  request.timeout = std::chrono::milliseconds(700);
  auto start = Clock::now();
  auto r = c->Execute(request);
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "query exceeded its timeout of 700 ms");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(RunningQueriesAfterKill(*c, "4242001"), 0);
}

TEST_F(ClickHouseLive, SleepTimeout) {
  auto c = MakeConnector(LiveOptions());
  QueryRequest request;
  request.sql = "SELECT sleep(3)";
  request.timeout = std::chrono::milliseconds(500);
  auto r = c->Execute(request);
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
}

TEST_F(ClickHouseLive, CancelKillsTheServerQuery) {
  auto c = MakeConnector(LiveOptions());
  QueryRequest request;
  request.sql = "SELECT count() FROM system.numbers WHERE number != 4242002";
  request.timeout = std::chrono::seconds(30);
  std::thread canceller([token = request.cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    token.Cancel("client disconnected");
  });
  auto start = Clock::now();
  auto r = c->Execute(request);
  canceller.join();
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled) << r.status().ToString();
  EXPECT_NE(r.status().message().find("client disconnected"), std::string::npos);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(RunningQueriesAfterKill(*c, "4242002"), 0);
}

TEST_F(ClickHouseLive, EngineRefusesWritesWithTheGuardSkipped) {
  auto c = MakeConnector(LiveOptions());
  for (const char* sql : {"INSERT INTO ch_items VALUES (3, 'fig', 2.0, NULL)",
                          "CREATE TABLE ch_evil (a Int8) ENGINE = Memory", "DROP TABLE ch_items",
                          "SELECT * FROM numbers(3)"}) {
    QueryRequest request;
    request.sql = sql;
    request.skip_statement_guard = true;
    auto r = c->Execute(request);
    EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied)
        << sql << ": " << r.status().ToString();
  }
  auto still = Run(*c, "SELECT count() FROM ch_items");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->ValueAt(0, 0), Value::Decimal("2"));  // count() is UInt64
}

TEST_F(ClickHouseLive, GuardAndFormatClause) {
  auto c = MakeConnector(LiveOptions());
  EXPECT_EQ(Run(*c, "INSERT INTO ch_items VALUES (3, 'fig', 2.0, NULL)").status().code(),
            ErrorCode::kPermissionDenied);
  auto format = Run(*c, "SELECT 1 FORMAT JSON");
  EXPECT_EQ(format.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(format.status().message().find("FORMAT"), std::string::npos);
  EXPECT_TRUE(Run(*c, "SELECT 1;").ok());
}

TEST_F(ClickHouseLive, QueryErrors) {
  auto c = MakeConnector(LiveOptions());
  auto syntax = Run(*c, "SELECT FROM WHERE");
  EXPECT_EQ(syntax.status().code(), ErrorCode::kQueryError);
  EXPECT_EQ(syntax.status().message().rfind("ClickHouse error 62: Syntax error", 0), 0u)
      << syntax.status().message();
  auto missing = Run(*c, "SELECT * FROM no_such_table");
  EXPECT_EQ(missing.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(missing.status().message().find("doesn't exist"), std::string::npos);
}

// An error after the first blocks were sent arrives as text appended to a 200 response.
TEST_F(ClickHouseLive, ErrorAfterDataWasSent) {
  auto c = MakeConnector(LiveOptions());
  auto r = Run(*c, "SELECT number, throwIf(number = 900000) FROM system.numbers LIMIT 1000000", {},
               2'000'000);
  EXPECT_EQ(r.status().code(), ErrorCode::kQueryError) << r.status().ToString();
  EXPECT_EQ(r.status().message().rfind("ClickHouse error 395", 0), 0u) << r.status().message();
}

TEST_F(ClickHouseLive, BadCredentials) {
  auto c = MakeConnector(LiveOptions({{"password", std::string("definitely-wrong")}}));
  auto health = c->HealthCheck();
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(health.status().message(), "authentication failed (check user and password)");
  auto r = Run(*c, "SELECT 1");
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(r.status().message().find("definitely-wrong"), std::string::npos);
}

TEST_F(ClickHouseLive, UnknownDatabase) {
  auto c = MakeConnector(LiveOptions({{"database", std::string("no_such_db_x")}}));
  auto health = c->HealthCheck();
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("unknown database"), std::string::npos);
}

TEST(ClickHouseUnreachable, OpenSucceedsHealthSaysConnectionRefused) {
  Options o;
  o.Set("url", Entry(std::string("http://127.0.0.1:1")));
  o.Set("connect_timeout_ms", Entry(int64_t{2000}));
  auto c = MakeConnector(o);
  auto health = c->HealthCheck();
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("connection refused"), std::string::npos)
      << health.status().message();
  QueryRequest request;
  request.sql = "SELECT 1";
  EXPECT_EQ(c->Execute(request).status().code(), ErrorCode::kUnavailable);
}

TEST(ClickHouseOptions, RejectsCredentialsInUrlAndMixedAddressing) {
  Options o;
  o.Set("url", Entry(std::string("http://u:p@127.0.0.1:8123")));
  auto c = ClickHouseConnectorFactory().create(SourceContext{"ch", o, "."});
  Status s = c->Open();
  EXPECT_EQ(s.code(), ErrorCode::kConfigError);
  EXPECT_EQ(s.message().find("u:p"), std::string::npos);
  Options mixed;
  mixed.Set("url", Entry(std::string("http://127.0.0.1:8123")));
  mixed.Set("port", Entry(int64_t{8123}));
  EXPECT_EQ(ClickHouseConnectorFactory().create(SourceContext{"ch", mixed, "."})->Open().code(),
            ErrorCode::kConfigError);
  bool password_secret = false;
  for (const auto& spec : ClickHouseConnectorFactory().schema) {
    if (spec.name == "password") password_secret = spec.secret;
  }
  EXPECT_TRUE(password_secret);
}

TEST_F(ClickHouseLive, HostPortOptions) {
  ServerEnv env = LiveServer();
  std::string hostport = env.url.substr(env.url.find("://") + 3);
  auto c = MakeConnector(
      LiveOptions({{"url", std::string()},
                   {"host", hostport.substr(0, hostport.find(':'))},
                   {"port", int64_t{std::atoi(hostport.substr(hostport.find(':') + 1).c_str())}}}));
  auto health = c->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_NE(health->detail.find("ClickHouse 18."), std::string::npos) << health->detail;
  EXPECT_NE(health->detail.find("UTC"), std::string::npos) << health->detail;
}

TEST_F(ClickHouseLive, Schema) {
  auto c = MakeConnector(LiveOptions());
  auto tables = c->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  bool table_found = false, view_found = false;
  for (const auto& t : *tables) {
    if (t.name == "ch_items") table_found = t.kind == "table" && t.schema == LiveServer().database;
    if (t.name == "ch_items_view") view_found = t.kind == "view";
  }
  EXPECT_TRUE(table_found);
  EXPECT_TRUE(view_found);
  auto schema = c->DescribeTable("ch_items");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ(schema->columns.size(), 4u);
  EXPECT_EQ(schema->columns[0].name, "id");
  EXPECT_EQ(schema->columns[0].type, ColumnType::kInt64);
  EXPECT_FALSE(schema->columns[0].nullable);
  EXPECT_EQ(schema->columns[2].type, ColumnType::kDecimal);
  EXPECT_EQ(schema->columns[2].source_type, "Decimal(10, 2)");
  EXPECT_TRUE(schema->columns[3].nullable);
  auto qualified = c->DescribeTable(LiveServer().database + ".ch_items_view");
  ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
  EXPECT_EQ(qualified->table.kind, "view");
  EXPECT_EQ(c->DescribeTable("no_such_table").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(c->DescribeTable("x' OR '1'='1").status().code(), ErrorCode::kNotFound);
}

TEST_F(ClickHouseLive, EightThreads) {
  auto c = MakeConnector(LiveOptions({{"max_connections", int64_t{4}}}));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        QueryRequest request;
        request.sql = "SELECT ? + toInt64(number) FROM system.numbers LIMIT 3";
        request.params = {Value::Int64(t * 100 + i)};
        auto r = c->Execute(request);
        if (r.ok() && r->row_count() == 3 &&
            r->ValueAt(2, 0) == Value::Decimal(std::to_string(t * 100 + i + 2))) {
          ++ok;
        } else if (r.ok() && r->row_count() == 3 &&
                   r->ValueAt(2, 0) == Value::Int64(t * 100 + i + 2)) {
          ++ok;
        } else {
          ADD_FAILURE() << (r.ok() ? ResultToJson(*r) : r.status().ToString());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST_F(ClickHouseLive, PoolExhaustion) {
  auto c = MakeConnector(LiveOptions({{"max_connections", int64_t{1}}}));
  std::thread slow([&] {
    QueryRequest request;
    request.sql = "SELECT sleep(2)";
    auto r = c->Execute(request);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  QueryRequest request;
  request.sql = "SELECT 1";
  request.timeout = std::chrono::milliseconds(300);
  auto r = c->Execute(request);
  EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted) << r.status().ToString();
  slow.join();
}

TEST_F(ClickHouseLive, Restart) {
  const std::string script = Env("TRIB_TEST_SERVERS_SCRIPT");
  ASSERT_FALSE(script.empty()) << "TRIB_TEST_SERVERS_SCRIPT is not set: run via `make test`";
  auto c = MakeConnector(LiveOptions());
  ASSERT_TRUE(Run(*c, "SELECT 1").ok());
  ASSERT_EQ(std::system((script + " restart clickhouse >/dev/null 2>&1").c_str()), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past validate_after
  auto r = Run(*c, "SELECT 1");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  auto health = c->HealthCheck();
  EXPECT_TRUE(health.ok()) << health.status().ToString();
}

}  // namespace
}  // namespace tributary::clickhouse_test
