// RunServer: startup (config, demo data, sources, listen), signals (SIGTERM/SIGINT drain and
// stop, SIGHUP reload), periodic health checks and the orderly shutdown.
#include "server/server.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "config/config.h"
#include "demo/demo_data.h"
#include "orchestrator/runtime.h"
#include "orchestrator/source_watcher.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/http_util.h"
#include "server/import_manager.h"
#include "server/static_files.h"

namespace tributary {

namespace asio = boost::asio;

namespace {

// Sources are checked in parallel; a startup that waits longer than this for a slow source
// starts serving anyway and reports that source as not yet checked in /readyz.
constexpr auto kStartupHealthBudget = std::chrono::seconds(5);
constexpr auto kHealthInterval = std::chrono::seconds(15);
// After the grace period, cancelled queries get this long to return before connections close.
constexpr auto kCancelGrace = std::chrono::seconds(2);

void UseStderrLogging() {
  // stdout carries only the "listening" line; every log goes to stderr. The CLI normally
  // installs this logger already.
  auto current = spdlog::default_logger();
  if (current && current->name() == "tributary") return;
  auto logger = spdlog::get("tributary");
  spdlog::set_default_logger(logger ? logger : spdlog::stderr_color_mt("tributary"));
}

//! Logs every source that changed state since the previous check.
void LogHealthChanges(const Runtime& runtime,
                      std::map<std::string, SourceHealth::State>& previous) {
  for (const auto& source : runtime.sources()) {
    SourceHealth h = source->last_health();
    auto it = previous.find(source->id());
    bool changed = it == previous.end() || it->second != h.state;
    previous[source->id()] = h.state;
    if (!changed) continue;
    if (h.state == SourceHealth::State::kOk) {
      spdlog::info("source '{}' is ok ({:.2f} ms)", source->id(),
                   static_cast<double>(h.latency.count()) / 1000.0);
    } else if (h.state == SourceHealth::State::kUnavailable && source->open_status().ok()) {
      // Sources that failed to open were already reported by Runtime::Open.
      spdlog::warn("{}", DescribeSourceProblem(source->id(), h.error));
    }
  }
}

class ServerProcess {
 public:
  ServerProcess(const ServeOptions& options, unsigned io_threads, unsigned worker_threads)
      : options_(options),
        ioc_(1),
        io_threads_(io_threads),
        worker_threads_(worker_threads),
        pool_(worker_threads),
        health_strand_(asio::make_strand(pool_)),
        health_timer_(health_strand_),
        signals_(ioc_, SIGTERM, SIGINT, SIGHUP) {
    // One io_context per I/O thread: a connection lives on one of them, so its reads, writes
    // and cached answers never wake another thread (ioc_ only accepts and takes signals).
    std::vector<asio::io_context*> contexts;
    for (unsigned i = 0; i < io_threads; ++i) {
      connection_iocs_.push_back(std::make_unique<asio::io_context>(1));
      connection_guards_.push_back(asio::make_work_guard(*connection_iocs_.back()));
      contexts.push_back(connection_iocs_.back().get());
    }
    server_ = std::make_unique<HttpServer>(ioc_, pool_, api_, holder_, std::move(contexts));
    // POST /api/v1/admin/config/reload runs on a worker, like the SIGHUP reload.
    api_.SetReload([this] { return ReloadConfig("POST /api/v1/admin/config/reload"); });
  }

