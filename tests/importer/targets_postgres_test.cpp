// Integration tests of the PostgreSQL import target against the live test server
// (scripts/test-servers.sh; its TRIB_TEST_PG_* variables must be set, e.g. via `make test`).
// The suite makes its own roles with the test user (which has CREATEROLE): a loader with a
// random password and a schema it may create tables in (the import_target's credentials), and
// a reader that may only read (the source's own credentials); both are dropped at the end.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "importer/targets/postgres_target.h"
#include "importer/targets/target_loader.h"

namespace tributary::importer {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(digits[gen() % 16]);
  return out;
}

//! A libpq session as `user`; fails the test when it cannot connect.
class Session {
 public:
  Session(const std::string& user, const std::string& password) {
    const std::string host = Env("TRIB_TEST_PG_HOST"), port = Env("TRIB_TEST_PG_PORT"),
                      db = Env("TRIB_TEST_PG_DB");
    const char* keys[] = {"host", "port", "dbname", "user", "password", "sslmode", nullptr};
    const char* values[] = {host.c_str(),     port.c_str(), db.c_str(), user.c_str(),
                            password.c_str(), "disable",    nullptr};
    conn_ = PQconnectdbParams(keys, values, 0);
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << user << ": " << PQerrorMessage(conn_);
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  //! Runs `sql`; the SQLSTATE on failure, "" on success.
  std::string Try(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto st = PQresultStatus(r);
    std::string state;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      state = s ? s : "?";
    }
    PQclear(r);
    return state;
  }
  void Run(const std::string& sql) {
    EXPECT_EQ(Try(sql), "") << sql << ": " << PQerrorMessage(conn_);
  }
  //! Rows of a query as text (nullopt for NULL).
  std::vector<std::vector<std::optional<std::string>>> Rows(const std::string& sql) {
    std::vector<std::vector<std::optional<std::string>>> out;
    PGresult* r = PQexec(conn_, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn_);
    for (int i = 0; i < PQntuples(r); ++i) {
      auto& row = out.emplace_back();
      for (int c = 0; c < PQnfields(r); ++c) {
        if (PQgetisnull(r, i, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(
              std::string(PQgetvalue(r, i, c), static_cast<size_t>(PQgetlength(r, i, c))));
        }
      }
    }
    PQclear(r);
    return out;
  }
  bool TableExists(const std::string& qualified) {
    auto rows = Rows("SELECT to_regclass('" + qualified + "') IS NOT NULL");
    return !rows.empty() && rows[0][0] == std::optional<std::string>("t");
  }

 private:
  PGconn* conn_ = nullptr;
};

Options::Entry Entry(OptionValue v, bool secret = false) {
  return Options::Entry{std::move(v), {}, secret};
}

class PostgresTarget : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (Env("TRIB_TEST_PG_HOST").empty()) return;
    suffix_ = RandomHex(10);
    loader_ = "trib_loader_" + suffix_;
    reader_ = "trib_reader_" + suffix_;
    schema_ = "trib_imp_" + suffix_;
    loader_pw_ = RandomHex(24);
    reader_pw_ = RandomHex(24);
    Session admin(Env("TRIB_TEST_PG_USER"), Env("TRIB_TEST_PG_PASSWORD"));
    auto can = admin.Rows(
        "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = "
        "current_user");
    if (can.empty() || can[0][0] != std::optional<std::string>("t")) {
      ADD_FAILURE() << "the test user needs CREATEROLE to make the loader and reader roles: "
                       "restart the servers with the current scripts/test-servers.sh";
      return;
    }
    admin.Run("CREATE ROLE " + loader_ + " LOGIN PASSWORD '" + loader_pw_ + "'");
    admin.Run("CREATE ROLE " + reader_ + " LOGIN PASSWORD '" + reader_pw_ + "'");
    admin.Run("CREATE SCHEMA " + schema_);
    admin.Run("GRANT USAGE, CREATE ON SCHEMA " + schema_ + " TO " + loader_);
    admin.Run("GRANT USAGE ON SCHEMA " + schema_ + " TO " + reader_);
    ready_ = true;
  }

  static void TearDownTestSuite() {
    if (!ready_) return;
    Session admin(Env("TRIB_TEST_PG_USER"), Env("TRIB_TEST_PG_PASSWORD"));
    admin.Run("DROP SCHEMA " + schema_ + " CASCADE");
    admin.Run("DROP ROLE " + loader_);
    admin.Run("DROP ROLE " + reader_);
  }

  void SetUp() override {
    if (Env("TRIB_TEST_PG_HOST").empty()) {
      GTEST_FAIL() << "TRIB_TEST_PG_* variables are not set: run these tests via `make test` "
                      "(scripts/test-servers.sh start writes build/test-servers/env)";
    }
    if (!ready_) GTEST_FAIL() << "the loader and reader roles could not be made";
  }

  //! The source: the reader's credentials, with the loader as its import_target.
  static SourceConfig Source(const std::string& target_user = loader_,
                             const std::string& target_password = loader_pw_,
                             const std::string& schema = schema_) {
    SourceConfig s;
    s.id = "pg_warehouse";
    s.type = "postgres";
    s.options.Set("host", Entry(Env("TRIB_TEST_PG_HOST")));
    s.options.Set("port", Entry(int64_t{std::atoi(Env("TRIB_TEST_PG_PORT").c_str())}));
    s.options.Set("database", Entry(Env("TRIB_TEST_PG_DB")));
    s.options.Set("user", Entry(reader_));
    s.options.Set("password", Entry(reader_pw_, true));
    s.options.Set("sslmode", Entry(std::string("disable")));
    ImportTargetConfig target;
    target.user = target_user;
    target.password = target_password;
    target.schema = schema;
    s.import_target = target;
    return s;
  }

  static std::vector<ColumnSpec> Columns() {
    return {{"id", "id", "BIGINT"},
            {"Text Col", "Text Col", "VARCHAR"},
            {"amount", "amount", "DECIMAL(18,4)"},
            {"ratio", "ratio", "DOUBLE"},
            {"flag", "flag", "BOOLEAN"},
            {"day", "day", "DATE"},
            {"ts", "ts", "TIMESTAMP"}};
  }

  //! Row i of the round-trip data, in RowBatch's text conventions (which are also the text
  //! PostgreSQL answers with under DateStyle ISO).
  static std::vector<std::optional<std::string>> Row(int64_t i) {
    static const std::vector<std::string> kTexts = {
        "plain",          "tab\there", "new\nline", "back\\slash",     "cr\rlf\r\n",
        "ünïcødé ✓ 日本", "\\N",       "",          "quote \" and ' ", "trailing\\"};
    std::vector<std::optional<std::string>> row;
    row.emplace_back(std::to_string(i));
    row.emplace_back(
        i % 11 == 0 ? std::nullopt
                    : std::optional<std::string>(kTexts[i % kTexts.size()] + std::to_string(i)));
    const int64_t cents = (i * 7919) % 10'000'000 - 5'000'000;
    const int64_t magnitude = cents < 0 ? -cents : cents;
    std::string frac = std::to_string(magnitude % 10000);
    frac.insert(0, 4 - frac.size(), '0');
    std::string amount = cents < 0 ? "-" : "";
    amount.append(std::to_string(magnitude / 10000)).append(".").append(frac);
    row.emplace_back(i % 13 == 0 ? std::nullopt : std::optional<std::string>(amount));
    static const std::vector<std::string> kRatios = {"0.1", "-2.5", "1e-05", "12345.678", "0"};
    row.emplace_back(i % 17 == 0 ? std::nullopt
                                 : std::optional<std::string>(kRatios[i % kRatios.size()]));
    row.emplace_back(i % 19 == 0 ? std::nullopt
                                 : std::optional<std::string>(i % 2 ? "true" : "false"));
    const int64_t day = i % 28 + 1;
    row.emplace_back(i % 23 == 0 ? std::nullopt
                                 : std::optional<std::string>("2024-02-" +
                                                              std::string(day < 10 ? "0" : "") +
                                                              std::to_string(day)));
    std::string ts =
        "2023-12-31 23:59:" + std::string(i % 60 < 10 ? "0" : "") + std::to_string(i % 60);
    if (i % 3 == 0) ts += ".123456";
    row.emplace_back(i % 29 == 0 ? std::nullopt : std::optional<std::string>(ts));
    return row;
  }

  static RowBatch Batch(int64_t first, int64_t count) {
    RowBatch batch;
    for (int64_t i = first; i < first + count; ++i) batch.push_back(Row(i));
    return batch;
  }

  static Session Loader() { return Session(loader_, loader_pw_); }
  static std::string Qualified(const std::string& table) { return schema_ + "." + table; }

  static inline bool ready_ = false;
  static inline std::string suffix_, loader_, reader_, schema_, loader_pw_, reader_pw_;
};

