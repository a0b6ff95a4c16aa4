// The conformance target for MariaDB (connector type "mysql") on the live test server started
// by scripts/test-servers.sh (TRIB_TEST_MARIADB_*). Fixtures are written by the owner user
// over a plain libmariadb connection; the connector itself is read-only.
#include <mysql.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"

namespace tributary::conformance {
namespace {

class MariaDbTarget final : public Target {
 public:
  std::string name() const override { return "mariadb"; }
  std::string connector_type() const override { return "mysql"; }

  Capabilities capabilities() const override {
    Capabilities caps;
    caps.arrays = false;    // no array type
    caps.interval = false;  // no interval type
    return caps;
  }

  Status PrepareFixtures() override {
    if (TestEnv("TRIB_TEST_MARIADB_HOST").empty()) {
      return Unavailable(
          "TRIB_TEST_MARIADB_* is not set: run the conformance tests via `make test`");
    }
    MYSQL* h = mysql_init(nullptr);
    if (h == nullptr) return Internal("cannot allocate a MariaDB client handle");
    std::unique_ptr<MYSQL, void (*)(MYSQL*)> owner(h, mysql_close);
    mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(h, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    if (mysql_real_connect(
            h, TestEnv("TRIB_TEST_MARIADB_HOST").c_str(), TestEnv("TRIB_TEST_MARIADB_USER").c_str(),
            TestEnv("TRIB_TEST_MARIADB_PASSWORD").c_str(), TestEnv("TRIB_TEST_MARIADB_DB").c_str(),
            static_cast<unsigned>(std::atoi(TestEnv("TRIB_TEST_MARIADB_PORT").c_str())), nullptr,
            0) == nullptr) {
      return Unavailable(std::string("cannot connect to the MariaDB test server: ") +
                         mysql_error(h));
    }
    // Idempotent: tables are created once and rows inserted by primary key.
    const std::vector<std::string> statements = {
        "CREATE TABLE IF NOT EXISTS conf_types (id INT PRIMARY KEY, i16 SMALLINT, i32 INT, "
        "i64 BIGINT, `dec` DECIMAL(20,6), f64 DOUBLE, flag TINYINT(1), "
        "txt VARCHAR(100) CHARACTER SET utf8mb4, day DATE, ts DATETIME(6), tstz TIMESTAMP(6) NULL, "
        "doc JSON, raw VARBINARY(16), uid UUID)",
        "INSERT IGNORE INTO conf_types VALUES "
        "(1, 1, 100, 10000000000, 12345.6789, 1.5, 1, 'hello', '2024-01-15', "
        "'2024-01-15 10:30:00', '2024-01-15 10:30:00.123456', '{\"k\":\"v\"}', x'0102', "
        "'123e4567-e89b-12d3-a456-426614174000'), "
        "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
        "(3, -32768, -2147483648, -9223372036854775808, -99999999999999.999999, "
        "-1.7976931348623157e308, 0, 'ünïcödé 日本 🎉', '9999-12-31', "
        "'9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '[1,2,{\"a\":null}]', "
        "x'00ff', '00000000-0000-0000-0000-000000000000')",
        "CREATE TABLE IF NOT EXISTS conf_numbers (n BIGINT PRIMARY KEY)",
        "INSERT IGNORE INTO conf_numbers SELECT seq FROM seq_1_to_100000",
    };
    for (const auto& sql : statements) {
      if (mysql_real_query(h, sql.data(), sql.size()) != 0) {
        return Internal("MariaDB fixture statement failed: " + std::string(mysql_error(h)) +
                        " in: " + sql);
      }
    }
    return Status::Ok();
  }

  Options BaseOptions() const override {
    return MakeOptions({
        {"host", TestEnv("TRIB_TEST_MARIADB_HOST")},
        {"port", int64_t{std::atoll(TestEnv("TRIB_TEST_MARIADB_PORT").c_str())}},
        {"user", TestEnv("TRIB_TEST_MARIADB_USER")},
        {"password", TestEnv("TRIB_TEST_MARIADB_PASSWORD")},
        {"database", TestEnv("TRIB_TEST_MARIADB_DB")},
    });
  }

  Options BadCredentialOptions() const override {
    return WithOverrides(BaseOptions(), {{"password", std::string("not-the-password")}});
  }

  Options UnreachableOptions() const override {
    return WithOverrides(BaseOptions(), {{"host", std::string("127.0.0.1")},
                                         {"port", int64_t{1}},
                                         {"connect_timeout_ms", int64_t{2000}}});
  }

  std::string TypesQuery() const override {
    return "SELECT id, i16, i32, i64, `dec`, f64, flag, txt, day, ts, tstz, doc, raw, uid "
           "FROM conf_types ORDER BY id";
  }

  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return {{"id", ColumnType::kInt64},       {"i16", ColumnType::kInt64},
            {"i32", ColumnType::kInt64},      {"i64", ColumnType::kInt64},
            {"dec", ColumnType::kDecimal},    {"f64", ColumnType::kDouble},
            {"flag", ColumnType::kBool},      {"txt", ColumnType::kString},
            {"day", ColumnType::kDate},       {"ts", ColumnType::kTimestamp},
            {"tstz", ColumnType::kTimestamp}, {"doc", ColumnType::kJson},
            {"raw", ColumnType::kBytes},      {"uid", ColumnType::kString}};
  }

  std::string ExpectedTypeRowsJson() const override {
    return "[[1,1,100,10000000000,12345.678900,1.5,true,\"hello\",\"2024-01-15\","
           "\"2024-01-15T10:30:00Z\",\"2024-01-15T10:30:00.123456Z\",{\"k\":\"v\"},\"AQI=\","
           "\"123e4567-e89b-12d3-a456-426614174000\"],"
           "[2,null,null,null,null,null,null,null,null,null,null,null,null,null],"
           "[3,-32768,-2147483648,-9223372036854775808,-99999999999999.999999,"
           "-1.7976931348623157e308,false,\"ünïcödé 日本 🎉\",\"9999-12-31\","
           "\"9999-12-31T23:59:59.999999Z\",\"2038-01-19T03:14:07.999999Z\","
           "[1,2,{\"a\":null}],\"AP8=\",\"00000000-0000-0000-0000-000000000000\"]]";
  }

  std::string Placeholder(int /*i*/) const override { return "?"; }

  std::string SlowQuery(int seconds) const override {
    return "SELECT SLEEP(" + std::to_string(seconds) + ")";
  }

  std::vector<std::string> EngineWrites() const override {
    return {"INSERT INTO conf_numbers VALUES (0)", "UPDATE conf_types SET i32 = 0",
            "DELETE FROM conf_numbers", "CREATE TABLE conf_written (x INT)",
            "CREATE TEMPORARY TABLE conf_scratch (x INT)"};
  }

  Status RestartServer() override {
    const std::string script = TestEnv("TRIB_TEST_SERVERS_SCRIPT");
    if (script.empty()) {
      return Unavailable("TRIB_TEST_SERVERS_SCRIPT is not set: run via `make test`");
    }
    const std::string command = "'" + script + "' restart mariadb > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return Internal("failed: " + command);
    return Status::Ok();
  }
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<MariaDbTarget>(); });

}  // namespace
}  // namespace tributary::conformance
