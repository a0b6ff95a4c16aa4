#include "cache/result_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "cache/redis_backend.h"
#include "common/metrics.h"
#include "config/yaml_reader.h"
#include "core/sha256.h"
#include "core/text.h"
#include "core/time_util.h"
#include "orchestrator/runtime.h"

namespace tributary {

namespace {

//! A full answer: every source that ran answered (partial answers are never stored).
bool IsFullAnswer(const MetricAnswer& answer) {
  if (!answer.failure.ok()) return false;
  return std::none_of(answer.sources.begin(), answer.sources.end(), [](const SourceOutcome& s) {
    return s.status == "error" || s.status == "timeout";
  });
}

const MetricDef* FindMetric(const Runtime& runtime, std::string_view pack,
                            std::string_view metric) {
  const auto& packs = runtime.packs();
  if (!packs.ok()) return nullptr;
  const Pack* p = (*packs)->Find(pack);
  return p ? p->FindMetric(metric) : nullptr;
}

//! Runs the metric without the cache.
CachedMetricRun Direct(const Runtime& runtime, const MetricCall& call, const CancelToken& client) {
  MetricCall c = call;
  c.cancel = client;
  CachedMetricRun run;
  run.answer = RunMetric(runtime, c);
  return run;
}

std::string MaxAgeHeader(int64_t seconds) {
  return "private, max-age=" + std::to_string(std::max<int64_t>(0, seconds));
}

}  // namespace

CacheDirectives ParseCacheControl(std::string_view header) {
  CacheDirectives d;
  std::string value = AsciiLower(header);
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string token = value.substr(start, comma - start);
    token.erase(
        std::remove_if(token.begin(), token.end(), [](unsigned char c) { return std::isspace(c); }),
        token.end());
    if (token == "no-cache" || token == "max-age=0") d.no_cache = true;
    if (token == "no-store") d.no_store = true;
    start = comma + 1;
  }
  return d;
}

ResultCache::ResultCache(CacheConfig config, std::unique_ptr<CacheBackend> backend,
                         CacheClock clock)
    : config_(std::move(config)), backend_(std::move(backend)), clock_(std::move(clock)) {}

std::string ResultCache::Key(const Config& config, std::string_view project,
                             const MetricCall& call) {
  RawParams params = call.params;
  std::sort(params.begin(), params.end());
  std::string selection = "all";
  for (const auto& [name, value] : params) {
    if (name == "source") selection = value;
  }
  // Length-prefixed fields: no value can be confused with a separator.
  std::string text;
  auto field = [&text](std::string_view v) {
    text += std::to_string(v.size());
    text += ':';
    text += v;
  };
  field("tributary-cache-v1");
  field(config.fingerprint);
  field(project);
  field(selection);
  field(call.pack);
  field(call.metric);
  for (const auto& [name, value] : params) {
    field(name);
    field(value);
  }
  return Sha256Hex(text);
}

int64_t ResultCache::TtlSeconds(const ProjectConfig& project, std::string_view pack,
                                std::string_view metric, int64_t pack_ttl_seconds) {
  const auto& ttls = project.cache.ttl_seconds;
  std::string qualified(pack);
  qualified += '.';
  qualified += metric;
  for (const std::string& name : {qualified, std::string(metric), std::string("default")}) {
    if (auto it = ttls.find(name); it != ttls.end()) return it->second;
  }
  return pack_ttl_seconds;
}

void ResultCache::Count(const std::string& project, int64_t CacheRequestCounts::*member) {
  std::lock_guard lock(counts_mu_);
  counts_.*member += 1;
  project_counts_[project].*member += 1;
}

void ResultCache::BackendFailed(const Status& status) {
  {
    std::lock_guard lock(counts_mu_);
    counts_.backend_errors += 1;
  }
  Metrics::Global().RecordCacheEvent(backend_->name(), "error");
  // Logged when it starts failing (and when it is back), not once per request.
  if (backend_ok_.exchange(false)) {
    spdlog::warn("result cache ({}) unavailable, serving uncached: {}", backend_->name(),
                 status.ToString());
  }
}

