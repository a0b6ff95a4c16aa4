// Tests of the SQLite connector against real database files, written by the test itself with
// the sqlite3 API in read-write mode: types and conventions, parameters, limits, timeout,
// cancel, engine-level read-only enforcement with the guard skipped, concurrency, pool
// exhaustion, a missing file and schema introspection.
#include "connectors/sqlite/sqlite_connector.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/registry.h"
#include "core/result_writer.h"
#include "core/time_util.h"

namespace tributary {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "trib_sqlite_XXXXXX";
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes fixtures with a plain read-write SQLite connection, outside the connector.
void WriteDb(const std::string& path, const std::vector<std::string>& statements) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  for (const auto& sql : statements) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  sqlite3_close(db);
}

std::unique_ptr<Connector> MakeConnector(
    const std::string& path, std::vector<std::pair<std::string, OptionValue>> extra = {},
    const std::string& base_dir = "") {
  SourceContext context;
  context.id = "lite";
  context.base_dir = base_dir;
  context.options.Set("path", Options::Entry{path, {}, false});
  for (auto& [name, value] : extra) context.options.Set(name, Options::Entry{value, {}, false});
  auto connector = SqliteConnectorFactory().create(context);
  EXPECT_TRUE(connector->Open().ok());
  return connector;
}

QueryRequest Request(std::string sql, std::vector<Value> params = {}) {
  QueryRequest r;
  r.sql = std::move(sql);
  r.params = std::move(params);
  return r;
}

class SqliteConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_ / "test.db";
    WriteDb(db_path_,
            {"CREATE TABLE typed (id INTEGER PRIMARY KEY, i16 SMALLINT, i64 BIGINT, "
             "dec DECIMAL(20,6), f64 DOUBLE, flag BOOLEAN, txt TEXT, name VARCHAR(20), "
             "day DATE, ts DATETIME, ts2 TIMESTAMP, doc JSON, raw BLOB, anything, "
             "num NUMERIC NOT NULL DEFAULT 0)",
             "INSERT INTO typed VALUES (1, 12, 1234567890123, '12.34', 2.5, 1, 'hello', 'n', "
             "'2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29T13:14:15Z', "
             "'{\"a\":[1,2]}', x'0001', 42, 7)",
             "INSERT INTO typed (id, num) VALUES (2, 0)",
             "INSERT INTO typed VALUES (3, -32768, -9223372036854775808, -1.5, -1e300, 0, "
             "'Gr\u00fc\u00dfe \u6f22\u5b57 \U0001F600', 'x', '0001-01-01', '1969-12-31 "
             "23:59:59.5', '9999-12-31 23:59:59', '[]', x'', 'text', 3.25)",
             "CREATE TABLE numbers (n INTEGER NOT NULL)",
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) "
             "INSERT INTO numbers SELECT x FROM c",
             "CREATE VIEW small AS SELECT n FROM numbers WHERE n <= 10",
             "CREATE TABLE bad_day (day DATE)",
             "INSERT INTO bad_day VALUES ('2024-01-01'), ('2024-01-02'), ('not a date')",
             "CREATE TABLE bad_doc (doc JSON)", "INSERT INTO bad_doc VALUES ('{oops')",
             "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
             "INSERT INTO seq (v) VALUES ('a')"});
    connector_ = MakeConnector(db_path_);
  }

  Result<QueryResult> Run(const std::string& sql, std::vector<Value> params = {}) {
    return connector_->Execute(Request(sql, std::move(params)));
  }
  QueryResult Must(const std::string& sql, std::vector<Value> params = {}) {
    auto result = Run(sql, std::move(params));
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    return result.ok() ? std::move(result).value() : QueryResult();
  }
  int64_t Count(const std::string& table) {
    QueryResult r = Must("SELECT count(*) FROM " + table);
    return r.row_count() == 1 ? r.ValueAt(0, 0).as_int() : -1;
  }

  TempDir dir_;
  std::string db_path_;
  std::unique_ptr<Connector> connector_;
};

TEST_F(SqliteConnectorTest, RegisteredAsSqlite) {
  const ConnectorFactory* f = FindConnector("sqlite");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(connector_->type(), "sqlite");
  EXPECT_EQ(connector_->capabilities().dialect, "sqlite");
  bool path_required = false;
  for (const auto& spec : f->schema) path_required |= spec.name == "path" && spec.required;
  EXPECT_TRUE(path_required);
}

