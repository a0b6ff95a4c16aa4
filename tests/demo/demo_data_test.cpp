#include "demo/demo_data.h"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace tributary {
namespace {

namespace fs = std::filesystem;

// 2026-01-01T00:00:00Z plus an odd offset, so the window does not start on an hour.
constexpr int64_t kEnd = 1'767'225'600'000'000 + 1'234'567'891;
constexpr int64_t kDay = 86'400'000'000;

//! A read-only DuckDB connection to a generated file, separate from the generator's.
class Reader {
 public:
  explicit Reader(const std::string& path) {
    duckdb_config config;
    duckdb_create_config(&config);
    duckdb_set_config(config, "access_mode", "READ_ONLY");
    duckdb_set_config(config, "autoinstall_known_extensions", "false");
    duckdb_set_config(config, "autoload_known_extensions", "false");
    char* error = nullptr;
    if (duckdb_open_ext(path.c_str(), &db_, config, &error) != DuckDBSuccess) {
      ADD_FAILURE() << "cannot open " << path << ": " << (error ? error : "?");
      if (error) duckdb_free(error);
    } else {
      duckdb_connect(db_, &con_);
    }
    duckdb_destroy_config(&config);
  }
  ~Reader() {
    if (con_) duckdb_disconnect(&con_);
    if (db_) duckdb_close(&db_);
  }

  //! Every row of a query as strings ("NULL" for null).
  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    duckdb_result result;
    if (duckdb_query(con_, sql.c_str(), &result) != DuckDBSuccess) {
      ADD_FAILURE() << duckdb_result_error(&result) << "\n" << sql;
      duckdb_destroy_result(&result);
      return rows;
    }
    for (idx_t r = 0; r < duckdb_row_count(&result); ++r) {
      std::vector<std::string> row;
      for (idx_t c = 0; c < duckdb_column_count(&result); ++c) {
        char* value = duckdb_value_varchar(&result, c, r);
        row.push_back(value ? value : "NULL");
        duckdb_free(value);
      }
      rows.push_back(std::move(row));
    }
    duckdb_destroy_result(&result);
    return rows;
  }
  std::string Text(const std::string& sql) {
    auto rows = Rows(sql);
    return rows.empty() || rows[0].empty() ? "<none>" : rows[0][0];
  }
  int64_t Int(const std::string& sql) { return std::stoll(Text(sql)); }
  double Real(const std::string& sql) { return std::stod(Text(sql)); }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

fs::path FreshDir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("tributary-demo-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

DemoDataOptions SmallOptions(const fs::path& path, int64_t rows = 20'000) {
  DemoDataOptions options;
  options.path = path.string();
  options.rows = rows;
  options.end_micros = kEnd;
  return options;
}

//! Most tests read one small file generated once.
class DemoDataTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(FreshDir("shared"));
    const Status status = GenerateDemoData(SmallOptions(*dir_ / "nested" / "demo.duckdb"));
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string SharedPath() { return (*dir_ / "nested" / "demo.duckdb").string(); }

  static fs::path* dir_;
};
fs::path* DemoDataTest::dir_ = nullptr;

std::vector<std::vector<std::string>> Columns(Reader& db, const std::string& table) {
  return db.Rows(
      "SELECT column_name, data_type FROM information_schema.columns "
      "WHERE table_name = '" +
      table + "' ORDER BY ordinal_position");
}

TEST_F(DemoDataTest, ColumnsHaveCanonicalNamesAndTypes) {
  Reader db(SharedPath());
  const std::vector<std::vector<std::string>> llm = {
      {"timestamp", "TIMESTAMP"},      {"request_id", "VARCHAR"},  {"tenant_id", "VARCHAR"},
      {"user_id", "VARCHAR"},          {"model", "VARCHAR"},       {"status", "VARCHAR"},
      {"error_type", "VARCHAR"},       {"latency_ms", "DOUBLE"},   {"prompt_tokens", "BIGINT"},
      {"completion_tokens", "BIGINT"}, {"cost_usd", "DOUBLE"},     {"query_category", "VARCHAR"},
      {"is_anomaly", "BOOLEAN"},       {"anomaly_type", "VARCHAR"}};
  EXPECT_EQ(Columns(db, "llm_logs"), llm);
  const std::vector<std::vector<std::string>> web = {
      {"event_timestamp", "TIMESTAMP"}, {"event_name", "VARCHAR"},   {"user_pseudo_id", "VARCHAR"},
      {"user_id", "VARCHAR"},           {"ga_session_id", "BIGINT"}, {"page_location", "VARCHAR"},
      {"purchase_revenue", "DOUBLE"},   {"currency", "VARCHAR"}};
  EXPECT_EQ(Columns(db, "web_events"), web);
  EXPECT_EQ(db.Int("SELECT count(*) FROM information_schema.tables"), 2);
}

TEST_F(DemoDataTest, RowCountsAreExactAndIdsUnique) {
  Reader db(SharedPath());
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs"), 20'000);
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events"), 20'000);
  EXPECT_EQ(db.Int("SELECT count(DISTINCT request_id) FROM llm_logs"), 20'000);
  // Required columns are never null.
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs WHERE timestamp IS NULL OR tenant_id IS NULL "
                   "OR user_id IS NULL OR model IS NULL OR status IS NULL OR latency_ms IS NULL "
                   "OR prompt_tokens IS NULL OR completion_tokens IS NULL OR cost_usd IS NULL "
                   "OR query_category IS NULL OR is_anomaly IS NULL"),
            0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events WHERE event_timestamp IS NULL OR "
                   "event_name IS NULL OR user_pseudo_id IS NULL OR ga_session_id IS NULL"),
            0);
}

