// Tests of the import catalog against real SQLite files in temporary folders: every field
// round-trips, entries survive a reopen, recovery after an interrupted run, orphan folders,
// project isolation, removal of files, clear errors, and concurrent writers.
#include "importer/catalog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tributary::importer {
namespace {

namespace fs = std::filesystem;

//! Concatenation by append (GCC 12 -O3 warns falsely on `"x" + std::string`).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

class ImportCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            Cat({"trib_catalog_test_", std::to_string(::getpid()), "_",
                 ::testing::UnitTest::GetInstance()->current_test_info()->name()});
    fs::remove_all(root_);
    fs::create_directories(root_);
    dir_ = (root_ / "imports").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_ / "locked", fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<ImportCatalog> OpenOk() {
    auto catalog = ImportCatalog::Open(dir_);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    return catalog.ok() ? std::move(catalog).value() : nullptr;
  }

  static void WriteFile(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
  }

  fs::path root_;
  std::string dir_;
};

CatalogEntry FullEntry(const std::string& project, const std::string& name, int64_t created) {
  CatalogEntry e;
  e.id = NewImportId();
  e.project = project;
  e.name = name;
  e.kind = "parquet";
  e.format = "xlsx";
  e.filename = "Sales Q1 \"final\" – ünïcode.xlsx";
  e.target_source = "warehouse";
  CatalogTable t1;
  t1.name = "orders";
  t1.location = Cat({"/data/imports/", e.id, "/orders.parquet"});
  t1.rows = 12'345'678'901ULL;
  t1.bytes = 9'876'543'210ULL;
  t1.columns = {{"order_id", "BIGINT"}, {"amount", "DECIMAL(18,2)"}, {"note", "VARCHAR"}};
  CatalogTable t2;
  t2.name = "customers";
  t2.location = "imports.customers";
  t2.rows = 3;
  t2.bytes = 0;
  e.tables = {t1, t2};
  e.size_bytes = (1ULL << 62) + 5;
  e.row_count = 12'345'678'904ULL;
  e.status = "error";
  e.error = "line 3, column 2: could not convert 'abc' to BIGINT";
  e.created_ms = created;
  e.updated_ms = created + 10;
  e.last_accessed_ms = created + 20;
  e.datasets = {"llm_logs", "web_events"};
  return e;
}

void ExpectSame(const CatalogEntry& a, const CatalogEntry& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.project, b.project);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.format, b.format);
  EXPECT_EQ(a.filename, b.filename);
  EXPECT_EQ(a.target_source, b.target_source);
  ASSERT_EQ(a.tables.size(), b.tables.size());
  for (size_t i = 0; i < a.tables.size(); ++i) {
    EXPECT_EQ(a.tables[i].name, b.tables[i].name);
    EXPECT_EQ(a.tables[i].location, b.tables[i].location);
    EXPECT_EQ(a.tables[i].rows, b.tables[i].rows);
    EXPECT_EQ(a.tables[i].bytes, b.tables[i].bytes);
    ASSERT_EQ(a.tables[i].columns.size(), b.tables[i].columns.size());
    for (size_t j = 0; j < a.tables[i].columns.size(); ++j) {
      EXPECT_EQ(a.tables[i].columns[j].name, b.tables[i].columns[j].name);
      EXPECT_EQ(a.tables[i].columns[j].type, b.tables[i].columns[j].type);
    }
  }
  EXPECT_EQ(a.size_bytes, b.size_bytes);
  EXPECT_EQ(a.row_count, b.row_count);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.last_accessed_ms, b.last_accessed_ms);
  EXPECT_EQ(a.datasets, b.datasets);
}

