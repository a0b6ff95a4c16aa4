#include "orchestrator/source_watcher.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "cache/result_cache.h"
#include "config/config.h"
#include "connectors/duckdb/duckdb_setup.h"
#include "orchestrator/runtime.h"

namespace tributary {

namespace {

using duckdb_internal::HasGlob;
using duckdb_internal::ResolvePath;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out.append(", ");
    out.append(s);
  }
  return out;
}

// The projects whose queries may use `source_id`: listed in the project's sources or bound by
// one of its datasets.
std::vector<std::string> ProjectsUsing(const Config& config, const std::string& source_id) {
  std::vector<std::string> projects;
  for (const ProjectConfig& project : config.projects) {
    bool uses = std::find(project.sources.begin(), project.sources.end(), source_id) !=
                project.sources.end();
    for (const auto& [name, bindings] : project.datasets) {
      for (const DatasetBinding& binding : bindings) uses = uses || binding.source == source_id;
    }
    if (uses) projects.push_back(project.id);
  }
  return projects;
}

// The file at `path` now: whether it exists, and its device and inode.
void StatFile(const std::string& path, bool& exists, uint64_t& dev, uint64_t& ino) {
  struct stat st;
  exists = ::stat(path.c_str(), &st) == 0;
  dev = exists ? static_cast<uint64_t>(st.st_dev) : 0;
  ino = exists ? static_cast<uint64_t>(st.st_ino) : 0;
}

}  // namespace

std::vector<std::string> SourceWatcher::PathsOf(const SourceConfig& source,
                                                const std::string& base_dir,
                                                std::vector<std::string>* unwatchable) {
  std::vector<std::string> paths;
  auto add = [&](const std::string& written) {
    if (written.empty()) return;
    if (written.find("://") != std::string::npos) {
      if (unwatchable) unwatchable->push_back(written);
      return;
    }
    std::string resolved = ResolvePath(written, base_dir);
    const size_t slash = resolved.rfind('/');
    // The file watcher takes wildcards in the last component only.
    if (slash != std::string::npos && HasGlob(std::string_view(resolved).substr(0, slash))) {
      if (unwatchable) unwatchable->push_back(std::move(resolved));
      return;
    }
    if (std::find(paths.begin(), paths.end(), resolved) == paths.end()) {
      paths.push_back(std::move(resolved));
    }
  };
  const std::string path = source.options.GetString("path");
  if (source.type == "sqlite") {
    if (!path.empty()) {
      add(path);
      std::string wal = path;
      wal.append("-wal");
      add(wal);
    }
  } else if (source.type == "duckdb") {
    if (!path.empty()) {
      add(path);
      std::string wal = path;
      wal.append(".wal");
      add(wal);
    }
    for (const auto& [name, file] : source.options.GetStringMap("tables")) add(file);
  }
  return paths;
}

SourceWatcher::SourceWatcher(Options options) {
  FileWatcher::Options fw;
  fw.debounce = options.debounce;
  fw.max_delay = std::max(options.max_delay, options.debounce);
  auto watcher = FileWatcher::Create(fw);
  if (!watcher.ok()) {
    status_ = watcher.status();
    spdlog::warn("file-backed sources are not watched for changes: {}", status_.ToString());
    return;
  }
  watcher_ = std::move(watcher).value();
  worker_ = std::thread([this] { RunWorker(); });
  status_ = watcher_->Start([this](const FileChange& change) { OnFileChange(change); });
  if (!status_.ok()) {
    spdlog::warn("file-backed sources are not watched for changes: {}", status_.ToString());
  }
}

