// Integration tests of the PostgreSQL connector against the live test server
// (scripts/test-servers.sh; its TRIB_TEST_PG_* variables must be set, e.g. via `make test`).
// Fixtures are written through a separate libpq session as the owner user.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "connectors/postgres/pg_connector.h"
#include "core/result_writer.h"
#include "core/time_util.h"

namespace tributary {
namespace {

using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

//! Fails the test (never skips) when the server variables are missing.
bool HaveServer() {
  if (Env("TRIB_TEST_PG_HOST").empty() || Env("TRIB_TEST_PG_PORT").empty()) {
    ADD_FAILURE() << "TRIB_TEST_PG_* variables are not set: run these tests via `make test` "
                     "(scripts/test-servers.sh start writes build/test-servers/env)";
    return false;
  }
  return true;
}

Options::Entry Entry(OptionValue v, bool secret = false) {
  return Options::Entry{std::move(v), {}, secret};
}

Options BaseOptions() {
  Options o;
  o.Set("host", Entry(Env("TRIB_TEST_PG_HOST")));
  o.Set("port", Entry(int64_t{std::atoi(Env("TRIB_TEST_PG_PORT").c_str())}));
  o.Set("database", Entry(Env("TRIB_TEST_PG_DB")));
  o.Set("user", Entry(Env("TRIB_TEST_PG_USER")));
  o.Set("password", Entry(Env("TRIB_TEST_PG_PASSWORD"), true));
  o.Set("sslmode", Entry(std::string("disable")));
  return o;
}

std::unique_ptr<Connector> Make(Options options, const std::string& id = "pg") {
  SourceContext context{id, std::move(options), "."};
  auto connector = PostgresConnectorFactory().create(context);
  EXPECT_TRUE(connector->Open().ok());
  return connector;
}

//! Runs `prefix` as the owner, outside the connector; then `statements` unless the fixtures
//! already exist (pg_t_writable, made last), and commits.
void Admin(const std::vector<std::string>& prefix, const std::vector<std::string>& statements) {
  const std::string port = Env("TRIB_TEST_PG_PORT");
  const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
  const std::string host = Env("TRIB_TEST_PG_HOST"), db = Env("TRIB_TEST_PG_DB"),
                    user = Env("TRIB_TEST_PG_USER"), pw = Env("TRIB_TEST_PG_PASSWORD");
  const char* values[] = {host.c_str(), port.c_str(), db.c_str(),
                          user.c_str(), pw.c_str(),   nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  auto run = [&](const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    const auto st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn);
    const bool yes = st == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return yes;
  };
  for (const auto& sql : prefix) run(sql);
  if (!run("SELECT to_regclass('public.pg_t_writable') IS NOT NULL")) {
    for (const auto& sql : statements) run(sql);
  }
  run("COMMIT");
  PQfinish(conn);
}

Result<QueryResult> Query(Connector& c, std::string sql, std::vector<Value> params = {},
                          bool skip_guard = false) {
  QueryRequest request;
  request.sql = std::move(sql);
  request.params = std::move(params);
  request.skip_statement_guard = skip_guard;
  return c.Execute(request);
}

class PostgresConnector : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveServer()) GTEST_FAIL();
    static bool prepared = false;
    if (!prepared) {
      // Test processes may run in parallel (ctest): the fixtures are made once, under a lock.
      std::vector<std::string> create = {
          "DROP TABLE IF EXISTS pg_t_types CASCADE",
          "CREATE TABLE pg_t_types (id int PRIMARY KEY, i16 smallint, i64 bigint, "
          "dec numeric(20,6), f64 double precision, f32 real, flag boolean, txt text, "
          "vc varchar(10), ch char(3), day date, ts timestamp, tstz timestamptz, doc jsonb, "
          "js json, raw bytea, uid uuid, dur interval, tm time, ints int[], "
          "texts text[], grid int[][], money_v money, addr inet, o oid)",
          "INSERT INTO pg_t_types VALUES (1, -32768, 9223372036854775807, "
          "'-12345678901234.123456', 0.1, 1.5, true, 'héllo ✓', 'v', 'ab', '2024-02-29', "
          "'2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.5+02', "
          "'{\"a\": [1, 2.5, null]}', '{\"b\":1}', '\\x00ff41', "
          "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 year 2 months 3 days 04:05:06', "
          "'13:14:15', '{1,NULL,3}', '{\"a,b\",NULL,\"NULL\",\"q\\\"x\"}', "
          "'{{1,2},{3,4}}', 12.5, '10.0.0.1/8', 42)",
          "INSERT INTO pg_t_types (id) VALUES (2)",
          "INSERT INTO pg_t_types (id, dec, f64, day, ts) VALUES "
          "(3, 'NaN', 'NaN', '0044-03-15 BC', 'infinity')",
          "CREATE OR REPLACE VIEW pg_t_view AS SELECT id, txt FROM pg_t_types",
          "CREATE SCHEMA IF NOT EXISTS trib_pg_other",
          "DROP TABLE IF EXISTS trib_pg_other.hidden",
          "CREATE TABLE trib_pg_other.hidden (k int NOT NULL, \"Mixed Case\" text)",
          "INSERT INTO trib_pg_other.hidden VALUES (7, 'seven')",
          "DROP TABLE IF EXISTS pg_t_writable",
          "CREATE TABLE pg_t_writable (x int)"};
      Admin({"BEGIN", "SELECT pg_advisory_xact_lock(71530001)"}, create);
      prepared = true;
    }
  }
};