TEST_F(SqliteConnectorTest, DeclaredTypesFollowConventions) {
  QueryResult r = Must(
      "SELECT id, i16, i64, dec, f64, flag, txt, name, day, ts, ts2, doc, raw, num FROM typed "
      "ORDER BY id");
  const std::vector<std::pair<std::string, ColumnType>> expected = {
      {"id", ColumnType::kInt64},     {"i16", ColumnType::kInt64},     {"i64", ColumnType::kInt64},
      {"dec", ColumnType::kDecimal},  {"f64", ColumnType::kDouble},    {"flag", ColumnType::kBool},
      {"txt", ColumnType::kString},   {"name", ColumnType::kString},   {"day", ColumnType::kDate},
      {"ts", ColumnType::kTimestamp}, {"ts2", ColumnType::kTimestamp}, {"doc", ColumnType::kJson},
      {"raw", ColumnType::kBytes},    {"num", ColumnType::kDecimal}};
  ASSERT_EQ(r.column_count(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.columns()[i].name, expected[i].first);
    EXPECT_EQ(r.columns()[i].type, expected[i].second) << expected[i].first;
  }
  EXPECT_EQ(r.columns()[3].source_type, "DECIMAL(20,6)");
  const std::string json = ResultToJson(r);
  EXPECT_NE(json.find("\"rows\":[[1,12,1234567890123,12.34,2.5,true,\"hello\",\"n\","
                      "\"2024-02-29\",\"2024-02-29T13:14:15.123456Z\","
                      "\"2024-02-29T13:14:15Z\",{\"a\":[1,2]},\"AAE=\",7],"
                      "[2,null,null,null,null,null,null,null,null,null,null,null,null,0],"),
            std::string::npos)
      << json;
  // Row 3: extremes and unicode.
  EXPECT_EQ(r.ValueAt(2, 1), Value::Int64(-32768));
  EXPECT_EQ(r.ValueAt(2, 2), Value::Int64(INT64_MIN));
  EXPECT_EQ(r.ValueAt(2, 3), Value::Decimal("-1.5"));
  EXPECT_EQ(r.ValueAt(2, 4), Value::Double(-1e300));
  EXPECT_EQ(r.ValueAt(2, 5), Value::Bool(false));
  EXPECT_EQ(r.ValueAt(2, 6), Value::String("Gr\u00fc\u00dfe \u6f22\u5b57 \U0001F600"));
  EXPECT_EQ(r.ValueAt(2, 8), Value::Date(*ParseDate("0001-01-01")));
  EXPECT_EQ(r.ValueAt(2, 9), Value::Timestamp(*ParseTimestamp("1969-12-31T23:59:59.5Z")));
  EXPECT_EQ(r.ValueAt(2, 10), Value::Timestamp(*ParseTimestamp("9999-12-31T23:59:59Z")));
  EXPECT_EQ(r.ValueAt(2, 11), Value::Json("[]"));
  EXPECT_EQ(r.ValueAt(2, 12), Value::Bytes(""));
  EXPECT_EQ(r.ValueAt(2, 13), Value::Decimal("3.25"));
  // Row 1 in detail.
  EXPECT_EQ(r.ValueAt(0, 3), Value::Decimal("12.34"));
  EXPECT_EQ(r.ValueAt(0, 5), Value::Bool(true));
  EXPECT_EQ(r.ValueAt(0, 9), Value::Timestamp(*ParseTimestamp("2024-02-29T13:14:15.123456Z")));
  EXPECT_EQ(r.ValueAt(0, 12), Value::Bytes(std::string("\0\1", 2)));
  // Row 2: nulls keep their column's type.
  for (size_t c = 1; c + 1 < r.column_count(); ++c) EXPECT_TRUE(r.column(c).is_null(1)) << c;
}