TEST(DemoDataSizes, TinyAndOddRowCountsAreExact) {
  const fs::path dir = FreshDir("sizes");
  for (int64_t rows : {1, 7, 12'345}) {
    auto options = SmallOptions(dir / "demo.duckdb", rows);
    options.days = 1;
    ASSERT_TRUE(GenerateDemoData(options).ok());
    Reader db(options.path);
    EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs"), rows);
    EXPECT_EQ(db.Int("SELECT count(*) FROM web_events"), rows);
  }
  fs::remove_all(dir);
}

TEST_F(DemoDataTest, TimestampsStayInsideTheWindowInOrder) {
  Reader db(SharedPath());
  const std::string start = std::to_string(kEnd - 90 * kDay);
  const std::string end = std::to_string(kEnd);
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs WHERE epoch_us(timestamp) < " + start +
                   " OR epoch_us(timestamp) >= " + end),
            0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events WHERE epoch_us(event_timestamp) < " + start +
                   " OR epoch_us(event_timestamp) >= " + end),
            0);
  // Both ends of the window are populated.
  EXPECT_LT(db.Int("SELECT epoch_us(min(timestamp)) FROM llm_logs"), kEnd - 89 * kDay);
  EXPECT_GT(db.Int("SELECT epoch_us(max(timestamp)) FROM llm_logs"), kEnd - kDay / 24);
  EXPECT_GT(db.Int("SELECT epoch_us(max(event_timestamp)) FROM web_events"), kEnd - kDay / 24);
  // Rows are stored by time.
  EXPECT_EQ(
      db.Int(
          "SELECT count(*) FROM (SELECT timestamp < lag(timestamp) OVER (ORDER BY rowid) AS back "
          "FROM llm_logs) WHERE back"),
      0);
  // Traffic grows: the last 30 days busier than the first 30.
  EXPECT_GT(db.Int("SELECT count(*) FROM llm_logs WHERE epoch_us(timestamp) >= " +
                   std::to_string(kEnd - 30 * kDay)),
            db.Int("SELECT count(*) FROM llm_logs WHERE epoch_us(timestamp) < " +
                   std::to_string(kEnd - 60 * kDay)));
}

//! An order-independent checksum of both tables.
std::string Checksum(const std::string& path) {
  Reader db(path);
  return db.Text("SELECT sum(hash(l)) FROM llm_logs l") + "/" +
         db.Text("SELECT sum(hash(w)) FROM web_events w");
}

TEST(DemoDataDeterminism, SameSeedAndEndGiveIdenticalRows) {
  const fs::path dir = FreshDir("determinism");
  auto a = SmallOptions(dir / "a.duckdb", 5'000);
  auto b = SmallOptions(dir / "b.duckdb", 5'000);
  auto c = SmallOptions(dir / "c.duckdb", 5'000);
  c.seed = 7;
  ASSERT_TRUE(GenerateDemoData(a).ok());
  ASSERT_TRUE(GenerateDemoData(b).ok());
  ASSERT_TRUE(GenerateDemoData(c).ok());
  EXPECT_EQ(Checksum(a.path), Checksum(b.path));
  EXPECT_NE(Checksum(a.path), Checksum(c.path));
  // Stored order is identical too, not only the set of rows.
  Reader da(a.path);
  Reader db(b.path);
  const std::string first = "SELECT request_id, latency_ms FROM llm_logs LIMIT 50";
  EXPECT_EQ(da.Rows(first), db.Rows(first));
  fs::remove_all(dir);
}

TEST_F(DemoDataTest, ErrorShareIsAboutFivePercent) {
  Reader db(SharedPath());
  const double share = db.Real("SELECT avg((status = 'error')::INT) FROM llm_logs");
  EXPECT_GT(share, 0.03);
  EXPECT_LT(share, 0.07);
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs WHERE status NOT IN ('success', 'error')"), 0);
  EXPECT_GE(db.Int("SELECT count(DISTINCT error_type) FROM llm_logs"), 6);
}

TEST_F(DemoDataTest, ErrorTypeIsSetExactlyOnErrors) {
  Reader db(SharedPath());
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs "
                   "WHERE (error_type IS NULL) <> (status = 'success')"),
            0);
  // Failed requests generate nothing.
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs WHERE status = 'error' AND "
                   "completion_tokens <> 0"),
            0);
}