SourceWatcher::~SourceWatcher() {
  // The file watcher first: after Stop no callback runs or will run.
  if (watcher_) watcher_->Stop();
  {
    std::lock_guard lock(state_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void SourceWatcher::SetOnChange(OnChange callback) {
  std::lock_guard lock(state_mu_);
  on_change_ = std::move(callback);
}

void SourceWatcher::SetOnReopenNeeded(OnReopenNeeded callback) {
  std::lock_guard lock(state_mu_);
  on_reopen_ = std::move(callback);
}

std::map<std::string, std::set<std::string>> SourceWatcher::WatchedPaths() const {
  std::lock_guard lock(state_mu_);
  return sources_by_path_;
}

void SourceWatcher::Watch(const std::shared_ptr<Runtime>& runtime) {
  std::lock_guard watch_lock(watch_mu_);
  // path or glob -> the sources whose files it covers.
  std::map<std::string, std::set<std::string>> wanted;
  std::map<std::string, DbFile> db_files;
  if (runtime) {
    const Config& config = runtime->config();
    for (const SourceConfig& source : config.sources) {
      const std::string db_path = source.options.GetString("path");
      if ((source.type == "sqlite" || source.type == "duckdb") && !db_path.empty() &&
          db_path.find("://") == std::string::npos) {
        const std::string resolved = ResolvePath(db_path, config.base_dir);
        DbFile file;
        file.type = source.type;
        StatFile(resolved, file.exists, file.dev, file.ino);
        db_files.emplace(resolved, std::move(file));
      }
      std::vector<std::string> unwatchable;
      for (std::string& path : PathsOf(source, config.base_dir, &unwatchable)) {
        wanted[std::move(path)].insert(source.id);
      }
      for (const std::string& path : unwatchable) {
        spdlog::warn(
            "source '{}': changes to {} are not detected (only a file, or a glob in the last "
            "path component, can be watched); its cached answers expire by their TTL only",
            source.id, path);
      }
    }
  }

  if (watcher_) {
    // Watches no longer wanted go first (Remove waits for a callback in progress)...
    for (auto it = watch_by_path_.begin(); it != watch_by_path_.end();) {
      if (wanted.contains(it->first)) {
        ++it;
        continue;
      }
      (void)watcher_->Remove(it->second);
      {
        std::lock_guard lock(state_mu_);
        sources_by_watch_.erase(it->second);
      }
      it = watch_by_path_.erase(it);
    }
    // ...then the new ones are added; kept ones stay armed throughout.
    for (auto& [path, sources] : wanted) {
      if (watch_by_path_.contains(path)) continue;
      Result<WatchId> id = watcher_->Add(path);
      if (!id.ok()) {
        spdlog::warn("source(s) {}: changes to {} are not detected: {}",
                     Join({sources.begin(), sources.end()}), path, id.status().ToString());
        continue;
      }
      watch_by_path_[path] = *id;
      // Known at once, so a change right after Add is not dropped.
      std::lock_guard lock(state_mu_);
      sources_by_watch_[*id] = sources;
    }
  }

  std::lock_guard lock(state_mu_);
  runtime_ = runtime;
  db_files_ = std::move(db_files);
  sources_by_watch_.clear();
  sources_by_path_.clear();
  for (const auto& [path, id] : watch_by_path_) {
    sources_by_watch_[id] = wanted[path];
    sources_by_path_[path] = wanted[path];
  }
}

void SourceWatcher::OnFileChange(const FileChange& change) {
  // On the FileWatcher's thread: only queue it.
  {
    std::lock_guard lock(state_mu_);
    if (stop_) return;
    queue_.push_back({change.watch, change.path});
  }
  cv_.notify_one();
}

void SourceWatcher::RunWorker() {
  for (;;) {
    // Everything queued now, grouped by source, so that a burst over several files of one
    // source (a SQLite file and its -wal) clears its entries once.
    std::map<std::string, std::vector<std::string>> by_source;
    {
      std::unique_lock lock(state_mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      for (const Event& event : queue_) {
        auto it = sources_by_watch_.find(event.watch);
        if (it == sources_by_watch_.end()) continue;  // no longer watched
        for (const std::string& source : it->second) {
          auto& paths = by_source[source];
          if (std::find(paths.begin(), paths.end(), event.path) == paths.end()) {
            paths.push_back(event.path);
          }
        }
      }
      queue_.clear();
    }
    for (const auto& [source, paths] : by_source) HandleSource(source, paths);
  }
}

void SourceWatcher::HandleSource(const std::string& source_id,
                                 const std::vector<std::string>& paths) {
  std::shared_ptr<Runtime> runtime;
  OnChange on_change;
  OnReopenNeeded on_reopen;
  std::vector<std::string> replaced;  // database files the open connections no longer see
  {
    std::lock_guard lock(state_mu_);
    runtime = runtime_.lock();
    on_change = on_change_;
    on_reopen = on_reopen_;
    for (const std::string& path : paths) {
      auto it = db_files_.find(path);
      if (it == db_files_.end()) continue;
      DbFile now;
      StatFile(path, now.exists, now.dev, now.ino);
      const bool same_file =
          now.exists == it->second.exists && now.dev == it->second.dev && now.ino == it->second.ino;
      if (it->second.type == "duckdb" || !same_file) replaced.push_back(path);
    }
  }
  std::string cleared_text = "no result cache";
  if (runtime && runtime->cache()) {
    std::vector<std::string> projects = ProjectsUsing(runtime->config(), source_id);
    // A source no project lists (an import the runtime has not tied to a project): its
    // entries are cleared in whatever project holds them.
    if (projects.empty()) projects.push_back("");
    int64_t cleared = 0;
    std::vector<std::string> failures;
    for (const std::string& project : projects) {
      Result<int64_t> n = runtime->cache()->Clear(project, source_id);
      if (n.ok()) {
        cleared += *n;
      } else {
        failures.push_back(n.status().ToString());
      }
    }
    cleared_text = "cleared ";
    cleared_text.append(std::to_string(cleared)).append(" cached answer(s)");
    if (!failures.empty()) {
      cleared_text.append(" (the cache could not be cleared: ")
          .append(Join(failures))
          .append("; stale answers expire by their TTL)");
    }
  } else if (!runtime) {
    cleared_text = "no runtime";
  }
  if (!replaced.empty()) {
    cleared_text.append("; ")
        .append(Join(replaced))
        .append(" was replaced: the source reads the new file once reopened");
  }
  spdlog::info("source '{}': {} changed; {}", source_id, Join(paths), cleared_text);
  if (on_change) on_change(source_id, paths);
  if (on_reopen) {
    for (const std::string& path : replaced) on_reopen(source_id, path);
  }
}

}  // namespace tributary
