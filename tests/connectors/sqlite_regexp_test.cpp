// Tests of the PCRE2-backed regexp functions every SQLite connection has: the REGEXP operator,
// regexp_matches, regexp_extract with capture groups, regexp_replace, invalid patterns,
// NULLs and Unicode.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_connector.h"

namespace tributary {
namespace {

class SqliteRegexpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "trib_sqlite_re_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    const std::string path = dir_ + "/re.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
    const char* setup =
        "CREATE TABLE words (id INTEGER, w TEXT);"
        "INSERT INTO words VALUES (1, 'apple'), (2, 'banana'), (3, 'Cherry'), (4, NULL), "
        "(5, '\u00e9clair'), (6, '\u6f22\u5b57abc');";
    ASSERT_EQ(sqlite3_exec(db, setup, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    SourceContext context;
    context.id = "re";
    context.options.Set("path", Options::Entry{path, {}, false});
    connector_ = SqliteConnectorFactory().create(context);
    ASSERT_TRUE(connector_->Open().ok());
  }
  void TearDown() override {
    connector_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Result<QueryResult> Run(const std::string& sql, std::vector<Value> params = {}) {
    QueryRequest request;
    request.sql = sql;
    request.params = std::move(params);
    return connector_->Execute(request);
  }
  Value One(const std::string& sql, std::vector<Value> params = {}) {
    auto r = Run(sql, std::move(params));
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    if (!r.ok() || r->row_count() != 1) return Value::Null();
    return r->ValueAt(0, 0);
  }

  std::string dir_;
  std::unique_ptr<Connector> connector_;
};

TEST_F(SqliteRegexpTest, RegexpOperatorFilters) {
  auto r = Run("SELECT id FROM words WHERE w REGEXP '^[a-c]' ORDER BY id");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 2u);
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(1));
  EXPECT_EQ(r->ValueAt(1, 0), Value::Int64(2));
  EXPECT_EQ(One("SELECT count(*) FROM words WHERE w REGEXP '(?i)^c'"), Value::Int64(1));
  EXPECT_EQ(One("SELECT regexp('an+a', 'banana')"), Value::Int64(1));
  EXPECT_TRUE(One("SELECT NULL REGEXP 'a'").is_null());
}

TEST_F(SqliteRegexpTest, RegexpMatches) {
  EXPECT_EQ(One("SELECT regexp_matches('banana', 'n.n')"), Value::Int64(1));
  EXPECT_EQ(One("SELECT regexp_matches('banana', '^n')"), Value::Int64(0));
  EXPECT_TRUE(One("SELECT regexp_matches(NULL, 'a')").is_null());
  EXPECT_TRUE(One("SELECT regexp_matches('a', NULL)").is_null());
  // A pattern from a parameter, and one that varies per row.
  EXPECT_EQ(One("SELECT count(*) FROM words WHERE regexp_matches(w, ?)", {Value::String("an")}),
            Value::Int64(1));
  EXPECT_EQ(One("SELECT count(*) FROM words WHERE regexp_matches(w, substr(w, 1, 1))"),
            Value::Int64(5));
}

TEST_F(SqliteRegexpTest, RegexpExtractCaptureGroups) {
  EXPECT_EQ(One("SELECT regexp_extract('key=value; k2=v2', '(\\w+)=(\\w+)')"),
            Value::String("key=value"));
  EXPECT_EQ(One("SELECT regexp_extract('key=value; k2=v2', '(\\w+)=(\\w+)', 2)"),
            Value::String("value"));
  EXPECT_EQ(One("SELECT regexp_extract('key=value', '(\\w+)=(x)?', 2)"), Value::String(""));
  EXPECT_EQ(One("SELECT regexp_extract('abc', 'z')"), Value::String(""));
  EXPECT_EQ(One("SELECT regexp_extract('2024-02-29', '(?<y>\\d{4})-(\\d\\d)', 1)"),
            Value::String("2024"));
  auto bad_group = Run("SELECT regexp_extract('abc', '(a)', 2)");
  ASSERT_FALSE(bad_group.ok());
  EXPECT_EQ(bad_group.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(bad_group.status().message().find("group 2 does not exist"), std::string::npos)
      << bad_group.status().message();
}

TEST_F(SqliteRegexpTest, RegexpReplace) {
  EXPECT_EQ(One("SELECT regexp_replace('banana', 'a', 'o')"), Value::String("bonana"));
  EXPECT_EQ(One("SELECT regexp_replace('banana', 'a', 'o', 'g')"), Value::String("bonono"));
  EXPECT_EQ(One("SELECT regexp_replace('John Smith', '(\\w+) (\\w+)', '\\2, \\1')"),
            Value::String("Smith, John"));
  EXPECT_EQ(One("SELECT regexp_replace('John Smith', '(\\w+) (\\w+)', '${2}$$ $1\\\\')"),
            Value::String("Smith$ John\\"));
  EXPECT_EQ(One("SELECT regexp_replace('ABC abc', 'b', '-', 'gi')"), Value::String("A-C a-c"));
  // Empty matches advance by one whole character, never splitting UTF-8.
  EXPECT_EQ(One("SELECT regexp_replace('\u00e9\u6f22', 'x*', '-', 'g')"),
            Value::String("-\u00e9-\u6f22-"));
  auto bad_option = Run("SELECT regexp_replace('a', 'a', 'b', 'z')");
  ASSERT_FALSE(bad_option.ok());
  EXPECT_NE(bad_option.status().message().find("unknown option 'z'"), std::string::npos);
  auto bad_ref = Run("SELECT regexp_replace('a', '(a)', '\\3')");
  ASSERT_FALSE(bad_ref.ok());
  EXPECT_NE(bad_ref.status().message().find("group 3"), std::string::npos);
}

TEST_F(SqliteRegexpTest, InvalidPatternIsAClearQueryError) {
  for (const std::string sql :
       {"SELECT 'a' REGEXP '('", "SELECT regexp_matches('a', '[z-a]')",
        "SELECT regexp_extract('a', '(?<', 0)", "SELECT regexp_replace('a', '*', 'b')"}) {
    auto r = Run(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), ErrorCode::kQueryError) << r.status().ToString();
    EXPECT_NE(r.status().message().find("invalid regular expression"), std::string::npos)
        << r.status().message();
  }
  auto r = Run("SELECT 'a' REGEXP '('");
  EXPECT_NE(r.status().message().find("regexp: invalid regular expression '(': missing closing "
                                      "parenthesis at offset 1"),
            std::string::npos)
      << r.status().message();
}

TEST_F(SqliteRegexpTest, UnicodeAwareMatching) {
  // `.` is one code point, \p{L} knows letters beyond ASCII, and case-folding works on them.
  EXPECT_EQ(One("SELECT regexp_extract('\u00e9clair', '^.')"), Value::String("\u00e9"));
  EXPECT_EQ(One("SELECT regexp_extract('\u6f22\u5b57abc', '^\\p{Han}+')"),
            Value::String("\u6f22\u5b57"));
  EXPECT_EQ(One("SELECT count(*) FROM words WHERE w REGEXP '^\\p{L}+$'"), Value::Int64(5));
  EXPECT_EQ(One("SELECT regexp_matches('\u00c9CLAIR', '(?i)^\u00e9')"), Value::Int64(1));
  EXPECT_EQ(One("SELECT regexp_replace('\U0001F600x\U0001F600', '\U0001F600', ':)', 'g')"),
            Value::String(":)x:)"));
  // Invalid UTF-8 in the subject is an error, not a crash.
  auto bad = Run("SELECT regexp_matches(CAST(x'C3' AS TEXT), 'a')");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kQueryError);
}

}  // namespace
}  // namespace tributary