TEST_F(DemoDataTest, AnomalyTypeIsSetExactlyOnAnomalies) {
  Reader db(SharedPath());
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs WHERE (anomaly_type IS NULL) = is_anomaly"), 0);
  EXPECT_EQ(db.Int("SELECT count(DISTINCT anomaly_type) FROM llm_logs"), 4);
  const double rate = db.Real("SELECT avg(is_anomaly::INT) FROM llm_logs");
  EXPECT_GT(rate, 0.005);
  EXPECT_LT(rate, 0.05);
}

TEST_F(DemoDataTest, IncidentHoursSpikeErrorsAndLatency) {
  Reader db(SharedPath());
  // Hours with an error burst: most of their rows failed and latency is far above normal.
  auto rows = db.Rows(
      "SELECT avg((status = 'error')::INT), avg(latency_ms) FROM llm_logs WHERE date_trunc("
      "'hour', timestamp) IN (SELECT DISTINCT date_trunc('hour', timestamp) FROM llm_logs "
      "WHERE anomaly_type = 'error_burst')");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GT(std::stod(rows[0][0]), 0.25);
  EXPECT_GT(std::stod(rows[0][1]),
            2 * db.Real("SELECT avg(latency_ms) FROM llm_logs WHERE NOT is_anomaly"));
}

TEST_F(DemoDataTest, CostMatchesModelPricesAndTokens) {
  Reader db(SharedPath());
  EXPECT_GE(db.Int("SELECT count(DISTINCT model) FROM llm_logs"), 5);
  // One price per model and direction: cost = prompt * in + completion * out, exactly.
  EXPECT_EQ(db.Int(R"(
      WITH p AS (
        SELECT model, max(CASE WHEN completion_tokens = 0 THEN cost_usd / prompt_tokens END) AS pin
        FROM llm_logs GROUP BY model),
      q AS (
        SELECT model, coalesce(median((cost_usd - prompt_tokens * pin)
                                      / nullif(completion_tokens, 0)), 0) AS pout
        FROM llm_logs JOIN p USING (model) GROUP BY model)
      SELECT count(*) FROM llm_logs JOIN p USING (model) JOIN q USING (model)
      WHERE abs(cost_usd - prompt_tokens * pin - completion_tokens * pout)
            > 1e-9 * greatest(cost_usd, 1e-6))"),
            0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs WHERE cost_usd < 0 OR prompt_tokens <= 0 OR "
                   "completion_tokens < 0 OR latency_ms <= 0"),
            0);
  EXPECT_EQ(db.Int("SELECT count(DISTINCT query_category) FROM llm_logs WHERE query_category IN "
                   "('chat', 'rag', 'embedding', 'completion', 'agent')"),
            5);
}

TEST_F(DemoDataTest, TopThreeTenantsHoldMostRequests) {
  Reader db(SharedPath());
  const int64_t tenants = db.Int("SELECT count(DISTINCT tenant_id) FROM llm_logs");
  EXPECT_GE(tenants, 8);
  EXPECT_LE(tenants, 12);
  EXPECT_GT(db.Real("SELECT sum(c) / 20000.0 FROM (SELECT count(*) AS c FROM llm_logs "
                    "GROUP BY tenant_id ORDER BY c DESC LIMIT 3)"),
            0.5);
  const int64_t users = db.Int("SELECT count(DISTINCT user_id) FROM llm_logs");
  EXPECT_GE(users, 100);
  EXPECT_LE(users, 1000);
}

