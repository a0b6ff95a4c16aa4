// Helpers for the DuckDB connector tests: a temporary directory, a raw DuckDB connection to
// build fixture files with, and shortcuts to build, open and query a connector.
// Thread-safety: test-only; each helper object is used by one test.
#pragma once

#include <duckdb.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/duckdb/duckdb_connector.h"

namespace tributary::duckdb_test {

//! A fresh directory under the test temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "trib_duckdb_XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

//! Runs setup SQL on a plain DuckDB database (a file, or in-memory when `path` is empty),
//! outside any connector: used to write fixture databases, Parquet and CSV files.
inline void RunRawSql(const std::string& path, const std::vector<std::string>& statements) {
  duckdb_database db = nullptr;
  ASSERT_EQ(duckdb_open(path.empty() ? nullptr : path.c_str(), &db), DuckDBSuccess);
  duckdb_connection con = nullptr;
  ASSERT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
  for (const auto& sql : statements) {
    duckdb_result result;
    const bool ok = duckdb_query(con, sql.c_str(), &result) == DuckDBSuccess;
    const char* error = duckdb_result_error(&result);
    EXPECT_TRUE(ok) << sql << ": " << (error ? error : "");
    duckdb_destroy_result(&result);
  }
  duckdb_disconnect(&con);
  duckdb_close(&db);
}

struct SourceSpec {
  std::string id = "test";
  std::string base_dir;
  std::string path;
  std::map<std::string, std::string> tables;
  int64_t max_connections = 0;  // 0: not set
  int64_t threads = 0;          // 0: not set
  std::string memory_limit;
};

inline SourceContext MakeContext(const SourceSpec& spec) {
  SourceContext context;
  context.id = spec.id;
  context.base_dir = spec.base_dir;
  auto set = [&](const std::string& name, OptionValue value) {
    context.options.Set(name, Options::Entry{std::move(value), {}, false});
  };
  if (!spec.path.empty()) set("path", spec.path);
  if (!spec.tables.empty()) set("tables", spec.tables);
  if (spec.max_connections > 0) set("max_connections", spec.max_connections);
  if (spec.threads > 0) set("threads", spec.threads);
  if (!spec.memory_limit.empty()) set("memory_limit", spec.memory_limit);
  return context;
}

//! Builds a connector through the registered factory (not opened).
inline std::unique_ptr<Connector> MakeConnector(const SourceSpec& spec) {
  return DuckDbConnectorFactory().create(MakeContext(spec));
}

//! Builds and opens a connector; fails the test when Open fails.
inline std::unique_ptr<Connector> OpenConnector(const SourceSpec& spec) {
  auto connector = MakeConnector(spec);
  Status status = connector->Open();
  EXPECT_TRUE(status.ok()) << status.ToString();
  return connector;
}

inline QueryRequest Request(std::string sql, std::vector<Value> params = {}) {
  QueryRequest request;
  request.sql = std::move(sql);
  request.params = std::move(params);
  request.max_rows = 0;
  return request;
}

//! Runs a query that must succeed.
inline QueryResult MustQuery(Connector& connector, const std::string& sql,
                             std::vector<Value> params = {}) {
  auto result = connector.Execute(Request(sql, std::move(params)));
  EXPECT_TRUE(result.ok()) << sql << " -> " << result.status().ToString();
  return result.ok() ? std::move(result).value() : QueryResult();
}

//! The one value of a query that returns one row and one column.
inline Value QueryValue(Connector& connector, const std::string& sql,
                        std::vector<Value> params = {}) {
  QueryResult result = MustQuery(connector, sql, std::move(params));
  EXPECT_EQ(result.row_count(), 1u) << sql;
  if (result.row_count() == 0 || result.column_count() == 0) return Value::Null();
  return result.ValueAt(0, 0);
}

//! Writes the "warehouse" fixture into `dir` and returns a source spec for it (paths relative
//! to `dir`, which is the base directory):
//! - data.duckdb: main.events(id INTEGER NOT NULL, name VARCHAR, ts TIMESTAMP,
//!   amount DECIMAL(10,2)) with 100 rows, view main.evview, tables other.things(x INTEGER)
//!   and other.odd(t TIME_NS, l TIME_NS[]), types the C API cannot describe;
//! - tables events_file (files/events.parquet, 50 rows), people (files/people.csv, 20 rows),
//!   parts (files/parts/*.parquet, 2 x 10 rows), docs (files/docs.json, 5 rows);
//! - files/undeclared.csv and secret/hidden.csv, which no table declares.
inline SourceSpec MakeWarehouse(const TempDir& dir, std::string id = "warehouse") {
  std::filesystem::create_directories(dir / "files/parts");
  std::filesystem::create_directories(dir / "secret");
  RunRawSql(
      dir / "data.duckdb",
      {"CREATE TABLE events (id INTEGER NOT NULL, name VARCHAR, ts TIMESTAMP, "
       "amount DECIMAL(10,2))",
       "INSERT INTO events SELECT range, CASE WHEN range % 2 = 0 THEN 'a' ELSE 'b' END, "
       "TIMESTAMP '2024-01-01' + INTERVAL (range) HOUR, range * 1.25 FROM range(100)",
       "CREATE VIEW evview AS SELECT id, name FROM events WHERE id < 10", "CREATE SCHEMA other",
       "CREATE TABLE other.things (x INTEGER)", "INSERT INTO other.things VALUES (7)",
       "CREATE TABLE other.odd (t TIME_NS, l TIME_NS[])",
       "INSERT INTO other.odd VALUES ('01:02:03.000000004', ['00:00:01'])"});
  RunRawSql(
      "",
      {
          "COPY (SELECT range AS id, 'p' || range AS label FROM range(50)) TO '" +
              (dir / "files/events.parquet") + "' (FORMAT parquet)",
          "COPY (SELECT range AS id, 'n' || range AS name FROM range(20)) TO '" +
              (dir / "files/people.csv") + "' (HEADER)",
          "COPY (SELECT range AS id FROM range(10)) TO '" + (dir / "files/parts/p1.parquet") +
              "' (FORMAT parquet)",
          "COPY (SELECT range + 10 AS id FROM range(10)) TO '" + (dir / "files/parts/p2.parquet") +
              "' (FORMAT parquet)",
          "COPY (SELECT range AS id, {'a': range} AS obj FROM range(5)) TO '" +
              (dir / "files/docs.json") + "' (FORMAT json)",
          "COPY (SELECT 'not declared' AS s) TO '" + (dir / "files/undeclared.csv") + "' (HEADER)",
          "COPY (SELECT 'top secret' AS s) TO '" + (dir / "secret/hidden.csv") + "' (HEADER)",
      });
  SourceSpec spec;
  spec.id = std::move(id);
  spec.base_dir = dir.path();
  spec.path = "data.duckdb";
  spec.tables = {{"events_file", "files/events.parquet"},
                 {"people", "files/people.csv"},
                 {"parts", "files/parts/*.parquet"},
                 {"docs", "files/docs.json"}};
  return spec;
}

}  // namespace tributary::duckdb_test