  int Run(Config config, const ListenAddress& listen) {
    listen_host_ = listen.host;
    // Broken packs fail the start, like a broken config: serving without metrics would hide it.
    if (auto packs = LoadPacks(config); !packs.ok()) {
      std::cerr << "tributary: " << packs.status().ToString() << "\n";
      Stop();
      return ToExitCode(packs.status().code());
    }
    Status st = server_->Listen(listen.host, listen.port);
    if (!st.ok()) {
      spdlog::error("{}", st.message());
      std::cerr << "tributary: " << st.message() << "\n";
      Stop();
      return 1;
    }

    // The dashboard's files are read once, here; a reload does not read them again.
    web_dir_ = config.server.web_dir;
    server_->SetStaticSite(LoadWebDashboard({options_.web_dir, options_.no_web, web_dir_}));

    StartImports(config);
    const std::string version = config.version();
    size_t source_count = config.sources.size();
    base_config_ = config;
    std::shared_ptr<Runtime> runtime =
        Runtime::Open(imports_ ? imports_->WithImports(config) : std::move(config));
    CheckHealthBounded(runtime);
    holder_.Swap(runtime);
    LogHealthChanges(*runtime, last_states_);
    StartWatching(runtime);
    runtime.reset();
    spdlog::info("config {} loaded: {} source(s), fingerprint {}",
                 options_.config_path.value_or(kBuiltinConfigPath), source_count, version);

    WaitForSignal();
    ScheduleHealthCheck();
    server_->Start();

    std::string host =
        listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
    std::string url = "http://" + host + ":" + std::to_string(server_->port());
    std::cout << "tributary listening on " << url << std::endl;
    spdlog::info("tributary {} listening on {} ({} I/O threads, {} worker threads)",
                 TRIBUTARY_VERSION, url, io_threads_, worker_threads_);

    threads_.emplace_back([this] { ioc_.run(); });
    for (auto& context : connection_iocs_) {
      threads_.emplace_back([context = context.get()] { context->run(); });
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stop_signals_ > 0; });
    lock.unlock();
    Drain();
    Stop();
    spdlog::info("tributary stopped");
    return 0;
  }

 private:
  //! Opens the import catalog (imports.dir) and installs the manager; a folder that cannot
  //! be used turns imports off with an error in the log rather than failing the start.
  void StartImports(const Config& config) {
    if (!config.imports.enabled) return;
    Result<std::shared_ptr<ImportManager>> imports = ImportManager::Create(config.imports);
    if (!imports.ok()) {
      spdlog::error("imports are off: {}", imports.status().message());
      return;
    }
    imports_ = std::move(imports).value();
    imports_->SetCatalogChanged([this] { return ServeCatalogChange(); });
    api_.SetImports(imports_);
    spdlog::info("imports: catalog in {}", config.imports.dir);
  }

  //! Watches the file-backed sources (orchestrator/source_watcher.h): a change clears their
  //! cache entries, refreshes an import's size and rows, and a replaced database file gets
  //! the sources reopened.
  void StartWatching(const std::shared_ptr<Runtime>& runtime) {
    watcher_ = std::make_unique<SourceWatcher>();
    // Weak: the watcher's thread may report a change while Stop() lets the imports go.
    std::weak_ptr<ImportManager> weak_imports = imports_;
    watcher_->SetOnChange(
        [this, weak_imports](const std::string& source_id, const std::vector<std::string>&) {
          std::shared_ptr<Runtime> current = holder_.current();
          std::shared_ptr<ImportManager> imports = weak_imports.lock();
          if (!current || !imports) return;
          const SourceConfig* source = current->config().FindSource(source_id);
          if (source && !source->import_id.empty()) imports->Refresh(source->import_id);
        });
    watcher_->SetOnReopenNeeded([this](const std::string& source_id, const std::string& path) {
      spdlog::info("source '{}': {} was replaced; reopening the sources", source_id, path);
      asio::post(pool_, [this] {
        if (stopping_.load()) return;
        std::lock_guard reload_lock(reload_mu_);
        std::shared_ptr<Runtime> old = holder_.current();
        if (!old) return;
        std::shared_ptr<Runtime> next = Runtime::Open(old->config(), old.get());
        next->CheckAllHealth();
        SwapRuntime(next);
      });
    });
    watcher_->Watch(runtime);
  }

  //! Serves `next` from now on and follows its files.
  void SwapRuntime(const std::shared_ptr<Runtime>& next) {
    holder_.Swap(next);
    if (watcher_) watcher_->Watch(next);
  }

  //! The import catalog changed: swaps in a runtime with the imported sources as they are now,
  //! keeping every other source's connections. Blocks (import threads and workers call it).
  Status ServeCatalogChange() {
    std::lock_guard reload_lock(reload_mu_);
    std::shared_ptr<Runtime> old = holder_.current();
    if (!old) return Unavailable("the server is stopping");
    Config config = imports_->WithImports(base_config_);
    if (auto packs = LoadPacks(config); !packs.ok()) return packs.status();
    std::shared_ptr<Runtime> next =
        Runtime::Open(std::move(config), old.get(), /*reuse_unchanged_sources=*/true);
    for (const auto& source : next->sources()) {
      if (source->last_health().state == SourceHealth::State::kUnknown) source->CheckHealth();
    }
    SwapRuntime(next);
    return Status::Ok();
  }