TEST(ImportIdTest, IsImpAndSixteenHexDigitsAndRandom) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewImportId();
    ASSERT_EQ(id.size(), 20u) << id;
    EXPECT_EQ(id.substr(0, 4), "imp_");
    for (char c : id.substr(4)) EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(c))) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST_F(ImportCatalogTest, EveryFieldRoundTrips) {
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "catalog.sqlite"));
  const CatalogEntry e = FullEntry("p1", "sales", 1'700'000'000'000);
  ASSERT_TRUE(catalog->Put(e).ok());
  auto got = catalog->Get(e.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  ExpectSame(**got, e);

  // Replace: same id, other values.
  CatalogEntry changed = e;
  changed.status = "ready";
  changed.error.clear();
  changed.tables.pop_back();
  changed.tables[0].columns.clear();
  ASSERT_TRUE(catalog->Put(changed).ok());
  got = catalog->Get(e.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSame(**got, changed);
  auto all = catalog->List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);

  auto missing = catalog->Get("imp_0000000000000000");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(ImportCatalogTest, SurvivesReopenAndUsesWal) {
  const CatalogEntry e = FullEntry("p1", "sales", 1000);
  {
    auto catalog = OpenOk();
    ASSERT_TRUE(catalog);
    ASSERT_TRUE(catalog->Put(e).ok());
    ASSERT_TRUE(catalog->Touch(e.id, 424242).ok());
    EXPECT_TRUE(catalog->Touch("imp_ffffffffffffffff", 1).ok());  // missing: ignored
  }
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  auto got = catalog->Get(e.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  CatalogEntry expected = e;
  expected.last_accessed_ms = 424242;
  ExpectSame(**got, expected);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(dir_) / "catalog.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "1");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(ImportCatalogTest, RefusesANewerSchemaVersion) {
  { ASSERT_TRUE(OpenOk()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(dir_) / "catalog.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '7' WHERE key = 'schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto catalog = ImportCatalog::Open(dir_);
  ASSERT_FALSE(catalog.ok());
  const std::string& msg = catalog.status().message();
  EXPECT_NE(msg.find("catalog.sqlite"), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema version 7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("upgrade Tributary"), std::string::npos) << msg;
}

TEST_F(ImportCatalogTest, RecoveryFailsInterruptedEntriesAndDeletesTheirFolders) {
  CatalogEntry running = FullEntry("p1", "running", 1000);
  running.status = "importing";
  running.error.clear();
  CatalogEntry ready = FullEntry("p1", "done", 2000);
  ready.status = "ready";
  ready.error.clear();
  {
    auto catalog = OpenOk();
    ASSERT_TRUE(catalog);
    ASSERT_TRUE(catalog->Put(running).ok());
    ASSERT_TRUE(catalog->Put(ready).ok());
    WriteFile(fs::path(catalog->EntryDir(running.id)) / "orders.parquet.tmp", "partial");
    WriteFile(fs::path(catalog->EntryDir(ready.id)) / "orders.parquet", "complete");
  }
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  auto got = catalog->Get(running.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "error");
  EXPECT_EQ((*got)->error, "interrupted by a restart; import the file again");
  EXPECT_GE((*got)->updated_ms, running.updated_ms);
  EXPECT_FALSE(fs::exists(catalog->EntryDir(running.id)));

  got = catalog->Get(ready.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "ready");
  EXPECT_TRUE(fs::exists(fs::path(catalog->EntryDir(ready.id)) / "orders.parquet"));
}

TEST_F(ImportCatalogTest, OrphanFoldersAreDeletedOtherFilesKept) {
  CatalogEntry owned = FullEntry("p1", "owned", 1000);
  owned.status = "ready";
  {
    auto catalog = OpenOk();
    ASSERT_TRUE(catalog);
    ASSERT_TRUE(catalog->Put(owned).ok());
  }
  const fs::path dir(dir_);
  WriteFile(dir / owned.id / "a.parquet", "x");
  WriteFile(dir / "imp_0123456789abcdef" / "nested" / "b.parquet", "orphan");
  WriteFile(dir / "uploads" / "u1.csv", "not an import folder");
  WriteFile(dir / "imp_notes.txt", "a file, not a folder");
  WriteFile(dir / "README", "keep me");

  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  EXPECT_FALSE(fs::exists(dir / "imp_0123456789abcdef"));
  EXPECT_TRUE(fs::exists(dir / owned.id / "a.parquet"));
  EXPECT_TRUE(fs::exists(dir / "uploads" / "u1.csv"));
  EXPECT_TRUE(fs::exists(dir / "imp_notes.txt"));
  EXPECT_TRUE(fs::exists(dir / "README"));
  EXPECT_TRUE(fs::exists(dir / "catalog.sqlite"));
}

TEST_F(ImportCatalogTest, ListByProjectIsolatesProjectsOldestFirst) {
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  const CatalogEntry a2 = FullEntry("alpha", "a2", 2000);
  const CatalogEntry b1 = FullEntry("beta", "b1", 1500);
  const CatalogEntry a1 = FullEntry("alpha", "a1", 1000);
  for (const auto* e : {&a2, &b1, &a1}) ASSERT_TRUE(catalog->Put(*e).ok());

  auto alpha = catalog->List("alpha");
  ASSERT_TRUE(alpha.ok());
  ASSERT_EQ(alpha->size(), 2u);
  EXPECT_EQ((*alpha)[0].id, a1.id);
  EXPECT_EQ((*alpha)[1].id, a2.id);
  auto beta = catalog->List("beta");
  ASSERT_TRUE(beta.ok());
  ASSERT_EQ(beta->size(), 1u);
  EXPECT_EQ((*beta)[0].id, b1.id);
  auto gamma = catalog->List("gamma");
  ASSERT_TRUE(gamma.ok());
  EXPECT_TRUE(gamma->empty());
  auto all = catalog->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, a1.id);
  EXPECT_EQ((*all)[1].id, b1.id);
  EXPECT_EQ((*all)[2].id, a2.id);
}

TEST_F(ImportCatalogTest, FindByName) {
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  const CatalogEntry sales = FullEntry("p1", "sales", 1000);
  const CatalogEntry costs = FullEntry("p2", "costs", 2000);
  ASSERT_TRUE(catalog->Put(sales).ok());
  ASSERT_TRUE(catalog->Put(costs).ok());
  auto got = catalog->FindByName("costs");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, costs.id);
  got = catalog->FindByName("sales");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->id, sales.id);
  got = catalog->FindByName("Sales");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(ImportCatalogTest, RemoveDeletesEntryAndFilesAndBumpsGeneration) {
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  const uint64_t g0 = catalog->generation();
  const CatalogEntry keep = FullEntry("p1", "keep", 1000);
  const CatalogEntry gone = FullEntry("p1", "gone", 2000);
  ASSERT_TRUE(catalog->Put(keep).ok());
  ASSERT_TRUE(catalog->Put(gone).ok());
  EXPECT_EQ(catalog->generation(), g0 + 2);
  WriteFile(fs::path(catalog->EntryDir(gone.id)) / "sub" / "x.parquet", "x");
  WriteFile(fs::path(catalog->EntryDir(keep.id)) / "y.parquet", "y");
  EXPECT_EQ(catalog->EntryDir(gone.id), (fs::path(catalog->dir()) / gone.id).string());

  ASSERT_TRUE(catalog->Remove(gone.id).ok());
  EXPECT_EQ(catalog->generation(), g0 + 3);
  EXPECT_FALSE(fs::exists(catalog->EntryDir(gone.id)));
  EXPECT_TRUE(fs::exists(fs::path(catalog->EntryDir(keep.id)) / "y.parquet"));
  auto got = catalog->Get(gone.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  Status again = catalog->Remove(gone.id);
  EXPECT_EQ(again.code(), ErrorCode::kNotFound) << again.ToString();
  EXPECT_EQ(catalog->generation(), g0 + 3);
  // Ids that would leave the folder are refused and delete nothing.
  WriteFile(root_ / "outside" / "precious.txt", "keep");
  for (const char* bad : {"..", "../outside", "imp_/../../outside", "", "/", "imp_a/../.."}) {
    Status st = catalog->Remove(bad);
    EXPECT_FALSE(st.ok()) << bad;
  }
  EXPECT_TRUE(fs::exists(root_ / "outside" / "precious.txt"));
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "catalog.sqlite"));
  // Put refuses ids that are not folder names inside the catalog's folder.
  CatalogEntry bad = keep;
  bad.id = "../escape";
  EXPECT_EQ(catalog->Put(bad).code(), ErrorCode::kInvalidArgument);
}

TEST_F(ImportCatalogTest, UnusableFolderGivesAClearError) {
  std::string dir;
  if (::geteuid() == 0) {
    // root ignores permissions: make the folder impossible with a file in its path instead.
    WriteFile(root_ / "a_file", "x");
    dir = (root_ / "a_file" / "imports").string();
  } else {
    // The folder exists but the user may not read or write it.
    dir = (root_ / "locked").string();
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::none);
  }
  auto catalog = ImportCatalog::Open(dir);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), ErrorCode::kUnavailable);
  const std::string& msg = catalog.status().message();
  EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  EXPECT_NE(msg.find("imports.dir"), std::string::npos) << msg;
  if (::geteuid() == 0) {
    EXPECT_NE(msg.find("not a directory"), std::string::npos) << msg;
  } else {
    EXPECT_NE(msg.find("permission denied"), std::string::npos) << msg;
  }
}