TEST_F(SqliteConnectorTest, ExpressionsAreTypedByStorageClass) {
  QueryResult r = Must(
      "SELECT 1 AS i, 1.5 AS d, 'x' AS s, x'00ff' AS b, NULL AS n, anything FROM typed "
      "WHERE id = 1");
  ASSERT_EQ(r.column_count(), 6u);
  EXPECT_EQ(r.columns()[0].type, ColumnType::kInt64);
  EXPECT_EQ(r.columns()[0].source_type, "INTEGER");
  EXPECT_EQ(r.columns()[1].type, ColumnType::kDouble);
  EXPECT_EQ(r.columns()[2].type, ColumnType::kString);
  EXPECT_EQ(r.columns()[3].type, ColumnType::kBytes);
  EXPECT_EQ(r.columns()[4].type, ColumnType::kNull);
  // A column declared without a type is typed by its values, like an expression.
  EXPECT_EQ(r.columns()[5].type, ColumnType::kInt64);
  EXPECT_EQ(r.ValueAt(0, 3), Value::Bytes(std::string("\0\xff", 2)));
}

TEST_F(SqliteConnectorTest, MixedStorageClassesInTheSample) {
  QueryResult ints_and_reals = Must("SELECT column1 AS v FROM (VALUES (1), (2.5), (NULL))");
  EXPECT_EQ(ints_and_reals.columns()[0].type, ColumnType::kDouble);
  EXPECT_EQ(ints_and_reals.ValueAt(0, 0), Value::Double(1));
  QueryResult with_text = Must("SELECT column1 AS v FROM (VALUES (1), ('a'), (2.5))");
  EXPECT_EQ(with_text.columns()[0].type, ColumnType::kString);
  EXPECT_EQ(with_text.ValueAt(0, 0), Value::String("1"));
  EXPECT_EQ(with_text.ValueAt(2, 0), Value::String("2.5"));
  QueryResult anything = Must("SELECT anything FROM typed ORDER BY id");
  EXPECT_EQ(anything.columns()[0].type, ColumnType::kString);
  EXPECT_EQ(anything.ValueAt(0, 0), Value::String("42"));
  EXPECT_EQ(anything.ValueAt(2, 0), Value::String("text"));
  // After the sample a value of another class must convert: a real into an integer column
  // only when it is integral.
  auto late_real =
      Run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) "
          "SELECT CASE WHEN x = 1500 THEN 1.5 ELSE x END AS v FROM c");
  ASSERT_FALSE(late_real.ok());
  EXPECT_EQ(late_real.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(late_real.status().message().find("column v row 1500: '1.5' is not an integer"),
            std::string::npos)
      << late_real.status().message();
}

TEST_F(SqliteConnectorTest, MalformedValuesAreQueryErrorsNamingColumnAndRow) {
  auto day = Run("SELECT day FROM bad_day ORDER BY rowid");
  ASSERT_FALSE(day.ok());
  EXPECT_EQ(day.status().code(), ErrorCode::kQueryError);
  EXPECT_EQ(day.status().message(), "column day row 3: 'not a date' is not a YYYY-MM-DD date");
  auto doc = Run("SELECT doc FROM bad_doc");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(doc.status().message().find("is not a JSON document"), std::string::npos);
  // Only rows actually read are converted: the good rows alone are fine.
  EXPECT_EQ(Must("SELECT day FROM bad_day WHERE rowid < 3").row_count(), 2u);
}

TEST_F(SqliteConnectorTest, ParametersAreBoundByType) {
  QueryResult r = Must(
      "SELECT ?1 AS i, ?2 AS d, ?3 AS s, ?4 AS b, ?5 AS n, ?6 AS flag, ?7 AS day, ?8 AS ts, "
      "?9 AS dec, ?10 AS doc",
      {Value::Int64(9007199254740993), Value::Double(1234.5625),
       Value::String("it's \"q\" \u00e9 \U0001F600"), Value::Bytes(std::string("\0\1", 2)),
       Value::Null(), Value::Bool(true), Value::Date(*ParseDate("2024-02-29")),
       Value::Timestamp(*ParseTimestamp("2024-02-29T13:14:15.000001Z")), Value::Decimal("12.50"),
       Value::Json("{\"k\":1}")});
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.ValueAt(0, 0), Value::Int64(9007199254740993));
  EXPECT_EQ(r.ValueAt(0, 1), Value::Double(1234.5625));
  EXPECT_EQ(r.ValueAt(0, 2), Value::String("it's \"q\" \u00e9 \U0001F600"));
  EXPECT_EQ(r.ValueAt(0, 3), Value::Bytes(std::string("\0\1", 2)));
  EXPECT_TRUE(r.ValueAt(0, 4).is_null());
  EXPECT_EQ(r.ValueAt(0, 5), Value::Int64(1));
  EXPECT_EQ(r.ValueAt(0, 6), Value::String("2024-02-29"));
  EXPECT_EQ(r.ValueAt(0, 7), Value::String("2024-02-29 13:14:15.000001"));
  EXPECT_EQ(r.ValueAt(0, 8), Value::String("12.50"));
  EXPECT_EQ(r.ValueAt(0, 9), Value::String("{\"k\":1}"));
  // Compared with stored values of the conventions.
  EXPECT_EQ(Must("SELECT id FROM typed WHERE day = ? AND flag = ?",
                 {Value::Date(*ParseDate("2024-02-29")), Value::Bool(true)})
                .ValueAt(0, 0),
            Value::Int64(1));
  EXPECT_EQ(Must("SELECT count(*) FROM typed WHERE txt = ?", {Value::String("' OR '1'='1")})
                .ValueAt(0, 0),
            Value::Int64(0));
  // Pre-epoch timestamps format their time of day forward from midnight.
  EXPECT_EQ(
      Must("SELECT ?", {Value::Timestamp(*ParseTimestamp("1969-12-31T23:59:59.5Z"))}).ValueAt(0, 0),
      Value::String("1969-12-31 23:59:59.500000"));
}

