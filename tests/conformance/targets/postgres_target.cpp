// Conformance target for the PostgreSQL connector: the live server of scripts/test-servers.sh
// (TRIB_TEST_PG_* variables). Fixtures are written through libpq as the owner user, once,
// under an advisory lock so that parallel test processes do not race.
#include <libpq-fe.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"

namespace tributary::conformance {
namespace {

class PostgresTarget final : public Target {
 public:
  std::string name() const override { return "postgres"; }
  std::string connector_type() const override { return "postgres"; }
  Capabilities capabilities() const override { return Capabilities{}; }  // everything

  Status PrepareFixtures() override {
    if (TestEnv("TRIB_TEST_PG_HOST").empty()) {
      return Unavailable(
          "TRIB_TEST_PG_* variables are not set: run the conformance tests via `make test`");
    }
    const std::string host = TestEnv("TRIB_TEST_PG_HOST"), port = TestEnv("TRIB_TEST_PG_PORT"),
                      db = TestEnv("TRIB_TEST_PG_DB"), user = TestEnv("TRIB_TEST_PG_USER"),
                      password = TestEnv("TRIB_TEST_PG_PASSWORD");
    const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
    const char* values[] = {host.c_str(), port.c_str(),     db.c_str(),
                            user.c_str(), password.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn);
      PQfinish(conn);
      return Unavailable("cannot connect to the PostgreSQL test server: " + message);
    }
    Status status;
    auto run = [&](const char* sql) -> bool {
      if (!status.ok()) return false;
      PGresult* r = PQexec(conn, sql);
      const auto st = PQresultStatus(r);
      bool yes = false;
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        status =
            Internal(std::string("fixture statement failed: ") + sql + ": " + PQerrorMessage(conn));
      } else {
        yes = st == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
      }
      PQclear(r);
      return yes;
    };
    run("BEGIN");
    run("SELECT pg_advisory_xact_lock(71530002)");
    if (!run("SELECT to_regclass('public.conf_numbers') IS NOT NULL") && status.ok()) {
      run("DROP TABLE IF EXISTS conf_types");
      run("CREATE TABLE conf_types (id int PRIMARY KEY, i16 smallint, i32 int, i64 bigint, "
          "dec numeric(20,6), f64 double precision, flag boolean, txt text, day date, "
          "ts timestamp, tstz timestamptz, doc jsonb, raw bytea, uid uuid, dur interval, "
          "arr int[])");
      run("INSERT INTO conf_types VALUES "
          "(1, 1, 2, 3, '12.5', 0.25, true, 'hello', '2024-01-15', '2024-01-15 10:30:00', "
          "'2024-01-15 10:30:00+02', '{\"n\": [1, 2], \"k\": \"v\"}', '\\x48656c6c6f', "
          "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:03:04', '{1,2,NULL}'), "
          "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
          "NULL, NULL), "
          "(3, -32768, 2147483647, -9223372036854775808, '-99999999999999.999999', -1.5e300, "
          "false, 'Ünïcødé ✓ 日本 \"q\"', '0001-01-01', '9999-12-31 23:59:59.999999', "
          "'1900-01-01 00:00:00.000001+00', '[]', '\\x', "
          "'ffffffff-ffff-ffff-ffff-ffffffffffff', '-1 days', '{}')");
      run("CREATE TABLE conf_numbers (n bigint NOT NULL)");
      run("INSERT INTO conf_numbers SELECT generate_series(1, 100000)");
    }
    run("COMMIT");
    PQfinish(conn);
    return status;
  }

  Options BaseOptions() const override {
    return MakeOptions({{"host", TestEnv("TRIB_TEST_PG_HOST")},
                        {"port", int64_t{std::atoi(TestEnv("TRIB_TEST_PG_PORT").c_str())}},
                        {"database", TestEnv("TRIB_TEST_PG_DB")},
                        {"user", TestEnv("TRIB_TEST_PG_USER")},
                        {"password", TestEnv("TRIB_TEST_PG_PASSWORD")},
                        {"sslmode", std::string("disable")}});
  }
  Options BadCredentialOptions() const override {
    return WithOverrides(BaseOptions(), {{"password", std::string("not-the-password")}});
  }
  Options UnreachableOptions() const override {
    return WithOverrides(BaseOptions(), {{"host", std::string("127.0.0.1")}, {"port", int64_t{1}}});
  }

  std::string TypesQuery() const override {
    return "SELECT id, i16, i32, i64, dec, f64, flag, txt, day, ts, tstz, doc, raw, uid, dur, "
           "arr FROM conf_types ORDER BY id";
  }
  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return {{"id", ColumnType::kInt64},       {"i16", ColumnType::kInt64},
            {"i32", ColumnType::kInt64},      {"i64", ColumnType::kInt64},
            {"dec", ColumnType::kDecimal},    {"f64", ColumnType::kDouble},
            {"flag", ColumnType::kBool},      {"txt", ColumnType::kString},
            {"day", ColumnType::kDate},       {"ts", ColumnType::kTimestamp},
            {"tstz", ColumnType::kTimestamp}, {"doc", ColumnType::kJson},
            {"raw", ColumnType::kBytes},      {"uid", ColumnType::kString},
            {"dur", ColumnType::kString},     {"arr", ColumnType::kJson}};
  }
  std::string ExpectedTypeRowsJson() const override {
    return R"([[1,1,2,3,12.500000,0.25,true,"hello","2024-01-15","2024-01-15T10:30:00Z",)"
           R"("2024-01-15T08:30:00Z",{"k":"v","n":[1,2]},"SGVsbG8=",)"
           R"("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","P1DT2H3M4S",[1,2,null]],)"
           R"([2,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null],)"
           R"([3,-32768,2147483647,-9223372036854775808,-99999999999999.999999,-1.5e300,false,)"
           R"("Ünïcødé ✓ 日本 \"q\"","0001-01-01","9999-12-31T23:59:59.999999Z",)"
           R"("1900-01-01T00:00:00.000001Z",[],"","ffffffff-ffff-ffff-ffff-ffffffffffff",)"
           R"("P-1D",[]]])";
  }

  std::string Placeholder(int i) const override {
    // Built by appending: GCC 12 at -O3 warns (falsely) on "$" + std::to_string(i).
    std::string placeholder = "$";
    placeholder += std::to_string(i);
    return placeholder;
  }
  std::string SlowQuery(int seconds) const override {
    return "SELECT pg_sleep(" + std::to_string(seconds) + ")";
  }
  std::vector<std::string> EngineWrites() const override {
    return {"INSERT INTO conf_numbers VALUES (0)",
            "UPDATE conf_numbers SET n = n",
            "DELETE FROM conf_numbers WHERE n = 0",
            "CREATE TABLE conf_pg_write (x int)",
            "DROP TABLE conf_numbers",
            "TRUNCATE conf_numbers"};
  }

  Status RestartServer() override {
    const std::string script = TestEnv("TRIB_TEST_SERVERS_SCRIPT");
    if (script.empty()) return Unavailable("TRIB_TEST_SERVERS_SCRIPT is not set: run `make test`");
    if (std::system((script + " restart pg >/dev/null 2>&1").c_str()) != 0) {
      return Internal("'" + script + " restart pg' failed");
    }
    return Status::Ok();
  }
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<PostgresTarget>(); });

}  // namespace
}  // namespace tributary::conformance
