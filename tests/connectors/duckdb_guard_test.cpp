// The DuckDB statement guard: bypass attempts are refused with the right code, valid read
// queries pass, and nothing a refused statement tried to do happened.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "connectors/duckdb_test_support.h"

namespace tributary {
namespace {

using duckdb_test::MakeWarehouse;
using duckdb_test::MustQuery;
using duckdb_test::OpenConnector;
using duckdb_test::QueryValue;
using duckdb_test::Request;
using duckdb_test::TempDir;

class DuckDbGuard : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    connector_ = OpenConnector(MakeWarehouse(*dir_)).release();
  }
  static void TearDownTestSuite() {
    delete connector_;
    delete dir_;
  }

  static std::string In(const std::string& name) { return *dir_ / name; }

  // Runs `sql` and expects it refused with `code`.
  static void ExpectRefused(const std::string& sql, ErrorCode code) {
    auto result = connector_->Execute(Request(sql));
    ASSERT_FALSE(result.ok()) << "not refused: " << sql;
    EXPECT_EQ(result.status().code(), code) << sql << " -> " << result.status().ToString();
  }

  static TempDir* dir_;
  static Connector* connector_;
};

TempDir* DuckDbGuard::dir_ = nullptr;
Connector* DuckDbGuard::connector_ = nullptr;

TEST_F(DuckDbGuard, WritesAndSideEffectsAreRefusedAsNotReadOnly) {
  const std::vector<std::string> attempts = {
      // Writes in every case mix.
      "DELETE FROM events",
      "delete from events",
      "DeLeTe FrOm EvEnTs",
      "INSERT INTO events (id) VALUES (1000)",
      "insert into events select * from events",
      "UPDATE events SET name = 'x'",
      "uPdAtE events SET name = 'x' WHERE id = 1",
      "TRUNCATE events",
      "MERGE INTO events USING (SELECT 1 AS id) s ON events.id = s.id WHEN MATCHED THEN DELETE",
      // DDL.
      "DROP TABLE events",
      "drop view evview",
      "DROP VIEW people",
      "CREATE TABLE x (a INTEGER)",
      "create table memory.main.x as select 1 as a",
      "CREATE VIEW x AS SELECT 1",
      "CREATE OR REPLACE VIEW people AS SELECT 1 AS id",
      "CREATE MACRO m(a) AS a",
      "CREATE SEQUENCE s",
      "CREATE TEMP TABLE t AS SELECT 1",
      "CREATE TYPE mood AS ENUM ('happy')",
      "ALTER TABLE events ADD COLUMN z INTEGER",
      "COMMENT ON TABLE events IS 'x'",
      // Leading comments and whitespace do not hide the statement.
      "/* comment */ DELETE FROM events",
      "-- comment\nDELETE FROM events",
      "/* SELECT 1; */ INSERT INTO events (id) VALUES (1)",
      "\n\t  DELETE\n  FROM\tevents  \n",
      "/* a */ -- b\n /* c */ DROP TABLE events",
      // A CTE in front of a write is still a write.
      "WITH x AS (SELECT 1) INSERT INTO events (id) SELECT 1",
      "WITH x AS (SELECT 1) DELETE FROM events",
      "WITH x AS (SELECT 1) UPDATE events SET id = 1",
      // Databases, extensions, settings.
      "ATTACH ':memory:' AS scratch",
      "ATTACH '" + In("new.duckdb") + "' AS n",
      "DETACH warehouse",
      "DETACH DATABASE warehouse",
      "INSTALL httpfs",
      "LOAD httpfs",
      "LOAD parquet",
      "UPDATE EXTENSIONS",
      "SET threads = 1",
      "SET enable_external_access = true",
      "set lock_configuration = false",
      "RESET threads",
      "SET search_path = 'memory.main'",
      "SET VARIABLE x = 1",
      "USE memory",
      "PRAGMA enable_profiling",
      "PRAGMA threads = 1",
      "CALL pragma_version()",
      "CREATE SECRET s (TYPE http)",
      "DROP SECRET s",
      // Transactions and maintenance.
      "BEGIN",
      "BEGIN TRANSACTION",
      "COMMIT",
      "ROLLBACK",
      "CHECKPOINT",
      "FORCE CHECKPOINT",
      "VACUUM",
      "ANALYZE",
      "PREPARE p AS SELECT 1",
      "DEALLOCATE p",
      // EXPLAIN ANALYZE runs what it explains; plain EXPLAIN shares its statement type.
      "EXPLAIN ANALYZE DELETE FROM events",
      "EXPLAIN DELETE FROM events",
      "EXPLAIN SELECT 1",
      // COPY into a directory DuckDB may read (a declared glob's) is still a COPY.
      "COPY events TO '" + In("files/parts/x.parquet") + "' (FORMAT parquet)",
      "COPY events (id, name) FROM '" + In("files/people.csv") + "' (HEADER)",
      // Files outside the declared ones: refused by DuckDB's own access control.
      "COPY events TO '/tmp/trib_guard_copy.csv'",
      "COPY (SELECT 1) TO '" + In("out.csv") + "'",
      "EXPORT DATABASE '" + In("export") + "'",
      "IMPORT DATABASE '" + In("export") + "'",
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/passwd')",
      "FROM read_blob('/etc/passwd')",
      "FROM glob('/etc/*')",
      "FROM sniff_csv('/etc/passwd')",
      "SELECT * FROM read_json_auto('/etc/hostname')",
      "SELECT * FROM parquet_metadata('/etc/passwd')",
      "SELECT * FROM read_csv('file:///etc/passwd')",
      "SELECT * FROM read_csv('" + In("files/undeclared.csv") + "')",
      "SELECT * FROM read_csv('" + In("secret/hidden.csv") + "')",
      "SELECT * FROM read_csv('" + In("files/parts/../../secret/hidden.csv") + "')",
      "SELECT * FROM read_text('" + In("files/parts/*/../../../secret/*") + "')",
      "SELECT * FROM glob('" + In("*") + "')",
  };
  for (const auto& sql : attempts) ExpectRefused(sql, ErrorCode::kPermissionDenied);
  EXPECT_GE(attempts.size(), 80u);
}