TEST_F(SqliteConnectorTest, ParameterCountMismatchIsQueryError) {
  for (size_t given : {size_t{0}, size_t{1}, size_t{3}}) {
    auto r = Run("SELECT ? AS a, ? AS b", std::vector<Value>(given, Value::Int64(1)));
    ASSERT_FALSE(r.ok()) << given;
    EXPECT_EQ(r.status().code(), ErrorCode::kQueryError);
    EXPECT_NE(r.status().message().find("has 2 parameters"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(SqliteConnectorTest, RowLimitStopsEarly) {
  QueryRequest request =
      Request("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c");
  request.max_rows = 10;
  request.timeout = milliseconds(5000);
  auto r = connector_->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // an endless query: only early stop ends it
  EXPECT_EQ(r->row_count(), 10u);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "rows");
  request.sql = "SELECT n FROM numbers WHERE n <= 10";
  auto exact = connector_->Execute(request);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->row_count(), 10u);
  EXPECT_FALSE(exact->stats().truncated);
}

TEST_F(SqliteConnectorTest, ByteLimitStopsEarly) {
  QueryRequest request = Request(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
      "SELECT x, printf('%.1000c', 'a') AS pad FROM c");
  request.max_rows = 0;
  request.max_bytes = 20000;
  auto r = connector_->Execute(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "bytes");
  EXPECT_LT(r->ApproxBytes(), 25000u);
  EXPECT_GT(r->row_count(), 10u);
}

constexpr const char* kEndless =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

TEST_F(SqliteConnectorTest, TimeoutInterruptsTheStatement) {
  QueryRequest request = Request(kEndless);
  request.timeout = milliseconds(300);
  const auto start = Clock::now();
  auto r = connector_->Execute(request);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "query exceeded its timeout of 300 ms");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_EQ(Count("numbers"), 5000);  // the connection still works
}

TEST_F(SqliteConnectorTest, CancelInterruptsTheStatement) {
  QueryRequest request = Request(kEndless);
  request.timeout = milliseconds(20000);
  CancelToken token = request.cancel;
  std::thread canceller([token] {
    std::this_thread::sleep_for(milliseconds(200));
    token.Cancel("client went away");
  });
  const auto start = Clock::now();
  auto r = connector_->Execute(request);
  const auto elapsed = Clock::now() - start;
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "client went away");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  // Already cancelled before it starts.
  QueryRequest again = Request("SELECT 1");
  again.cancel.Cancel("early");
  auto early = connector_->Execute(again);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(Count("numbers"), 5000);
}

