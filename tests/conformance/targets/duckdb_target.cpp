// The DuckDB conformance target: a temporary DuckDB file written with the DuckDB C API (outside
// the connector) holding conf_types and conf_numbers, attached read-only by the connector, plus
// a Parquet file declared through the `tables` option.
//
// Every test process writes its own file (ctest runs tests as separate processes, in
// parallel), so fixtures never race. No server: not restartable, no credentials.
// Thread-safety: used by the suite's test thread only.
#include <duckdb.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conformance/conformance_target.h"
#include "conformance/targets/duckdb_expectations.h"

namespace tributary::conformance {
namespace {

// Runs setup SQL on a fresh connection to `path` (empty: in memory), stopping at the first
// error, which names the statement.
Status RunDuckDbSql(const std::string& path, const std::vector<std::string>& statements) {
  duckdb_database db = nullptr;
  if (duckdb_open(path.empty() ? nullptr : path.c_str(), &db) == DuckDBError) {
    return Internal("cannot create the DuckDB fixture file " + path);
  }
  duckdb_connection connection = nullptr;
  if (duckdb_connect(db, &connection) == DuckDBError) {
    duckdb_close(&db);
    return Internal("cannot connect to the DuckDB fixture file " + path);
  }
  Status status;
  for (const auto& sql : statements) {
    duckdb_result result;
    if (duckdb_query(connection, sql.c_str(), &result) == DuckDBError) {
      const char* error = duckdb_result_error(&result);
      status = Internal("fixture statement failed: " + sql + ": " + (error ? error : ""));
    }
    duckdb_destroy_result(&result);
    if (!status.ok()) break;
  }
  duckdb_disconnect(&connection);
  duckdb_close(&db);
  return status;
}

class DuckDbTarget final : public Target {
 public:
  ~DuckDbTarget() override {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string name() const override { return "duckdb"; }
  std::string connector_type() const override { return "duckdb"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.engine_read_only = true;  // the file is ATTACHed READ_ONLY, external access is off
    c.credentials = false;
    c.restartable = false;
    return c;
  }

  Status PrepareFixtures() override {
    if (!dir_.empty()) return Status::Ok();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "trib_conf_duckdb_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Internal("cannot create a temporary directory for the DuckDB fixtures");
    }
    dir_ = pattern;
    TRIB_RETURN_IF_ERROR(RunDuckDbSql(
        DatabasePath(),
        {
            "CREATE TABLE conf_types (id INTEGER, i16 SMALLINT, i32 INTEGER, i64 BIGINT, "
            "dec DECIMAL(18,4), f64 DOUBLE, flag BOOLEAN, txt VARCHAR, day DATE, ts TIMESTAMP, "
            "tstz TIMESTAMPTZ, doc JSON, raw BLOB, uid UUID, dur INTERVAL, arr INTEGER[])",
            // Row 1: ordinary values. TimeZone is set so that the TIMESTAMPTZ literal's
            // offset, not the machine's zone, decides the instant.
            "SET TimeZone = 'UTC'",
            "INSERT INTO conf_types VALUES (1, 12, -345, 1234567890123, 12.34, 2.5, true, "
            "'hello', DATE '2024-02-29', TIMESTAMP '2024-02-29 13:14:15.123456', "
            "TIMESTAMPTZ '2024-02-29 13:14:15+02:00', '{\"a\":[1,2],\"b\":\"x\"}', "
            "'\\x00\\x01hi'::BLOB, '550e8400-e29b-41d4-a716-446655440000', "
            "INTERVAL '1 day 2 hours', [1, 2, 3])",
            // Row 2: all NULL but id.
            "INSERT INTO conf_types (id) VALUES (2)",
            // Row 3: extremes and unicode (an e with a combining accent, CJK, an emoji).
            "INSERT INTO conf_types VALUES (3, -32768, 2147483647, -9223372036854775808, "
            "-99999999999999.9999, -1.5e300, false, "
            "'Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600', DATE '0001-01-01', "
            "TIMESTAMP '1969-12-31 23:59:59.5', TIMESTAMPTZ '9999-12-31 23:59:59.999999+00', "
            "'[]', ''::BLOB, 'ffffffff-ffff-ffff-ffff-ffffffffffff', INTERVAL '-1 month', [])",
            "CREATE TABLE conf_numbers (n BIGINT)",
            "INSERT INTO conf_numbers SELECT range FROM range(1, 100001)",
        }));
    return RunDuckDbSql("", {"COPY (SELECT range AS k, 'v' || range AS v FROM range(5)) TO '" +
                             ParquetPath() + "' (FORMAT parquet)"});
  }

  Options BaseOptions() const override {
    return MakeOptions(
        {{"path", DatabasePath()},
         {"tables", std::map<std::string, std::string>{{"conf_parquet", ParquetPath()}}}});
  }
  Options BadCredentialOptions() const override { return BaseOptions(); }
  Options UnreachableOptions() const override {
    return MakeOptions({{"path", dir_ + "/no_such_file.duckdb"}});
  }

  std::string TypesQuery() const override { return DuckDbTypesQuery(); }
  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return DuckDbExpectedTypeColumns();
  }
  std::string ExpectedTypeRowsJson() const override { return DuckDbExpectedTypeRowsJson(); }

  std::string Placeholder(int i) const override {
    std::string placeholder = "$";
    placeholder += std::to_string(i);
    return placeholder;
  }

  // A cross product far larger than `seconds` seconds of work, interrupted between chunks.
  std::string SlowQuery(int seconds) const override {
    return "SELECT sum(hash(a.range * b.range)) FROM range(" + std::to_string(seconds) +
           "00000) a, range(100000) b";
  }

  std::vector<std::string> EngineWrites() const override {
    return {
        "INSERT INTO conf_numbers VALUES (0)",
        "UPDATE conf_numbers SET n = 0",
        "DELETE FROM conf_numbers",
        "DELETE FROM conf_types WHERE id = 1",
        "DROP TABLE conf_numbers",
        "ALTER TABLE conf_types ADD COLUMN extra INTEGER",
        "COPY conf_numbers TO '" + dir_ + "/copied.csv'",
        "ATTACH '" + dir_ + "/other.duckdb' AS other",
        "INSERT INTO conf_parquet VALUES (9, 'nine')",
    };
  }

  Status RestartServer() override {
    return InvalidArgument("DuckDB is embedded: there is no server to restart");
  }

 private:
  std::string DatabasePath() const { return dir_ + "/conf.duckdb"; }
  std::string ParquetPath() const { return dir_ + "/conf_parquet.parquet"; }

  // Created by PrepareFixtures, removed with everything in it by the destructor.
  std::string dir_;
};

[[maybe_unused]] const bool kRegistered =
    RegisterTarget([] { return std::make_unique<DuckDbTarget>(); });

}  // namespace
}  // namespace tributary::conformance
