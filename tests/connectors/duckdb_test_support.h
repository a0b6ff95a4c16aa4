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

}  // namespace tributary::duckdb_test