TEST_F(PostgresTarget, ReadCredentialsCannotWriteButTheLoaderCan) {
  Session reader(reader_, reader_pw_);
  EXPECT_EQ(reader.Try("CREATE TABLE " + Qualified("by_reader") + " (a int)"), "42501");
  EXPECT_EQ(reader.Try("CREATE TABLE public.by_reader_" + suffix_ + " (a int)"), "42501");

  // The reader as the import_target's user: refused, saying which grant is missing.
  auto refused = OpenTargetLoader(Source(reader_, reader_pw_), "by_reader", Columns(), {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("GRANT USAGE, CREATE ON SCHEMA \"" + schema_ +
                                            "\" TO \"" + reader_ + "\""),
            std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("pg_warehouse"), std::string::npos);

  auto loader = OpenTargetLoader(Source(), "by_loader", Columns(), {});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  EXPECT_EQ((*loader)->location(), schema_ + ".by_loader");
  ASSERT_TRUE((*loader)->Write(Batch(0, 3)).ok());
  auto rows = (*loader)->Commit();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 3u);
  EXPECT_TRUE(Loader().TableExists(Qualified("by_loader")));
  // The column types are the mapped ones.
  auto types = Loader().Rows(
      "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '" +
      Qualified("by_loader") + "'::regclass AND attnum > 0 ORDER BY attnum");
  ASSERT_EQ(types.size(), 7u);
  EXPECT_EQ(types[1][0], std::optional<std::string>("Text Col"));
  EXPECT_EQ(types[0][1], std::optional<std::string>("bigint"));
  EXPECT_EQ(types[1][1], std::optional<std::string>("text"));
  EXPECT_EQ(types[2][1], std::optional<std::string>("numeric(18,4)"));
  EXPECT_EQ(types[3][1], std::optional<std::string>("double precision"));
  EXPECT_EQ(types[4][1], std::optional<std::string>("boolean"));
  EXPECT_EQ(types[5][1], std::optional<std::string>("date"));
  EXPECT_EQ(types[6][1], std::optional<std::string>("timestamp without time zone"));
}