CachedMetricRun ResultCache::FromEntry(const CachedAnswer& entry, const MetricCall& call,
                                       bool stale, int64_t now_us) {
  CachedMetricRun run;
  MetricAnswer answer;
  answer.project = entry.project;
  answer.pack = call.pack;
  answer.metric = call.metric;
  answer.data_json = entry.prefix.substr(entry.data_offset, entry.data_size);
  answer.cached = true;
  for (const auto& id : entry.sources) {
    SourceOutcome s;
    s.id = id;
    s.status = "ok";
    answer.sources.push_back(std::move(s));
  }
  run.answer = std::move(answer);
  const int64_t age = std::max<int64_t>(0, (now_us - entry.stored_at_us) / 1000000);
  run.envelope.reserve(entry.prefix.size() + 96);
  run.envelope = entry.prefix;
  run.envelope.append("\"cached\":true,\"cachedAt\":\"");
  run.envelope.append(FormatTimestamp(entry.stored_at_us / 1000000 * 1000000));
  run.envelope.append("\",\"ageSeconds\":");
  run.envelope.append(std::to_string(age));
  if (stale) run.envelope.append(",\"stale\":true");
  run.envelope.append("}}");
  run.headers.emplace_back("Age", std::to_string(age));
  run.headers.emplace_back("Cache-Control", MaxAgeHeader(stale ? 0 : entry.ttl_ms / 1000 - age));
  return run;
}

CachedMetricRun ResultCache::FromFlight(Flight& flight, const MetricCall& call) {
  std::lock_guard lock(flight.mu);
  CachedMetricRun run;
  run.answer = flight.answer;
  if (flight.entry) {
    run.envelope = flight.entry->prefix;
    run.envelope.append("\"cached\":false}}");
    run.headers.emplace_back("Cache-Control", MaxAgeHeader(flight.entry->ttl_ms / 1000));
  }
  (void)call;
  return run;
}

void ResultCache::Compute(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                          const std::string& key, int64_t ttl_ms, bool store,
                          const std::shared_ptr<Flight>& flight) {
  MetricCall c = call;
  c.cancel = flight->cancel;
  Result<MetricAnswer> answer = RunMetric(*runtime, c);
  std::shared_ptr<const CachedAnswer> entry;
  if (answer.ok() && IsFullAnswer(*answer)) {
    auto e = std::make_shared<CachedAnswer>();
    e->project = answer->project;
    for (const auto& s : answer->sources) {
      if (s.status == "ok") e->sources.push_back(s.id);
    }
    e->prefix = MetricEnvelopePrefix(*answer);
    // The prefix starts with {"data": and the data JSON ("null" when empty).
    e->data_offset = 8;
    e->data_size = answer->data_json.empty() ? 4 : answer->data_json.size();
    e->stored_at_us = clock_();
    e->ttl_ms = ttl_ms;
    entry = std::move(e);
    // A clear since the computation began wins over its (possibly older) answer.
    if (store && flight->epoch == epoch_.load()) {
      const int64_t retain = config_.stale_while_revalidate ? 2 * ttl_ms : ttl_ms;
      if (Status st = backend_->Put(key, entry, retain); !st.ok()) BackendFailed(st);
    }
  }
  {
    std::lock_guard lock(flights_mu_);
    auto it = flights_.find(key);
    if (it != flights_.end() && it->second == flight) flights_.erase(it);
  }
  {
    std::lock_guard lock(flight->mu);
    flight->done = true;
    flight->entry = std::move(entry);
    flight->answer = std::move(answer);
  }
  flight->cv.notify_all();
}

bool ResultCache::StartRefresh(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                               const std::string& key, int64_t ttl_ms) {
  auto flight = std::make_shared<Flight>();
  {
    std::lock_guard lock(flights_mu_);
    if (flights_.count(key)) return false;
    // The refresh itself is a waiter that never leaves: clients joining and leaving it must
    // not cancel it.
    flight->waiters = 1;
    flight->epoch = epoch_.load();
    flights_[key] = flight;
  }
  try {
    std::thread([self = shared_from_this(), runtime, call, key, ttl_ms, flight] {
      self->Compute(runtime, call, key, ttl_ms, /*store=*/true, flight);
    }).detach();
  } catch (const std::system_error& e) {
    spdlog::warn("result cache: cannot start a background refresh: {}", e.what());
    std::lock_guard lock(flights_mu_);
    flights_.erase(key);
    return false;
  }
  return true;
}