TEST_F(DemoDataTest, TrafficFollowsADiurnalCycle) {
  Reader db(SharedPath());
  for (const char* sql :
       {"SELECT max(c)::DOUBLE / min(c) FROM (SELECT count(*) AS c FROM llm_logs "
        "GROUP BY hour(timestamp))",
        "SELECT max(c)::DOUBLE / min(c) FROM (SELECT count(*) AS c FROM web_events "
        "GROUP BY hour(event_timestamp))"}) {
    EXPECT_GE(db.Real(sql), 2.0) << sql;
  }
  // Every hour of the day has some traffic.
  EXPECT_EQ(db.Int("SELECT count(DISTINCT hour(timestamp)) FROM llm_logs"), 24);
  EXPECT_EQ(db.Int("SELECT count(DISTINCT hour(event_timestamp)) FROM web_events"), 24);
  // Weekends are quieter than weekdays.
  EXPECT_LT(db.Real("SELECT avg((dayofweek(timestamp) IN (0, 6))::INT) FROM llm_logs"), 2.0 / 7);
}

TEST_F(DemoDataTest, EveryDefaultFeaturePathIsPresent) {
  Reader db(SharedPath());
  // The default feature rules, first match wins.
  const std::vector<std::string> features = {"/home",         "/buybox/deals",
                                             "/buybox",       "/properties",
                                             "/importer",     "/integrations/api-tokens",
                                             "/integrations", "/session/login"};
  std::string rule = "CASE";
  for (const auto& f : features) {
    rule += " WHEN regexp_matches(page_location, '" + f + "') THEN '" + f + "'";
  }
  rule += " ELSE 'Other' END";
  auto rows = db.Rows("SELECT " + rule +
                      " AS feature, count(*) FROM web_events "
                      "WHERE event_name = 'page_view' AND page_location IS NOT NULL "
                      "GROUP BY ALL ORDER BY 2 DESC");
  ASSERT_EQ(rows.size(), features.size() + 1);
  for (const auto& row : rows) EXPECT_GT(std::stoll(row[1]), 50) << row[0];
  // Clients: the default pattern finds 15-20 of them; some events have none.
  const char* client = "regexp_extract(page_location, '^https://([^.]+)\\.8020rei\\.com', 1)";
  const int64_t clients = db.Int(std::string("SELECT count(DISTINCT ") + client +
                                 ") FROM web_events WHERE " + client + " <> ''");
  EXPECT_GE(clients, 15);
  EXPECT_LE(clients, 20);
  EXPECT_GT(db.Int(std::string("SELECT count(*) FROM web_events WHERE page_location IS NOT NULL "
                               "AND ") +
                   client + " = ''"),
            0);
  EXPECT_GT(db.Int("SELECT count(*) FROM web_events WHERE page_location IS NULL"), 0);
}

TEST_F(DemoDataTest, OnlyPurchasesCarryRevenueAndCurrency) {
  Reader db(SharedPath());
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events WHERE (event_name = 'purchase') <> "
                   "(purchase_revenue IS NOT NULL AND currency IS NOT NULL)"),
            0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events WHERE event_name <> 'purchase' AND "
                   "(purchase_revenue IS NOT NULL OR currency IS NOT NULL)"),
            0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events WHERE purchase_revenue <= 0"), 0);
  EXPECT_EQ(db.Rows("SELECT DISTINCT currency FROM web_events WHERE currency IS NOT NULL "
                    "ORDER BY 1")
                .size(),
            3u);
  EXPECT_EQ(db.Text("SELECT mode(currency) FROM web_events"), "USD");
}

