// Integration tests of the ClickHouse import target against the live test server
// (scripts/test-servers.sh; TRIB_TEST_CLICKHOUSE_* must be set, e.g. via `make test`).
//
// ClickHouse 18.16 defines users in users.xml only (CREATE USER came in 20.x), so the suite
// cannot make its own. It uses the two users scripts/test-servers.sh configures:
//   - the writer is the main test user (TRIB_TEST_CLICKHOUSE_USER, profile "default": it may
//     create, insert and drop) — it stands in for a dedicated loader user;
//   - the source's own credentials are the read-only user TRIB_TEST_CLICKHOUSE_READER_USER
//     (profile "reader": readonly = 2), which the suite proves cannot write.
// Tables go to a database of the suite's own (random name), dropped at the end.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "connectors/clickhouse/clickhouse_sql.h"
#include "connectors/common/http_client.h"
#include "importer/targets/clickhouse_target.h"
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

Options::Entry Entry(OptionValue v, bool secret = false) {
  return Options::Entry{std::move(v), {}, secret};
}

struct Answer {
  long status = 0;  // NOLINT(google-runtime-int)
  std::string body;
};

//! POSTs `sql` as `user`; the HTTP status and body.
Answer Send(const std::string& user, const std::string& password, const std::string& sql) {
  EnsureCurlGlobalInit();
  HttpHandle http;
  HttpRequest request;
  request.url = Env("TRIB_TEST_CLICKHOUSE_URL") + "/";
  request.body = sql;
  request.basic_user = user;
  request.basic_password = password;
  auto response = http.Perform(request, nullptr);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  if (!response.ok()) return {};
  return {response->status, response->body};
}

std::string AdminUser() {
  return Env("TRIB_TEST_CLICKHOUSE_USER");
}
std::string AdminPassword() {
  return Env("TRIB_TEST_CLICKHOUSE_PASSWORD");
}

void Admin(const std::string& sql) {
  Answer a = Send(AdminUser(), AdminPassword(), sql);
  EXPECT_EQ(a.status, 200) << sql << ": " << a.body;
}

//! TabSeparated text back to values (\N -> nullopt).
std::vector<std::vector<std::optional<std::string>>> ParseTsv(const std::string& body) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + pos, end - pos);
    pos = end + 1;
    auto& row = rows.emplace_back();
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      std::string_view field =
          line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
      if (field == "\\N") {
        row.emplace_back(std::nullopt);
      } else {
        std::string value;
        for (size_t i = 0; i < field.size(); ++i) {
          if (field[i] != '\\' || i + 1 == field.size()) {
            value.push_back(field[i]);
            continue;
          }
          const char e = field[++i];
          switch (e) {
            case 't':
              value.push_back('\t');
              break;
            case 'n':
              value.push_back('\n');
              break;
            case 'r':
              value.push_back('\r');
              break;
            case '0':
              value.push_back('\0');
              break;
            case 'b':
              value.push_back('\b');
              break;
            case 'f':
              value.push_back('\f');
              break;
            default:
              value.push_back(e);
          }
        }
        row.emplace_back(std::move(value));
      }
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
  }
  return rows;
}