std::optional<ResultCache::Lookup> ResultCache::Prepare(const Runtime& runtime,
                                                        const MetricCall& call,
                                                        CacheDirectives directives) const {
  const Config& config = runtime.config();
  Lookup lookup;
  lookup.project = call.project.empty() ? config.default_project : call.project;
  const ProjectConfig* project_config = config.FindProject(lookup.project);
  const MetricDef* metric = FindMetric(runtime, call.pack, call.metric);
  // Unknown names: RunMetric explains what exists.
  if (!project_config || !metric || !project_config->cache.enabled || directives.no_store) {
    return std::nullopt;
  }
  const int64_t ttl_seconds =
      TtlSeconds(*project_config, call.pack, call.metric, metric->ttl_seconds);
  if (ttl_seconds <= 0) return std::nullopt;
  lookup.ttl_ms = ttl_seconds * 1000;
  lookup.key = Key(config, lookup.project, call);
  return lookup;
}

std::optional<CachedMetricRun> ResultCache::TryFreshHit(const Runtime& runtime,
                                                        const MetricCall& call,
                                                        CacheDirectives directives) {
  if (!backend_->in_process() || directives.no_cache) return std::nullopt;
  std::optional<Lookup> lookup = Prepare(runtime, call, directives);
  if (!lookup) return std::nullopt;
  Result<std::shared_ptr<const CachedAnswer>> found = backend_->Get(lookup->key);
  if (!found.ok() || !*found) return std::nullopt;
  const CachedAnswer& entry = **found;
  const int64_t now = clock_();
  if ((now - entry.stored_at_us) / 1000 >= entry.ttl_ms) return std::nullopt;
  return FreshHit(lookup->project, entry, call, now);
}

CachedMetricRun ResultCache::FreshHit(const std::string& project, const CachedAnswer& entry,
                                      const MetricCall& call, int64_t now_us) {
  Count(project, &CacheRequestCounts::hits);
  Metrics::Global().RecordCacheEvent(backend_->name(), "hit");
  return FromEntry(entry, call, /*stale=*/false, now_us);
}

CachedMetricRun ResultCache::Run(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                                 const CancelToken& client, CacheDirectives directives) {
  std::optional<Lookup> lookup = Prepare(*runtime, call, directives);
  if (!lookup) return Direct(*runtime, call, client);
  const std::string& project = lookup->project;
  const std::string& key = lookup->key;
  const int64_t ttl_ms = lookup->ttl_ms;

  if (!directives.no_cache) {
    Result<std::shared_ptr<const CachedAnswer>> found = backend_->Get(key);
    if (!found.ok()) {
      BackendFailed(found.status());
    } else if (!backend_ok_.exchange(true)) {
      spdlog::info("result cache ({}) available again", backend_->name());
    }
    if (found.ok() && *found) {
      const CachedAnswer& entry = **found;
      const int64_t now = clock_();
      const int64_t age_ms = (now - entry.stored_at_us) / 1000;
      if (age_ms < entry.ttl_ms) return FreshHit(project, entry, call, now);
      if (config_.stale_while_revalidate && age_ms < 2 * entry.ttl_ms &&
          StartRefresh(runtime, call, key, ttl_ms)) {
        Count(project, &CacheRequestCounts::hits);
        Count(project, &CacheRequestCounts::stale_hits);
        Count(project, &CacheRequestCounts::refreshes);
        Metrics::Global().RecordCacheEvent(backend_->name(), "stale_hit");
        return FromEntry(entry, call, /*stale=*/true, now);
      }
      // Too old, or a refresh is already running: wait for it below.
    }
  }
  Count(project, &CacheRequestCounts::misses);
  Metrics::Global().RecordCacheEvent(backend_->name(), "miss");

  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mu_);
    auto it = flights_.find(key);
    if (it != flights_.end()) {
      std::lock_guard flight_lock(it->second->mu);
      // A computation every client left is being cancelled: never join it, start anew.
      if (!it->second->cancel.cancelled()) {
        flight = it->second;
        flight->waiters += 1;
      }
    }
    if (!flight) {
      flight = std::make_shared<Flight>();
      flight->waiters = 1;
      flight->epoch = epoch_.load();
      flights_[key] = flight;
      leader = true;
    }
  }
  if (!leader) Count(project, &CacheRequestCounts::coalesced);

  // This client leaving: one waiter fewer; the computation stops when none is left.
  auto left = std::make_shared<bool>(false);
  auto leave = [flight, left] {
    {
      std::lock_guard lock(flight->mu);
      if (flight->done || *left) return;
      *left = true;
      flight->waiters -= 1;
      if (flight->waiters == 0) {
        flight->cancel.Cancel("every client waiting for this metric disconnected");
      }
    }
    flight->cv.notify_all();
  };
  CancelRegistration registration(client, leave);
  if (leader) {
    Compute(runtime, call, key, ttl_ms, /*store=*/true, flight);
  } else {
    std::unique_lock lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done || *left; });
    if (!flight->done) {
      CachedMetricRun run;
      run.answer = Cancelled("client disconnected while waiting for an identical request");
      return run;
    }
  }
  return FromFlight(*flight, call);
}

