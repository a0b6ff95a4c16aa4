#include "server/metrics_api.h"

#include <algorithm>

#include "cache/result_cache.h"
#include "core/json_out.h"
#include "core/time_util.h"
#include "metrics/metric_runner.h"
#include "server/api_types.h"
#include "server/http_util.h"

namespace tributary {

namespace {

void WriteField(JsonOut& out, const PackField& field) {
  out.StartObject();
  out.Key("name").String(field.name);
  out.Key("type").String(FieldTypeName(field.type));
  out.Key("nullable").Bool(field.nullable);
  if (!field.description.empty()) out.Key("description").String(field.description);
  if (!field.fields.empty()) {
    out.Key("fields").StartArray();
    for (const auto& f : field.fields) WriteField(out, f);
    out.EndArray();
  }
  out.EndObject();
}

//! A metric's merge rule as pack.yaml writes it (docs/packs.md, "Merge rules").
void WriteMergeRule(JsonOut& out, const MergeRule& rule) {
  out.StartObject();
  if (!rule.key.empty()) {
    out.Key("key").StartArray();
    for (const auto& k : rule.key) out.String(k);
    out.EndArray();
  }
  if (!rule.fields.empty()) {
    out.Key("fields").StartObject();
    for (const auto& f : rule.fields) {
      out.Key(f.field);
      switch (f.kind) {
        case MergeKind::kObject:
        case MergeKind::kList:
          WriteMergeRule(out, *f.nested);
          break;
        case MergeKind::kGrowth:
          out.StartObject().Key("growth").StartArray().String(f.ref).String(f.ref2).EndArray();
          out.EndObject();
          break;
        case MergeKind::kMean:
        case MergeKind::kShare:
        case MergeKind::kRate:
        case MergeKind::kPrevRate:
        case MergeKind::kPrevDrop:
          out.StartObject().Key(MergeKindName(f.kind)).String(f.ref).EndObject();
          break;
        default:
          out.String(MergeKindName(f.kind));
      }
    }
    out.EndObject();
  }
  if (!rule.order.empty()) {
    out.Key("order").StartArray();
    for (const auto& o : rule.order) out.String((o.descending ? "-" : "") + o.field);
    out.EndArray();
  }
  if (rule.limit) out.Key("limit").Int(*rule.limit);
  if (!rule.limit_param.empty()) out.Key("limit").String(rule.limit_param);
  if (!rule.offset_param.empty()) out.Key("offset").String(rule.offset_param);
  out.EndObject();
}

void WriteWindowParams(JsonOut& out, WindowKind window) {
  auto int_param = [&](const char* name, int64_t min, int64_t max, int64_t def, const char* what) {
    out.StartObject();
    out.Key("name").String(name);
    out.Key("type").String("int");
    out.Key("min").Int(min);
    out.Key("max").Int(max);
    out.Key("default").Int(def);
    out.Key("required").Bool(false);
    out.Key("description").String(what);
    out.EndObject();
  };
  auto date_param = [&](const char* name, const char* what) {
    out.StartObject();
    out.Key("name").String(name);
    out.Key("type").String("date");
    out.Key("required").Bool(false);
    out.Key("description").String(what);
    out.EndObject();
  };
  switch (window) {
    case WindowKind::kRange:
      date_param("start", "first UTC date, inclusive (with end; default: the last 'days' days)");
      date_param("end", "last UTC date, inclusive; at most 366 days after start");
      int_param("days", 1, 366, 30, "when start and end are absent: the N days ending today");
      break;
    case WindowKind::kDays:
      int_param("days", 1, 366, 30, "the N calendar days ending today, today included");
      break;
    case WindowKind::kHours:
      int_param("hours", 1, 720, 24, "the N hours before now");
      break;
    case WindowKind::kNone:
    case WindowKind::kLast24Hours:
      break;
  }
  out.StartObject();
  out.Key("name").String("asOf");
  out.Key("type").String("timestamp");
  out.Key("required").Bool(false);
  out.Key("description").String("ISO-8601 time that windows are computed from (default: now)");
  out.EndObject();
}

void WriteParam(JsonOut& out, const PackParam& p) {
  out.StartObject();
  out.Key("name").String(p.name);
  switch (p.type) {
    case PackParam::Type::kInt:
      out.Key("type").String("int");
      out.Key("min").Int(p.min);
      out.Key("max").Int(p.max);
      if (p.default_int) out.Key("default").Int(*p.default_int);
      out.Key("required").Bool(!p.default_int.has_value());
      break;
    case PackParam::Type::kString:
      out.Key("type").String("string");
      if (!p.pattern.empty()) out.Key("pattern").String(p.pattern);
      out.Key("required").Bool(false);
      break;
    case PackParam::Type::kList:
      out.Key("type").String("list");
      if (!p.item_pattern.empty()) out.Key("itemPattern").String(p.item_pattern);
      out.Key("minItems").Int(p.min_items);
      out.Key("maxItems").Int(p.max_items);
      out.Key("default").StartArray();
      for (const auto& item : p.default_list) out.String(item);
      out.EndArray();
      out.Key("required").Bool(false);
      break;
  }
  if (!p.description.empty()) out.Key("description").String(p.description);
  out.EndObject();
}

ApiResponse ListPacks(const ApiRequest& req) {
  const auto& packs = req.runtime->packs();
  if (!packs.ok()) return ErrorResponse(packs.status(), req.request_id);
  JsonOut out;
  out.StartObject();
  out.Key("packs").StartArray();
  for (const auto& pack : (*packs)->packs()) {
    out.StartObject();
    out.Key("name").String(pack.name);
    out.Key("title").String(pack.title);
    out.Key("dataset").String(pack.dataset);
    out.Key("dialects").StartArray();
    for (const auto& [name, d] : pack.dialects) out.String(name);
    out.EndArray();
    out.Key("metrics").StartArray();
    for (const auto& metric : pack.metrics) {
      out.StartObject();
      out.Key("name").String(metric.name);
      out.Key("title").String(metric.title);
      out.Key("window").String(WindowKindName(metric.window));
      out.Key("ttlSeconds").Int(metric.ttl_seconds);
      out.Key("params").StartArray();
      WriteWindowParams(out, metric.window);
      for (const auto& p : metric.params) WriteParam(out, p);
      out.EndArray();
      out.Key("result").StartObject();
      out.Key("shape").String(metric.object_shape ? "object" : "list");
      out.Key("fields").StartArray();
      for (const auto& f : metric.fields) WriteField(out, f);
      out.EndArray();
      out.EndObject();
      out.Key("merge");
      WriteMergeRule(out, metric.merge);
      out.Key("dialects").StartArray();
      for (const auto& [name, d] : pack.dialects) {
        if (d.metrics.count(metric.name)) out.String(name);
      }
      out.EndArray();
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return JsonResponse(out.Take());
}

ApiResponse ListProjects(const ApiRequest& req) {
  const Config& config = req.runtime->config();
  const auto& packs = req.runtime->packs();
  JsonOut out;
  out.StartObject();
  out.Key("defaultProject");
  // A key that may not use the default project does not learn its name.
  config.default_project.empty() || !req.caller.SeesProject(config.default_project)
      ? out.Null()
      : out.String(config.default_project);
  out.Key("projects").StartArray();
  for (const auto& project : config.projects) {
    if (!req.caller.SeesProject(project.id)) continue;
    out.StartObject();
    out.Key("id").String(project.id);
    out.Key("sources").StartArray();
    for (const auto& s : project.sources) out.String(s);
    out.EndArray();
    out.Key("datasets").StartObject();
    for (const auto& [name, bindings] : project.datasets) {
      // `source`/`table` are the (first) binding's; a dataset split across sources also
      // lists every binding.
      out.Key(name).StartObject();
      out.Key("source").String(bindings.front().source);
      out.Key("table").String(bindings.front().table);
      if (bindings.size() > 1) {
        out.Key("bindings").StartArray();
        for (const auto& binding : bindings) {
          out.StartObject();
          out.Key("source").String(binding.source);
          out.Key("table").String(binding.table);
          out.EndObject();
        }
        out.EndArray();
      }
      out.EndObject();
    }
    out.EndObject();
    // The packs whose dataset this project binds: what its dashboards can show.
    out.Key("packs").StartArray();
    if (packs.ok()) {
      for (const auto& pack : (*packs)->packs()) {
        if (project.datasets.count(pack.dataset)) out.String(pack.name);
      }
    }
    out.EndArray();
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return JsonResponse(out.Take());
}

//! The error answer for a metric whose sources all failed: 504 when every one timed out,
//! else 502, with each source's outcome so the caller sees which and why.
ApiResponse SourceFailureResponse(const MetricAnswer& answer, std::string_view request_id) {
  bool all_timeouts = std::all_of(answer.sources.begin(), answer.sources.end(),
                                  [](const SourceOutcome& s) { return s.status == "timeout"; });
  JsonOut out;
  out.StartObject();
  out.Key("error").StartObject();
  out.Key("code").String(ErrorCodeName(answer.failure.code()));
  out.Key("message").String("metric " + answer.pack + "/" + answer.metric + ": " +
                            std::string(answer.failure.message()));
  out.Key("requestId").String(request_id);
  out.EndObject();
  out.Key("sources").StartArray();
  for (const auto& s : answer.sources) {
    out.StartObject();
    out.Key("id").String(s.id);
    out.Key("status").String(s.status);
    if (!s.error.ok()) {
      out.Key("code").String(ErrorCodeName(s.error.code()));
      out.Key("message").String(s.error.message());
    }
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  ApiResponse r = JsonResponse(out.Take(), all_timeouts ? 504 : 502);
  r.error_code = std::string(ErrorCodeName(answer.failure.code()));
  return r;
}

//! Runs a metric and answers either the answer or the HTTP error for it.
struct MetricOutcome {
  std::optional<MetricAnswer> answer;
  ApiResponse error;
  //! The envelope the result cache wrote (meta.cached, cachedAt, ...); empty: render `answer`.
  std::string envelope;
  //! Age and Cache-Control for a cacheable answer.
  std::vector<std::pair<std::string, std::string>> cache_headers;
};

MetricOutcome OutcomeOf(const ApiRequest& req, CachedMetricRun cached) {
  MetricOutcome outcome;
  outcome.envelope = std::move(cached.envelope);
  outcome.cache_headers = std::move(cached.headers);
  Result<MetricAnswer> answer = std::move(cached.answer);
  if (!answer.ok()) {
    outcome.error = ErrorResponse(answer.status(), req.request_id);
  } else if (!answer->failure.ok()) {
    outcome.error = SourceFailureResponse(*answer, req.request_id);
  } else {
    outcome.answer = std::move(answer).value();
  }
  return outcome;
}

MetricOutcome Run(const ApiRequest& req, MetricCall call) {
  call.cancel = req.cancel;
  // Through the result cache (single flight, stale-while-revalidate, Cache-Control).
  return OutcomeOf(req,
                   RunMetricCached(req.runtime, call, req.cancel, req.Header("cache-control")));
}

Result<MetricCall> MetricCallOf(const ApiRequest& req) {
  TRIB_ASSIGN_OR_RETURN(RawParams params, ParseQueryString(req.query));
  MetricCall call;
  call.project = req.path_params.at("project");
  call.pack = req.path_params.at("pack");
  call.metric = req.path_params.at("metric");
  call.params = std::move(params);
  return call;
}

ApiResponse MetricResponse(MetricOutcome outcome) {
  if (!outcome.answer) return std::move(outcome.error);
  ApiResponse r = JsonResponse(outcome.envelope.empty() ? MetricEnvelopeJson(*outcome.answer)
                                                        : std::move(outcome.envelope));
  r.headers = std::move(outcome.cache_headers);
  return r;
}

ApiResponse GetMetric(const ApiRequest& req) {
  Result<MetricCall> call = MetricCallOf(req);
  if (!call.ok()) return ErrorResponse(call.status(), req.request_id);
  return MetricResponse(Run(req, std::move(call).value()));
}

//! GetMetric's answer when it is a fresh in-process cache hit, which needs no worker thread;
//! nullopt sends the request to GetMetric on the worker pool.
std::optional<ApiResponse> GetMetricIfCached(const ApiRequest& req) {
  Result<MetricCall> call = MetricCallOf(req);
  if (!call.ok()) return std::nullopt;
  std::optional<CachedMetricRun> hit =
      TryCachedMetricHit(*req.runtime, *call, req.Header("cache-control"));
  if (!hit) return std::nullopt;
  return MetricResponse(OutcomeOf(req, std::move(*hit)));
}

// ---- Compatibility routes ----------------------------------------------------------------------

//! Old query parameter names onto the v1 ones; anything the target metric does not accept is
//! dropped, as the old backends ignored parameters a metric did not use.
RawParams TranslateCompatParams(const RawParams& given, const MetricDef* metric) {
  std::vector<std::string> accepted;
  if (metric) accepted = AcceptedParams(*metric);
  accepted.push_back("source");
  RawParams out;
  for (const auto& [name, value] : given) {
    std::string v1 = name == "startDate" ? "start" : name == "endDate" ? "end" : name;
    if (std::find(accepted.begin(), accepted.end(), v1) == accepted.end()) continue;
    out.emplace_back(std::move(v1), value);
  }
  // An old dashboard may send days alongside start/end; the explicit range wins.
  bool has_range = std::any_of(
      out.begin(), out.end(), [](const auto& p) { return p.first == "start" || p.first == "end"; });
  if (has_range) {
    out.erase(
        std::remove_if(out.begin(), out.end(), [](const auto& p) { return p.first == "days"; }),
        out.end());
  }
  return out;
}

const MetricDef* FindMetricDef(const ApiRequest& req, std::string_view pack,
                               std::string_view metric) {
  const auto& packs = req.runtime->packs();
  if (!packs.ok()) return nullptr;
  const Pack* p = (*packs)->Find(pack);
  return p ? p->FindMetric(metric) : nullptr;
}

struct CompatName {
  const char* old_name;
  const char* metric;
};
constexpr CompatName kLlmCompatNames[] = {
    {"realtime", "realtime_kpi"},   {"hourly", "hourly_traffic"},   {"daily", "daily_traffic"},
    {"tenants", "tenant_usage"},    {"heatmap", "usage_heatmap"},   {"errors", "error_analysis"},
    {"tokens", "token_efficiency"}, {"anomalies", "anomaly_stats"}, {"cost", "cost_trend"},
    {"patterns", "query_patterns"}, {"logs", "sample_logs"},
};

ApiResponse CompatBigQueryMetric(const ApiRequest& req) {
  const std::string& name = req.path_params.at("name");
  const CompatName* found = nullptr;
  std::string known;
  for (const auto& n : kLlmCompatNames) {
    if (name == n.old_name) found = &n;
    known += (known.empty() ? "" : ", ") + std::string(n.old_name);
  }
  if (!found) {
    return ErrorResponse(NotFound("unknown metric '" + name + "'; metrics: " + known),
                         req.request_id);
  }
  Result<RawParams> params = ParseQueryString(req.query);
  if (!params.ok()) return ErrorResponse(params.status(), req.request_id);
  MetricCall call;
  call.project = req.path_params.at("project");
  call.pack = "llm";
  call.metric = found->metric;
  call.params = TranslateCompatParams(*params, FindMetricDef(req, "llm", found->metric));
  MetricOutcome outcome = Run(req, std::move(call));
  if (!outcome.answer) return outcome.error;
  // The old routes answered the bare result.
  return JsonResponse(outcome.answer->data_json);
}

//! The old analytics envelope: {success, data, metadata: {sources, timestamp, cached}}.
std::string CompatEnvelope(const std::string& data_json, const std::vector<MetricAnswer>& parts) {
  std::vector<std::string> sources;
  bool cached = !parts.empty();
  for (const auto& a : parts) {
    cached = cached && a.cached;
    for (const auto& s : a.sources) {
      if (std::find(sources.begin(), sources.end(), s.id) == sources.end()) sources.push_back(s.id);
    }
  }
  JsonOut meta;
  meta.StartObject();
  meta.Key("sources").StartArray();
  for (const auto& s : sources) meta.String(s);
  meta.EndArray();
  meta.Key("timestamp").String(FormatTimestamp(NowMicros() / 1000 * 1000));
  meta.Key("cached").Bool(cached);
  meta.EndObject();
  return "{\"success\":true,\"data\":" + data_json + ",\"metadata\":" + meta.Take() + "}";
}

//! The old analytics error shape: {success: false, error: {code, message, requestId}}.
ApiResponse CompatError(ApiResponse error) {
  if (error.body.size() > 1 && error.body.front() == '{') {
    error.body = "{\"success\":false," + error.body.substr(1);
  }
  return error;
}

//! Runs web-pack metrics for the compatibility analytics routes; `project` may be given as a
//! query parameter, else the default project answers.
struct CompatRun {
  std::vector<MetricAnswer> answers;
  std::optional<ApiResponse> error;
};

CompatRun RunWebMetrics(const ApiRequest& req,
                        const std::vector<std::pair<std::string, std::string>>& metrics) {
  CompatRun run;
  Result<RawParams> params = ParseQueryString(req.query);
  if (!params.ok()) {
    run.error = CompatError(ErrorResponse(params.status(), req.request_id));
    return run;
  }
  std::string project;
  RawParams rest;
  for (auto& [name, value] : *params) {
    if (name == "project") {
      project = value;
    } else {
      rest.emplace_back(name, value);
    }
  }
  for (const auto& [metric, unused] : metrics) {
    MetricCall call;
    call.project = project;
    call.pack = "web";
    call.metric = metric;
    call.params = TranslateCompatParams(rest, FindMetricDef(req, "web", metric));
    MetricOutcome outcome = Run(req, std::move(call));
    if (!outcome.answer) {
      run.error = CompatError(std::move(outcome.error));
      return run;
    }
    run.answers.push_back(std::move(*outcome.answer));
  }
  return run;
}

ApiResponse CompatAnalyticsMetrics(const ApiRequest& req) {
  const std::vector<std::pair<std::string, std::string>> metrics = {{"summary", "summary"},
                                                                    {"daily", "dailyMetrics"},
                                                                    {"features", "featureMetrics"},
                                                                    {"clients", "clientMetrics"}};
  CompatRun run = RunWebMetrics(req, metrics);
  if (run.error) return *run.error;
  std::string data = "{";
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (i) data += ",";
    data += "\"" + metrics[i].second + "\":" + run.answers[i].data_json;
  }
  data += "}";
  return JsonResponse(CompatEnvelope(data, run.answers));
}

ApiResponse CompatKpis(const ApiRequest& req) {
  CompatRun run = RunWebMetrics(req, {{"kpis", ""}});
  if (run.error) return *run.error;
  return JsonResponse(CompatEnvelope(run.answers[0].data_json, run.answers));
}

ApiResponse CompatSessionTrends(const ApiRequest& req) {
  CompatRun run = RunWebMetrics(req, {{"session_trends", ""}});
  if (run.error) return *run.error;
  return JsonResponse(CompatEnvelope(run.answers[0].data_json, run.answers));
}

}  // namespace

void AddMetricRoutes(Router& router) {
  router.Add("GET", "/api/v1/packs", ListPacks, false, RouteAccess::Read());
  router.Add("GET", "/api/v1/projects", ListProjects, false, RouteAccess::Read());
  router.Add("GET", "/api/v1/projects/{project}/metrics/{pack}/{metric}", GetMetric,
             /*blocking=*/true, RouteAccess::Read(ProjectFrom::kPath));
  router.SetFastPath("GET", "/api/v1/projects/{project}/metrics/{pack}/{metric}",
                     GetMetricIfCached);
  router.Add("GET", "/projects/{project}/bigquery/metrics/{name}", CompatBigQueryMetric,
             /*blocking=*/true, RouteAccess::Read(ProjectFrom::kPath));
  router.Add("GET", "/api/metrics", CompatAnalyticsMetrics, /*blocking=*/true,
             RouteAccess::Read(ProjectFrom::kQueryParam));
  router.Add("GET", "/api/analytics/kpis", CompatKpis, /*blocking=*/true,
             RouteAccess::Read(ProjectFrom::kQueryParam));
  router.Add("GET", "/api/analytics/sessions/trends", CompatSessionTrends, /*blocking=*/true,
             RouteAccess::Read(ProjectFrom::kQueryParam));
}

}  // namespace tributary