TEST_F(DuckDbGuard, MalformedEmptyAndMultipleStatementsAreQueryErrors) {
  const std::vector<std::string> attempts = {
      "",
      "   \n\t ",
      "-- only a comment",
      "/* only a comment */",
      ";",
      " ; ; ",
      "SELECT 1; DROP TABLE events",
      "SELECT ';'; DELETE FROM events",
      "SELECT 1; SELECT 2",
      "DELETE FROM events; SELECT 1",
      "SELECT 1;\nSELECT 2;",
      "SELECT 1 --; \n; DROP TABLE events",
      "SELECT 'a'';'; DROP TABLE events",
      "SELECT $$;$$; DROP TABLE events",
      // PIVOT without an IN list is two statements (it creates an enum type first).
      "PIVOT events ON name USING count(*)",
      std::string("SELECT 1\0; DROP TABLE events", 28),
      "SELEC 1",
      "SELECT 'unterminated",
      "SELECT * FROM no_such_table",
      "FROM query('DELETE FROM events')",
  };
  for (const auto& sql : attempts) ExpectRefused(sql, ErrorCode::kQueryError);
}

TEST_F(DuckDbGuard, MessagesNameTheProblem) {
  auto r = connector_->Execute(Request("DELETE FROM events"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "only read-only SELECT statements are allowed; this is a DELETE statement");
  r = connector_->Execute(Request("INSERT INTO events (id) VALUES (1)"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "only read-only SELECT statements are allowed; this is an INSERT statement");
  r = connector_->Execute(Request("SELECT 1; SELECT 2; SELECT 3"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "only one statement is allowed, found 3");
  r = connector_->Execute(Request(" -- nothing\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "empty query");
  r = connector_->Execute(Request("SELEC 1"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("syntax error"), std::string::npos);
  r = connector_->Execute(Request("SELECT * FROM read_csv('/etc/passwd')"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/etc/passwd"), std::string::npos);
}

TEST_F(DuckDbGuard, ReadQueriesPass) {
  const std::vector<std::string> queries = {
      "SELECT 'a;b'",
      "SELECT ';' AS semicolon",
      "SELECT 1 /* ; DROP TABLE events */",
      "-- leading comment\nSELECT 1",
      "/* DELETE FROM events */ SELECT 1",
      "SELECT 1;",
      "SELECT 1; -- trailing comment",
      "  select 1  ",
      "SELECT 'DELETE FROM events' AS text",
      "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
      "SELECT * FROM r",
      "FROM events",
      "from events limit 1",
      "TABLE events",
      "VALUES (1), (2)",
      "SELECT count(*) FROM events_file",
      "SELECT count(*) FROM parts",
      "SELECT count(*) FROM people",
      "SELECT count(*) FROM docs",
      "SELECT * FROM evview",
      "SELECT * FROM other.things",
      "SELECT * FROM warehouse.main.events LIMIT 1",
      "SELECT * FROM memory.main.people LIMIT 1",
      "SELECT * FROM read_parquet('" + In("files/events.parquet") + "') LIMIT 1",
      "DESCRIBE events",
      "SHOW TABLES",
      "SUMMARIZE events",
      "PRAGMA show_tables",
      "SELECT * FROM query('SELECT 42')",
      "PIVOT events ON name IN ('a', 'b') USING count(*)",
      // Deterministic random numbers for this connection's next calls: harmless.
      "SELECT setseed(0.5)",
  };
  for (const auto& sql : queries) {
    auto result = connector_->Execute(Request(sql));
    EXPECT_TRUE(result.ok()) << sql << " -> " << result.status().ToString();
  }
  EXPECT_EQ(QueryValue(*connector_, "SELECT 'a;b'"), Value::String("a;b"));
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM parts"), Value::Int64(20));
}

TEST_F(DuckDbGuard, RefusedStatementsChangedNothing) {
  // Runs after (and independently of) the attempts above: the state is as created.
  for (const auto& sql : {"DELETE FROM events", "DROP TABLE events", "SET threads = 1",
                          "CREATE TABLE memory.main.x AS SELECT 1 AS a"}) {
    ExpectRefused(sql, ErrorCode::kPermissionDenied);
  }
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM events"), Value::Int64(100));
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'x'"),
            Value::Int64(0));
  EXPECT_EQ(QueryValue(*connector_, "SELECT current_setting('enable_external_access')"),
            Value::Bool(false));
  EXPECT_EQ(QueryValue(*connector_, "SELECT current_setting('lock_configuration')"),
            Value::Bool(true));
  EXPECT_EQ(QueryValue(*connector_, "SELECT count(*) FROM duckdb_databases() WHERE NOT internal"),
            Value::Int64(2));  // memory and the attached file
  for (const char* path : {"new.duckdb", "out.csv", "export", "files/parts/x.parquet"}) {
    EXPECT_FALSE(std::filesystem::exists(In(path))) << path;
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/trib_guard_copy.csv"));
}

}  // namespace
}  // namespace tributary
