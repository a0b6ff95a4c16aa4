#include "common/file_watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tributary {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Generous: the machine is shared and noisy; waits end as soon as the change arrives.
constexpr auto kWaitLimit = 15s;

// Collects changes from the watcher thread; tests wait on it with a condition variable.
class Recorder {
 public:
  FileWatcher::Callback callback() {
    return [this](const FileChange& change) {
      {
        std::lock_guard lock(mu_);
        changes_.push_back(change);
      }
      cv_.notify_all();
    };
  }

  //! Waits for `n` changes with this path and kind; true when they arrived.
  bool WaitFor(const std::string& path, FileChangeKind kind, int n = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return CountLocked(path, kind) >= n; });
  }

  int Count(const std::string& path, FileChangeKind kind) {
    std::lock_guard lock(mu_);
    return CountLocked(path, kind);
  }
  //! Changes of any kind for a path.
  int CountPath(const std::string& path) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& c : changes_) n += c.path == path ? 1 : 0;
    return n;
  }
  std::vector<FileChange> changes() {
    std::lock_guard lock(mu_);
    return changes_;
  }

 private:
  int CountLocked(const std::string& path, FileChangeKind kind) const {
    int n = 0;
    for (const auto& c : changes_) n += c.path == path && c.kind == kind ? 1 : 0;
    return n;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FileChange> changes_;
};

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ASSERT_TRUE(out) << path;
}

std::string Describe(const std::vector<FileChange>& changes) {
  std::string out;
  for (const auto& c : changes) {
    out.append(c.path).append(" ").append(FileChangeKindName(c.kind)).append("\n");
  }
  return out;
}

class FileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/trib_file_watcher_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (watcher_) watcher_->Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A started watcher with a short debounce (tests stay quick) unless told otherwise.
  FileWatcher& StartWatcher(FileWatcher::Options options = Short()) {
    auto created = FileWatcher::Create(options);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    watcher_ = std::move(created).value();
    EXPECT_TRUE(watcher_->Start(recorder_.callback()).ok());
    return *watcher_;
  }
  static FileWatcher::Options Short() {
    FileWatcher::Options options;
    options.debounce = 50ms;
    options.rearm_interval = 50ms;
    return options;
  }
  WatchId AddOk(const std::string& path) {
    auto id = watcher_->Add(path);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  Recorder recorder_;
  std::unique_ptr<FileWatcher> watcher_;
};

TEST_F(FileWatcherTest, WriteAndCloseReportsModified) {
  WriteFile(P("app.sqlite"), "v1");
  StartWatcher();
  const WatchId id = AddOk(P("app.sqlite"));
  WriteFile(P("app.sqlite"), "v2");
  ASSERT_TRUE(recorder_.WaitFor(P("app.sqlite"), FileChangeKind::kModified))
      << Describe(recorder_.changes());
  EXPECT_EQ(recorder_.changes().front().watch, id);
  EXPECT_EQ(recorder_.CountPath(P("app.sqlite")), 1);
}

TEST_F(FileWatcherTest, AtomicRenameIntoPlaceReportsModified) {
  WriteFile(P("events.parquet"), "old");
  StartWatcher();
  AddOk(P("events.parquet"));
  // The usual atomic replace: write a hidden temporary file, then rename it over the target.
  WriteFile(P(".events.parquet.tmp"), "new");
  fs::rename(P(".events.parquet.tmp"), P("events.parquet"));
  ASSERT_TRUE(recorder_.WaitFor(P("events.parquet"), FileChangeKind::kModified))
      << Describe(recorder_.changes());
  EXPECT_EQ(recorder_.CountPath(P(".events.parquet.tmp")), 0);
}

