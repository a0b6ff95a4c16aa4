#include "common/file_watcher.h"

#include <fnmatch.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace tributary {

namespace fs = std::filesystem;

namespace {

// Children: written and closed, written while kept open, created, renamed in or out, deleted.
// The directory itself: deleted, renamed, unmounted (IN_UNMOUNT and IN_IGNORED always come).
constexpr uint32_t kDirMask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                              IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool HasGlob(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

std::string JoinPath(const std::string& dir, std::string_view name) {
  std::string path = dir;
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(name);
  return path;
}

// A path counts as an existing file when it exists and is not a directory.
bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out.push_back('\'');
  return out;
}

std::string ReadProcValue(const char* path) {
  std::ifstream in(path);
  std::string value;
  if (!(in >> value)) value = "unknown";
  return value;
}

// Errors of stat()/inotify_add_watch() on a watched directory, with what, where and how to fix.
Status DirectoryError(int err, const std::string& what, const std::string& dir) {
  std::string msg = "file watch ";
  msg.append(Quote(what)).append(": ");
  switch (err) {
    case ENOENT:
      msg.append("directory ")
          .append(Quote(dir))
          .append(
              " does not exist; create it or fix the path (the file itself may appear later, its "
              "directory must exist)");
      return NotFound(std::move(msg));
    case ENOTDIR:
      msg.append(Quote(dir)).append(" is not a directory; fix the path");
      return InvalidArgument(std::move(msg));
    case EACCES:
    case EPERM:
      msg.append("no permission to read directory ")
          .append(Quote(dir))
          .append("; give the user running Tributary read and search (r-x) access to it");
      return PermissionDenied(std::move(msg));
    case ENOSPC:
      msg.append(
             "the inotify watch limit of this user is reached (sysctl "
             "fs.inotify.max_user_watches = ")
          .append(ReadProcValue("/proc/sys/fs/inotify/max_user_watches"))
          .append(") while watching ")
          .append(Quote(dir))
          .append(
              "; raise it with `sysctl -w fs.inotify.max_user_watches=524288` and persist "
              "it in /etc/sysctl.d/, or watch fewer directories");
      return ResourceExhausted(std::move(msg));
    case ENOMEM:
      msg.append("out of kernel memory while watching ").append(Quote(dir));
      return ResourceExhausted(std::move(msg));
    default:
      msg.append("cannot watch directory ")
          .append(Quote(dir))
          .append(": ")
          .append(std::strerror(err));
      return Internal(std::move(msg));
  }
}

}  // namespace

std::string_view FileChangeKindName(FileChangeKind kind) {
  switch (kind) {
    case FileChangeKind::kModified:
      return "modified";
    case FileChangeKind::kCreated:
      return "created";
    case FileChangeKind::kRemoved:
      return "removed";
    case FileChangeKind::kDirectoryLost:
      return "directory_lost";
    case FileChangeKind::kDirectoryRestored:
      return "directory_restored";
  }
  return "unknown";
}

Result<std::unique_ptr<FileWatcher>> FileWatcher::Create(Options options) {
  const int inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    const int err = errno;
    if (err == EMFILE) {
      std::string msg =
          "file watcher: the inotify instance limit of this user (sysctl "
          "fs.inotify.max_user_instances = ";
      msg.append(ReadProcValue("/proc/sys/fs/inotify/max_user_instances"))
          .append(
              ") or the open file limit of the process is reached; raise it with `sysctl -w "
              "fs.inotify.max_user_instances=1024` (persist it in /etc/sysctl.d/) or "
              "`ulimit -n`");
      return ResourceExhausted(std::move(msg));
    }
    std::string msg = "file watcher: inotify_init1 failed: ";
    msg.append(std::strerror(err));
    return err == ENFILE || err == ENOMEM ? ResourceExhausted(std::move(msg))
                                          : Internal(std::move(msg));
  }
  const int event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd < 0) {
    std::string msg = "file watcher: eventfd failed: ";
    msg.append(std::strerror(errno));
    ::close(inotify_fd);
    return ResourceExhausted(std::move(msg));
  }
  return std::unique_ptr<FileWatcher>(new FileWatcher(options, inotify_fd, event_fd));
}