  void CheckHealthBounded(const std::shared_ptr<Runtime>& runtime) {
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> finished = done->get_future();
    asio::post(pool_, [runtime, done] {
      runtime->CheckAllHealth();
      done->set_value();
    });
    if (finished.wait_for(kStartupHealthBudget) != std::future_status::ready) {
      spdlog::warn("source health checks still running after {} s; serving anyway",
                   std::chrono::duration_cast<std::chrono::seconds>(kStartupHealthBudget).count());
    }
  }

  void WaitForSignal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        Reload();
      } else {
        std::lock_guard lock(mu_);
        ++stop_signals_;
        spdlog::info("received {}: {}", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                     stop_signals_ == 1 ? "shutting down" : "stopping without waiting");
        cv_.notify_all();
      }
      WaitForSignal();
    });
  }

  //! SIGHUP: reloads on a worker (loading and opening sources block); failures are logged.
  void Reload() {
    if (!options_.config_path) {
      spdlog::warn("SIGHUP ignored: serving the built-in config, there is no file to reload");
      return;
    }
    asio::post(pool_, [this] { (void)ReloadConfig("SIGHUP"); });
  }

  //! Loads the config file again and swaps in a runtime built from it: the one reload path of
  //! SIGHUP and the admin route. Blocks (call it on a worker); reloads run one at a time. On
  //! any error the current config stays and the error (CONFIG_ERROR with file:line:col for a
  //! broken file) is logged and returned.
  Result<ReloadOutcome> ReloadConfig(std::string_view trigger) {
    if (!options_.config_path) {
      return ConfigError(
          "the server runs the built-in demo config: there is no config file to reload; start "
          "it with `tributary serve --config FILE` to reload that file");
    }
    std::lock_guard reload_lock(reload_mu_);
    const std::string& path = *options_.config_path;
    spdlog::info("{}: reloading {}", trigger, path);
    auto fail = [](const Status& st) {
      spdlog::error("config reload failed, keeping the current config: {}", st.message());
      return st;
    };
    Result<Config> config = LoadConfigFile(path);
    if (!config.ok()) return fail(config.status());
    if (auto packs = LoadPacks(*config); !packs.ok()) return fail(packs.status());
    if (Status allowed = CheckListenAllowed(*config, listen_host_); !allowed.ok()) {
      return fail(allowed);
    }
    std::shared_ptr<Runtime> old = holder_.current();
    if (old && config->server.listen != old->config().server.listen && !options_.listen) {
      spdlog::warn("server.listen changed to {}; a restart is needed to apply it",
                   config->server.listen);
    }
    if (config->server.web_dir != web_dir_ && !options_.web_dir && !options_.no_web) {
      spdlog::warn("server.web_dir changed; a restart is needed to serve another dashboard");
    }
    std::string previous = old ? old->config().version() : std::string();
    const std::string version = config->version();
    size_t sources = config->sources.size();
    base_config_ = *config;
    Config serving = imports_ ? imports_->WithImports(*config) : std::move(config).value();
    if (imports_) {
      if (auto packs = LoadPacks(serving); !packs.ok()) return fail(packs.status());
    }
    std::shared_ptr<Runtime> next = Runtime::Open(std::move(serving), old.get());
    next->CheckAllHealth();
    SwapRuntime(next);
    {
      std::lock_guard lock(health_mu_);
      last_states_.clear();
      LogHealthChanges(*next, last_states_);
    }
    old.reset();
    spdlog::info("config reloaded: {} source(s), fingerprint {}", sources, version);
    return ReloadOutcome{previous, version, next->loaded_at()};
  }

  void ScheduleHealthCheck() {
    health_timer_.expires_after(kHealthInterval);
    health_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_.load()) return;
      if (std::shared_ptr<Runtime> runtime = holder_.current()) {
        runtime->CheckAllHealth();
        std::lock_guard lock(health_mu_);
        LogHealthChanges(*runtime, last_states_);
      }
      ScheduleHealthCheck();
    });
  }

  //! Stops accepting, lets in-flight requests finish within server.shutdown_grace_ms, then
  //! cancels what is left and closes every connection.
  void Drain() {
    stopping_.store(true);
    std::shared_ptr<Runtime> runtime = holder_.current();
    auto grace = std::chrono::milliseconds(
        runtime ? std::max<int64_t>(0, runtime->config().server.shutdown_grace_ms) : 0);
    runtime.reset();
    server_->BeginShutdown();
    auto deadline = std::chrono::steady_clock::now() + grace;
    auto wait_until = [this](std::chrono::steady_clock::time_point until, int max_signals) {
      std::unique_lock lock(mu_);
      while (server_->open_connections() > 0 && std::chrono::steady_clock::now() < until &&
             stop_signals_ <= max_signals) {
        cv_.wait_for(lock, std::chrono::milliseconds(20));
      }
    };
    wait_until(deadline, 1);
    if (server_->open_connections() > 0) {
      spdlog::warn("{} connection(s) still busy after the grace period; cancelling",
                   server_->open_connections());
      server_->CancelInFlight("the server is shutting down");
      wait_until(std::chrono::steady_clock::now() + kCancelGrace, INT32_MAX);
      server_->CloseAllConnections();
    }
  }

  //! Stops the threads, then releases the sources: nothing may use them afterwards.
  void Stop() {
    stopping_.store(true);
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    asio::post(health_strand_, [this] { health_timer_.cancel(); });
    ioc_.stop();
    for (auto& context : connection_iocs_) context->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    pool_.join();
    // No request runs any more: the import threads stop (running imports are cancelled and
    // cleaned up) before the runtime they rebuild goes away.
    // The import threads may still swap runtimes (and so use the watcher) until they are
    // joined here; the watcher goes after them, before the runtime holder.
    api_.SetImports(nullptr);
    imports_.reset();
    watcher_.reset();
    server_.reset();
    holder_.Swap(nullptr);
  }

  ServeOptions options_;
  std::string listen_host_;
  //! server.web_dir of the config the server started with.
  std::optional<std::string> web_dir_;
  asio::io_context ioc_;
  //! The I/O threads' own contexts (see the constructor); they outlive server_.
  std::vector<std::unique_ptr<asio::io_context>> connection_iocs_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> connection_guards_;
  unsigned io_threads_;
  unsigned worker_threads_;
  asio::thread_pool pool_;
  asio::strand<asio::thread_pool::executor_type> health_strand_;
  asio::steady_timer health_timer_;
  asio::signal_set signals_;
  RuntimeHolder holder_;
  //! The config as loaded from the file (or built in), without the imported sources; guarded
  //! by reload_mu_ once serving.
  Config base_config_;
  std::shared_ptr<ImportManager> imports_;
  std::unique_ptr<SourceWatcher> watcher_;
  Api api_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  int stop_signals_ = 0;

  std::mutex reload_mu_;
  std::mutex health_mu_;
  std::map<std::string, SourceHealth::State> last_states_;
};