TEST_F(PostgresTarget, TenThousandRowsInBatchesRoundTripExactly) {
  auto loader = OpenTargetLoader(Source(), "round_trip", Columns(), {});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  // Nothing is visible before Commit (one transaction).
  EXPECT_FALSE(Loader().TableExists(Qualified("round_trip")));
  for (int64_t first = 0; first < 10'000; first += 1000) {
    Status written = (*loader)->Write(Batch(first, 1000));
    ASSERT_TRUE(written.ok()) << written.ToString();
  }
  EXPECT_EQ((*loader)->rows_written(), 10'000u);
  auto committed = (*loader)->Commit();
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(*committed, 10'000u);

  // Read back with the source's own (read-only) credentials: the loader granted it SELECT.
  Session loader_session(reader_, reader_pw_);
  loader_session.Run("SET TimeZone = 'UTC'");
  loader_session.Run("SET DateStyle = 'ISO, YMD'");
  auto rows = loader_session.Rows(
      "SELECT id::text, \"Text Col\", amount::text, ratio::text, "
      "flag::text, day::text, ts::text FROM " +
      Qualified("round_trip") + " AS r ORDER BY r.id");
  ASSERT_EQ(rows.size(), 10'000u);
  for (int64_t i = 0; i < 10'000; ++i) {
    ASSERT_EQ(rows[static_cast<size_t>(i)], Row(i)) << "row " << i;
  }
  // The literal text "\N" stayed text, distinct from NULL.
  auto literal = loader_session.Rows("SELECT count(*) FROM " + Qualified("round_trip") +
                                     " WHERE \"Text Col\" LIKE '\\\\N%'");
  EXPECT_NE(literal[0][0], std::optional<std::string>("0"));
}

TEST_F(PostgresTarget, AnExistingTableIsAlreadyExistsAndLeftUntouched) {
  Session loader_session = Loader();
  loader_session.Run("CREATE TABLE " + Qualified("existing") + " (keep text)");
  loader_session.Run("INSERT INTO " + Qualified("existing") + " VALUES ('mine')");

  auto opened = OpenTargetLoader(Source(), "existing", Columns(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kAlreadyExists) << opened.status().ToString();
  EXPECT_EQ(ErrorCodeName(opened.status().code()), "ALREADY_EXISTS");
  EXPECT_NE(opened.status().message().find(schema_ + ".existing"), std::string::npos);
  EXPECT_NE(opened.status().message().find("another name"), std::string::npos);

  auto rows = loader_session.Rows("SELECT * FROM " + Qualified("existing"));
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), 1u);
  EXPECT_EQ(rows[0][0], std::optional<std::string>("mine"));
}

TEST_F(PostgresTarget, AbortMidLoadLeavesNoTable) {
  {
    auto loader = OpenTargetLoader(Source(), "aborted", Columns(), {});
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    ASSERT_TRUE((*loader)->Write(Batch(0, 1000)).ok());
    ASSERT_TRUE((*loader)->Write(Batch(1000, 1000)).ok());
    (*loader)->Abort();
    (*loader)->Abort();  // idempotent
    EXPECT_FALSE((*loader)->Commit().ok());
  }
  EXPECT_FALSE(Loader().TableExists(Qualified("aborted")));
  {
    // A loader dropped without Commit aborts too.
    auto loader = OpenTargetLoader(Source(), "abandoned", Columns(), {});
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    ASSERT_TRUE((*loader)->Write(Batch(0, 10)).ok());
  }
  EXPECT_FALSE(Loader().TableExists(Qualified("abandoned")));
  // And the name is free again.
  auto again = OpenTargetLoader(Source(), "aborted", Columns(), {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  (*again)->Abort();
}

TEST_F(PostgresTarget, CancelBetweenBatchesIsCancelledAndLeavesNothing) {
  CancelToken cancel;
  auto loader = OpenTargetLoader(Source(), "cancelled", Columns(), cancel);
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  ASSERT_TRUE((*loader)->Write(Batch(0, 1000)).ok());
  cancel.Cancel("client cancelled the import");
  Status second = (*loader)->Write(Batch(1000, 1000));
  EXPECT_EQ(second.code(), ErrorCode::kCancelled) << second.ToString();
  EXPECT_NE(second.message().find("client cancelled the import"), std::string::npos);
  EXPECT_FALSE(Loader().TableExists(Qualified("cancelled")));

  // Cancelled before Commit: the same.
  CancelToken late;
  auto other = OpenTargetLoader(Source(), "cancelled_late", Columns(), late);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->Write(Batch(0, 10)).ok());
  late.Cancel("stop");
  auto committed = (*other)->Commit();
  EXPECT_EQ(committed.status().code(), ErrorCode::kCancelled);
  EXPECT_FALSE(Loader().TableExists(Qualified("cancelled_late")));

  // Already cancelled: nothing is even created.
  auto never = OpenTargetLoader(Source(), "never", Columns(), late);
  EXPECT_EQ(never.status().code(), ErrorCode::kCancelled);
  EXPECT_FALSE(Loader().TableExists(Qualified("never")));
}

TEST_F(PostgresTarget, WrongPasswordNamesSourceAndUserButNotThePassword) {
  const std::string wrong = "wrong-" + RandomHex(12);
  auto opened = OpenTargetLoader(Source(loader_, wrong), "wrong_pw", Columns(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kUnavailable) << opened.status().ToString();
  const std::string& message = opened.status().message();
  EXPECT_NE(message.find("pg_warehouse"), std::string::npos) << message;
  EXPECT_NE(message.find(loader_), std::string::npos) << message;
  EXPECT_NE(message.find("authentication failed"), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
  EXPECT_EQ(message.find(loader_pw_), std::string::npos) << message;
}

TEST_F(PostgresTarget, AMissingSchemaIsNotFoundWithTheFix) {
  auto opened =
      OpenTargetLoader(Source(loader_, loader_pw_, "no_such_" + suffix_), "t", Columns(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kNotFound) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find("CREATE SCHEMA"), std::string::npos);
}

TEST_F(PostgresTarget, ARowTheServerRefusesNamesRowBatchAndColumnAndLeavesNothing) {
  auto loader = OpenTargetLoader(Source(), "refused", Columns(), {});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  Status failed;
  for (int64_t first = 0; first < 3000 && failed.ok(); first += 1000) {
    RowBatch batch = Batch(first, 1000);
    if (first == 1000) batch[502][0] = "abc";  // row 1503 overall: not a bigint
    failed = (*loader)->Write(batch);
  }
  if (failed.ok()) {
    auto committed = (*loader)->Commit();
    ASSERT_FALSE(committed.ok());
    failed = committed.status();
  }
  EXPECT_EQ(failed.code(), ErrorCode::kInvalidArgument) << failed.ToString();
  const std::string& message = failed.message();
  EXPECT_NE(message.find("row 1503 (batch 2, row 503)"), std::string::npos) << message;
  EXPECT_NE(message.find("column 'id'"), std::string::npos) << message;
  EXPECT_NE(message.find(schema_ + ".refused"), std::string::npos) << message;
  EXPECT_NE(message.find("abc"), std::string::npos) << message;
  EXPECT_FALSE(Loader().TableExists(Qualified("refused")));

  // A row of the wrong width is refused before it is sent.
  auto narrow = OpenTargetLoader(Source(), "narrow", Columns(), {});
  ASSERT_TRUE(narrow.ok()) << narrow.status().ToString();
  Status wrong_width = (*narrow)->Write({{std::string("1")}});
  EXPECT_EQ(wrong_width.code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Loader().TableExists(Qualified("narrow")));
}

TEST(PostgresTargetFormat, CopyTextEscapingAndQuoting) {
  std::string out;
  AppendTabSeparatedValue(out, std::string("a\tb\nc\rd\\e"));
  out.push_back('|');
  AppendTabSeparatedValue(out, std::nullopt);
  out.push_back('|');
  AppendTabSeparatedValue(out, std::string("\\N"));
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\e|\\N|\\\\N");
  EXPECT_EQ(QuotePostgresIdentifier("we\"ird name"), "\"we\"\"ird name\"");
  EXPECT_EQ(PostgresColumnType("BIGINT"), "bigint");
  EXPECT_EQ(PostgresColumnType("decimal(10, 2)"), "numeric(10,2)");
  EXPECT_EQ(PostgresColumnType("DECIMAL"), "numeric(18,3)");
  EXPECT_EQ(PostgresColumnType("DOUBLE"), "double precision");
  EXPECT_EQ(PostgresColumnType("BOOLEAN"), "boolean");
  EXPECT_EQ(PostgresColumnType("DATE"), "date");
  EXPECT_EQ(PostgresColumnType("TIMESTAMP"), "timestamp");
  EXPECT_EQ(PostgresColumnType("VARCHAR"), "text");
  EXPECT_EQ(PostgresColumnType("STRUCT(a INT)"), "text");
}

}  // namespace
}  // namespace tributary::importer
