// The SQLite conformance target: a temporary database file written with the sqlite3 API in
// read-write mode (outside the connector), holding conf_types and conf_numbers.
//
// SQLite has no date, timestamp, JSON or decimal storage of its own: the fixture follows the
// connector's conventions (sqlite_types.h): columns declared DATE, DATETIME, TIMESTAMP, JSON
// and DECIMAL(20,6) hold ISO text, JSON text and numbers; `tstz` holds UTC text. Every test
// process writes its own file (ctest runs tests as separate processes, in parallel), so
// fixtures never race. No server: not restartable, no credentials; no UUID, interval or
// array types.
// Thread-safety: used by the suite's test thread only.
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"

namespace tributary::conformance {
namespace {

// Runs setup SQL on a read-write connection to `path`, stopping at the first error, which
// names the statement.
Status RunSqliteSql(const std::string& path, const std::vector<std::string>& statements) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return Internal("cannot create the SQLite fixture file " + path);
  }
  Status status;
  for (const auto& sql : statements) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      status = Internal("fixture statement failed: " + sql + ": " + (error ? error : ""));
    }
    sqlite3_free(error);
    if (!status.ok()) break;
  }
  sqlite3_close(db);
  return status;
}

class SqliteTarget final : public Target {
 public:
  ~SqliteTarget() override {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string name() const override { return "sqlite"; }
  std::string connector_type() const override { return "sqlite"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.timestamp_with_zone = true;  // stored as UTC text, read as UTC
    c.arrays = false;
    c.uuid = false;
    c.interval = false;
    c.engine_read_only = true;  // SQLITE_OPEN_READONLY, query_only, authorizer
    c.credentials = false;
    c.restartable = false;
    return c;
  }

  Status PrepareFixtures() override {
    if (!dir_.empty()) return Status::Ok();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "trib_conf_sqlite_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Internal("cannot create a temporary directory for the SQLite fixtures");
    }
    dir_ = pattern;
    return RunSqliteSql(
        DatabasePath(),
        {
            "CREATE TABLE conf_types (id INTEGER, i16 SMALLINT, i32 INTEGER, i64 BIGINT, "
            "dec DECIMAL(20,6), f64 DOUBLE, flag BOOLEAN, txt TEXT, day DATE, ts DATETIME, "
            "tstz TIMESTAMP, doc JSON, raw BLOB)",
            // Row 1: ordinary values; tstz is 13:14:15+02:00 stored in UTC.
            "INSERT INTO conf_types VALUES (1, 12, -345, 1234567890123, '12.340000', 2.5, 1, "
            "'hello', '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 11:14:15', "
            "'{\"a\":[1,2],\"b\":\"x\"}', x'00016869')",
            // Row 2: all NULL but id.
            "INSERT INTO conf_types (id) VALUES (2)",
            // Row 3: extremes and unicode (an e with a combining accent, CJK, an emoji). The
            // decimal keeps 15 significant digits, all SQLite stores of a non-integer.
            "INSERT INTO conf_types VALUES (3, -32768, 2147483647, -9223372036854775808, "
            "-99999999.999999, -1.5e300, 0, "
            "'Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600', '0001-01-01', "
            "'1969-12-31 23:59:59.5', '9999-12-31 23:59:59.999999', '[]', x'')",
            "CREATE TABLE conf_numbers (n BIGINT)",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) "
            "INSERT INTO conf_numbers SELECT x FROM c",
        });
  }

  Options BaseOptions() const override { return MakeOptions({{"path", DatabasePath()}}); }
  Options BadCredentialOptions() const override { return BaseOptions(); }
  Options UnreachableOptions() const override {
    return MakeOptions({{"path", dir_ + "/no_such_file.db"}});
  }

  std::string TypesQuery() const override {
    return "SELECT id, i16, i32, i64, dec, f64, flag, txt, day, ts, tstz, doc, raw "
           "FROM conf_types ORDER BY id";
  }

  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return {
        {"id", ColumnType::kInt64},       {"i16", ColumnType::kInt64},
        {"i32", ColumnType::kInt64},      {"i64", ColumnType::kInt64},
        {"dec", ColumnType::kDecimal},    {"f64", ColumnType::kDouble},
        {"flag", ColumnType::kBool},      {"txt", ColumnType::kString},
        {"day", ColumnType::kDate},       {"ts", ColumnType::kTimestamp},
        {"tstz", ColumnType::kTimestamp}, {"doc", ColumnType::kJson},
        {"raw", ColumnType::kBytes},
    };
  }

  std::string ExpectedTypeRowsJson() const override {
    return "["
           "[1,12,-345,1234567890123,12.34,2.5,true,\"hello\",\"2024-02-29\","
           "\"2024-02-29T13:14:15.123456Z\",\"2024-02-29T11:14:15Z\",{\"a\":[1,2],\"b\":\"x\"},"
           "\"AAFoaQ==\"],"
           "[2,null,null,null,null,null,null,null,null,null,null,null,null],"
           "[3,-32768,2147483647,-9223372036854775808,-99999999.999999,-1.5e300,false,"
           "\"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\",\"0001-01-01\","
           "\"1969-12-31T23:59:59.500000Z\",\"9999-12-31T23:59:59.999999Z\",[],\"\"]"
           "]";
  }

  std::string Placeholder(int i) const override {
    // Built by appending: GCC 12 at -O3 warns (falsely) on "?" + std::to_string(i).
    std::string placeholder = "?";
    placeholder += std::to_string(i);
    return placeholder;
  }

  // A recursive count far beyond `seconds` seconds of work (SQLite steps some 10 to 30 million
  // rows a second), stopped by the progress handler or sqlite3_interrupt.
  std::string SlowQuery(int seconds) const override {
    return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
           std::to_string(static_cast<int64_t>(seconds) * 100'000'000) + ") SELECT count(*) FROM c";
  }

  std::vector<std::string> EngineWrites() const override {
    return {
        "INSERT INTO conf_numbers VALUES (0)",
        "UPDATE conf_numbers SET n = 0",
        "DELETE FROM conf_numbers",
        "DELETE FROM conf_types WHERE id = 1",
        "DROP TABLE conf_numbers",
        "ALTER TABLE conf_types ADD COLUMN extra INTEGER",
        "CREATE TABLE conf_new (x INTEGER)",
        "CREATE TEMP TABLE conf_temp (x INTEGER)",
        "ATTACH '" + dir_ + "/other.db' AS other",
        "PRAGMA writable_schema = ON",
        "PRAGMA query_only = OFF",
        "VACUUM INTO '" + dir_ + "/copy.db'",
    };
  }

  Status RestartServer() override {
    return InvalidArgument("SQLite is a file engine: there is no server to restart");
  }

 private:
  std::string DatabasePath() const { return dir_ + "/conf.db"; }

  // Created by PrepareFixtures, removed with everything in it by the destructor.
  std::string dir_;
};

[[maybe_unused]] const bool kRegistered =
    RegisterTarget([] { return std::make_unique<SqliteTarget>(); });

}  // namespace
}  // namespace tributary::conformance
