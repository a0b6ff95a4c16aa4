// Integration tests of SourceWatcher on a real Runtime (SQLite file, DuckDB over a CSV glob,
// a DuckDB database file) built from a YAML config, with answers stored in its real result
// cache: a changed file clears its source's entries (only those), the OnChange callback gets
// the path, and the next query sees the new rows. Also the Parquet size/rows helper that the
// callback's user (the import catalog) relies on.
#include "orchestrator/source_watcher.h"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "cache/result_cache.h"
#include "config/config.h"
#include "importer/parquet_stats.h"
#include "orchestrator/runtime.h"

namespace tributary {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

//! Concatenation by append (GCC 12 -O3 warns falsely on `"x" + std::string`).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

// Generous: inotify delivery plus the debounce, on a loaded two-core machine.
constexpr auto kTimeout = 15s;

bool WaitFor(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

void SqliteExec(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

void DuckExec(const fs::path& file, const std::string& sql) {
  duckdb_database db = nullptr;
  duckdb_connection conn = nullptr;
  ASSERT_EQ(duckdb_open(file.empty() ? nullptr : file.c_str(), &db), DuckDBSuccess);
  ASSERT_EQ(duckdb_connect(db, &conn), DuckDBSuccess);
  duckdb_result result;
  const auto rc = duckdb_query(conn, sql.c_str(), &result);
  EXPECT_EQ(rc, DuckDBSuccess) << duckdb_result_error(&result);
  duckdb_destroy_result(&result);
  duckdb_disconnect(&conn);
  duckdb_close(&db);
}

void WriteText(const fs::path& path, const std::string& text, bool append = false) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  out << text;
}

class SourceWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           Cat({"trib_source_watcher_", std::to_string(::getpid()), "_",
                ::testing::UnitTest::GetInstance()->current_test_info()->name()});
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "csv");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<Runtime> OpenRuntime(const std::string& yaml) {
    Result<Config> config = LoadConfigText(yaml, (dir_ / "cfg.yaml").string(), dir_.string());
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    if (!config.ok()) return nullptr;
    auto runtime = Runtime::Open(std::move(config).value());
    for (const auto& source : runtime->sources()) {
      EXPECT_TRUE(source->open_status().ok())
          << source->id() << ": " << source->open_status().ToString();
    }
    return runtime;
  }

  // count(*) of `table` in `source`, or -1 with the error printed.
  static int64_t Count(Runtime& runtime, const std::string& source, const std::string& table) {
    Result<SourceHandle*> handle = runtime.FindSource(source);
    if (!handle.ok()) {
      ADD_FAILURE() << handle.status().ToString();
      return -1;
    }
    QueryRequest request;
    request.sql = Cat({"SELECT count(*) FROM ", table});
    Result<QueryResult> result = (*handle)->connector()->Execute(request);
    if (!result.ok()) {
      ADD_FAILURE() << result.status().ToString();
      return -1;
    }
    return result->ValueAt(0, 0).as_int();
  }

  static void PutEntry(ResultCache& cache, const std::string& key, const std::string& project,
                       std::vector<std::string> sources) {
    auto entry = std::make_shared<CachedAnswer>();
    entry->project = project;
    entry->sources = std::move(sources);
    entry->prefix = R"({"data":[1],"meta":{)";
    entry->data_offset = 8;
    entry->data_size = 3;
    entry->stored_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    entry->ttl_ms = 3'600'000;
    ASSERT_TRUE(cache.backend().Put(key, std::move(entry), 7'200'000).ok());
  }

  static bool Has(ResultCache& cache, const std::string& key) {
    auto got = cache.backend().Get(key);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() && *got != nullptr;
  }

  struct Calls {
    std::mutex mu;
    std::vector<std::pair<std::string, std::vector<std::string>>> calls;

    SourceWatcher::OnChange Callback() {
      return [this](const std::string& source, const std::vector<std::string>& paths) {
        std::lock_guard lock(mu);
        calls.emplace_back(source, paths);
      };
    }
    bool Got(const std::string& source, const std::string& path) {
      std::lock_guard lock(mu);
      for (const auto& [s, paths] : calls) {
        if (s != source) continue;
        for (const auto& p : paths) {
          if (p == path) return true;
        }
      }
      return false;
    }
    SourceWatcher::OnReopenNeeded ReopenCallback() {
      return [this](const std::string& source, const std::string& path) {
        std::lock_guard lock(mu);
        reopens.emplace_back(source, path);
      };
    }
    std::vector<std::pair<std::string, std::string>> Reopens() {
      std::lock_guard lock(mu);
      return reopens;
    }
    std::vector<std::pair<std::string, std::string>> reopens;

