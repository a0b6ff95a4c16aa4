// The ClickHouse conformance target: the live 18.16 test server of scripts/test-servers.sh
// (TRIB_TEST_CLICKHOUSE_*), with fixtures created over HTTP with the test user's write access,
// outside the connector.
//
// Fixtures use the Log engine (data survives the ServerRestart test; Memory would not). Each
// table is built under a unique name and RENAMEd into place, so two test processes preparing
// at once never see a half-filled table (the loser of the rename drops its copy).
// Capabilities that 18.16 lacks: no JSON type (doc is a String), no binary type (raw is a
// String holding the bytes), no interval column type, and no Nullable(Array) (so `arr` cannot
// be NULL in row 2: arrays are covered by the connector's own tests instead).
// Thread-safety: used by the suite's test thread only.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"
#include "connectors/common/http_client.h"

namespace tributary::conformance {
namespace {

class ClickHouseTarget final : public Target {
 public:
  std::string name() const override { return "clickhouse"; }
  std::string connector_type() const override { return "clickhouse"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.timestamp_with_zone = true;  // DateTime('UTC')
    c.decimal = true;
    c.json = false;
    c.arrays = false;
    c.uuid = true;
    c.interval = false;
    c.bytes = false;
    c.engine_read_only = true;  // readonly=1 on every request
    c.credentials = true;
    c.restartable = true;
    return c;
  }

  Status PrepareFixtures() override {
    if (TestEnv("TRIB_TEST_CLICKHOUSE_URL").empty()) {
      return Unavailable(
          "TRIB_TEST_CLICKHOUSE_URL is not set: run the conformance suite via "
          "`make test` (scripts/test-servers.sh starts the servers)");
    }
    TRIB_RETURN_IF_ERROR(CreateOnce(
        "conf_types",
        "(id Int32, i16 Nullable(Int16), i32 Nullable(Int32), i64 Nullable(Int64), "
        "dec Nullable(Decimal(20, 6)), f64 Nullable(Float64), flag Nullable(UInt8), "
        "txt Nullable(String), day Nullable(Date), ts Nullable(DateTime), "
        "tstz Nullable(DateTime('UTC')), doc Nullable(String), raw Nullable(String), "
        "uid Nullable(UUID)) ENGINE = Log",
        {"INSERT INTO {t} VALUES (1, 12, -345, 1234567890123, 12.34, 2.5, 1, 'hello', "
         "'2024-02-29', '2024-02-29 13:14:15', '2024-02-29 11:14:15', "
         "'{\"a\":[1,2],\"b\":\"x\"}', '\\0\\x01hi', '550e8400-e29b-41d4-a716-446655440000')",
         "INSERT INTO {t} (id) VALUES (2)",
         "INSERT INTO {t} VALUES (3, -32768, 2147483647, -9223372036854775808, "
         "-99999999999999.999999, -1.5e300, 0, "
         "'Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600', '2105-12-31', "
         "'1970-01-01 00:00:00', '2105-12-31 23:59:59', '[]', '', "
         "'ffffffff-ffff-ffff-ffff-ffffffffffff')"}));
    return CreateOnce("conf_numbers", "(n Int64) ENGINE = Log",
                      {"INSERT INTO {t} SELECT number + 1 FROM system.numbers LIMIT 100000"});
  }

  Options BaseOptions() const override {
    return MakeOptions({{"url", TestEnv("TRIB_TEST_CLICKHOUSE_URL")},
                        {"user", TestEnv("TRIB_TEST_CLICKHOUSE_USER")},
                        {"password", TestEnv("TRIB_TEST_CLICKHOUSE_PASSWORD")},
                        {"database", TestEnv("TRIB_TEST_CLICKHOUSE_DB")},
                        {"connect_timeout_ms", int64_t{3000}}});
  }
  Options BadCredentialOptions() const override {
    return WithOverrides(BaseOptions(), {{"password", std::string("wrong-password")}});
  }
  Options UnreachableOptions() const override {
    // Port 1 on loopback: nothing listens there, the connect is refused at once.
    return WithOverrides(BaseOptions(), {{"url", std::string("http://127.0.0.1:1")}});
  }

  std::string TypesQuery() const override {
    return "SELECT id, i16, i32, i64, dec, f64, flag, txt, day, ts, tstz, doc, raw, uid "
           "FROM conf_types ORDER BY id";
  }

  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return {
        {"id", ColumnType::kInt64},       {"i16", ColumnType::kInt64},
        {"i32", ColumnType::kInt64},      {"i64", ColumnType::kInt64},
        {"dec", ColumnType::kDecimal},    {"f64", ColumnType::kDouble},
        {"flag", ColumnType::kInt64},     {"txt", ColumnType::kString},
        {"day", ColumnType::kDate},       {"ts", ColumnType::kTimestamp},
        {"tstz", ColumnType::kTimestamp}, {"doc", ColumnType::kString},
        {"raw", ColumnType::kString},     {"uid", ColumnType::kString},
    };
  }