TEST_F(SqliteConnectorTest, EngineRefusesWritesWithTheGuardSkipped) {
  const std::vector<std::string> writes = {
      "INSERT INTO numbers VALUES (0)",
      "UPDATE numbers SET n = 0",
      "DELETE FROM numbers",
      "DROP TABLE numbers",
      "CREATE TABLE t2 (x)",
      "CREATE TEMP TABLE t3 (x)",
      "ALTER TABLE numbers ADD COLUMN extra INTEGER",
      "ATTACH '" + (dir_ / "other.db") + "' AS other",
      "ATTACH ':memory:' AS mem",
      "PRAGMA writable_schema = ON",
      "PRAGMA query_only = OFF",
      "PRAGMA journal_mode = DELETE",
      "PRAGMA user_version = 7",
      "BEGIN IMMEDIATE",
      "VACUUM",
      "VACUUM INTO '" + (dir_ / "copy.db") + "'",
      "REINDEX",
      "ANALYZE",
      "SELECT load_extension('libm.so')",
      "INSERT INTO numbers VALUES (1) RETURNING n",
      "WITH x AS (SELECT 1) DELETE FROM numbers",
  };
  for (const auto& sql : writes) {
    QueryRequest request = Request(sql);
    request.skip_statement_guard = true;
    auto r = connector_->Execute(request);
    ASSERT_FALSE(r.ok()) << "the engine ran: " << sql;
    EXPECT_TRUE(r.status().code() == ErrorCode::kPermissionDenied ||
                r.status().code() == ErrorCode::kQueryError)
        << sql << " -> " << r.status().ToString();
  }
  EXPECT_EQ(Count("numbers"), 5000);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "copy.db"));
  // Read-only pragmas still work, through the table-valued form too.
  QueryRequest pragma = Request("PRAGMA user_version");
  pragma.skip_statement_guard = true;
  EXPECT_TRUE(connector_->Execute(pragma).ok());
  EXPECT_EQ(Must("SELECT count(*) FROM pragma_table_info('numbers')").ValueAt(0, 0),
            Value::Int64(1));
  // The file was not changed by any of it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 7);  // 6 tables (one is sqlite_sequence), 1 view
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteConnectorTest, OnlyOneStatement) {
  for (const std::string sql : {"SELECT 1; SELECT 2", "SELECT 1; DELETE FROM numbers"}) {
    QueryRequest request = Request(sql);
    request.skip_statement_guard = true;
    auto r = connector_->Execute(request);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), ErrorCode::kQueryError) << r.status().ToString();
  }
  QueryRequest trailing = Request("SELECT 1; -- done\n /* really */ ;  ");
  trailing.skip_statement_guard = true;
  EXPECT_TRUE(connector_->Execute(trailing).ok());
  QueryRequest empty = Request(" -- nothing");
  empty.skip_statement_guard = true;
  auto none = connector_->Execute(empty);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kQueryError);
  EXPECT_EQ(Count("numbers"), 5000);
}

TEST_F(SqliteConnectorTest, GuardRefusesWrites) {
  auto r = Run("DELETE FROM numbers");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().code() == ErrorCode::kPermissionDenied ||
              r.status().code() == ErrorCode::kQueryError);
  EXPECT_EQ(Count("numbers"), 5000);
}

TEST_F(SqliteConnectorTest, ConcurrentQueriesFromEightThreads) {
  auto pooled = MakeConnector(db_path_, {{"max_connections", int64_t{4}}});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const int64_t limit = (t * 25 + i) % 5000 + 1;
        QueryRequest request = Request("SELECT count(*) AS c, sum(n) FROM numbers WHERE n <= ?",
                                       {Value::Int64(limit)});
        auto r = pooled->Execute(request);
        if (!r.ok() || r->ValueAt(0, 0) != Value::Int64(limit) ||
            r->ValueAt(0, 1) != Value::Int64(limit * (limit + 1) / 2)) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(SqliteConnectorTest, PoolExhaustionIsResourceExhausted) {
  auto single = MakeConnector(db_path_, {{"max_connections", int64_t{1}}});
  QueryRequest slow = Request(kEndless);
  slow.timeout = milliseconds(20000);
  CancelToken slow_token = slow.cancel;
  std::optional<Result<QueryResult>> slow_result;
  std::thread runner([&] { slow_result.emplace(single->Execute(slow)); });
  std::this_thread::sleep_for(milliseconds(300));
  QueryRequest probe = Request("SELECT 1");
  probe.timeout = milliseconds(300);
  const auto start = Clock::now();
  auto waited = single->Execute(probe);
  const auto elapsed = Clock::now() - start;
  slow_token.Cancel("done waiting");
  runner.join();
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.status().code(), ErrorCode::kResourceExhausted) << waited.status().ToString();
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(3000));
  ASSERT_TRUE(slow_result.has_value());
  EXPECT_EQ(slow_result->status().code(), ErrorCode::kCancelled);
  EXPECT_TRUE(single->Execute(Request("SELECT 1")).ok());
}

