// FileWatcher: reports changes to file-backed sources (SQLite files, Parquet/CSV files and
// globs such as /data/exports/events-*.parquet) using Linux inotify, so that their cache
// entries can be invalidated and catalog sizes refreshed (issue 8, "Freshness").
//
// Every watch observes the file's *directory* (not the file's inode), so all the ways files
// change in practice are seen: write and close, writes by a process that keeps the file open
// (IN_MODIFY), atomic replacement by rename into place, deletion, and new files matching a
// glob. Names that match no watch are ignored, and so are subdirectories.
//
// Events are debounced per watch and path: everything that happens to one path within
// Options::debounce of the previous event becomes one FileChange, whose kind compares the
// file's existence before and after the burst (created, modified or removed; a file created
// and deleted within one burst reports nothing). A writer that never pauses still gets a
// change every Options::max_delay.
//
// When a watched directory is removed or moved away the watcher reports kDirectoryLost
// (plus kRemoved for each matching file it knew), then tries to re-arm every
// Options::rearm_interval; once the directory is back it reports kDirectoryRestored and
// kCreated for each matching file in it.
//
// Thread-safety: all members may be called from any thread. One background thread per
// watcher (started by Start) reads inotify with poll() and runs the callback; callbacks run
// one at a time on that thread, must be short and must not block (they delay every other
// change). Add and Remove may be called from inside the callback; Stop may too (it then
// only asks the thread to finish after the callback returns).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tributary {

//! What happened to a watched path.
enum class FileChangeKind {
  //! The file existed before and after: written, truncated or replaced by a rename.
  kModified,
  //! The file did not exist before (a new file matching a glob, or a recreated file).
  kCreated,
  //! The file existed before and is gone (deleted or renamed away).
  kRemoved,
  //! The watched directory itself was removed or moved; the watcher keeps retrying.
  kDirectoryLost,
  //! The watched directory exists again and is watched again.
  kDirectoryRestored,
};

//! The stable lower-case name of a kind, e.g. "modified", for logs and JSON.
std::string_view FileChangeKindName(FileChangeKind kind);

//! Identifies one Add()ed path or glob; never 0.
using WatchId = uint64_t;

//! One debounced change, delivered to the callback.
struct FileChange {
  //! The watch whose path or glob matched.
  WatchId watch = 0;
  //! The file's path (directory + name); the directory for kDirectoryLost/Restored.
  std::string path;
  FileChangeKind kind = FileChangeKind::kModified;
};

class FileWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  //! Runs on the watcher thread; must be short and must not block.
  using Callback = std::function<void(const FileChange&)>;

  struct Options {
    //! Events on one path closer together than this become one change.
    std::chrono::milliseconds debounce{200};
    //! A path that keeps changing without a pause still reports once per max_delay.
    std::chrono::milliseconds max_delay{2000};
    //! How often a lost (removed) directory is tried again.
    std::chrono::milliseconds rearm_interval{1000};
  };

  //! Creates the inotify instance. Fails with RESOURCE_EXHAUSTED when the per-user limit of
  //! inotify instances (fs.inotify.max_user_instances) or of open files is reached.
  static Result<std::unique_ptr<FileWatcher>> Create(Options options);
  static Result<std::unique_ptr<FileWatcher>> Create() { return Create(Options{}); }

  //! Stops the thread (see Stop) and closes the inotify instance.
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  //! Watches one file (`/data/app.sqlite`) or a glob in its last component
  //! (`/data/exports/events-*.parquet`, fnmatch syntax). Relative paths are resolved against
  //! the current directory. The file need not exist yet, but its directory must: otherwise
  //! NOT_FOUND (or PERMISSION_DENIED, or INVALID_ARGUMENT when it is not a directory). Globs in
  //! directory components are rejected. RESOURCE_EXHAUSTED names the sysctl to raise when the
  //! inotify watch limit is reached. Files present now are the baseline: Add reports nothing.
  //! May be called before or after Start.
  Result<WatchId> Add(std::string_view path_or_glob);

  //! Stops watching. Once Remove returns, no callback for `id` runs or will run (unless
  //! called from the callback itself, which may be the last one for `id`). NOT_FOUND for an
  //! unknown id.
  Status Remove(WatchId id);

  //! Starts the watcher thread, which calls `callback` for every change.
  //! INVALID_ARGUMENT when already running.
  Status Start(Callback callback);

  //! Stops the watcher thread and waits for it; changes still being debounced are dropped.
  //! Returns promptly (the thread is woken through an eventfd). Idempotent. Called from the
  //! callback it only asks the thread to finish; a later Stop or the destructor joins it.
  void Stop();

 private:
  struct Watch {
    std::string dir;      // absolute, normalized, without trailing slash
    std::string pattern;  // the last component
    bool glob = false;
    uint64_t dir_key = 0;
    std::set<std::string> known;  // matching names that existed at the last report
  };
  struct Dir {
    std::string path;
    int wd = -1;  // -1 while lost
    std::vector<WatchId> watches;
    Clock::time_point next_rearm;
  };
  struct Pending {
    Clock::time_point first;
    Clock::time_point last;
  };

  FileWatcher(Options options, int inotify_fd, int event_fd);

  void Run();
  void Wake();
  // All below: mu_ held.
  void ReadEvents(Clock::time_point now);
  bool Matches(const Watch& watch, std::string_view name) const;
  void MarkPending(WatchId id, const std::string& name, Clock::time_point now);
  void MarkAllInDir(Dir& dir, Clock::time_point now);
  void LoseDir(uint64_t dir_key, bool watch_gone, Clock::time_point now);
  void RearmLostDirs(Clock::time_point now);
  std::vector<FileChange> CollectDue(Clock::time_point now);
  int PollTimeoutMs(Clock::time_point now) const;

  const Options options_;
  const int inotify_fd_;
  const int event_fd_;

  std::mutex mu_;
  std::map<WatchId, Watch> watches_;
  std::map<uint64_t, Dir> dirs_;
  std::map<std::string, uint64_t> dir_by_path_;
  std::unordered_map<int, uint64_t> dir_by_wd_;
  std::map<std::pair<WatchId, std::string>, Pending> pending_;
  std::vector<FileChange> ready_;  // immediate notices (directory lost/restored)
  WatchId next_watch_ = 1;
  uint64_t next_dir_ = 1;
  bool stop_ = false;

  // Held while the callback runs, so that Remove and Stop can wait for it.
  std::mutex callback_mu_;
  Callback callback_;
  std::mutex thread_mu_;  // guards thread_ between Start and Stop
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
};

}  // namespace tributary