class ClickHouseTarget : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (Env("TRIB_TEST_CLICKHOUSE_URL").empty() ||
        Env("TRIB_TEST_CLICKHOUSE_READER_USER").empty()) {
      return;
    }
    database_ = "trib_imp_" + RandomHex(10);
    Admin("CREATE DATABASE " + database_);
    ready_ = true;
  }
  static void TearDownTestSuite() {
    if (ready_) Admin("DROP DATABASE IF EXISTS " + database_);
  }

  void SetUp() override {
    if (Env("TRIB_TEST_CLICKHOUSE_URL").empty()) {
      GTEST_FAIL() << "TRIB_TEST_CLICKHOUSE_URL is not set: run these tests via `make test` "
                      "(scripts/test-servers.sh start, then source its env file)";
    }
    if (Env("TRIB_TEST_CLICKHOUSE_READER_USER").empty()) {
      GTEST_FAIL() << "TRIB_TEST_CLICKHOUSE_READER_USER is not set: restart the servers with "
                      "the current scripts/test-servers.sh (it adds the read-only user)";
    }
  }

  static std::string Reader() { return Env("TRIB_TEST_CLICKHOUSE_READER_USER"); }
  static std::string ReaderPassword() { return Env("TRIB_TEST_CLICKHOUSE_READER_PASSWORD"); }

  //! The source: the read-only user's credentials; the writer as its import_target.
  static SourceConfig Source(const std::string& target_user = AdminUser(),
                             const std::string& target_password = AdminPassword(),
                             const std::string& schema = database_) {
    SourceConfig s;
    s.id = "ch_warehouse";
    s.type = "clickhouse";
    s.options.Set("url", Entry(Env("TRIB_TEST_CLICKHOUSE_URL")));
    s.options.Set("database", Entry(Env("TRIB_TEST_CLICKHOUSE_DB")));
    s.options.Set("user", Entry(Reader()));
    s.options.Set("password", Entry(ReaderPassword(), true));
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

  //! Row i as the loader receives it (RowBatch's conventions).
  static std::vector<std::optional<std::string>> Row(int64_t i) {
    static const std::vector<std::string> kTexts = {
        "plain",          "tab\there", "new\nline", "back\\slash",      "cr\rlf\r\n",
        "ünïcødé ✓ 日本", "\\N",       "",          "quote \" and ' `", "trailing\\"};
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
    std::string date = "2024-02-";
    if (day < 10) date.push_back('0');
    date.append(std::to_string(day));
    row.emplace_back(i % 23 == 0 ? std::nullopt : std::optional<std::string>(date));
    std::string ts = "2023-12-31 23:59:";
    if (i % 60 < 10) ts.push_back('0');
    ts.append(std::to_string(i % 60));
    if (i % 3 == 0) ts.append(".123456");  // DateTime holds whole seconds: dropped
    row.emplace_back(i % 29 == 0 ? std::nullopt : std::optional<std::string>(ts));
    return row;
  }

  //! Row i as ClickHouse answers it: booleans 1/0, the timestamp's fraction dropped, and
  //! floats as ClickHouse prints them.
  static std::vector<std::optional<std::string>> Expected(int64_t i) {
    auto row = Row(i);
    if (row[3] == std::optional<std::string>("1e-05")) row[3] = "0.00001";
    if (row[4]) row[4] = *row[4] == "true" ? "1" : "0";
    if (row[6] && row[6]->size() > 19) row[6] = row[6]->substr(0, 19);
    return row;
  }

  static RowBatch Batch(int64_t first, int64_t count) {
    RowBatch batch;
    for (int64_t i = first; i < first + count; ++i) batch.push_back(Row(i));
    return batch;
  }

  static bool TableExists(const std::string& table) {
    Answer a = Send(AdminUser(), AdminPassword(),
                    "EXISTS TABLE " + database_ + ".`" + table + "` FORMAT TabSeparated");
    EXPECT_EQ(a.status, 200) << a.body;
    return a.body == "1\n";
  }

  static inline bool ready_ = false;
  static inline std::string database_;
};

TEST_F(ClickHouseTarget, ReadCredentialsCannotWriteButTheWriterCan) {
  // The reader (the source's own credentials) is refused writes by the server itself.
  Answer refused = Send(Reader(), ReaderPassword(),
                        "CREATE TABLE " + database_ + ".by_reader (a Int8) ENGINE = Log");
  EXPECT_NE(refused.status, 200);
  EXPECT_EQ(clickhouse::ClickHouseErrorCode(refused.body), 164) << refused.body;  // READONLY

  // The reader as the import_target's user: PERMISSION_DENIED saying what to change.
  auto as_reader = OpenTargetLoader(Source(Reader(), ReaderPassword()), "by_reader", Columns(), {});
  ASSERT_FALSE(as_reader.ok());
  EXPECT_EQ(as_reader.status().code(), ErrorCode::kPermissionDenied)
      << as_reader.status().ToString();
  EXPECT_NE(as_reader.status().message().find("read-only"), std::string::npos);
  EXPECT_NE(as_reader.status().message().find("ch_warehouse"), std::string::npos);
  EXPECT_FALSE(TableExists("by_reader"));

  // The writer (here the main test user, standing in for a dedicated loader) can.
  auto loader = OpenTargetLoader(Source(), "by_writer", Columns(), {});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  EXPECT_EQ((*loader)->location(), database_ + ".by_writer");
  ASSERT_TRUE((*loader)->Write(Batch(0, 3)).ok());
  auto rows = (*loader)->Commit();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 3u);
  EXPECT_TRUE(TableExists("by_writer"));
  Answer types = Send(Reader(), ReaderPassword(),
                      "SELECT name, type FROM system.columns WHERE database = '" + database_ +
                          "' AND table = 'by_writer' FORMAT TabSeparated");
  EXPECT_EQ(types.body,
            "id\tNullable(Int64)\nText Col\tNullable(String)\namount\tNullable(Decimal(18, 4))\n"
            "ratio\tNullable(Float64)\nflag\tNullable(UInt8)\nday\tNullable(Date)\n"
            "ts\tNullable(DateTime(\\'UTC\\'))\n");
}