FileWatcher::FileWatcher(Options options, int inotify_fd, int event_fd)
    : options_(options), inotify_fd_(inotify_fd), event_fd_(event_fd) {}

FileWatcher::~FileWatcher() {
  Stop();
  ::close(inotify_fd_);
  ::close(event_fd_);
}

bool FileWatcher::Matches(const Watch& watch, std::string_view name) const {
  if (!watch.glob) return name == watch.pattern;
  const std::string n(name);
  // FNM_PERIOD: like a shell, '*' does not match hidden files such as ".x.parquet.tmp".
  return ::fnmatch(watch.pattern.c_str(), n.c_str(), FNM_PERIOD) == 0;
}

namespace {

// The matching names that exist as files in the watch's directory now.
template <typename MatchFn>
std::set<std::string> ScanMatches(const std::string& dir, const std::string& pattern, bool glob,
                                  MatchFn matches) {
  std::set<std::string> names;
  if (!glob) {
    if (IsFile(JoinPath(dir, pattern))) names.insert(pattern);
    return names;
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (matches(name) && IsFile(it->path().string())) names.insert(std::move(name));
  }
  return names;
}

}  // namespace

Result<WatchId> FileWatcher::Add(std::string_view path_or_glob) {
  if (path_or_glob.empty()) {
    return InvalidArgument("file watch: the path is empty; give a file path or a glob");
  }
  std::error_code ec;
  fs::path path = fs::absolute(fs::path(path_or_glob), ec);
  if (ec) {
    std::string msg = "file watch ";
    msg.append(Quote(path_or_glob)).append(": cannot resolve the path: ").append(ec.message());
    return InvalidArgument(std::move(msg));
  }
  path = path.lexically_normal();
  const std::string what = path.string();
  Watch watch;
  watch.pattern = path.filename().string();
  watch.dir = path.parent_path().string();
  if (watch.pattern.empty() || watch.pattern == "." || watch.pattern == "..") {
    std::string msg = "file watch ";
    msg.append(Quote(path_or_glob))
        .append(": names a directory; watch the files in it with a glob such as ")
        .append(Quote(JoinPath(watch.dir, "*.parquet")));
    return InvalidArgument(std::move(msg));
  }
  if (HasGlob(watch.dir)) {
    std::string msg = "file watch ";
    msg.append(Quote(path_or_glob))
        .append(": only the last path component may be a glob; watch each directory apart");
    return InvalidArgument(std::move(msg));
  }
  watch.glob = HasGlob(watch.pattern);

  struct stat st;
  if (::stat(watch.dir.c_str(), &st) != 0) return DirectoryError(errno, what, watch.dir);
  if (!S_ISDIR(st.st_mode)) return DirectoryError(ENOTDIR, what, watch.dir);

  // The baseline, taken before the watch is armed: a file that appears in between is then
  // reported as created instead of being missed.
  watch.known = ScanMatches(watch.dir, watch.pattern, watch.glob,
                            [&](std::string_view name) { return Matches(watch, name); });

  std::lock_guard lock(mu_);
  uint64_t key;
  if (auto it = dir_by_path_.find(watch.dir); it != dir_by_path_.end()) {
    key = it->second;
  } else {
    const int wd = ::inotify_add_watch(inotify_fd_, watch.dir.c_str(), kDirMask);
    if (wd < 0) return DirectoryError(errno, what, watch.dir);
    if (auto alias = dir_by_wd_.find(wd); alias != dir_by_wd_.end()) {
      key = alias->second;  // the same directory under another name (a symlink)
    } else {
      key = next_dir_++;
      Dir& dir = dirs_[key];
      dir.path = watch.dir;
      dir.wd = wd;
      dir_by_path_[watch.dir] = key;
      dir_by_wd_[wd] = key;
    }
  }
  const WatchId id = next_watch_++;
  watch.dir_key = key;
  dirs_[key].watches.push_back(id);
  watches_.emplace(id, std::move(watch));
  return id;
}