TEST_F(PostgresConnector, TypesMapToCommonColumns) {
  auto c = Make(BaseOptions());
  auto r = Query(*c, "SELECT * FROM pg_t_types ORDER BY id");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  struct Expect {
    const char* name;
    ColumnType type;
    const char* source;
  };
  const std::vector<Expect> expected = {
      {"id", ColumnType::kInt64, "int4"},
      {"i16", ColumnType::kInt64, "int2"},
      {"i64", ColumnType::kInt64, "int8"},
      {"dec", ColumnType::kDecimal, "numeric(20,6)"},
      {"f64", ColumnType::kDouble, "float8"},
      {"f32", ColumnType::kDouble, "float4"},
      {"flag", ColumnType::kBool, "bool"},
      {"txt", ColumnType::kString, "text"},
      {"vc", ColumnType::kString, "varchar(10)"},
      {"ch", ColumnType::kString, "bpchar(3)"},
      {"day", ColumnType::kDate, "date"},
      {"ts", ColumnType::kTimestamp, "timestamp"},
      {"tstz", ColumnType::kTimestamp, "timestamptz"},
      {"doc", ColumnType::kJson, "jsonb"},
      {"js", ColumnType::kJson, "json"},
      {"raw", ColumnType::kBytes, "bytea"},
      {"uid", ColumnType::kString, "uuid"},
      {"dur", ColumnType::kString, "interval"},
      {"tm", ColumnType::kString, "time"},
      {"ints", ColumnType::kJson, "int4[]"},
      {"texts", ColumnType::kJson, "text[]"},
      {"grid", ColumnType::kJson, "int4[]"},
      {"money_v", ColumnType::kString, "money"},
      {"addr", ColumnType::kString, "inet"},
      {"o", ColumnType::kInt64, "oid"},
  };
  ASSERT_EQ(r->column_count(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r->columns()[i].name, expected[i].name);
    EXPECT_EQ(r->columns()[i].type, expected[i].type) << expected[i].name;
    EXPECT_EQ(r->columns()[i].source_type, expected[i].source) << expected[i].name;
  }
  ASSERT_EQ(r->row_count(), 3u);
  auto cell = [&](size_t row, const char* name) {
    for (size_t i = 0; i < expected.size(); ++i) {
      if (std::string(expected[i].name) == name) return CellToJson(*r, row, i);
    }
    return std::string("?");
  };
  EXPECT_EQ(cell(0, "i16"), "-32768");
  EXPECT_EQ(cell(0, "i64"), "9223372036854775807");
  EXPECT_EQ(cell(0, "dec"), "-12345678901234.123456");
  EXPECT_EQ(cell(0, "f64"), "0.1");
  EXPECT_EQ(cell(0, "f32"), "1.5");
  EXPECT_EQ(cell(0, "flag"), "true");
  EXPECT_EQ(cell(0, "txt"), "\"héllo ✓\"");
  EXPECT_EQ(cell(0, "ch"), "\"ab \"");
  EXPECT_EQ(cell(0, "day"), "\"2024-02-29\"");
  EXPECT_EQ(cell(0, "ts"), "\"2024-02-29T12:34:56.123456Z\"");
  EXPECT_EQ(cell(0, "tstz"), "\"2024-02-29T10:34:56.500000Z\"");
  EXPECT_EQ(cell(0, "doc"), "{\"a\":[1,2.5,null]}");
  EXPECT_EQ(cell(0, "js"), "{\"b\":1}");
  EXPECT_EQ(cell(0, "raw"), "\"AP9B\"");
  EXPECT_EQ(cell(0, "uid"), "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  EXPECT_EQ(cell(0, "dur"), "\"P1Y2M3DT4H5M6S\"");
  EXPECT_EQ(cell(0, "tm"), "\"13:14:15\"");
  EXPECT_EQ(cell(0, "ints"), "[1,null,3]");
  EXPECT_EQ(cell(0, "texts"), "[\"a,b\",null,\"NULL\",\"q\\\"x\"]");
  EXPECT_EQ(cell(0, "grid"), "[[1,2],[3,4]]");
  EXPECT_EQ(cell(0, "money_v"), "\"$12.50\"");
  EXPECT_EQ(cell(0, "addr"), "\"10.0.0.1/8\"");
  EXPECT_EQ(cell(0, "o"), "42");
  for (size_t i = 1; i < expected.size(); ++i) EXPECT_TRUE(r->column(i).is_null(1));
  // Numeric NaN has no decimal form (NULL); float NaN stays; BC dates and infinity are kept.
  EXPECT_TRUE(r->column(3).is_null(2));
  EXPECT_EQ(cell(2, "f64"), "\"NaN\"");
  EXPECT_EQ(r->column(10).int_at(2), DaysFromCivil(-43, 3, 15));
  EXPECT_EQ(r->column(11).int_at(2), std::numeric_limits<int64_t>::max());
}

