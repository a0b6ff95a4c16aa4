// SourceWatcher: keeps file-backed sources fresh (docs/import.md, "Freshness"). It watches the
// files of every SQLite and DuckDB source of the current Runtime (imported sources included:
// they are DuckDB sources over Parquet files) with a FileWatcher (common/file_watcher.h), and
// when one changes it clears that source's entries from the result cache, logs one line, and
// tells the OnChange callback (which refreshes an import's size and rows in the catalog).
//
// Watched paths per source (relative ones resolved against the config file's folder, as the
// connectors do):
//   sqlite  `path`, and `path`-wal;
//   duckdb  `path` and `path`.wal when given, and every `tables:` value (a file or a glob in
//           its last component; a glob with wildcards in a folder, or a URL, is not watched and
//           a warning says so).
// A file whose folder does not exist when Watch runs is not watched (a warning names it); the
// next Watch (after a reload) tries again.
//
// What a change means for the next query (checked by tests/orchestrator/source_watcher_test):
// CSV, JSON and Parquet tables are read by DuckDB at every query and a glob view re-expands
// its glob, so new and changed files are seen without reopening the source; a SQLite file
// written in place is seen by the next query (SQLite checks for changes at every read
// transaction). A database file replaced by a rename (a new file moved over the old one) is
// different: the source's open connections keep reading the old file until it is reopened.
// That holds for a SQLite `path` and for a DuckDB `path` (attached once; while attached,
// another process cannot write it in place, DuckDB's file lock refuses). For those the
// OnReopenNeeded callback fires (DuckDB: any change of `path`; SQLite: when the file at
// `path` is no longer the one seen by Watch, i.e. replaced, deleted or recreated), and the
// owner reloads the runtime (or reopens that source).
//
// Thread-safety: every method may be called from any thread. Changes are handled on one
// worker thread of the watcher's own (never on the FileWatcher's thread, so a slow cache
// backend or callback never delays change detection); callbacks run one at a time there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/file_watcher.h"
#include "common/status.h"

namespace tributary {

class Runtime;
struct SourceConfig;

class SourceWatcher {
 public:
  struct Options {
    //! Events on one file closer together than this are one change.
    std::chrono::milliseconds debounce{250};
    //! A file that keeps changing still reports at least this often.
    std::chrono::milliseconds max_delay{2000};
  };
  //! Called after the cache entries of `source_id` were cleared, with the files that changed
  //! (for a lost or restored folder: the folder). Runs on the watcher's worker thread.
  using OnChange = std::function<void(const std::string& source_id,
                                      const std::vector<std::string>& changed_paths)>;

  //! Called (after OnChange) when a source's database file was replaced, so its open
  //! connections still read the old file: the runtime must be rebuilt for the new one to be
  //! read. Runs on the watcher's worker thread.
  using OnReopenNeeded = std::function<void(const std::string& source_id, const std::string& path)>;

  //! Starts the inotify watcher and the worker thread. When inotify cannot be used (the
  //! per-user instance limit) the watcher logs a warning and does nothing; status() says why.
  explicit SourceWatcher(Options options);
  SourceWatcher() : SourceWatcher(Options{}) {}
  //! Stops watching; waits for a callback in progress.
  ~SourceWatcher();
  SourceWatcher(const SourceWatcher&) = delete;
  SourceWatcher& operator=(const SourceWatcher&) = delete;

  //! OK, or why files cannot be watched at all.
  const Status& status() const { return status_; }

  //! Watches the files of `runtime`'s sources, replacing what the previous runtime asked for
  //! (files still used stay watched without a gap). Call it with the first runtime and again
  //! after every runtime swap. The runtime is held weakly: changes go to the cache of the last
  //! runtime given, while it is alive. Null stops watching every file.
  void Watch(const std::shared_ptr<Runtime>& runtime);
  void SetOnChange(OnChange callback);
  void SetOnReopenNeeded(OnReopenNeeded callback);

  //! The files and globs watched now, each with the sources it belongs to (for tests and
  //! diagnostics).
  std::map<std::string, std::set<std::string>> WatchedPaths() const;

  //! The paths (files or globs) a source's files are watched by; empty for sources that are
  //! not file-backed. `base_dir` resolves relative paths. Globs with wildcards in a folder
  //! and URLs are left out (listed in `unwatchable` when given).
  static std::vector<std::string> PathsOf(const SourceConfig& source, const std::string& base_dir,
                                          std::vector<std::string>* unwatchable = nullptr);

 private:
  struct Event {
    WatchId watch = 0;
    std::string path;
  };

  void OnFileChange(const FileChange& change);
  void RunWorker();
  // Clears the cache for one source and runs the callback; called by the worker, no lock held.
  void HandleSource(const std::string& source_id, const std::vector<std::string>& paths);

  Status status_;
  std::unique_ptr<FileWatcher> watcher_;

  // Serializes Watch calls; held while calling into watcher_ (never state_mu_ then, because
  // watcher_->Remove waits for a running callback, which takes state_mu_).
  std::mutex watch_mu_;
  std::map<std::string, WatchId> watch_by_path_;  // guarded by watch_mu_

  mutable std::mutex state_mu_;
  std::condition_variable cv_;
  std::map<WatchId, std::set<std::string>> sources_by_watch_;
  std::map<std::string, std::set<std::string>> sources_by_path_;
  // The database files (sqlite and duckdb `path`): which file (device, inode) Watch saw, to
  // tell a replaced file from one written in place.
  struct DbFile {
    std::string type;
    bool exists = false;
    uint64_t dev = 0;
    uint64_t ino = 0;
  };
  std::map<std::string, DbFile> db_files_;
  std::weak_ptr<Runtime> runtime_;
  OnChange on_change_;
  OnReopenNeeded on_reopen_;
  std::deque<Event> queue_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace tributary