    bool GotSource(const std::string& source) {
      std::lock_guard lock(mu);
      for (const auto& [s, paths] : calls) {
        if (s == source) return true;
      }
      return false;
    }
  };

  fs::path dir_;
};

TEST_F(SourceWatcherTest, ChangedFilesClearTheirSourceAndTheNextQuerySeesNewRows) {
  SqliteExec(dir_ / "app.sqlite",
             "PRAGMA journal_mode = WAL; CREATE TABLE items (id INTEGER); "
             "INSERT INTO items VALUES (1), (2);");
  SqliteExec(dir_ / "other.sqlite", "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
  WriteText(dir_ / "csv" / "a.csv", "id,name\n1,alpha\n");
  auto runtime = OpenRuntime(
      "sources:\n"
      "  app: {type: sqlite, path: app.sqlite}\n"
      "  files: {type: duckdb, tables: {events: csv/*.csv}}\n"
      "  other: {type: sqlite, path: other.sqlite}\n"
      "projects:\n"
      "  p1: {sources: [app, files, other]}\n"
      "  p2: {sources: [files]}\n");
  ASSERT_TRUE(runtime);
  ASSERT_TRUE(runtime->cache());
  ResultCache& cache = *runtime->cache();
  ASSERT_EQ(Count(*runtime, "app", "items"), 2);
  ASSERT_EQ(Count(*runtime, "files", "events"), 1);

  PutEntry(cache, "k_app", "p1", {"app"});
  PutEntry(cache, "k_files_p1", "p1", {"files"});
  PutEntry(cache, "k_files_p2", "p2", {"files"});
  PutEntry(cache, "k_other", "p1", {"other"});
  PutEntry(cache, "k_app_other", "p1", {"app", "other"});

  SourceWatcher watcher(SourceWatcher::Options{.debounce = 100ms, .max_delay = 1000ms});
  ASSERT_TRUE(watcher.status().ok()) << watcher.status().ToString();
  Calls calls;
  watcher.SetOnChange(calls.Callback());
  watcher.SetOnReopenNeeded(calls.ReopenCallback());
  watcher.Watch(runtime);
  const auto watched = watcher.WatchedPaths();
  const std::string app_path = (dir_ / "app.sqlite").string();
  const std::string glob = (dir_ / "csv" / "*.csv").string();
  ASSERT_TRUE(watched.contains(app_path));
  ASSERT_TRUE(watched.contains(app_path + "-wal"));
  ASSERT_TRUE(watched.contains(glob));
  EXPECT_EQ(watched.at(glob), std::set<std::string>{"files"});

  // A new CSV file matching the glob.
  const std::string b_csv = (dir_ / "csv" / "b.csv").string();
  WriteText(b_csv, "id,name\n2,beta\n");
  ASSERT_TRUE(WaitFor([&] { return calls.Got("files", b_csv); })) << "no change for " << b_csv;
  EXPECT_FALSE(Has(cache, "k_files_p1"));
  EXPECT_FALSE(Has(cache, "k_files_p2"));
  EXPECT_TRUE(Has(cache, "k_app"));
  EXPECT_TRUE(Has(cache, "k_other"));
  EXPECT_TRUE(Has(cache, "k_app_other"));
  EXPECT_EQ(Count(*runtime, "files", "events"), 2);

  // A row appended to a file already matched.
  PutEntry(cache, "k_files_p1", "p1", {"files"});
  const std::string a_csv = (dir_ / "csv" / "a.csv").string();
  WriteText(a_csv, "3,gamma\n", /*append=*/true);
  ASSERT_TRUE(WaitFor([&] { return calls.Got("files", a_csv); })) << "no change for " << a_csv;
  EXPECT_FALSE(Has(cache, "k_files_p1"));
  EXPECT_EQ(Count(*runtime, "files", "events"), 3);

  // A row inserted into the SQLite file by another process's connection.
  SqliteExec(dir_ / "app.sqlite", "INSERT INTO items VALUES (3);");
  ASSERT_TRUE(WaitFor([&] { return calls.GotSource("app"); })) << "no change for app";
  ASSERT_TRUE(WaitFor([&] { return !Has(cache, "k_app") && !Has(cache, "k_app_other"); }));
  EXPECT_TRUE(Has(cache, "k_other"));
  EXPECT_FALSE(calls.GotSource("other"));
  EXPECT_EQ(Count(*runtime, "app", "items"), 3);
  // Written in place: the open connections see it, no reopen is asked for.
  EXPECT_TRUE(calls.Reopens().empty());
}

TEST_F(SourceWatcherTest, ReplacedSqliteFileAsksForAReopen) {
  SqliteExec(dir_ / "app.sqlite", "CREATE TABLE items (id INTEGER); INSERT INTO items VALUES (1);");
  const std::string yaml = "sources:\n  app: {type: sqlite, path: app.sqlite}\n";
  auto runtime = OpenRuntime(yaml);
  ASSERT_TRUE(runtime);
  ASSERT_EQ(Count(*runtime, "app", "items"), 1);
  PutEntry(*runtime->cache(), "k_app", "", {"app"});
  SourceWatcher watcher(SourceWatcher::Options{.debounce = 100ms, .max_delay = 1000ms});
  Calls calls;
  watcher.SetOnChange(calls.Callback());
  watcher.SetOnReopenNeeded(calls.ReopenCallback());
  watcher.Watch(runtime);

  SqliteExec(dir_ / "next.sqlite",
             "CREATE TABLE items (id INTEGER); INSERT INTO items VALUES (1), (2), (3);");
  fs::rename(dir_ / "next.sqlite", dir_ / "app.sqlite");
  const std::string app_path = (dir_ / "app.sqlite").string();
  ASSERT_TRUE(WaitFor([&] { return !calls.Reopens().empty(); }));
  EXPECT_EQ(calls.Reopens().front(), (std::pair<std::string, std::string>{"app", app_path}));
  EXPECT_TRUE(calls.Got("app", app_path));
  // A source no project lists: its entries are cleared wherever they are.
  EXPECT_FALSE(Has(*runtime->cache(), "k_app"));
  // The new file is read once the source is reopened (the owner's reload).
  auto reopened = OpenRuntime(yaml);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(Count(*reopened, "app", "items"), 3);
}

TEST_F(SourceWatcherTest, WatchAfterASwapFollowsTheNewConfig) {
  SqliteExec(dir_ / "app.sqlite", "CREATE TABLE items (id INTEGER);");
  WriteText(dir_ / "csv" / "a.csv", "id\n1\n");
  auto first = OpenRuntime(
      "sources:\n"
      "  app: {type: sqlite, path: app.sqlite}\n"
      "  files: {type: duckdb, tables: {events: csv/*.csv}}\n");
  ASSERT_TRUE(first);
  SourceWatcher watcher(SourceWatcher::Options{.debounce = 100ms, .max_delay = 1000ms});
  Calls calls;
  watcher.SetOnChange(calls.Callback());
  watcher.Watch(first);
  EXPECT_EQ(watcher.WatchedPaths().size(), 3u);  // app.sqlite, app.sqlite-wal, csv/*.csv

  // The reload drops `files`: its glob is no longer watched, the SQLite file still is.
  auto second = OpenRuntime("sources:\n  app: {type: sqlite, path: app.sqlite}\n");
  ASSERT_TRUE(second);
  watcher.Watch(second);
  first.reset();
  const auto watched = watcher.WatchedPaths();
  EXPECT_EQ(watched.size(), 2u);
  EXPECT_FALSE(watched.contains((dir_ / "csv" / "*.csv").string()));

  WriteText(dir_ / "csv" / "b.csv", "id\n2\n");
  SqliteExec(dir_ / "app.sqlite", "INSERT INTO items VALUES (1);");
  ASSERT_TRUE(WaitFor([&] { return calls.GotSource("app"); }));
  // The CSV was written first; its change would have been reported by now.
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(calls.GotSource("files"));

  watcher.Watch(nullptr);
  EXPECT_TRUE(watcher.WatchedPaths().empty());
}

TEST_F(SourceWatcherTest, ReplacedDuckDbFileIsReportedAndSeenAfterReopen) {
  DuckExec(dir_ / "db.duckdb", "CREATE TABLE t AS SELECT 1 AS x");
  const std::string yaml = "sources:\n  db: {type: duckdb, path: db.duckdb}\n";
  auto runtime = OpenRuntime(yaml);
  ASSERT_TRUE(runtime);
  ASSERT_EQ(Count(*runtime, "db", "t"), 1);
  SourceWatcher watcher(SourceWatcher::Options{.debounce = 100ms, .max_delay = 1000ms});
  Calls calls;
  watcher.SetOnChange(calls.Callback());
  watcher.SetOnReopenNeeded(calls.ReopenCallback());
  watcher.Watch(runtime);

  // A pipeline builds the new file beside the old one and renames it into place.
  DuckExec(dir_ / "next.duckdb", "CREATE TABLE t AS SELECT * FROM range(5) r(x)");
  fs::rename(dir_ / "next.duckdb", dir_ / "db.duckdb");
  const std::string db_path = (dir_ / "db.duckdb").string();
  ASSERT_TRUE(WaitFor([&] { return calls.Got("db", db_path); }));
  ASSERT_TRUE(WaitFor([&] { return !calls.Reopens().empty(); }));
  EXPECT_EQ(calls.Reopens().front(), (std::pair<std::string, std::string>{"db", db_path}));
  // The attached file is only re-read by a new runtime (the reload the callback may trigger).
  auto reopened = OpenRuntime(yaml);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(Count(*reopened, "db", "t"), 5);
}

TEST(SourceWatcherPaths, FileBackedSourcesAndTheirCompanionFiles) {
  auto source = [](std::string type, Options options) {
    SourceConfig s;
    s.id = "s";
    s.type = std::move(type);
    s.options = std::move(options);
    return s;
  };
  Options sqlite;
  sqlite.Set("path", {std::string("data/app.sqlite"), {}, false});
  EXPECT_EQ(
      SourceWatcher::PathsOf(source("sqlite", sqlite), "/etc/trib"),
      (std::vector<std::string>{"/etc/trib/data/app.sqlite", "/etc/trib/data/app.sqlite-wal"}));

  Options duck;
  duck.Set("path", {std::string("/d/w.duckdb"), {}, false});
  duck.Set("tables", {std::map<std::string, std::string>{{"a", "x/*.parquet"},
                                                         {"b", "/abs/one.csv"},
                                                         {"c", "/d/*/deep.parquet"},
                                                         {"d", "s3://bucket/x.parquet"}},
                      {},
                      false});
  std::vector<std::string> unwatchable;
  EXPECT_EQ(SourceWatcher::PathsOf(source("duckdb", duck), "/base", &unwatchable),
            (std::vector<std::string>{"/d/w.duckdb", "/d/w.duckdb.wal", "/base/x/*.parquet",
                                      "/abs/one.csv"}));
  EXPECT_EQ(unwatchable, (std::vector<std::string>{"/d/*/deep.parquet", "s3://bucket/x.parquet"}));

  Options pg;
  pg.Set("host", {std::string("db"), {}, false});
  EXPECT_TRUE(SourceWatcher::PathsOf(source("postgres", pg), "/base").empty());
}

TEST_F(SourceWatcherTest, ParquetSizeAndRowsReadsTheFooters) {
  const fs::path a = dir_ / "a.parquet";
  const fs::path b = dir_ / "b.parquet";
  DuckExec({}, Cat({"COPY (SELECT * FROM range(1000) r(x)) TO '", a.string(),
                    "' (FORMAT parquet, ROW_GROUP_SIZE 100)"}));
  DuckExec({}, Cat({"COPY (SELECT * FROM range(7) r(x)) TO '", b.string(), "' (FORMAT parquet)"}));
  auto stats = importer::ParquetSizeAndRows({a.string(), b.string()});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->first, fs::file_size(a) + fs::file_size(b));
  EXPECT_EQ(stats->second, 1007u);

  auto none = importer::ParquetSizeAndRows({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, (std::pair<uint64_t, uint64_t>{0, 0}));

  auto missing = importer::ParquetSizeAndRows({(dir_ / "gone.parquet").string()});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("gone.parquet"), std::string::npos);

  WriteText(dir_ / "bad.parquet", "not parquet at all");
  auto bad = importer::ParquetSizeAndRows({(dir_ / "bad.parquet").string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("bad.parquet"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace tributary