TEST_F(PostgresConnector, TypedParametersAreBoundNotSpliced) {
  auto c = Make(BaseOptions());
  auto r = Query(*c,
                 "SELECT $1 + 1 AS i, $2 * 2 AS f, NOT $3 AS b, $4 + 1 AS d, $5 AS ts, "
                 "$6 * 2 AS n, $7 -> 'k' AS j, length($8) AS raw_len, $9::text AS s, "
                 "$10::int IS NULL AS is_null, $11::uuid AS u",
                 {Value::Int64(41), Value::Double(1.25), Value::Bool(false), Value::Date(0),
                  Value::Timestamp(1'500'000), Value::Decimal("12345678901234567890.5"),
                  Value::Json("{\"k\": [1]}"), Value::Bytes(std::string("\0\1\2", 3)),
                  Value::String("x'); DROP TABLE pg_t_types; --"), Value::Null(),
                  Value::String("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(42));
  EXPECT_EQ(r->ValueAt(0, 1), Value::Double(2.5));
  EXPECT_EQ(r->ValueAt(0, 2), Value::Bool(true));
  EXPECT_EQ(r->ValueAt(0, 3), Value::Date(1));
  EXPECT_EQ(r->ValueAt(0, 4), Value::Timestamp(1'500'000));
  EXPECT_EQ(r->ValueAt(0, 5), Value::Decimal("24691357802469135781.0"));
  EXPECT_EQ(r->ValueAt(0, 6), Value::Json("[1]"));
  EXPECT_EQ(r->ValueAt(0, 7), Value::Int64(3));
  EXPECT_EQ(r->ValueAt(0, 8), Value::String("x'); DROP TABLE pg_t_types; --"));
  EXPECT_EQ(r->ValueAt(0, 9), Value::Bool(true));
  EXPECT_EQ(r->ValueAt(0, 10), Value::String("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
  auto extra = Query(*c, "SELECT $1::int AS a", {Value::Int64(1), Value::Int64(2)});
  EXPECT_EQ(extra.status().code(), ErrorCode::kInvalidArgument) << extra.status().ToString();
  auto missing = Query(*c, "SELECT $1::int + $2::int AS a", {Value::Int64(1)});
  EXPECT_EQ(missing.status().code(), ErrorCode::kQueryError) << missing.status().ToString();
  auto in_string = Query(*c, "SELECT '$2' AS a, $1::int AS b", {Value::Int64(1)});
  EXPECT_TRUE(in_string.ok()) << in_string.status().ToString();
  auto table_still_there = Query(*c, "SELECT count(*) FROM pg_t_types");
  ASSERT_TRUE(table_still_there.ok());
  auto filtered = Query(*c, "SELECT id FROM pg_t_types WHERE uid = $1 AND day = $2",
                        {Value::String("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                         Value::Date(*ParseDate("2024-02-29"))});
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  ASSERT_EQ(filtered->row_count(), 1u);
}

TEST_F(PostgresConnector, RowLimitStopsTheFetchEarly) {
  auto c = Make(BaseOptions());
  QueryRequest request;
  // Ten million rows would take many seconds to transfer in full.
  request.sql = "SELECT g, repeat('x', 100) FROM generate_series(1, 10000000) g";
  request.max_rows = 10;
  const auto start = Clock::now();
  auto r = c->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(r->row_count(), 10u);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "rows");
  // The connection is clean afterwards (no aborted transaction, no stray cancel).
  for (int i = 0; i < 5; ++i) {
    auto again = Query(*c, "SELECT 1 AS one");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->ValueAt(0, 0), Value::Int64(1));
  }
  request.max_rows = 3;
  request.sql = "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3";
  auto exact = c->Execute(request);
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->stats().truncated);
}

TEST_F(PostgresConnector, ByteLimitTruncates) {
  auto c = Make(BaseOptions());
  QueryRequest request;
  request.sql = "SELECT repeat('y', 1000) FROM generate_series(1, 1000000)";
  request.max_bytes = 10'000;
  auto r = c->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "bytes");
  EXPECT_LT(r->row_count(), 20u);
}

TEST_F(PostgresConnector, TimeoutCancelsOnTheServer) {
  auto c = Make(BaseOptions());
  QueryRequest request;
  // A marker unique to this process: other test processes may sleep at the same time.
  const std::string marker = "timeout-test-" + std::to_string(::getpid());
  request.sql = "SELECT pg_sleep(20) /* " + marker + " */";
  request.timeout = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  auto r = c->Execute(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "query exceeded its timeout of 300 ms");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  // Nothing of it keeps running on the server.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto active =
      Query(*c,
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' "
            "AND pid <> pg_backend_pid()",
            {Value::String("%" + marker + "%")});
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_EQ(active->ValueAt(0, 0), Value::Int64(0));
}

TEST_F(PostgresConnector, CancelTokenStopsTheQuery) {
  auto c = Make(BaseOptions());
  QueryRequest request;
  request.sql = "SELECT pg_sleep(20)";
  std::thread canceller([token = request.cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    token.Cancel("client disconnected");
  });
  const auto start = Clock::now();
  auto r = c->Execute(request);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "client disconnected");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  auto after = Query(*c, "SELECT 2");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
}

TEST_F(PostgresConnector, EngineRefusesWritesWithTheGuardSkipped) {
  auto c = Make(BaseOptions());
  for (const char* sql :
       {"INSERT INTO pg_t_writable VALUES (1)", "UPDATE pg_t_writable SET x = 2",
        "DELETE FROM pg_t_writable", "CREATE TABLE pg_t_new (x int)", "DROP TABLE pg_t_writable",
        "TRUNCATE pg_t_writable", "SELECT nextval('no_such_seq')"}) {
    auto r = Query(*c, sql, {}, /*skip_guard=*/true);
    ASSERT_FALSE(r.ok()) << sql;
    if (std::string(sql).rfind("SELECT", 0) == 0) continue;
    EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied) << sql << r.status().ToString();
    EXPECT_NE(r.status().message().find("read-only transaction"), std::string::npos)
        << r.status().message();
  }
  // Turning read-only off inside the statement's transaction does not outlive it.
  (void)Query(*c, "SET default_transaction_read_only = off", {}, true);
  auto insert = Query(*c, "INSERT INTO pg_t_writable VALUES (1)", {}, true);
  ASSERT_FALSE(insert.ok());
  EXPECT_EQ(insert.status().code(), ErrorCode::kPermissionDenied);
}

TEST_F(PostgresConnector, GuardRefusesWrites) {
  auto c = Make(BaseOptions());
  auto r = Query(*c, "DELETE FROM pg_t_writable");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("only read-only SELECT"), std::string::npos)
      << r.status().message();
  auto two = Query(*c, "SELECT 1; SELECT 2");
  ASSERT_FALSE(two.ok());
  auto hidden = Query(*c, "WITH d AS (DELETE FROM pg_t_writable RETURNING *) SELECT * FROM d");
  ASSERT_FALSE(hidden.ok());
  EXPECT_EQ(hidden.status().code(), ErrorCode::kPermissionDenied);
  auto trailing = Query(*c, "SELECT 1 AS one;");
  EXPECT_TRUE(trailing.ok()) << trailing.status().ToString();
  c->Close();
  EXPECT_EQ(Query(*c, "SELECT 1").status().code(), ErrorCode::kUnavailable);
}

TEST_F(PostgresConnector, ServerErrorsCarryMessageAndSqlState) {
  auto c = Make(BaseOptions());
  auto syntax = Query(*c, "SELECT FROM WHERE", {}, true);
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(syntax.status().message().find("42601"), std::string::npos)
      << syntax.status().message();
  auto missing = Query(*c, "SELECT * FROM no_such_table_here");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(missing.status().message().find("no_such_table_here"), std::string::npos);
  auto ok = Query(*c, "SELECT 1");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(PostgresConnector, BadCredentialsAndUnreachableAreUnavailable) {
  {
    Options o = BaseOptions();
    o.Set("password", Entry(std::string("wrong-secret-xyz"), true));
    auto c = Make(o);
    auto health = c->HealthCheck();
    ASSERT_FALSE(health.ok());
    EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
    EXPECT_NE(health.status().message().find("authentication failed"), std::string::npos)
        << health.status().message();
    EXPECT_EQ(health.status().message().find("wrong-secret-xyz"), std::string::npos);
    auto q = Query(*c, "SELECT 1");
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().code(), ErrorCode::kUnavailable);
    EXPECT_EQ(q.status().message().find("wrong-secret-xyz"), std::string::npos);
  }
  {
    Options o = BaseOptions();
    o.Set("database", Entry(std::string("no_such_db_trib")));
    auto health = Make(o)->HealthCheck();
    ASSERT_FALSE(health.ok());
    EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
    EXPECT_NE(health.status().message().find("unknown database"), std::string::npos)
        << health.status().message();
  }
  {
    Options o = BaseOptions();
    o.Set("host", Entry(std::string("127.0.0.1")));
    o.Set("port", Entry(int64_t{1}));
    auto health = Make(o)->HealthCheck();
    ASSERT_FALSE(health.ok());
    EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
    EXPECT_NE(health.status().message().find("connection refused"), std::string::npos)
        << health.status().message();
  }
}

TEST_F(PostgresConnector, UrlOptionAndSearchPath) {
  Options o;
  o.Set("url", Entry("postgresql://" + Env("TRIB_TEST_PG_USER") + ":" +
                         Env("TRIB_TEST_PG_PASSWORD") + "@" + Env("TRIB_TEST_PG_HOST") + ":" +
                         Env("TRIB_TEST_PG_PORT") + "/" + Env("TRIB_TEST_PG_DB"),
                     true));
  o.Set("search_path", Entry(std::string("trib_pg_other, public")));
  auto c = Make(o);
  auto r = Query(*c, "SELECT k FROM hidden");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(7));
  auto described = c->DescribeTable("hidden");
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->table.schema, "trib_pg_other");
  // The url and password are secret in the schema.
  for (const auto& spec : PostgresConnectorFactory().schema) {
    if (spec.name == "url" || spec.name == "password") {
      EXPECT_TRUE(spec.secret) << spec.name;
    }
  }
  // A bad password in a url is not echoed either.
  Options bad;
  bad.Set("url", Entry("postgresql://" + Env("TRIB_TEST_PG_USER") + ":zz-secret-zz@" +
                           Env("TRIB_TEST_PG_HOST") + ":" + Env("TRIB_TEST_PG_PORT") + "/" +
                           Env("TRIB_TEST_PG_DB"),
                       true));
  auto health = Make(bad)->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().message().find("zz-secret-zz"), std::string::npos);
}