TEST_F(SqliteConnectorTest, MissingFileIsUnavailableAndNeverCreated) {
  const std::string missing = dir_ / "missing.db";
  auto connector = MakeConnector(missing);
  auto health = connector->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(health.status().message(), "database file not found: " + missing);
  auto query = connector->Execute(Request("SELECT 1"));
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(query.status().message(), "database file not found: " + missing);
  EXPECT_EQ(connector->ListTables().status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(missing));
  // Once the file appears, the source works.
  WriteDb(missing, {"CREATE TABLE late (x INTEGER)", "INSERT INTO late VALUES (5)"});
  EXPECT_TRUE(connector->HealthCheck().ok());
  auto late = connector->Execute(Request("SELECT x FROM late"));
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(late->ValueAt(0, 0), Value::Int64(5));
}

TEST_F(SqliteConnectorTest, NotADatabaseIsUnavailable) {
  const std::string junk = dir_ / "junk.db";
  std::ofstream(junk) << "this is not an SQLite database file, just some text in a file";
  auto connector = MakeConnector(junk);
  auto health = connector->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable) << health.status().ToString();
  EXPECT_NE(health.status().message().find("not a database"), std::string::npos)
      << health.status().message();
}

TEST_F(SqliteConnectorTest, RelativePathAndImmutable) {
  auto relative = MakeConnector("test.db", {{"immutable", true}, {"busy_timeout_ms", int64_t{100}}},
                                dir_.path());
  auto r = relative->Execute(Request("SELECT count(*) FROM numbers"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(5000));
}

TEST_F(SqliteConnectorTest, HealthCheckReportsVersion) {
  auto health = connector_->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->detail, std::string("SQLite ") + sqlite3_libversion());
  EXPECT_GT(health->latency.count(), 0);
}

TEST_F(SqliteConnectorTest, ListTablesAndDescribeTable) {
  auto tables = connector_->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  std::vector<std::string> listed;
  for (const auto& t : *tables) listed.push_back(t.schema + "." + t.name + ":" + t.kind);
  EXPECT_EQ(listed, (std::vector<std::string>{"main.bad_day:table", "main.bad_doc:table",
                                              "main.numbers:table", "main.seq:table",
                                              "main.small:view", "main.typed:table"}));
  auto typed = connector_->DescribeTable("typed");
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_EQ(typed->table.name, "typed");
  EXPECT_EQ(typed->table.kind, "table");
  ASSERT_EQ(typed->columns.size(), 15u);
  EXPECT_EQ(typed->columns[0].name, "id");
  EXPECT_EQ(typed->columns[0].type, ColumnType::kInt64);
  EXPECT_FALSE(typed->columns[0].nullable);  // INTEGER PRIMARY KEY is the rowid
  EXPECT_EQ(typed->columns[3].source_type, "DECIMAL(20,6)");
  EXPECT_EQ(typed->columns[3].type, ColumnType::kDecimal);
  EXPECT_EQ(typed->columns[8].type, ColumnType::kDate);
  EXPECT_EQ(typed->columns[9].type, ColumnType::kTimestamp);
  EXPECT_EQ(typed->columns[11].type, ColumnType::kJson);
  EXPECT_EQ(typed->columns[12].type, ColumnType::kBytes);
  EXPECT_EQ(typed->columns[13].name, "anything");
  EXPECT_EQ(typed->columns[13].type, ColumnType::kString);
  EXPECT_TRUE(typed->columns[13].nullable);
  EXPECT_FALSE(typed->columns[14].nullable);
  auto view = connector_->DescribeTable("main.SMALL");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->table.name, "small");
  EXPECT_EQ(view->table.kind, "view");
  for (const std::string missing :
       {"nope", "sqlite_sequence", "numbers'); DROP TABLE numbers; --"}) {
    auto r = connector_->DescribeTable(missing);
    ASSERT_FALSE(r.ok()) << missing;
    EXPECT_EQ(r.status().code(), ErrorCode::kNotFound) << missing;
  }
  EXPECT_EQ(Count("numbers"), 5000);
}

}  // namespace
}  // namespace tributary