Status FileWatcher::Remove(WatchId id) {
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) {
      std::string msg = "file watch ";
      msg.append(std::to_string(id)).append(" is not watched (already removed?)");
      return NotFound(std::move(msg));
    }
    const uint64_t key = it->second.dir_key;
    Dir& dir = dirs_.at(key);
    std::erase(dir.watches, id);
    if (dir.watches.empty()) {
      if (dir.wd >= 0) {
        ::inotify_rm_watch(inotify_fd_, dir.wd);
        dir_by_wd_.erase(dir.wd);
      }
      if (auto p = dir_by_path_.find(dir.path); p != dir_by_path_.end() && p->second == key) {
        dir_by_path_.erase(p);
      }
      dirs_.erase(key);
    }
    for (auto p = pending_.lower_bound({id, std::string()});
         p != pending_.end() && p->first.first == id;) {
      p = pending_.erase(p);
    }
    std::erase_if(ready_, [id](const FileChange& c) { return c.watch == id; });
    watches_.erase(it);
  }
  // Wait for a callback that is running right now (it may be about this watch); later ones
  // see the watch gone. From the callback itself this would deadlock, and is not needed.
  if (std::this_thread::get_id() != thread_id_.load()) {
    std::lock_guard wait(callback_mu_);
  }
  return Status::Ok();
}

Status FileWatcher::Start(Callback callback) {
  if (!callback) return InvalidArgument("file watcher: Start needs a callback");
  std::lock_guard thread_lock(thread_mu_);
  if (thread_.joinable()) {
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stop_;
    }
    if (!stopping || std::this_thread::get_id() == thread_id_.load()) {
      return InvalidArgument("file watcher: already running; call Stop first");
    }
    thread_.join();  // stopped from its own callback, not joined yet
  }
  uint64_t drained;
  [[maybe_unused]] ssize_t n = ::read(event_fd_, &drained, sizeof drained);
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  {
    std::lock_guard lock(callback_mu_);
    callback_ = std::move(callback);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void FileWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  Wake();
  if (std::this_thread::get_id() == thread_id_.load()) return;  // from the callback
  std::lock_guard thread_lock(thread_mu_);
  if (thread_.joinable()) thread_.join();
  thread_id_.store(std::thread::id());
}

void FileWatcher::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void FileWatcher::MarkPending(WatchId id, const std::string& name, Clock::time_point now) {
  auto [it, inserted] = pending_.try_emplace({id, name}, Pending{now, now});
  if (!inserted) it->second.last = now;
}

void FileWatcher::MarkAllInDir(Dir& dir, Clock::time_point now) {
  for (WatchId id : dir.watches) {
    const Watch& watch = watches_.at(id);
    std::set<std::string> names =
        ScanMatches(watch.dir, watch.pattern, watch.glob,
                    [&](std::string_view name) { return Matches(watch, name); });
    names.insert(watch.known.begin(), watch.known.end());
    for (const std::string& name : names) MarkPending(id, name, now);
  }
}

void FileWatcher::LoseDir(uint64_t key, bool watch_gone, Clock::time_point now) {
  Dir& dir = dirs_.at(key);
  if (dir.wd < 0) return;
  // After IN_MOVE_SELF the watch stays on the moved directory: drop it and watch the path.
  if (!watch_gone) ::inotify_rm_watch(inotify_fd_, dir.wd);
  dir_by_wd_.erase(dir.wd);
  dir.wd = -1;
  dir.next_rearm = now + options_.rearm_interval;
  for (WatchId id : dir.watches) {
    const Watch& watch = watches_.at(id);
    for (const std::string& name : watch.known) MarkPending(id, name, now);
    ready_.push_back({id, watch.dir, FileChangeKind::kDirectoryLost});
  }
}

