#include "orchestrator/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "cache/result_cache.h"
#include "config/config_render.h"
#include "connectors/registry.h"
#include "metrics/metric_runner.h"

namespace tributary {

std::string_view HealthStateName(SourceHealth::State state) {
  switch (state) {
    case SourceHealth::State::kUnknown:
      return "unknown";
    case SourceHealth::State::kOk:
      return "ok";
    case SourceHealth::State::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

SourceHandle::SourceHandle(const SourceConfig& config, std::unique_ptr<Connector> connector,
                           Status open_status)
    : config_(config), connector_(std::move(connector)), open_status_(std::move(open_status)) {
  if (!open_status_.ok()) {
    health_.state = SourceHealth::State::kUnavailable;
    health_.error = open_status_;
    health_.checked_at = std::chrono::system_clock::now();
  }
}

SourceHandle::~SourceHandle() {
  if (connector_ && open_status_.ok()) connector_->Close();
}

SourceHealth SourceHandle::CheckHealth() {
  SourceHealth h;
  h.checked_at = std::chrono::system_clock::now();
  if (!open_status_.ok()) {
    h.state = SourceHealth::State::kUnavailable;
    h.error = open_status_;
  } else {
    auto result = connector_->HealthCheck();
    if (result.ok()) {
      h.state = SourceHealth::State::kOk;
      h.latency = result->latency;
      h.detail = result->detail;
    } else {
      h.state = SourceHealth::State::kUnavailable;
      h.error = result.status();
    }
  }
  std::lock_guard lock(mu_);
  health_ = h;
  return h;
}

SourceHealth SourceHandle::last_health() const {
  std::lock_guard lock(mu_);
  return health_;
}

Runtime::Runtime(Config config) : config_(std::move(config)) {
  static std::atomic<uint64_t> next_generation{1};
  generation_ = next_generation.fetch_add(1);
}

Result<std::shared_ptr<const PackCatalog>> LoadPacks(const Config& config) {
  Result<std::shared_ptr<const PackCatalog>> packs =
      config.server.packs_dir.empty() ? PackCatalog::LoadEmbedded()
                                      : PackCatalog::LoadDirectory(config.server.packs_dir);
  if (!packs.ok()) return packs;
  TRIB_RETURN_IF_ERROR(CheckDatasetBindings(config, **packs));
  TRIB_RETURN_IF_ERROR(CheckCacheSettings(config, **packs));
  return packs;
}

namespace {

//! Whether two sources have the same settings (everything their connector is built from).
bool SameSourceSettings(const SourceConfig& a, const std::string& a_base_dir, const SourceConfig& b,
                        const std::string& b_base_dir) {
  if (a.id != b.id || a.type != b.type || a_base_dir != b_base_dir) return false;
  auto canonical = [](const SourceConfig& source, const std::string& base_dir) {
    Config one;
    one.base_dir = base_dir;
    one.sources.push_back(source);
    return config_internal::CanonicalConfigText(one);
  };
  return canonical(a, a_base_dir) == canonical(b, b_base_dir);
}

}  // namespace

std::shared_ptr<Runtime> Runtime::Open(Config config, const Runtime* previous,
                                       bool reuse_unchanged_sources) {
  std::shared_ptr<Runtime> rt(new Runtime(std::move(config)));
  // Sources open in parallel: a slow or dead source must not delay the others.
  std::vector<std::future<std::shared_ptr<SourceHandle>>> opening;
  for (const auto& source : rt->config_.sources) {
    if (reuse_unchanged_sources && previous) {
      auto same = std::find_if(
          previous->sources_.begin(), previous->sources_.end(), [&](const auto& handle) {
            return SameSourceSettings(handle->config(), previous->config_.base_dir, source,
                                      rt->config_.base_dir);
          });
      if (same != previous->sources_.end()) {
        std::promise<std::shared_ptr<SourceHandle>> reused;
        reused.set_value(*same);
        opening.push_back(reused.get_future());
        continue;
      }
    }
    opening.push_back(std::async(std::launch::async, [&source, &rt] {
      const ConnectorFactory* factory = FindConnector(source.type);
      if (!factory) {
        return std::make_shared<SourceHandle>(
            source, nullptr,
            ConfigError("source '" + source.id + "': unknown connector type '" + source.type +
                        "'"));
      }
      SourceContext ctx{source.id, source.options, rt->config_.base_dir};
      std::unique_ptr<Connector> connector = factory->create(ctx);
      Status st = connector ? connector->Open()
                            : Internal("connector '" + source.type + "' could not be created");
      if (!st.ok()) {
        st = st.WithContext("source '" + source.id + "'");
        spdlog::warn("source {} is unavailable: {}", source.id, st.ToString());
      }
      return std::make_shared<SourceHandle>(source, std::move(connector), st);
    }));
  }
  for (auto& f : opening) rt->sources_.push_back(f.get());
  if (rt->config_.redis) rt->redis_ = std::make_shared<RedisClient>(*rt->config_.redis);
  rt->packs_ = LoadPacks(rt->config_);
  if (!rt->packs_.ok()) {
    spdlog::error("metric packs are unusable: {}", rt->packs_.status().ToString());
  }
  rt->cache_ = MakeResultCache(rt->config_, previous ? previous->cache_ : nullptr, rt->redis_);
  return rt;
}

Result<SourceHandle*> Runtime::FindSource(std::string_view id) const {
  for (const auto& s : sources_) {
    if (s->id() == id) {
      if (!s->open_status().ok()) return s->open_status();
      return s.get();
    }
  }
  std::string known;
  for (const auto& s : sources_) known += (known.empty() ? "" : ", ") + s->id();
  return NotFound("unknown source '" + std::string(id) +
                  "'; configured sources: " + (known.empty() ? "(none)" : known));
}

void Runtime::CheckAllHealth() {
  std::vector<std::future<void>> checks;
  for (auto& s : sources_) {
    checks.push_back(std::async(std::launch::async, [&s] { s->CheckHealth(); }));
  }
  for (auto& c : checks) c.get();
}

std::shared_ptr<Runtime> RuntimeHolder::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void RuntimeHolder::Swap(std::shared_ptr<Runtime> next) {
  std::shared_ptr<Runtime> old;
  {
    std::lock_guard lock(mu_);
    old = std::move(current_);
    current_ = std::move(next);
  }
  // `old` is released here, outside the lock; its sources close when the last request using
  // it lets go.
}

}  // namespace tributary