TEST_F(ClickHouseTarget, TenThousandRowsInBatchesRoundTripExactly) {
  auto loader = OpenTargetLoader(Source(), "round_trip", Columns(), {});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  for (int64_t first = 0; first < 10'000; first += 1000) {
    Status written = (*loader)->Write(Batch(first, 1000));
    ASSERT_TRUE(written.ok()) << written.ToString();
  }
  auto committed = (*loader)->Commit();
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(*committed, 10'000u);

  // Read back with the source's own (read-only) credentials.
  Answer back = Send(Reader(), ReaderPassword(),
                     "SELECT * FROM " + database_ + ".round_trip ORDER BY id FORMAT TabSeparated");
  ASSERT_EQ(back.status, 200) << back.body;
  auto rows = ParseTsv(back.body);
  ASSERT_EQ(rows.size(), 10'000u);
  for (int64_t i = 0; i < 10'000; ++i) {
    ASSERT_EQ(rows[static_cast<size_t>(i)], Expected(i)) << "row " << i;
  }
}

TEST_F(ClickHouseTarget, AnExistingTableIsAlreadyExistsAndLeftUntouched) {
  Admin("CREATE TABLE " + database_ + ".existing (keep String) ENGINE = Log");
  Admin("INSERT INTO " + database_ + ".existing VALUES ('mine')");
  auto opened = OpenTargetLoader(Source(), "existing", Columns(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kAlreadyExists) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find(database_ + ".existing"), std::string::npos);
  EXPECT_NE(opened.status().message().find("another name"), std::string::npos);
  Answer rows = Send(AdminUser(), AdminPassword(),
                     "SELECT * FROM " + database_ + ".existing FORMAT TabSeparated");
  EXPECT_EQ(rows.body, "mine\n");
}

TEST_F(ClickHouseTarget, AbortMidLoadDropsTheTable) {
  {
    auto loader = OpenTargetLoader(Source(), "aborted", Columns(), {});
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    ASSERT_TRUE((*loader)->Write(Batch(0, 1000)).ok());
    ASSERT_TRUE((*loader)->Write(Batch(1000, 1000)).ok());
    EXPECT_TRUE(TableExists("aborted"));  // no transactions in ClickHouse
    (*loader)->Abort();
    (*loader)->Abort();
    EXPECT_FALSE((*loader)->Commit().ok());
  }
  EXPECT_FALSE(TableExists("aborted"));
  {
    auto loader = OpenTargetLoader(Source(), "abandoned", Columns(), {});
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    ASSERT_TRUE((*loader)->Write(Batch(0, 10)).ok());
  }
  EXPECT_FALSE(TableExists("abandoned"));
  // A committed load is kept when the loader goes away.
  {
    auto loader = OpenTargetLoader(Source(), "kept", Columns(), {});
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    ASSERT_TRUE((*loader)->Write(Batch(0, 10)).ok());
    ASSERT_TRUE((*loader)->Commit().ok());
  }
  EXPECT_TRUE(TableExists("kept"));
}

TEST_F(ClickHouseTarget, CancelBetweenBatchesIsCancelledAndDropsTheTable) {
  CancelToken cancel;
  auto loader = OpenTargetLoader(Source(), "cancelled", Columns(), cancel);
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  ASSERT_TRUE((*loader)->Write(Batch(0, 1000)).ok());
  cancel.Cancel("client cancelled the import");
  Status second = (*loader)->Write(Batch(1000, 1000));
  EXPECT_EQ(second.code(), ErrorCode::kCancelled) << second.ToString();
  EXPECT_NE(second.message().find("client cancelled the import"), std::string::npos);
  EXPECT_FALSE(TableExists("cancelled"));

  CancelToken late;
  auto other = OpenTargetLoader(Source(), "cancelled_late", Columns(), late);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->Write(Batch(0, 10)).ok());
  late.Cancel("stop");
  EXPECT_EQ((*other)->Commit().status().code(), ErrorCode::kCancelled);
  EXPECT_FALSE(TableExists("cancelled_late"));
}

TEST_F(ClickHouseTarget, WrongPasswordNamesSourceAndUserButNotThePassword) {
  const std::string wrong = "wrong-" + RandomHex(12);
  auto opened = OpenTargetLoader(Source(AdminUser(), wrong), "wrong_pw", Columns(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kUnavailable) << opened.status().ToString();
  const std::string& message = opened.status().message();
  EXPECT_NE(message.find("ch_warehouse"), std::string::npos) << message;
  EXPECT_NE(message.find("'" + AdminUser() + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("authentication failed"), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
  EXPECT_EQ(message.find(AdminPassword()), std::string::npos) << message;
  EXPECT_FALSE(TableExists("wrong_pw"));
}

TEST_F(ClickHouseTarget, AMissingDatabaseIsNotFoundWithTheFix) {
  auto opened = OpenTargetLoader(Source(AdminUser(), AdminPassword(), "no_such_" + RandomHex(8)),
                                 "t", Columns(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kNotFound) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find("CREATE DATABASE"), std::string::npos);
}

TEST_F(ClickHouseTarget, AValueTheServerRefusesNamesRowAndBatchAndDropsTheTable) {
  auto loader = OpenTargetLoader(Source(), "refused", Columns(), {});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  ASSERT_TRUE((*loader)->Write(Batch(0, 1000)).ok());
  RowBatch batch = Batch(1000, 1000);
  batch[502][0] = "abc";  // row 1503 overall: not an Int64
  Status failed = (*loader)->Write(batch);
  EXPECT_EQ(failed.code(), ErrorCode::kInvalidArgument) << failed.ToString();
  EXPECT_NE(failed.message().find("batch 2"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("row 1503"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find(database_ + ".refused"), std::string::npos);
  EXPECT_FALSE(TableExists("refused"));

  // A date ClickHouse's Date cannot hold is refused before it is sent, naming the column.
  auto early = OpenTargetLoader(Source(), "old_date", Columns(), {});
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  RowBatch old = Batch(0, 5);
  old[3][5] = "1969-12-31";
  Status refused = (*early)->Write(old);
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("row 4 (batch 1, row 4), column 'day'"), std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("VARCHAR"), std::string::npos);
  EXPECT_FALSE(TableExists("old_date"));
}

TEST(ClickHouseTargetFormat, TsvEscapingQuotingAndTypes) {
  std::string out;
  AppendTabSeparatedValue(out, std::string("a\tb\nc\rd\\e"));
  out.push_back(std::string::value_type{'|'});
  AppendTabSeparatedValue(out, std::nullopt);
  out.push_back('|');
  AppendTabSeparatedValue(out, std::string("\\N"));
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\e|\\N|\\\\N");
  EXPECT_EQ(QuoteClickHouseIdentifier("we`ird\\name"), "`we\\`ird\\\\name`");
  EXPECT_EQ(ClickHouseColumnType("BIGINT"), "Int64");
  EXPECT_EQ(ClickHouseColumnType("DOUBLE"), "Float64");
  EXPECT_EQ(ClickHouseColumnType("DECIMAL(10,2)"), "Decimal(10, 2)");
  EXPECT_EQ(ClickHouseColumnType("BOOLEAN"), "UInt8");
  EXPECT_EQ(ClickHouseColumnType("DATE"), "Date");
  EXPECT_EQ(ClickHouseColumnType("TIMESTAMP"), "DateTime('UTC')");
  EXPECT_EQ(ClickHouseColumnType("VARCHAR"), "String");
  EXPECT_EQ(ClickHouseColumnType("TIME"), "String");
}

}  // namespace
}  // namespace tributary::importer