TEST_F(PostgresConnector, OpenValidatesOptions) {
  SourceContext bad_mode{"pg", BaseOptions(), "."};
  bad_mode.options.Set("sslmode", Entry(std::string("sometimes")));
  EXPECT_EQ(PostgresConnectorFactory().create(bad_mode)->Open().code(), ErrorCode::kConfigError);
  SourceContext nothing{"pg", Options(), "."};
  EXPECT_EQ(PostgresConnectorFactory().create(nothing)->Open().code(), ErrorCode::kConfigError);
  SourceContext bad_url{"pg", Options(), "."};
  bad_url.options.Set("url", Entry(std::string("mysql://x"), true));
  EXPECT_EQ(PostgresConnectorFactory().create(bad_url)->Open().code(), ErrorCode::kConfigError);
}

TEST_F(PostgresConnector, SchemaIntrospection) {
  auto c = Make(BaseOptions());
  auto tables = c->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  bool saw_table = false, saw_view = false, saw_other = false;
  for (const auto& t : *tables) {
    EXPECT_NE(t.schema, "pg_catalog");
    EXPECT_NE(t.schema, "information_schema");
    if (t.schema == "public" && t.name == "pg_t_types" && t.kind == "table") saw_table = true;
    if (t.schema == "public" && t.name == "pg_t_view" && t.kind == "view") saw_view = true;
    if (t.schema == "trib_pg_other" && t.name == "hidden") saw_other = true;
  }
  EXPECT_TRUE(saw_table && saw_view && saw_other);
  auto types = c->DescribeTable("pg_t_types");
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  EXPECT_EQ(types->table.kind, "table");
  ASSERT_GE(types->columns.size(), 5u);
  EXPECT_EQ(types->columns[0].name, "id");
  EXPECT_FALSE(types->columns[0].nullable);
  EXPECT_EQ(types->columns[3].type, ColumnType::kDecimal);
  EXPECT_EQ(types->columns[3].source_type, "numeric(20,6)");
  auto hidden = c->DescribeTable("trib_pg_other.hidden");
  ASSERT_TRUE(hidden.ok()) << hidden.status().ToString();
  ASSERT_EQ(hidden->columns.size(), 2u);
  EXPECT_EQ(hidden->columns[1].name, "Mixed Case");
  EXPECT_EQ(hidden->columns[1].type, ColumnType::kString);
  auto view = c->DescribeTable("public.pg_t_view");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->table.kind, "view");
  EXPECT_EQ(c->DescribeTable("hidden").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(c->DescribeTable("nope.nothing").status().code(), ErrorCode::kNotFound);
}