void FileWatcher::RearmLostDirs(Clock::time_point now) {
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    Dir& dir = it->second;
    if (dir.wd >= 0 || now < dir.next_rearm) {
      ++it;
      continue;
    }
    const int wd = ::inotify_add_watch(inotify_fd_, dir.path.c_str(), kDirMask);
    if (wd < 0) {
      dir.next_rearm = now + options_.rearm_interval;
      ++it;
      continue;
    }
    for (WatchId id : dir.watches) {
      ready_.push_back({id, watches_.at(id).dir, FileChangeKind::kDirectoryRestored});
    }
    MarkAllInDir(dir, now);
    if (auto alias = dir_by_wd_.find(wd); alias != dir_by_wd_.end()) {
      // Back as an alias of a directory watched under another name: join that one.
      Dir& other = dirs_.at(alias->second);
      for (WatchId id : dir.watches) {
        watches_.at(id).dir_key = alias->second;
        other.watches.push_back(id);
      }
      if (auto p = dir_by_path_.find(dir.path); p != dir_by_path_.end() && p->second == it->first) {
        dir_by_path_.erase(p);
      }
      it = dirs_.erase(it);
      continue;
    }
    dir.wd = wd;
    dir_by_wd_[wd] = it->first;
    ++it;
  }
}

void FileWatcher::ReadEvents(Clock::time_point now) {
  alignas(struct inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        // Events were lost: look at every watched file again.
        for (auto& [key, dir] : dirs_) {
          if (dir.wd >= 0) MarkAllInDir(dir, now);
        }
        continue;
      }
      auto d = dir_by_wd_.find(ev->wd);
      if (d == dir_by_wd_.end()) continue;  // removed, or lost earlier in this batch
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED)) {
        LoseDir(d->second, (ev->mask & IN_IGNORED) != 0, now);
        continue;
      }
      if ((ev->mask & IN_ISDIR) || ev->len == 0) continue;
      const std::string name(ev->name);  // NUL-padded
      for (WatchId id : dirs_.at(d->second).watches) {
        if (Matches(watches_.at(id), name)) MarkPending(id, name, now);
      }
    }
  }
}

std::vector<FileChange> FileWatcher::CollectDue(Clock::time_point now) {
  std::vector<FileChange> changes = std::move(ready_);
  ready_.clear();
  std::vector<std::pair<Clock::time_point, FileChange>> due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    const Clock::time_point at =
        std::min(it->second.last + options_.debounce, it->second.first + options_.max_delay);
    if (at > now) {
      ++it;
      continue;
    }
    const auto& [id, name] = it->first;
    Watch& watch = watches_.at(id);
    FileChange change{id, JoinPath(watch.dir, name), FileChangeKind::kModified};
    const bool exists = IsFile(change.path);
    const bool existed = watch.known.contains(name);
    if (exists && !existed) {
      change.kind = FileChangeKind::kCreated;
      watch.known.insert(name);
    } else if (!exists && existed) {
      change.kind = FileChangeKind::kRemoved;
      watch.known.erase(name);
    }
    if (exists || existed) due.emplace_back(at, std::move(change));
    it = pending_.erase(it);
  }
  // In the order the bursts ended, so a change never overtakes an earlier one.
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, change] : due) changes.push_back(std::move(change));
  return changes;
}

int FileWatcher::PollTimeoutMs(Clock::time_point now) const {
  if (!ready_.empty()) return 0;
  Clock::time_point next = Clock::time_point::max();
  for (const auto& [key, p] : pending_) {
    next = std::min(next, std::min(p.last + options_.debounce, p.first + options_.max_delay));
  }
  for (const auto& [key, dir] : dirs_) {
    if (dir.wd < 0) next = std::min(next, dir.next_rearm);
  }
  if (next == Clock::time_point::max()) return -1;  // nothing to wait for but events
  if (next <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

void FileWatcher::Run() {
  thread_id_.store(std::this_thread::get_id());
  for (;;) {
    int timeout;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      timeout = PollTimeoutMs(Clock::now());
    }
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
    if (::poll(fds, 2, timeout) < 0) {
      if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::vector<FileChange> changes;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      if (fds[1].revents & POLLIN) {
        uint64_t drained;
        [[maybe_unused]] ssize_t n = ::read(event_fd_, &drained, sizeof drained);
      }
      const Clock::time_point now = Clock::now();
      if (fds[0].revents & POLLIN) ReadEvents(now);
      RearmLostDirs(now);
      changes = CollectDue(now);
    }
    if (changes.empty()) continue;
    std::lock_guard callback_lock(callback_mu_);
    for (const FileChange& change : changes) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
        if (!watches_.contains(change.watch)) continue;  // removed meanwhile
      }
      callback_(change);
    }
  }
}

}  // namespace tributary
