// MySQL/MariaDB connector against the live test server: types, parameters, errors, read-only
// enforcement, schema introspection and health.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "connectors/mysql_test_support.h"
#include "core/result_writer.h"
#include "core/time_util.h"
#include "support/fixture_once.h"

namespace tributary {
namespace {

using namespace mysql_test;  // NOLINT(google-build-using-namespace)

class MySqlConnectorTest : public ::testing::Test {
 protected:
  // In SetUp, not SetUpTestSuite: gtest reports a failed suite set-up as skipped tests,
  // which ctest would not count as failures. The fixtures are still created only once.
  void SetUp() override {
    if (!ServerEnv().ok()) return;
    static const std::vector<std::string> kFixtures = {
        "DROP VIEW IF EXISTS mysql_t_view",
        "DROP TABLE IF EXISTS mysql_t_types",
        "DROP TABLE IF EXISTS mysql_t_writes",
        "CREATE TABLE mysql_t_types (id INT PRIMARY KEY, ti TINYINT, flag TINYINT(1), "
        "si SMALLINT, mi MEDIUMINT, i INT, bi BIGINT, ubi BIGINT UNSIGNED, dec_v DECIMAL(20,6), "
        "f FLOAT, d DOUBLE, c CHAR(3), vc VARCHAR(40), tx TEXT, e ENUM('a','b'), st SET('x','y'), "
        "dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(3), yr YEAR, bt BIT(10), "
        "js JSON, bin VARBINARY(8), bl BLOB, u UUID) DEFAULT CHARSET = utf8mb4",
        "INSERT INTO mysql_t_types VALUES (1, -5, 1, -300, 70000, -2147483648, "
        "-9223372036854775808, 18446744073709551615, -12345678901234.123456, 1.2, "
        "3.141592653589793, 'ab', 'héllo 🌍', REPEAT('long ', 200), 'b', 'x,y', '1969-12-31', "
        "'2024-02-29 23:59:59.123456', '2024-01-02 03:04:05.000006', '-12:34:56.789', 2024, "
        "b'1000000001', '{\"a\": [1, 2]}', x'00ff10', x'deadbeef', "
        "'123e4567-e89b-12d3-a456-426614174000')",
        "INSERT INTO mysql_t_types (id) VALUES (2)",
        "CREATE TABLE mysql_t_writes (id INT)",
        "CREATE VIEW mysql_t_view AS SELECT id FROM mysql_t_types",
    };
    std::string version;
    for (const auto& sql : kFixtures) version += sql + ";\n";
    test_support::RunFixtureSetupOnce("mysql-connector", version, [] { RunOwnerSql(kFixtures); });
  }
};

TEST_F(MySqlConnectorTest, RegisteredWithSecretPassword) {
  const ConnectorFactory* factory = FindConnector("mysql");
  ASSERT_NE(factory, nullptr);
  bool password_secret = false, url_secret = false;
  for (const auto& spec : factory->schema) {
    if (spec.name == "password") password_secret = spec.secret;
    if (spec.name == "url") url_secret = spec.secret;
  }
  EXPECT_TRUE(password_secret);
  EXPECT_TRUE(url_secret);
}

TEST_F(MySqlConnectorTest, TypesMapToCommonTypes) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  auto result = connector->Execute(Request("SELECT * FROM mysql_t_types ORDER BY id"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  struct Expect {
    const char* name;
    ColumnType type;
    const char* source;
  };
  const std::vector<Expect> expected = {
      {"id", ColumnType::kInt64, "INT"},
      {"ti", ColumnType::kInt64, "TINYINT"},
      {"flag", ColumnType::kBool, "TINYINT(1)"},
      {"si", ColumnType::kInt64, "SMALLINT"},
      {"mi", ColumnType::kInt64, "MEDIUMINT"},
      {"i", ColumnType::kInt64, "INT"},
      {"bi", ColumnType::kInt64, "BIGINT"},
      {"ubi", ColumnType::kDecimal, "BIGINT UNSIGNED"},
      {"dec_v", ColumnType::kDecimal, "DECIMAL(20,6)"},
      {"f", ColumnType::kDouble, "FLOAT"},
      {"d", ColumnType::kDouble, "DOUBLE"},
      {"c", ColumnType::kString, "CHAR"},
      {"vc", ColumnType::kString, "VARCHAR"},
      {"tx", ColumnType::kString, "TEXT"},
      {"e", ColumnType::kString, "ENUM"},
      {"st", ColumnType::kString, "SET"},
      {"dt", ColumnType::kDate, "DATE"},
      {"dtm", ColumnType::kTimestamp, "DATETIME"},
      {"ts", ColumnType::kTimestamp, "TIMESTAMP"},
      {"tm", ColumnType::kString, "TIME"},
      {"yr", ColumnType::kInt64, "YEAR"},
      {"bt", ColumnType::kInt64, "BIT(10)"},
      {"js", ColumnType::kJson, "JSON"},
      {"bin", ColumnType::kBytes, "VARBINARY"},
      {"bl", ColumnType::kBytes, "BLOB"},
      {"u", ColumnType::kString, "UUID"},
  };
  ASSERT_EQ(result->column_count(), expected.size());
  for (size_t c = 0; c < expected.size(); ++c) {
    EXPECT_EQ(result->columns()[c].name, expected[c].name);
    EXPECT_EQ(result->columns()[c].type, expected[c].type) << expected[c].name;
    EXPECT_EQ(result->columns()[c].source_type, expected[c].source) << expected[c].name;
  }
  ASSERT_EQ(result->row_count(), 2u);
  auto at = [&](const char* name) {
    for (size_t c = 0; c < expected.size(); ++c) {
      if (std::string(expected[c].name) == name) return result->ValueAt(0, c);
    }
    return Value::Null();
  };
  EXPECT_EQ(at("ti"), Value::Int64(-5));
  EXPECT_EQ(at("flag"), Value::Bool(true));
  EXPECT_EQ(at("mi"), Value::Int64(70000));
  EXPECT_EQ(at("i"), Value::Int64(-2147483648ll));
  EXPECT_EQ(at("bi"), Value::Int64(INT64_MIN));
  EXPECT_EQ(at("ubi"), Value::Decimal("18446744073709551615"));
  EXPECT_EQ(at("dec_v"), Value::Decimal("-12345678901234.123456"));
  EXPECT_EQ(at("f"), Value::Double(1.2));
  EXPECT_EQ(at("d"), Value::Double(3.141592653589793));
  EXPECT_EQ(at("c"), Value::String("ab"));
  EXPECT_EQ(at("vc"), Value::String("héllo 🌍"));
  EXPECT_EQ(at("tx").as_string().size(), 1000u);
  EXPECT_EQ(at("e"), Value::String("b"));
  EXPECT_EQ(at("st"), Value::String("x,y"));
  EXPECT_EQ(at("dt"), Value::Date(-1));
  EXPECT_EQ(at("dtm"), Value::Timestamp(*ParseTimestamp("2024-02-29T23:59:59.123456Z")));
  EXPECT_EQ(at("ts"), Value::Timestamp(*ParseTimestamp("2024-01-02T03:04:05.000006Z")));
  EXPECT_EQ(at("tm"), Value::String("-12:34:56.789"));
  EXPECT_EQ(at("yr"), Value::Int64(2024));
  EXPECT_EQ(at("bt"), Value::Int64(513));
  EXPECT_EQ(at("js"), Value::Json("{\"a\": [1, 2]}"));
  EXPECT_EQ(at("bin"), Value::Bytes(std::string("\x00\xff\x10", 3)));
  EXPECT_EQ(at("bl"), Value::Bytes("\xde\xad\xbe\xef"));
  EXPECT_EQ(at("u"), Value::String("123e4567-e89b-12d3-a456-426614174000"));
  for (size_t c = 1; c < expected.size(); ++c) {
    EXPECT_TRUE(result->column(c).is_null(1)) << expected[c].name;
  }
}

TEST_F(MySqlConnectorTest, LongValuesAreFetchedWhole) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  auto result = connector->Execute(
      Request("SELECT REPEAT('é', 100000) AS s, CAST(REPEAT('x', 70000) AS BINARY) AS b"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ValueAt(0, 0).as_string().size(), 200000u);
  EXPECT_EQ(result->columns()[1].type, ColumnType::kBytes);
  EXPECT_EQ(result->ValueAt(0, 1).as_string(), std::string(70000, 'x'));
}

TEST_F(MySqlConnectorTest, TypedParametersAreBoundNotSpliced) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  const int64_t ts = *ParseTimestamp("2001-02-03T04:05:06.789Z");
  auto result = connector->Execute(
      Request("SELECT ? AS i, ? AS d, ? AS s, ? AS n, CAST(? AS DATE) AS day, "
              "CAST(? AS DATETIME(6)) AS ts, ? AS dec_v, ? AS b, ? AS raw",
              {Value::Int64(-42), Value::Double(2.5), Value::String("x' OR '1'='1"), Value::Null(),
               Value::Date(-719162), Value::Timestamp(ts), Value::Decimal("123.456"),
               Value::Bool(true), Value::Bytes(std::string("\x00\x01", 2))}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ValueAt(0, 0), Value::Int64(-42));
  EXPECT_EQ(result->ValueAt(0, 1), Value::Double(2.5));
  EXPECT_EQ(result->ValueAt(0, 2), Value::String("x' OR '1'='1"));
  EXPECT_TRUE(result->ValueAt(0, 3).is_null());
  EXPECT_EQ(result->ValueAt(0, 4), Value::Date(-719162));  // 0001-01-01
  EXPECT_EQ(result->ValueAt(0, 5), Value::Timestamp(ts));
  EXPECT_EQ(result->ValueAt(0, 6), Value::Decimal("123.456"));
  EXPECT_EQ(result->ValueAt(0, 7), Value::Int64(1));
  EXPECT_EQ(result->ValueAt(0, 8).as_string(), std::string("\x00\x01", 2));

  auto filtered = connector->Execute(
      Request("SELECT id FROM mysql_t_types WHERE vc = ?", {Value::String("héllo 🌍")}));
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  ASSERT_EQ(filtered->row_count(), 1u);

  auto mismatch = connector->Execute(Request("SELECT ?, ?", {Value::Int64(1)}));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(mismatch.status().message().find("2 ? placeholder"), std::string::npos);
}

TEST_F(MySqlConnectorTest, EngineRefusesWritesWithGuardSkipped) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  for (const char* sql : {"INSERT INTO mysql_t_writes VALUES (1)", "UPDATE mysql_t_types SET i = 0",
                          "DELETE FROM mysql_t_types"}) {
    QueryRequest request = Request(sql);
    request.skip_statement_guard = true;
    auto result = connector->Execute(request);
    ASSERT_FALSE(result.ok()) << sql;
    EXPECT_EQ(result.status().code(), ErrorCode::kPermissionDenied) << sql;
    EXPECT_NE(result.status().message().find("1792"), std::string::npos)
        << result.status().message();
  }
  // The guard refuses the same statement before it reaches the engine.
  auto guarded = connector->Execute(Request("INSERT INTO mysql_t_writes VALUES (1)"));
  ASSERT_FALSE(guarded.ok());
  EXPECT_EQ(guarded.status().code(), ErrorCode::kPermissionDenied);
  auto count = connector->Execute(Request("SELECT COUNT(*) FROM mysql_t_writes"));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->ValueAt(0, 0), Value::Int64(0));
}

TEST_F(MySqlConnectorTest, GuardUsesTheMySqlDialect) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  for (const char* sql :
       {"SELECT 1 INTO OUTFILE '/tmp/trib_mysql_outfile'", "SELECT 1; DROP TABLE mysql_t_writes",
        "/*!50000 DROP TABLE x */", "SET SESSION TRANSACTION READ WRITE"}) {
    auto result = connector->Execute(Request(sql));
    ASSERT_FALSE(result.ok()) << sql;
    EXPECT_TRUE(result.status().code() == ErrorCode::kPermissionDenied ||
                result.status().code() == ErrorCode::kQueryError)
        << sql << ": " << result.status().ToString();
  }
  // Comments and quoting in the MySQL style still pass.
  auto ok = connector->Execute(Request("SELECT `id` # trailing comment\nFROM mysql_t_types -- x"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(MySqlConnectorTest, ServerErrorsKeepTheirCode) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  auto syntax = connector->Execute(Request("SELECT FROM WHERE"));
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(syntax.status().message().find("1064"), std::string::npos);
  auto missing = connector->Execute(Request("SELECT * FROM no_such_table_here"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(missing.status().message().find("no_such_table_here"), std::string::npos);
  // The connection is still good afterwards.
  auto ok = connector->Execute(Request("SELECT 1"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(MySqlConnectorTest, SessionIsUtcAndUtf8mb4) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  auto result = connector->Execute(
      Request("SELECT @@session.time_zone, @@character_set_client, @@session.tx_read_only"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ValueAt(0, 0), Value::String("+00:00"));
  EXPECT_EQ(result->ValueAt(0, 1), Value::String("utf8mb4"));
  EXPECT_EQ(result->ValueAt(0, 2).as_int(), 1);
}

TEST_F(MySqlConnectorTest, ListAndDescribeTables) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  auto tables = connector->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  bool saw_table = false, saw_view = false;
  for (const auto& t : *tables) {
    EXPECT_EQ(t.schema, ServerEnv().database);
    if (t.name == "mysql_t_types") saw_table = t.kind == "table";
    if (t.name == "mysql_t_view") saw_view = t.kind == "view";
  }
  EXPECT_TRUE(saw_table);
  EXPECT_TRUE(saw_view);

  auto schema = connector->DescribeTable("mysql_t_types");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->table.kind, "table");
  ASSERT_EQ(schema->columns.size(), 26u);
  EXPECT_EQ(schema->columns[0].name, "id");
  EXPECT_FALSE(schema->columns[0].nullable);
  EXPECT_EQ(schema->columns[2].type, ColumnType::kBool);
  EXPECT_EQ(schema->columns[2].source_type, "TINYINT(1)");
  EXPECT_EQ(schema->columns[8].type, ColumnType::kDecimal);
  EXPECT_EQ(schema->columns[8].source_type, "DECIMAL(20,6)");
  EXPECT_TRUE(schema->columns[8].nullable);
  EXPECT_EQ(schema->columns[22].type, ColumnType::kJson);
  EXPECT_EQ(schema->columns[22].source_type, "JSON");

  auto qualified = connector->DescribeTable(ServerEnv().database + ".mysql_t_view");
  ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
  EXPECT_EQ(qualified->table.kind, "view");

  auto missing = connector->DescribeTable("no_such_table_here");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST_F(MySqlConnectorTest, HealthCheckReportsVersion) {
  TRIB_REQUIRE_MARIADB();
  auto connector = OpenConnector();
  auto health = connector->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_NE(health->detail.find("MariaDB"), std::string::npos) << health->detail;
  EXPECT_GT(health->latency.count(), 0);
}

TEST_F(MySqlConnectorTest, BadCredentialsAreUnavailableWithoutPassword) {
  TRIB_REQUIRE_MARIADB();
  auto connector = MakeConnector(ServerOptions({{"password", std::string("wrong-s3cret")}}));
  ASSERT_TRUE(connector->Open().ok());  // a bad source does not stop start-up
  auto health = connector->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("authentication failed"), std::string::npos)
      << health.status().message();
  EXPECT_EQ(health.status().message().find("wrong-s3cret"), std::string::npos);
  auto query = connector->Execute(Request("SELECT 1"));
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), ErrorCode::kUnavailable);
}

TEST_F(MySqlConnectorTest, UnknownDatabaseIsUnavailable) {
  TRIB_REQUIRE_MARIADB();
  auto connector = MakeConnector(ServerOptions({{"database", std::string("no_such_db_xyz")}}));
  ASSERT_TRUE(connector->Open().ok());
  auto health = connector->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("unknown database"), std::string::npos)
      << health.status().message();
}

TEST_F(MySqlConnectorTest, UnreachableServerIsUnavailable) {
  auto connector = MakeConnector(ServerOptions({{"host", std::string("127.0.0.1")},
                                                {"port", int64_t{1}},
                                                {"user", std::string("nobody")},
                                                {"password", std::string("pw-s3cret")}}));
  ASSERT_TRUE(connector->Open().ok());
  auto health = connector->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("connection refused"), std::string::npos)
      << health.status().message();
  EXPECT_EQ(health.status().message().find("pw-s3cret"), std::string::npos);
}

TEST_F(MySqlConnectorTest, UrlOptionAndConfigErrors) {
  TRIB_REQUIRE_MARIADB();
  ServerEnv env;
  Options options;
  options.Set("url", Entry("mysql://" + env.user + ":" + env.password + "@" + env.host + ":" +
                               env.port + "/" + env.database,
                           true));
  auto connector = MakeConnector(options);
  ASSERT_TRUE(connector->Open().ok());
  auto result = connector->Execute(Request("SELECT DATABASE()"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ValueAt(0, 0), Value::String(env.database));

  Options bad_url;
  bad_url.Set("url", Entry(std::string("postgres://u:topsecret@h/db"), true));
  Status status = MakeConnector(bad_url)->Open();
  EXPECT_EQ(status.code(), ErrorCode::kConfigError);
  EXPECT_EQ(status.message().find("topsecret"), std::string::npos);

  Status bad_mode = MakeConnector(ServerOptions({{"ssl_mode", std::string("sometimes")}}))->Open();
  EXPECT_EQ(bad_mode.code(), ErrorCode::kConfigError);
}

}  // namespace
}  // namespace tributary