TEST_F(DemoDataTest, FunnelCountsDecrease) {
  Reader db(SharedPath());
  auto count = [&](const std::string& name) {
    return db.Int("SELECT count(*) FROM web_events WHERE event_name = '" + name + "'");
  };
  const int64_t views = count("page_view");
  EXPECT_GT(views, 20'000 / 2);
  EXPECT_GT(views, count("add_to_cart"));
  EXPECT_GT(count("add_to_cart"), count("begin_checkout"));
  EXPECT_GT(count("begin_checkout"), count("purchase"));
  EXPECT_GT(count("purchase"), 0);
  // Users, too: fewer reach each step.
  auto users = [&](const std::string& name) {
    return db.Int(
        "SELECT count(DISTINCT coalesce(user_id, user_pseudo_id)) FROM web_events "
        "WHERE event_name = '" +
        name + "'");
  };
  EXPECT_GT(users("page_view"), users("add_to_cart"));
  EXPECT_GT(users("add_to_cart"), users("purchase"));
}

TEST_F(DemoDataTest, SessionsGroupSeveralEventsOfOneDevice) {
  Reader db(SharedPath());
  const double per_session = db.Real(
      "SELECT avg(c) FROM (SELECT count(*) AS c FROM web_events "
      "GROUP BY user_pseudo_id, ga_session_id)");
  EXPECT_GT(per_session, 3.0);
  EXPECT_LT(per_session, 15.0);
  // One session_start per session, and a session keeps one signed-in state.
  EXPECT_EQ(db.Int("SELECT count(*) FROM (SELECT user_pseudo_id, ga_session_id FROM web_events "
                   "GROUP BY ALL HAVING count(*) FILTER (event_name = 'session_start') <> 1 "
                   "OR count(DISTINCT coalesce(user_id, '-')) <> 1)"),
            0);
  const double anonymous = db.Real("SELECT avg((user_id IS NULL)::INT) FROM web_events");
  EXPECT_GT(anonymous, 0.3);
  EXPECT_LT(anonymous, 0.5);
  // Returning devices: fewer devices than sessions.
  EXPECT_LT(db.Int("SELECT count(DISTINCT user_pseudo_id) FROM web_events"),
            db.Int("SELECT count(DISTINCT (user_pseudo_id, ga_session_id)) FROM web_events") / 2);
}

TEST(DemoDataFiles, EnsureKeepsAnExistingFile) {
  const fs::path dir = FreshDir("ensure");
  const fs::path path = dir / "demo.duckdb";
  ASSERT_TRUE(GenerateDemoData(SmallOptions(path, 100)).ok());
  const auto before = fs::last_write_time(path);
  const auto size = fs::file_size(path);
  ASSERT_TRUE(EnsureDemoData(path.string()).ok());
  EXPECT_EQ(fs::last_write_time(path), before);
  EXPECT_EQ(fs::file_size(path), size);
  Reader db(path.string());
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs"), 100);
  fs::remove_all(dir);
}

TEST(DemoDataFiles, GenerateReplacesAnExistingFile) {
  const fs::path dir = FreshDir("replace");
  const fs::path path = dir / "demo.duckdb";
  ASSERT_TRUE(GenerateDemoData(SmallOptions(path, 100)).ok());
  ASSERT_TRUE(GenerateDemoData(SmallOptions(path, 300)).ok());
  Reader db(path.string());
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs"), 300);
  // Nothing left beside it.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"demo.duckdb"});
  fs::remove_all(dir);
}

TEST(DemoDataFiles, UnwritableLocationIsAnError) {
  DemoDataOptions options;
  options.path = "/proc/tributary-no-such-dir/demo.duckdb";
  options.rows = 100;
  const Status status = GenerateDemoData(options);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/tributary-no-such-dir"), std::string::npos)
      << status.message();
  EXPECT_FALSE(EnsureDemoData(options.path).ok());
}

TEST(DemoDataFiles, FailedGenerationLeavesNoTemporaryFile) {
  const fs::path dir = FreshDir("failed");
  // The target is a directory: the data is written, the final rename fails.
  fs::create_directories(dir / "demo.duckdb" / "occupied");
  const Status status = GenerateDemoData(SmallOptions(dir / "demo.duckdb", 100));
  EXPECT_FALSE(status.ok());
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"demo.duckdb"});
  fs::remove_all(dir);
}

TEST(DemoDataFiles, RejectsInvalidOptions) {
  DemoDataOptions options;
  EXPECT_EQ(GenerateDemoData(options).code(), ErrorCode::kInvalidArgument);  // no path
  options.path = (fs::temp_directory_path() / "tributary-demo-invalid.duckdb").string();
  options.rows = 0;
  EXPECT_EQ(GenerateDemoData(options).code(), ErrorCode::kInvalidArgument);
  options.rows = 10;
  options.days = 0;
  EXPECT_EQ(GenerateDemoData(options).code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(options.path));
}

TEST(DemoDataFiles, EnsureCreatesTheDefaultDataQuickly) {
  const fs::path dir = FreshDir("default");
  const fs::path path = dir / "data" / "demo.duckdb";
  const auto started = std::chrono::steady_clock::now();
  const Status status = EnsureDemoData(path.string());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_LT(seconds, 60.0);  // a sanity bound; about 6 s on two cores
  Reader db(path.string());
  EXPECT_EQ(db.Int("SELECT count(*) FROM llm_logs"), 1'000'000);
  EXPECT_EQ(db.Int("SELECT count(*) FROM web_events"), 1'000'000);
  // The window ends now.
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t last = db.Int("SELECT epoch_us(max(timestamp)) FROM llm_logs");
  EXPECT_LT(last, now);
  EXPECT_GT(last, now - 3'600'000'000);
  EXPECT_GT(db.Int("SELECT epoch_us(min(timestamp)) FROM llm_logs"), now - 90 * kDay - 60'000'000);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tributary
