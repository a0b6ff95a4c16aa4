#include "server/cache_api.h"

#include <boost/json.hpp>

#include "cache/result_cache.h"
#include "core/json_value.h"
#include "server/api_types.h"
#include "server/http_util.h"

namespace tributary {

namespace {

namespace json = boost::json;

double HitRatio(const CacheRequestCounts& c) {
  const int64_t lookups = c.hits + c.misses;
  return lookups == 0 ? 0.0 : static_cast<double>(c.hits) / static_cast<double>(lookups);
}

void WriteRequestCounts(JsonOut& out, const CacheRequestCounts& c) {
  out.Key("hits").Int(c.hits);
  out.Key("misses").Int(c.misses);
  out.Key("staleHits").Int(c.stale_hits);
  out.Key("coalesced").Int(c.coalesced);
  out.Key("refreshes").Int(c.refreshes);
  out.Key("hitRatio").Double(HitRatio(c));
}

std::string StatsJson(const Runtime& runtime) {
  const std::shared_ptr<ResultCache>& cache = runtime.cache();
  JsonOut out;
  out.StartObject();
  out.Key("enabled").Bool(cache != nullptr);
  if (!cache) {
    out.Key("backend").String(runtime.config().cache.backend);
    out.Key("status").String("disabled");
    out.Key("entries").Int(0);
    out.Key("bytes").Int(0);
    out.Key("maxBytes").Int(0);
    out.Key("evictions").Int(0);
    WriteRequestCounts(out, {});
    out.Key("projects").StartObject();
    out.EndObject();
    out.EndObject();
    return out.Take();
  }
  CacheStatsSnapshot s = cache->Stats();
  out.Key("backend").String(s.backend);
  out.Key("status").String(s.health.ok() ? "ok" : "unavailable");
  if (!s.health.ok()) out.Key("error").String(s.health.ToString());
  out.Key("entries").Int(s.storage.total.entries);
  out.Key("bytes").Int(s.storage.total.bytes);
  out.Key("maxBytes").Int(s.storage.max_bytes);
  out.Key("evictions").Int(s.storage.total.evictions);
  WriteRequestCounts(out, s.requests);
  out.Key("backendErrors").Int(s.requests.backend_errors);
  // Every configured project, plus any the backend still holds entries for.
  std::vector<std::string> projects;
  for (const auto& p : runtime.config().projects) projects.push_back(p.id);
  for (const auto& [name, unused] : s.storage.projects) {
    if (std::find(projects.begin(), projects.end(), name) == projects.end()) {
      projects.push_back(name);
    }
  }
  out.Key("projects").StartObject();
  for (const auto& name : projects) {
    CacheCounts counts;
    if (auto it = s.storage.projects.find(name); it != s.storage.projects.end()) {
      counts = it->second;
    }
    CacheRequestCounts requests;
    if (auto it = s.project_requests.find(name); it != s.project_requests.end()) {
      requests = it->second;
    }
    out.Key(name).StartObject();
    out.Key("entries").Int(counts.entries);
    out.Key("bytes").Int(counts.bytes);
    out.Key("evictions").Int(counts.evictions);
    WriteRequestCounts(out, requests);
    out.EndObject();
  }
  out.EndObject();
  if (!s.storage.details.empty()) {
    out.Key(s.backend).StartObject();
    for (const auto& [name, value] : s.storage.details) out.Key(name).String(value);
    out.EndObject();
  }
  out.EndObject();
  return out.Take();
}

//! `{"success":true,` + the v1 body's members: the old analytics routes' envelope.
ApiResponse Compat(ApiResponse r) {
  if (r.status == 200 && r.body.size() > 1 && r.body.front() == '{') {
    r.body = "{\"success\":true," + r.body.substr(1);
  } else if (r.body.size() > 1 && r.body.front() == '{') {
    r.body = "{\"success\":false," + r.body.substr(1);
  }
  return r;
}

ApiResponse CacheStats(const ApiRequest& req) {
  return JsonResponse(StatsJson(*req.runtime));
}

//! `project` and `source` from the query string, or from a JSON object body.
Status ReadClearFilter(const ApiRequest& req, std::string& project, std::string& source) {
  TRIB_ASSIGN_OR_RETURN(auto params, ParseQueryString(req.query));
  for (const auto& [name, value] : params) {
    if (name == "project") {
      project = value;
    } else if (name == "source") {
      source = value;
    } else {
      return InvalidArgument("unknown parameter '" + name +
                             "' for cache clear; use project and/or source (or neither to clear "
                             "everything)");
    }
  }
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
  boost::system::error_code ec;
  json::value body = ParseJson(req.body, ec);
  if (ec || !body.is_object()) {
    return InvalidArgument(
        "the body of a cache clear must be a JSON object such as {\"project\": \"web\"} or "
        "empty");
  }
  for (const auto& [key, value] : body.as_object()) {
    if ((key != "project" && key != "source") || !(value.is_string() || value.is_null())) {
      return InvalidArgument("cache clear body: '" + std::string(key) +
                             "' is not allowed; use \"project\" and/or \"source\" as strings");
    }
    if (value.is_null()) continue;
    (key == "project" ? project : source) = std::string(value.get_string());
  }
  return Status::Ok();
}

ApiResponse CacheClear(const ApiRequest& req) {
  std::string project;
  std::string source;
  if (Status st = ReadClearFilter(req, project, source); !st.ok()) {
    return ErrorResponse(st, req.request_id);
  }
  const Config& config = req.runtime->config();
  if (!project.empty() && !config.FindProject(project)) {
    return ErrorResponse(NotFound("unknown project '" + project + "'"), req.request_id);
  }
  if (!source.empty() && !config.FindSource(source)) {
    return ErrorResponse(NotFound("unknown source '" + source + "'"), req.request_id);
  }
  int64_t cleared = 0;
  if (const std::shared_ptr<ResultCache>& cache = req.runtime->cache()) {
    Result<int64_t> n = cache->Clear(project, source);
    if (!n.ok()) {
      return ErrorResponse(n.status().WithContext("clearing the result cache"), req.request_id);
    }
    cleared = *n;
  }
  JsonOut out;
  out.StartObject();
  out.Key("cleared").Int(cleared);
  out.Key("project");
  project.empty() ? out.Null() : out.String(project);
  out.Key("source");
  source.empty() ? out.Null() : out.String(source);
  out.EndObject();
  return JsonResponse(out.Take());
}

}  // namespace

void AddCacheRoutes(Router& router) {
  // Blocking: the Redis backend does network I/O.
  router.Add("GET", "/api/v1/cache/stats", CacheStats, /*blocking=*/true,
             RouteAccess::Admin(ProjectFrom::kAll));
  router.Add("POST", "/api/v1/cache/clear", CacheClear, /*blocking=*/true,
             RouteAccess::Admin(ProjectFrom::kProjectOrAll));
  router.Add(
      "POST", "/api/cache/clear", [](const ApiRequest& r) { return Compat(CacheClear(r)); },
      /*blocking=*/true, RouteAccess::Admin(ProjectFrom::kProjectOrAll));
  router.Add(
      "GET", "/api/analytics/cache/stats",
      [](const ApiRequest& r) { return Compat(CacheStats(r)); },
      /*blocking=*/true, RouteAccess::Admin(ProjectFrom::kAll));
  router.Add(
      "POST", "/api/analytics/cache/clear",
      [](const ApiRequest& r) { return Compat(CacheClear(r)); }, /*blocking=*/true,
      RouteAccess::Admin(ProjectFrom::kProjectOrAll));
}

void WriteCacheReadiness(JsonOut& out, const Runtime& runtime) {
  out.Key("cache").StartObject();
  const std::shared_ptr<ResultCache>& cache = runtime.cache();
  if (!cache) {
    out.Key("backend").String(runtime.config().cache.backend);
    out.Key("status").String("disabled");
  } else {
    Status health = cache->backend().Health();
    out.Key("backend").String(cache->backend().name());
    out.Key("status").String(health.ok() ? "ok" : "unavailable");
    if (!health.ok()) {
      out.Key("error").String(health.ToString());
      out.Key("effect").String("metric requests are served uncached until it is back");
    }
  }
  out.EndObject();
}

}  // namespace tributary