TEST_F(PostgresConnector, HealthCheckReportsVersion) {
  auto c = Make(BaseOptions());
  auto h = c->HealthCheck();
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_NE(h->detail.find("PostgreSQL 15"), std::string::npos) << h->detail;
  EXPECT_GT(h->latency.count(), 0);
}

TEST_F(PostgresConnector, ConcurrentQueriesFromEightThreads) {
  Options o = BaseOptions();
  o.Set("max_connections", Entry(int64_t{4}));
  auto c = Make(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto r = Query(*c, "SELECT $1::int8 * 2", {Value::Int64(t * 100 + i)});
        if (r.ok() && r->ValueAt(0, 0) == Value::Int64((t * 100 + i) * 2)) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST_F(PostgresConnector, PoolExhaustionIsResourceExhausted) {
  Options o = BaseOptions();
  o.Set("max_connections", Entry(int64_t{1}));
  auto c = Make(o);
  std::thread busy([&] { (void)Query(*c, "SELECT pg_sleep(1.5)"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  QueryRequest request;
  request.sql = "SELECT 1";
  request.timeout = std::chrono::milliseconds(300);
  auto r = c->Execute(request);
  busy.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted) << r.status().ToString();
  auto later = Query(*c, "SELECT 1");
  EXPECT_TRUE(later.ok()) << later.status().ToString();
}

TEST_F(PostgresConnector, RecoversAfterServerRestart) {
  const std::string script = Env("TRIB_TEST_SERVERS_SCRIPT");
  ASSERT_FALSE(script.empty()) << "TRIB_TEST_SERVERS_SCRIPT is not set: run via `make test`";
  auto c = Make(BaseOptions());
  ASSERT_TRUE(Query(*c, "SELECT 1").ok());
  ASSERT_EQ(std::system((script + " restart pg >/dev/null 2>&1").c_str()), 0);
  auto r = Query(*c, "SELECT 1");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  auto h = c->HealthCheck();
  EXPECT_TRUE(h.ok()) << h.status().ToString();
}

}  // namespace
}  // namespace tributary