Result<Config> LoadStartupConfig(const ServeOptions& options) {
  if (options.config_path) return LoadConfigFile(*options.config_path);
  std::error_code fs_ec;
  std::filesystem::create_directories(options.data_dir, fs_ec);
  if (fs_ec) {
    return Unavailable("cannot create the data directory '" + options.data_dir +
                       "': " + fs_ec.message());
  }
  std::string demo_path = (std::filesystem::path(options.data_dir) / "demo.duckdb").string();
  if (!std::filesystem::exists(demo_path)) {
    spdlog::info("no config given: creating the demo database {} (first start only)", demo_path);
  }
  TRIB_RETURN_IF_ERROR(EnsureDemoData(demo_path));
  return BuiltinConfig(options.data_dir);
}

}  // namespace

int RunServer(const ServeOptions& options) {
  UseStderrLogging();
  Result<Config> config = LoadStartupConfig(options);
  if (!config.ok()) {
    std::cerr << "tributary: " << config.status().message() << "\n";
    return ToExitCode(config.status().code());
  }
  std::string listen_text = options.listen.value_or(config->server.listen);
  Result<ListenAddress> listen = ParseListenAddress(listen_text);
  if (!listen.ok()) {
    std::cerr << "tributary: " << listen.status().message() << "\n";
    return 1;
  }
  if (Status allowed = CheckListenAllowed(*config, listen->host); !allowed.ok()) {
    std::cerr << "tributary: " << allowed.message() << "\n";
    return ToExitCode(allowed.code());
  }

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned io_threads =
      config->server.io_threads > 0 ? static_cast<unsigned>(config->server.io_threads) : cores;
  unsigned worker_threads = config->server.worker_threads > 0
                                ? static_cast<unsigned>(config->server.worker_threads)
                                : 2 * cores;
  ServerProcess process(options, io_threads, worker_threads);
  return process.Run(std::move(config).value(), *listen);
}

}  // namespace tributary