TEST_F(ImportCatalogTest, UnopenableFileGivesAClearError) {
  // The catalog file's name is taken by a folder: SQLite cannot open it.
  fs::create_directories(fs::path(dir_) / "catalog.sqlite");
  auto catalog = ImportCatalog::Open(dir_);
  ASSERT_FALSE(catalog.ok());
  const std::string& msg = catalog.status().message();
  EXPECT_NE(msg.find(Cat({"cannot open import catalog ", dir_, "/catalog.sqlite: "})),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("imports.dir"), std::string::npos) << msg;
}

TEST_F(ImportCatalogTest, ConcurrentPutsFromEightThreads) {
  auto catalog = OpenOk();
  ASSERT_TRUE(catalog);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CatalogEntry e = FullEntry(Cat({"p", std::to_string(t)}), Cat({"s", std::to_string(i)}), i);
        if (!catalog->Put(e).ok()) ++failures[t];
        auto got = catalog->Get(e.id);
        if (!got.ok() || !got->has_value()) ++failures[t];
        if (i % 10 == 0 && !catalog->List(Cat({"p", std::to_string(t)})).ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  auto all = catalog->List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(catalog->generation(), static_cast<uint64_t>(kThreads * kPerThread));
  auto one = catalog->List("p3");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), static_cast<size_t>(kPerThread));
}

}  // namespace
}  // namespace tributary::importer
