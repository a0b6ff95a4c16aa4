// The dialect-aware read-only guard: bypass attempts in every dialect are refused with the
// exact code (and, where it matters, message), valid read queries pass, and the tokenizer
// splits strings, identifiers and comments the way each engine does.
#include "connectors/common/sql_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary {
namespace {

using D = SqlDialect;
constexpr ErrorCode kDenied = ErrorCode::kPermissionDenied;
constexpr ErrorCode kQueryErr = ErrorCode::kQueryError;

const char* Name(D dialect) {
  switch (dialect) {
    case D::kPostgres:
      return "postgres";
    case D::kMySql:
      return "mysql";
    case D::kSqlite:
      return "sqlite";
    case D::kClickHouse:
      return "clickhouse";
  }
  return "?";
}

const std::vector<D> kAll = {D::kPostgres, D::kMySql, D::kSqlite, D::kClickHouse};

struct Refusal {
  D dialect;
  std::string sql;
  ErrorCode code;
};

TEST(SqlGuard, RefusesBypassAttemptsWithTheExactCode) {
  const std::vector<Refusal> cases = {
      // Several statements, however they are hidden.
      {D::kPostgres, "SELECT 1; DROP TABLE t", kQueryErr},
      {D::kMySql, "SELECT 1; DROP TABLE t", kQueryErr},
      {D::kSqlite, "SELECT 1;DROP TABLE t;", kQueryErr},
      {D::kClickHouse, "SELECT 1; DROP TABLE t", kQueryErr},
      {D::kPostgres, "SELECT ';'; DELETE FROM t", kQueryErr},
      {D::kMySql, "SELECT ';'; DELETE FROM t", kQueryErr},
      {D::kPostgres, "SELECT 1; SELECT 2", kQueryErr},
      {D::kPostgres, "SELECT $$;$$; DELETE FROM t", kQueryErr},
      {D::kPostgres, "SELECT 1 /* a */; /* b */ DELETE FROM t", kQueryErr},
      {D::kPostgres, "SELECT 1 /* outer /* inner */ still comment */; DELETE FROM t", kQueryErr},
      // MySQL executable comments run their content.
      {D::kMySql, "SELECT 1 /*! ; DROP TABLE t */", kQueryErr},
      {D::kMySql, "SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */", kDenied},
      {D::kMySql, "SELECT 1 /*M!100100 , 2 INTO @x */", kDenied},
      // MySQL: `--` without a following space is arithmetic, not a comment.
      {D::kMySql, "SELECT 1--1\n; DROP TABLE t", kQueryErr},
      {D::kMySql, "SELECT 1--1; DROP TABLE t", kQueryErr},
      {D::kMySql, "SELECT 1 --1 INTO @v", kDenied},
      // A PostgreSQL nested comment is read as nested; elsewhere the first */ ends it.
      {D::kSqlite, "SELECT 1 /* /* */ ; DELETE FROM t /* */", kQueryErr},
      {D::kClickHouse, "SELECT 1 /* /* */ ; DROP TABLE t /* */", kQueryErr},
      // Writes inside a read.
      {D::kPostgres, "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", kDenied},
      {D::kPostgres, "with x as (insert into t values (1) returning *) select * from x", kDenied},
      {D::kPostgres, "WITH x AS (UpDaTe t SET a = 1 RETURNING *) SELECT 1", kDenied},
      {D::kPostgres, "SELECT * INTO new_table FROM t", kDenied},
      {D::kMySql, "SELECT * FROM t INTO OUTFILE '/tmp/out'", kDenied},
      {D::kMySql, "SELECT * FROM t INTO DUMPFILE '/tmp/out'", kDenied},
      {D::kClickHouse, "SELECT * FROM t INTO OUTFILE 'x.csv'", kDenied},
      {D::kPostgres, "SELECT * FROM t FOR UPDATE", kDenied},
      {D::kPostgres, "SELECT * FROM t FOR SHARE", kDenied},
      {D::kPostgres, "SELECT * FROM t FOR NO KEY UPDATE", kDenied},
      {D::kMySql, "SELECT * FROM t LOCK IN SHARE MODE", kDenied},
      {D::kMySql, "SELECT 1INTO @x", kDenied},
      {D::kMySql, "SELECT @counter := @counter + 1 FROM t", kDenied},
      // Statements that are not reads.
      {D::kPostgres, "DELETE FROM t", kDenied},
      {D::kPostgres, "  \n\t delete from t", kDenied},
      {D::kPostgres, "/* SELECT */ DROP TABLE t", kDenied},
      {D::kMySql, "# SELECT\nDROP TABLE t", kDenied},
      {D::kPostgres, "-- SELECT\nTRUNCATE t", kDenied},
      {D::kPostgres, "EXPLAIN ANALYZE DELETE FROM t", kDenied},
      {D::kPostgres, "SELECT 1 WHERE EXISTS (EXPLAIN SELECT 1)", kDenied},
      {D::kPostgres, "COPY t TO '/tmp/x'", kDenied},
      {D::kPostgres, "SET statement_timeout = 0", kDenied},
      {D::kPostgres, "BEGIN", kDenied},
      {D::kPostgres, "CALL proc()", kDenied},
      {D::kPostgres, "DO $$ BEGIN DELETE FROM t; END $$", kDenied},
      {D::kMySql, "TABLE t", kDenied},
      {D::kSqlite, "PRAGMA writable_schema = 1", kDenied},
      {D::kSqlite, "ATTACH DATABASE '/tmp/x.db' AS x", kDenied},
      {D::kSqlite, "REPLACE INTO t VALUES (1)", kDenied},
      {D::kMySql, "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", kDenied},
      {D::kMySql, "HANDLER t OPEN", kDenied},
      {D::kClickHouse, "OPTIMIZE TABLE t FINAL", kDenied},
      {D::kClickHouse, "SYSTEM SHUTDOWN", kDenied},
      {D::kClickHouse, "ALTER TABLE t DELETE WHERE 1", kDenied},
      {D::kClickHouse, "INSERT INTO t SELECT 1", kDenied},
      {D::kClickHouse, "SHOW TABLES", kDenied},
      // Functions with side effects or outside access.
      {D::kPostgres, "SELECT pg_read_file('/etc/passwd')", kDenied},
      {D::kPostgres, "SELECT pg_catalog.pg_read_file ('/etc/passwd')", kDenied},
      {D::kPostgres, "SELECT \"pg_read_file\"('/etc/passwd')", kDenied},
      {D::kPostgres, "SELECT pg_terminate_backend(123)", kDenied},
      {D::kPostgres, "SELECT nextval('seq')", kDenied},
      {D::kPostgres, "SELECT set_config('search_path', 'x', false)", kDenied},
      {D::kPostgres, "SELECT * FROM dblink('host=x', 'DELETE FROM t') AS r(a int)", kDenied},
      {D::kPostgres, "SELECT query_to_xml('DELETE FROM t', true, true, '')", kDenied},
      {D::kPostgres, "SELECT lo_import('/etc/passwd')", kDenied},
      {D::kMySql, "SELECT LOAD_FILE('/etc/passwd')", kDenied},
      {D::kMySql, "SELECT load_file /* x */ ('/etc/passwd')", kDenied},
      {D::kSqlite, "SELECT load_extension('/tmp/evil.so')", kDenied},
      {D::kSqlite, "SELECT writefile('/tmp/x', 'y')", kDenied},
      {D::kClickHouse, "SELECT * FROM file('/etc/passwd', 'CSV', 'a String')", kDenied},
      {D::kClickHouse, "SELECT * FROM url('http://x/', CSV, 'a String')", kDenied},
      {D::kClickHouse, "SELECT * FROM remote('other:9000', system.one)", kDenied},
      {D::kClickHouse, "SELECT * FROM remoteSecure('other:9440', db.t)", kDenied},
      {D::kClickHouse, "SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')", kDenied},
      {D::kClickHouse, "SELECT * FROM s3('https://b/x.csv')", kDenied},
      {D::kClickHouse, "SELECT * FROM `executable`('x.sh', CSV, 'a Int8')", kDenied},
      // Strings and escapes that would hide code if read the wrong way.
      {D::kPostgres, "SELECT E'\\''; DELETE FROM t; --'", kQueryErr},
      {D::kPostgres, "SELECT e'\\\\'; DELETE FROM t", kQueryErr},
      {D::kPostgres, "SELECT 'a\\'; DELETE FROM t; --'", kQueryErr},
      // standard_conforming_strings=off would read this as one string then `; DELETE`.
      {D::kPostgres, "SELECT '\\' , ' ; DELETE FROM t; --'", kQueryErr},
      {D::kMySql, "SELECT 'a\\'; DELETE FROM t; -- '", kQueryErr},
      {D::kMySql, "SELECT \"a\\\"; DROP TABLE t; -- \"", kQueryErr},
      {D::kClickHouse, "SELECT 'a\\\\'; DROP TABLE t; -- '", kQueryErr},
      {D::kSqlite, "SELECT 'a\\'; DROP TABLE t; -- '", kQueryErr},
      // A ClickHouse heredoc (later releases) would end the string before `; DROP`.
      {D::kClickHouse, "SELECT $$ ' $$ ; DROP TABLE t -- '", kQueryErr},
      // Unterminated things, empty input.
      {D::kPostgres, "SELECT 'abc", kQueryErr},
      {D::kPostgres, "SELECT \"abc", kQueryErr},
      {D::kPostgres, "SELECT $$abc", kQueryErr},
      {D::kPostgres, "SELECT $a$ abc $b$", kQueryErr},
      {D::kPostgres, "SELECT 1 /* /* */", kQueryErr},
      {D::kMySql, "SELECT `abc", kQueryErr},
      {D::kMySql, "SELECT 1 /*! 2", kQueryErr},
      {D::kSqlite, "SELECT [abc", kQueryErr},
      {D::kClickHouse, "SELECT 1 /* never closed", kQueryErr},
      {D::kPostgres, "", kQueryErr},
      {D::kMySql, "   \n  ", kQueryErr},
      {D::kPostgres, "-- only a comment", kQueryErr},
      {D::kMySql, "/* only */ # comments", kQueryErr},
      {D::kSqlite, ";", kQueryErr},
  };
  ASSERT_GE(cases.size(), 40u);
  for (const Refusal& c : cases) {
    Status status = CheckReadOnlySql(c.sql, c.dialect);
    EXPECT_EQ(status.code(), c.code)
        << Name(c.dialect) << ": " << c.sql << " -> " << status.ToString();
  }
}

TEST(SqlGuard, PassesReadQueries) {
  struct Pass {
    D dialect;
    std::string sql;
  };
  std::vector<Pass> cases = {
      {D::kPostgres, "SELECT $$;$$"},
      {D::kPostgres, "SELECT $a$ $$ ; $a$"},
      {D::kPostgres, "SELECT $tag$ DELETE FROM t; $tag$ AS body"},
      {D::kPostgres, "SELECT E'it\\'s; DELETE'"},
      {D::kPostgres, "WITH x AS (SELECT 1 AS a) SELECT a FROM x"},
      {D::kPostgres, "TABLE accounts"},
      {D::kPostgres, "VALUES (1, 'a'), (2, 'b')"},
      {D::kPostgres, "(SELECT 1) UNION ALL (SELECT 2)"},
      {D::kPostgres, "SELECT \"delete\", \"select;\" FROM \"drop\""},
      {D::kPostgres, "SELECT a::text, $1, $2::int FROM t WHERE b = $3"},
      {D::kPostgres, "SELECT 1 /* nested /* comment */ with ; inside */"},
      {D::kPostgres, "SELECT t.update, x.set FROM t, x"},
      {D::kPostgres, "SELECT replace(name, 'a', 'b'), pg_sleep(0) FROM t"},
      {D::kPostgres, "SELECT count(*) FROM t -- DELETE FROM t;"},
      {D::kMySql, "SELECT 'a;b'"},
      {D::kMySql, "SELECT \"a;b\""},
      {D::kMySql, "SELECT 'it\\'s'"},
      {D::kMySql, "SELECT `delete` FROM `t;drop`"},
      {D::kMySql, "SELECT 1--1"},
      {D::kMySql, "SELECT 1 -- ; DROP TABLE t"},
      {D::kMySql, "SELECT 1 # ; DROP TABLE t"},
      {D::kMySql, "SELECT SLEEP(0), TRUNCATE(1.55, 1), ? FROM t WHERE a = @v;"},
      {D::kSqlite, "SELECT [delete], \"x;y\", `z` FROM t WHERE a = :a AND b = ?"},
      {D::kSqlite, "SELECT 'a\\'"},
      {D::kClickHouse, "SELECT name FROM system.tables WHERE database = currentDatabase()"},
      {D::kClickHouse, "SELECT 'a\\';b', `x;y`, \"z\" FROM t FORMAT JSON"},
      {D::kClickHouse, "SELECT count() FROM t SETTINGS max_threads = 1"},
      {D::kClickHouse, "SELECT file, url FROM logs"},
      {D::kClickHouse, "select 1;"},
      {D::kClickHouse, "SELECT 'a\\'; DROP TABLE t; -- '"},
  };
  for (D dialect : kAll) {
    cases.push_back({dialect, "SELECT 'a;b'"});
    cases.push_back({dialect, "  select * from t where a = 'DELETE' ;  "});
  }
  ASSERT_GE(cases.size(), 15u);
  for (const Pass& c : cases) {
    Status status = CheckReadOnlySql(c.sql, c.dialect);
    EXPECT_TRUE(status.ok()) << Name(c.dialect) << ": " << c.sql << " -> " << status.ToString();
  }
}

TEST(SqlGuard, MessagesNameTheKeywordAndOffset) {
  Status denied = CheckReadOnlySql("SELECT 1 FROM t FOR UPDATE", D::kPostgres);
  EXPECT_EQ(denied.code(), kDenied);
  EXPECT_EQ(denied.message(),
            "only read-only SELECT statements are allowed; found UPDATE at offset 20");

  Status first = CheckReadOnlySql("  delete from t", D::kMySql);
  EXPECT_EQ(first.message(),
            "only read-only SELECT statements are allowed; found DELETE at offset 2");

  Status two = CheckReadOnlySql("SELECT ';'; DELETE FROM t", D::kPostgres);
  EXPECT_EQ(two.code(), kQueryErr);
  EXPECT_EQ(two.message(), "only one statement is allowed, found 2");

  Status unterminated = CheckReadOnlySql("SELECT 1, 'abc", D::kSqlite);
  EXPECT_EQ(unterminated.code(), kQueryErr);
  EXPECT_EQ(unterminated.message(), "unterminated string starting at offset 10");

  Status function = CheckReadOnlySql("SELECT pg_read_file('x')", D::kPostgres);
  EXPECT_EQ(function.code(), kDenied);
  EXPECT_NE(function.message().find("PG_READ_FILE"), std::string::npos) << function.message();
}

std::vector<std::string> Kinds(const std::vector<SqlToken>& tokens) {
  std::vector<std::string> out;
  for (const SqlToken& t : tokens) {
    switch (t.kind) {
      case SqlToken::Kind::kWord:
        out.push_back("w:" + t.text);
        break;
      case SqlToken::Kind::kQuotedIdentifier:
        out.push_back("q:" + t.text);
        break;
      case SqlToken::Kind::kString:
        out.push_back("s:" + t.text);
        break;
      case SqlToken::Kind::kNumber:
        out.push_back("n:" + t.text);
        break;
      case SqlToken::Kind::kPunct:
        out.push_back("p:" + t.text);
        break;
      case SqlToken::Kind::kParameter:
        out.push_back("$:" + t.text);
        break;
    }
  }
  return out;
}

TEST(SqlGuard, TokenizesPerDialect) {
  auto pg =
      TokenizeSql("select 'it''s', E'a\\'b', \"Id\", $x$ q $x$, $1 -- c\n/* d */", D::kPostgres);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  EXPECT_EQ(Kinds(*pg), (std::vector<std::string>{"w:SELECT", "s:it's", "p:,", "s:a'b", "p:,",
                                                  "q:Id", "p:,", "s: q ", "p:,", "$:$1"}));
  EXPECT_EQ((*pg)[3].offset, 16u);

  auto my = TokenizeSql("SELECT \"a\\\"b\", `c``d`, 2-- 1\n/*!40000 x */", D::kMySql);
  ASSERT_TRUE(my.ok()) << my.status().ToString();
  EXPECT_EQ(Kinds(*my),
            (std::vector<std::string>{"w:SELECT", "s:a\"b", "p:,", "q:c`d", "p:,", "n:2", "w:X"}));

  auto my_arith = TokenizeSql("SELECT 2--1", D::kMySql);
  ASSERT_TRUE(my_arith.ok());
  EXPECT_EQ(Kinds(*my_arith), (std::vector<std::string>{"w:SELECT", "n:2", "p:-", "p:-", "n:1"}));

  auto lite = TokenizeSql("SELECT [a b], :p, 'x\\'", D::kSqlite);
  ASSERT_TRUE(lite.ok()) << lite.status().ToString();
  EXPECT_EQ(Kinds(*lite),
            (std::vector<std::string>{"w:SELECT", "q:a b", "p:,", "$::p", "p:,", "s:x\\"}));

  auto ch = TokenizeSql("SELECT 'a\\'b' # not a comment", D::kClickHouse);
  ASSERT_TRUE(ch.ok()) << ch.status().ToString();
  EXPECT_EQ(Kinds(*ch),
            (std::vector<std::string>{"w:SELECT", "s:a'b", "p:#", "w:NOT", "w:A", "w:COMMENT"}));
}

}  // namespace
}  // namespace tributary
