#include "server/api.h"

#include <boost/json.hpp>

#include "common/metrics.h"
#include "core/result_writer.h"
#include "core/time_util.h"
#include "orchestrator/query_service.h"
#include "server/http_util.h"
#include "server/query_body.h"

namespace tributary {

namespace json = boost::json;

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

std::string_view Str(const std::string& s) {
  return s;
}

json::object CapabilitiesJson(const Capabilities& caps) {
  json::object o;
  o["dialect"] = Str(caps.dialect);
  o["schemaIntrospection"] = caps.schema_introspection;
  o["parameters"] = caps.parameters;
  o["cancellation"] = caps.cancellation;
  o["costEstimate"] = caps.cost_estimate;
  return o;
}

json::object TableJson(const TableInfo& t) {
  json::object o;
  o["schema"] = Str(t.schema);
  o["name"] = Str(t.name);
  o["kind"] = Str(t.kind);
  return o;
}

ApiResponse Healthz(const ApiRequest&) {
  return JsonResponse(R"({"status":"ok"})");
}

ApiResponse Readyz(const ApiRequest& req) {
  const Runtime& rt = *req.runtime;
  json::array reasons;
  json::object states;
  for (const auto& source : rt.sources()) {
    SourceHealth h = source->last_health();
    states[source->id()] = HealthStateName(h.state);
    if (h.state == SourceHealth::State::kUnavailable) {
      reasons.emplace_back(DescribeSourceProblem(source->id(), h.error));
    } else if (h.state == SourceHealth::State::kUnknown) {
      reasons.emplace_back("source '" + source->id() + "': not health-checked yet");
    }
  }
  json::object body;
  if (reasons.empty()) {
    body["status"] = "ready";
    body["configVersion"] = rt.config().fingerprint.substr(0, 12);
    body["sources"] = std::move(states);
    return JsonResponse(json::serialize(body));
  }
  body["status"] = "not_ready";
  body["reasons"] = std::move(reasons);
  ApiResponse r = JsonResponse(json::serialize(body), 503);
  r.error_code = "NOT_READY";
  return r;
}

ApiResponse MetricsPage(const ApiRequest&) {
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = Metrics::Global().Render();
  return r;
}

ApiResponse ListSources(const ApiRequest& req) {
  json::array sources;
  for (const auto& source : req.runtime->sources()) {
    SourceHealth h = source->last_health();
    json::object s;
    s["id"] = Str(source->id());
    s["type"] = Str(source->config().type);
    s["status"] = HealthStateName(h.state);
    if (h.state == SourceHealth::State::kOk) {
      s["latencyMs"] = static_cast<double>(h.latency.count()) / 1000.0;
    } else {
      s["latencyMs"] = nullptr;
    }
    if (h.checked_at == std::chrono::system_clock::time_point{}) {
      s["checkedAt"] = nullptr;
    } else {
      s["checkedAt"] = FormatTimestamp(
          std::chrono::duration_cast<std::chrono::microseconds>(h.checked_at.time_since_epoch())
              .count());
    }
    if (h.error.ok()) {
      s["error"] = nullptr;
    } else {
      json::object e;
      e["code"] = ErrorCodeName(h.error.code());
      e["message"] = Str(h.error.message());
      s["error"] = std::move(e);
    }
    // Capabilities describe the engine, never its options: nothing configured leaks here.
    s["capabilities"] = CapabilitiesJson(source->connector() ? source->connector()->capabilities()
                                                             : Capabilities{});
    sources.emplace_back(std::move(s));
  }
  json::object body;
  body["sources"] = std::move(sources);
  return JsonResponse(json::serialize(body));
}

ApiResponse ListTables(const ApiRequest& req) {
  const std::string& id = req.path_params.at("id");
  Result<SourceHandle*> source = req.runtime->FindSource(id);
  if (!source.ok()) return ErrorResponse(source.status(), req.request_id);
  Result<std::vector<TableInfo>> tables = (*source)->connector()->ListTables();
  if (!tables.ok()) {
    return ErrorResponse(tables.status().WithContext("source '" + id + "'"), req.request_id);
  }
  json::array list;
  for (const auto& t : *tables) list.emplace_back(TableJson(t));
  json::object body;
  body["source"] = id;
  body["tables"] = std::move(list);
  return JsonResponse(json::serialize(body));
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
  json::array columns;
  for (const auto& c : schema->columns) {
    json::object o;
    o["name"] = Str(c.name);
    o["type"] = ColumnTypeName(c.type);
    o["sourceType"] = Str(c.source_type);
    o["nullable"] = c.nullable;
    columns.emplace_back(std::move(o));
  }
  json::object body;
  body["source"] = id;
  body["table"] = TableJson(schema->table);
  body["columns"] = std::move(columns);
  return JsonResponse(json::serialize(body));
}

ApiResponse Query(const ApiRequest& req) {
  Result<UserQuery> query = ParseQueryBody(req.body, req.runtime->config());
  if (!query.ok()) return ErrorResponse(query.status(), req.request_id);
  query->cancel = req.cancel;
  Result<QueryResult> result = RunUserQuery(*req.runtime, *query);
  if (!result.ok()) return ErrorResponse(result.status(), req.request_id);
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
  router_.Add("GET", "/healthz", Healthz);
  router_.Add("GET", "/readyz", Readyz);
  router_.Add("GET", "/metrics", MetricsPage);
  router_.Add("GET", "/api/v1/sources", ListSources);
  router_.Add("GET", "/api/v1/sources/{id}/tables", ListTables, /*blocking=*/true);
  router_.Add("GET", "/api/v1/sources/{id}/tables/{table}", DescribeTable, /*blocking=*/true);
  router_.Add("POST", "/api/v1/query", Query, /*blocking=*/true);
}

}  // namespace tributary