Result<int64_t> ResultCache::Clear(std::string_view project, std::string_view source) {
  epoch_.fetch_add(1);
  Result<int64_t> cleared = backend_->Clear(project, source);
  if (!cleared.ok()) BackendFailed(cleared.status());
  return cleared;
}

CacheStatsSnapshot ResultCache::Stats() {
  CacheStatsSnapshot s;
  s.backend = std::string(backend_->name());
  s.health = backend_->Health();
  Result<BackendStats> storage = backend_->Stats();
  if (storage.ok()) {
    s.storage = std::move(storage).value();
  } else if (s.health.ok()) {
    s.health = storage.status();
  }
  std::lock_guard lock(counts_mu_);
  s.requests = counts_;
  s.project_requests = project_counts_;
  return s;
}

std::shared_ptr<ResultCache> MakeResultCache(const Config& config,
                                             const std::shared_ptr<ResultCache>& previous,
                                             const std::shared_ptr<RedisClient>& redis) {
  if (!config.cache.enabled) return nullptr;
  if (previous && previous->config() == config.cache) {
    if (config.cache.backend == "memory" || previous->redis() == redis) return previous;
  }
  if (config.cache.backend == "redis") {
    // The config check guarantees a redis: section; without a client there is nothing to use.
    if (!redis) return nullptr;
    auto cache =
        std::make_shared<ResultCache>(config.cache, std::make_unique<RedisCacheBackend>(redis));
    cache->set_redis(redis);
    return cache;
  }
  return std::make_shared<ResultCache>(
      config.cache, std::make_unique<MemoryCacheBackend>(config.cache.max_bytes));
}

std::optional<CachedMetricRun> TryCachedMetricHit(const Runtime& runtime, const MetricCall& call,
                                                  std::string_view cache_control) {
  const std::shared_ptr<ResultCache>& cache = runtime.cache();
  if (!cache) return std::nullopt;
  return cache->TryFreshHit(runtime, call, ParseCacheControl(cache_control));
}

CachedMetricRun RunMetricCached(const std::shared_ptr<Runtime>& runtime, const MetricCall& call,
                                const CancelToken& client, std::string_view cache_control) {
  const std::shared_ptr<ResultCache>& cache = runtime->cache();
  if (!cache) return Direct(*runtime, call, client);
  return cache->Run(runtime, call, client, ParseCacheControl(cache_control));
}

Status CheckCacheSettings(const Config& config, const PackCatalog& packs) {
  std::vector<std::string> names;
  for (const auto& pack : packs.packs()) {
    for (const auto& metric : pack.metrics) {
      names.push_back(metric.name);
      names.push_back(pack.name + "." + metric.name);
    }
  }
  for (const auto& project : config.projects) {
    for (const auto& [name, seconds] : project.cache.ttl_seconds) {
      if (name == "default" || std::find(names.begin(), names.end(), name) != names.end()) {
        continue;
      }
      const SourceLocation& where = project.cache.ttl_locations.count(name)
                                        ? project.cache.ttl_locations.at(name)
                                        : project.location;
      return ConfigError(where.ToString() + ": projects." + project.id + ".cache.ttl_seconds." +
                         name + ": no pack has a metric '" + name + "'; " +
                         config_internal::DidYouMean(name, names) +
                         "write a metric name, pack.metric or default (metrics: " +
                         config_internal::JoinNames(names) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace tributary
