#include "server/api.h"

#include "common/metrics.h"
#include "core/json_out.h"
#include "core/result_writer.h"
#include "core/time_util.h"
#include "mcp/mcp_http.h"
#include "orchestrator/query_service.h"
#include "server/admin_api.h"
#include "server/auth.h"
#include "server/cache_api.h"
#include "server/http_util.h"
#include "server/import_api.h"
#include "server/import_manager.h"
#include "server/investigate_api.h"
#include "server/metrics_api.h"
#include "server/query_body.h"

namespace tributary {

ApiResponse ErrorResponse(const Status& status, std::string_view request_id) {
  return ErrorResponse(ToHttpStatus(status.code()), ErrorCodeName(status.code()), status.message(),
                       request_id);
}

ApiResponse ErrorResponse(int http_status, std::string_view code, std::string_view message,
                          std::string_view request_id) {
  ApiResponse r;
  r.status = http_status;
  r.body = ErrorBody(code, message, request_id);
  r.error_code = std::string(code);
  return r;
}

ApiResponse JsonResponse(std::string body, int status) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string DescribeSourceProblem(const std::string& source_id, const Status& status) {
  std::string prefix = "source '" + source_id + "': ";
  std::string_view message = status.message();
  // Runtime already prefixes open failures with the source; do not say it twice.
  if (message.substr(0, prefix.size()) == prefix) message.remove_prefix(prefix.size());
  return prefix + std::string(ErrorCodeName(status.code())) + ": " + std::string(message);
}

namespace {

void WriteCapabilities(JsonOut& out, const Capabilities& caps) {
  out.StartObject();
  out.Key("dialect").String(caps.dialect);
  out.Key("schemaIntrospection").Bool(caps.schema_introspection);
  out.Key("parameters").Bool(caps.parameters);
  out.Key("cancellation").Bool(caps.cancellation);
  out.Key("costEstimate").Bool(caps.cost_estimate);
  out.EndObject();
}

void WriteTable(JsonOut& out, const TableInfo& t) {
  out.StartObject();
  out.Key("schema").String(t.schema);
  out.Key("name").String(t.name);
  out.Key("kind").String(t.kind);
  out.EndObject();
}

ApiResponse Healthz(const ApiRequest&) {
  return JsonResponse(R"({"status":"ok"})");
}

ApiResponse Readyz(const ApiRequest& req) {
  const Runtime& rt = *req.runtime;
  std::vector<std::string> reasons;
  for (const auto& source : rt.sources()) {
    SourceHealth h = source->last_health();
    if (h.state == SourceHealth::State::kUnavailable) {
      reasons.push_back(DescribeSourceProblem(source->id(), h.error));
    } else if (h.state == SourceHealth::State::kUnknown) {
      reasons.push_back("source '" + source->id() + "': not health-checked yet");
    }
  }
  JsonOut out;
  out.StartObject();
  if (reasons.empty()) {
    out.Key("status").String("ready");
    out.Key("configVersion").String(rt.config().version());
    out.Key("sources").StartObject();
    for (const auto& source : rt.sources()) {
      out.Key(source->id()).String(HealthStateName(source->last_health().state));
    }
    out.EndObject();
    // A cache backend that is down leaves the server ready (requests run uncached).
    WriteCacheReadiness(out, rt);
    out.EndObject();
    return JsonResponse(out.Take());
  }
  out.Key("status").String("not_ready");
  out.Key("reasons").StartArray();
  for (const auto& r : reasons) out.String(r);
  out.EndArray();
  WriteCacheReadiness(out, rt);
  out.EndObject();
  ApiResponse r = JsonResponse(out.Take(), 503);
  r.error_code = "NOT_READY";
  return r;
}

ApiResponse MetricsPage(const ApiRequest&) {
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = Metrics::Global().Render();
  return r;
}

ApiResponse ListSources(const ApiRequest& req, ImportManager* imports) {
  JsonOut out;
  out.StartObject();
  out.Key("sources").StartArray();
  for (const auto& source : req.runtime->sources()) {
    if (!req.caller.SeesSource(req.runtime->config(), source->id())) continue;
    SourceHealth h = source->last_health();
    const std::string& import_id = source->config().import_id;
    out.StartObject();
    out.Key("id").String(source->id());
    out.Key("type").String(import_id.empty() ? source->config().type : std::string("import"));
    out.Key("status").String(HealthStateName(h.state));
    out.Key("latencyMs");
    if (h.state == SourceHealth::State::kOk) {
      out.Double(static_cast<double>(h.latency.count()) / 1000.0);
    } else {
      out.Null();
    }
    out.Key("checkedAt");
    if (h.checked_at == std::chrono::system_clock::time_point{}) {
      out.Null();
    } else {
      out.String(FormatTimestamp(
          std::chrono::duration_cast<std::chrono::microseconds>(h.checked_at.time_since_epoch())
              .count()));
    }
    out.Key("error");
    if (h.error.ok()) {
      out.Null();
    } else {
      out.StartObject();
      out.Key("code").String(ErrorCodeName(h.error.code()));
      out.Key("message").String(h.error.message());
      out.EndObject();
    }
    // Capabilities describe the engine, never its options: nothing configured leaks here.
    out.Key("capabilities");
    WriteCapabilities(out,
                      source->connector() ? source->connector()->capabilities() : Capabilities{});
    if (source->config().import_target) out.Key("importTarget").Bool(true);
    if (!import_id.empty()) WriteImportInfo(out, imports, import_id);
    out.EndObject();
  }
  WritePendingImports(out, imports, req);
  out.EndArray();
  out.EndObject();
  return JsonResponse(out.Take());
}

ApiResponse ListTables(const ApiRequest& req) {
  const std::string& id = req.path_params.at("id");
  Result<SourceHandle*> source = req.runtime->FindSource(id);
  if (!source.ok()) return ErrorResponse(source.status(), req.request_id);
  Result<std::vector<TableInfo>> tables = (*source)->connector()->ListTables();
  if (!tables.ok()) {
    return ErrorResponse(tables.status().WithContext("source '" + id + "'"), req.request_id);
  }
  JsonOut out;
  out.StartObject();
  out.Key("source").String(id);
  out.Key("tables").StartArray();
  for (const auto& t : *tables) WriteTable(out, t);
  out.EndArray();
  out.EndObject();
  return JsonResponse(out.Take());
}

ApiResponse DescribeTable(const ApiRequest& req) {
  const std::string& id = req.path_params.at("id");
  const std::string& table = req.path_params.at("table");
  Result<SourceHandle*> source = req.runtime->FindSource(id);
  if (!source.ok()) return ErrorResponse(source.status(), req.request_id);
  Result<TableSchema> schema = (*source)->connector()->DescribeTable(table);
  if (!schema.ok()) {
    return ErrorResponse(schema.status().WithContext("source '" + id + "'"), req.request_id);
  }
  JsonOut out;
  out.StartObject();
  out.Key("source").String(id);
  out.Key("table");
  WriteTable(out, schema->table);
  out.Key("columns").StartArray();
  for (const auto& c : schema->columns) {
    out.StartObject();
    out.Key("name").String(c.name);
    out.Key("type").String(ColumnTypeName(c.type));
    out.Key("sourceType").String(c.source_type);
    out.Key("nullable").Bool(c.nullable);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return JsonResponse(out.Take());
}

ApiResponse Query(const ApiRequest& req, ImportManager* imports) {
  Result<UserQuery> query = ParseQueryBody(req.body, req.runtime->config());
  if (!query.ok()) return ErrorResponse(query.status(), req.request_id);
  query->cancel = req.cancel;
  if (query->project.empty()) {
    query->project = ProjectOfSource(req.runtime->config(), req.caller, query->source);
  }
  Result<QueryResult> result = RunUserQuery(*req.runtime, *query);
  if (!result.ok()) return ErrorResponse(result.status(), req.request_id);
  if (const SourceConfig* source = req.runtime->config().FindSource(query->source);
      imports && source && !source->import_id.empty()) {
    imports->Touch(source->import_id);
  }
  ApiResponse r;
  if (WantsCsv(req.accept)) {
    r.content_type = "text/csv; charset=utf-8";
    r.csv = std::make_shared<const QueryResult>(std::move(result).value());
  } else {
    r.body = ResultToJson(*result);
  }
  return r;
}

}  // namespace

Api::Api() {
  router_.Add("GET", "/healthz", Healthz, false, RouteAccess::Public());
  router_.Add("GET", "/readyz", Readyz, false, RouteAccess::Public());
  router_.Add("GET", "/metrics", MetricsPage, false, RouteAccess::Public());
  router_.Add(
      "GET", "/api/v1/sources",
      [this](const ApiRequest& req) { return ListSources(req, imports_.get()); },
      /*blocking=*/true, RouteAccess::Read());
  router_.Add("GET", "/api/v1/sources/{id}/tables", ListTables, /*blocking=*/true,
              RouteAccess::Read(ProjectFrom::kSourcePath));
  router_.Add("GET", "/api/v1/sources/{id}/tables/{table}", DescribeTable, /*blocking=*/true,
              RouteAccess::Read(ProjectFrom::kSourcePath));
  router_.Add(
      "POST", "/api/v1/query", [this](const ApiRequest& req) { return Query(req, imports_.get()); },
      /*blocking=*/true, RouteAccess::Query(ProjectFrom::kQueryBody));
  AddMetricRoutes(router_);
  AddCacheRoutes(router_);
  AddAccessRoutes(router_);
  AddAdminRoutes(router_, &reload_);
  AddImportRoutes(router_, &imports_);
  AddInvestigateRoutes(router_);
  mcp_ = std::make_unique<McpServer>(router_);
  AddMcpRoutes(router_, mcp_.get());
}

Api::~Api() = default;

}  // namespace tributary