  std::string ExpectedTypeRowsJson() const override {
    return "["
           "[1,12,-345,1234567890123,12.340000,2.5,1,\"hello\",\"2024-02-29\","
           "\"2024-02-29T13:14:15Z\",\"2024-02-29T11:14:15Z\","
           "\"{\\\"a\\\":[1,2],\\\"b\\\":\\\"x\\\"}\",\"\\u0000\\u0001hi\","
           "\"550e8400-e29b-41d4-a716-446655440000\"],"
           "[2,null,null,null,null,null,null,null,null,null,null,null,null,null],"
           "[3,-32768,2147483647,-9223372036854775808,-99999999999999.999999,-1.5e300,0,"
           "\"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\",\"2105-12-31\","
           "\"1970-01-01T00:00:00Z\",\"2105-12-31T23:59:59Z\",\"[]\",\"\","
           "\"ffffffff-ffff-ffff-ffff-ffffffffffff\"]"
           "]";
  }

  //! 18.16 has no bound parameters: the connector renders `?` as escaped literals.
  std::string Placeholder(int i) const override {
    (void)i;
    return "?";
  }

  //! An endless scan of system.numbers (table functions such as numbers() are refused under
  //! readonly=1), stopped only by the timeout or a cancel.
  std::string SlowQuery(int seconds) const override {
    (void)seconds;
    return "SELECT count() FROM system.numbers WHERE number % 1000003 = 7";
  }

  std::vector<std::string> EngineWrites() const override {
    return {"INSERT INTO conf_numbers VALUES (0)",
            "CREATE TABLE conf_evil (a Int8) ENGINE = Memory", "DROP TABLE conf_numbers",
            "ALTER TABLE conf_numbers DELETE WHERE n > 0"};
  }

  Status RestartServer() override {
    const std::string script = TestEnv("TRIB_TEST_SERVERS_SCRIPT");
    if (script.empty()) return Unavailable("TRIB_TEST_SERVERS_SCRIPT is not set");
    const std::string command = "'" + script + "' restart clickhouse >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return Internal("restarting ClickHouse failed");
    return Status::Ok();
  }

 private:
  // One statement with write access (the test user's own profile, no readonly).
  Status Admin(const std::string& sql) const {
    HttpHandle http;
    HttpRequest request;
    request.url = TestEnv("TRIB_TEST_CLICKHOUSE_URL") +
                  "/?database=" + UrlEncode(TestEnv("TRIB_TEST_CLICKHOUSE_DB"));
    request.body = sql;
    request.basic_user = TestEnv("TRIB_TEST_CLICKHOUSE_USER");
    request.basic_password = TestEnv("TRIB_TEST_CLICKHOUSE_PASSWORD");
    request.total_timeout = std::chrono::milliseconds(60'000);
    TRIB_ASSIGN_OR_RETURN(auto response, http.Perform(request, nullptr));
    if (response.status != 200) {
      return Internal("fixture statement failed: " + sql + ": " + response.body);
    }
    return Status::Ok();
  }

  Result<bool> Exists(const std::string& table) const {
    HttpHandle http;
    HttpRequest request;
    request.url = TestEnv("TRIB_TEST_CLICKHOUSE_URL") +
                  "/?database=" + UrlEncode(TestEnv("TRIB_TEST_CLICKHOUSE_DB"));
    request.body = "EXISTS TABLE " + table;
    request.basic_user = TestEnv("TRIB_TEST_CLICKHOUSE_USER");
    request.basic_password = TestEnv("TRIB_TEST_CLICKHOUSE_PASSWORD");
    TRIB_ASSIGN_OR_RETURN(auto response, http.Perform(request, nullptr));
    if (response.status != 200) return Internal("EXISTS failed: " + response.body);
    return response.body.rfind("1", 0) == 0;
  }

  // Builds `table` under a unique name and renames it into place unless it already exists.
  Status CreateOnce(const std::string& table, const std::string& definition,
                    const std::vector<std::string>& inserts) const {
    TRIB_ASSIGN_OR_RETURN(bool exists, Exists(table));
    if (exists) return Status::Ok();
    std::random_device random;
    const std::string temp = table + "_tmp_" + std::to_string(random());
    TRIB_RETURN_IF_ERROR(Admin("CREATE TABLE " + temp + " " + definition));
    for (std::string insert : inserts) {
      insert.replace(insert.find("{t}"), 3, temp);
      Status inserted = Admin(insert);
      if (!inserted.ok()) {
        (void)Admin("DROP TABLE IF EXISTS " + temp);
        return inserted;
      }
    }
    if (!Admin("RENAME TABLE " + temp + " TO " + table).ok()) {
      // Another process won the race; its table is complete.
      (void)Admin("DROP TABLE IF EXISTS " + temp);
      TRIB_ASSIGN_OR_RETURN(bool now_exists, Exists(table));
      if (!now_exists) return Internal("could not create the fixture table " + table);
    }
    return Status::Ok();
  }
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<ClickHouseTarget>(); });

}  // namespace
}  // namespace tributary::conformance