TEST_F(FileWatcherTest, DeleteReportsRemovedAndRecreateReportsCreated) {
  WriteFile(P("data.csv"), "a,b\n1,2\n");
  StartWatcher();
  AddOk(P("data.csv"));
  fs::remove(P("data.csv"));
  ASSERT_TRUE(recorder_.WaitFor(P("data.csv"), FileChangeKind::kRemoved))
      << Describe(recorder_.changes());
  WriteFile(P("data.csv"), "a,b\n3,4\n");
  ASSERT_TRUE(recorder_.WaitFor(P("data.csv"), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, GlobReportsNewMatchingFileAndIgnoresOthers) {
  StartWatcher();
  AddOk(P("events-*.parquet"));
  WriteFile(P("other.parquet"), "x");
  WriteFile(P("events-1.csv"), "x");
  WriteFile(P(".events-9.parquet"), "hidden temporary");
  // Written last: changes arrive in order, so once this one is in, the others would be too.
  WriteFile(P("events-1.parquet"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("events-1.parquet"), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
  EXPECT_EQ(recorder_.changes().size(), 1u) << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, DebouncesManyWritesIntoOneChange) {
  WriteFile(P("db.duckdb"), "start");
  FileWatcher::Options options;
  options.debounce = 1s;  // far above the gaps between the 100 writes, even on a busy machine
  options.max_delay = 60s;
  StartWatcher(options);
  AddOk(P("db.duckdb"));
  AddOk(P("marker"));
  {
    std::ofstream out(P("db.duckdb"), std::ios::binary | std::ios::app);
    for (int i = 0; i < 100; ++i) {
      out << "write " << i << "\n";
      out.flush();  // one write(2), one IN_MODIFY each
    }
  }
  for (int i = 0; i < 20; ++i) WriteFile(P("db.duckdb"), "rewrite");  // write + close
  // The marker's burst ends after the database's, so its change comes after any for the db.
  WriteFile(P("marker"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("marker"), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
  EXPECT_EQ(recorder_.Count(P("db.duckdb"), FileChangeKind::kModified), 1)
      << Describe(recorder_.changes());
  EXPECT_EQ(recorder_.CountPath(P("db.duckdb")), 1) << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, RemoveStopsChanges) {
  StartWatcher();
  const WatchId gone = AddOk(P("a.csv"));
  AddOk(P("b.csv"));
  ASSERT_TRUE(watcher_->Remove(gone).ok());
  WriteFile(P("a.csv"), "x");
  WriteFile(P("b.csv"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("b.csv"), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
  EXPECT_EQ(recorder_.CountPath(P("a.csv")), 0) << Describe(recorder_.changes());

  const Status again = watcher_->Remove(gone);
  EXPECT_EQ(again.code(), ErrorCode::kNotFound) << again.ToString();
}

TEST_F(FileWatcherTest, RemoveOfTheLastWatchInADirectoryThenAddAgain) {
  StartWatcher();
  ASSERT_TRUE(watcher_->Remove(AddOk(P("a.csv"))).ok());
  AddOk(P("a.csv"));
  WriteFile(P("a.csv"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("a.csv"), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, StopReturnsPromptlyAndDropsPendingChanges) {
  FileWatcher::Options options;
  options.debounce = 30s;  // the change below would be due only in 30 s
  options.rearm_interval = 60s;
  StartWatcher(options);
  AddOk(P("x.csv"));
  WriteFile(P("x.csv"), "x");
  const auto start = std::chrono::steady_clock::now();
  watcher_->Stop();
  // Without the eventfd wake-up Stop would wait for the 30 s poll timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(recorder_.changes().empty()) << Describe(recorder_.changes());
  watcher_->Stop();  // idempotent
}

TEST_F(FileWatcherTest, StopWithNothingPendingReturnsPromptlyAndStartsAgain) {
  StartWatcher();
  AddOk(P("x.csv"));
  const auto start = std::chrono::steady_clock::now();
  watcher_->Stop();  // the thread waits in poll() without a timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(watcher_->Start(recorder_.callback()).ok());
  EXPECT_EQ(watcher_->Start(recorder_.callback()).code(), ErrorCode::kInvalidArgument);
  WriteFile(P("x.csv"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("x.csv"), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, DirectoryRemovedAndRecreatedIsReportedAndWatchedAgain) {
  const fs::path sub = dir_ / "exports";
  fs::create_directory(sub);
  WriteFile(sub / "events-1.parquet", "x");
  StartWatcher();
  AddOk((sub / "events-*.parquet").string());

  fs::remove_all(sub);
  ASSERT_TRUE(recorder_.WaitFor(sub.string(), FileChangeKind::kDirectoryLost))
      << Describe(recorder_.changes());
  ASSERT_TRUE(recorder_.WaitFor((sub / "events-1.parquet").string(), FileChangeKind::kRemoved))
      << Describe(recorder_.changes());

  fs::create_directory(sub);
  ASSERT_TRUE(recorder_.WaitFor(sub.string(), FileChangeKind::kDirectoryRestored))
      << Describe(recorder_.changes());
  // Re-armed: a file written now is seen (whether it was found by the rescan or by inotify).
  WriteFile(sub / "events-2.parquet", "x");
  ASSERT_TRUE(recorder_.WaitFor((sub / "events-2.parquet").string(), FileChangeKind::kCreated))
      << Describe(recorder_.changes());
  WriteFile(sub / "events-2.parquet", "y");
  ASSERT_TRUE(recorder_.WaitFor((sub / "events-2.parquet").string(), FileChangeKind::kModified))
      << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, AddOnAMissingDirectoryIsAClearError) {
  StartWatcher();
  const std::string missing = P("no-such-dir/events-*.parquet");
  auto id = watcher_->Add(missing);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(id.status().message().find(P("no-such-dir")), std::string::npos)
      << id.status().message();
  EXPECT_NE(id.status().message().find("does not exist"), std::string::npos)
      << id.status().message();
  EXPECT_NE(id.status().message().find("create it"), std::string::npos) << id.status().message();
}

TEST_F(FileWatcherTest, RejectsDirectoriesAndGlobsInDirectoryComponents) {
  StartWatcher();
  auto dir = watcher_->Add(dir_.string() + "/");
  EXPECT_EQ(dir.status().code(), ErrorCode::kInvalidArgument) << dir.status().ToString();
  auto glob_dir = watcher_->Add(P("exp*/x.parquet"));
  EXPECT_EQ(glob_dir.status().code(), ErrorCode::kInvalidArgument) << glob_dir.status().ToString();
  WriteFile(P("file"), "x");
  auto not_dir = watcher_->Add(P("file/x.parquet"));
  EXPECT_EQ(not_dir.status().code(), ErrorCode::kInvalidArgument) << not_dir.status().ToString();
  EXPECT_EQ(watcher_->Add("").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(FileWatcherTest, TwoWatchesOnOneFileBothReport) {
  StartWatcher();
  const WatchId a = AddOk(P("shared.csv"));
  const WatchId b = AddOk(P("*.csv"));
  WriteFile(P("shared.csv"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("shared.csv"), FileChangeKind::kCreated, 2))
      << Describe(recorder_.changes());
  std::vector<WatchId> ids;
  for (const auto& c : recorder_.changes()) ids.push_back(c.watch);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<WatchId>{a, b})) << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, AWriterThatNeverPausesStillReportsEveryMaxDelay) {
  WriteFile(P("busy.sqlite"), "x");
  FileWatcher::Options options;
  options.debounce = 5s;  // never reached: the writer below pauses only a few ms
  options.max_delay = 100ms;
  StartWatcher(options);
  AddOk(P("busy.sqlite"));
  std::ofstream out(P("busy.sqlite"), std::ios::binary | std::ios::app);
  const auto give_up = std::chrono::steady_clock::now() + kWaitLimit;
  while (recorder_.CountPath(P("busy.sqlite")) == 0 && std::chrono::steady_clock::now() < give_up) {
    out << "row\n";
    out.flush();
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(recorder_.Count(P("busy.sqlite"), FileChangeKind::kModified), 1)
      << Describe(recorder_.changes());
}

TEST_F(FileWatcherTest, CallbackMayRemoveItsWatchAndStopTheWatcher) {
  auto created = FileWatcher::Create(Short());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  watcher_ = std::move(created).value();
  const WatchId id = AddOk(P("once.csv"));
  auto record = recorder_.callback();
  Status removed = Internal("not called");
  ASSERT_TRUE(watcher_
                  ->Start([&](const FileChange& change) {
                    removed = watcher_->Remove(change.watch);  // must not deadlock
                    watcher_->Stop();                          // only asks the thread to end
                    record(change);
                  })
                  .ok());
  WriteFile(P("once.csv"), "x");
  ASSERT_TRUE(recorder_.WaitFor(P("once.csv"), FileChangeKind::kCreated));
  watcher_->Stop();  // joins the thread
  EXPECT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_EQ(watcher_->Remove(id).code(), ErrorCode::kNotFound);
  // Stopped from the callback, the watcher can start again.
  ASSERT_TRUE(watcher_->Start(recorder_.callback()).ok());
}

}  // namespace
}  // namespace tributary
