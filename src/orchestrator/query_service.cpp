#include "orchestrator/query_service.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "common/metrics.h"
#include "orchestrator/query_limits.h"

namespace tributary {

Result<QueryResult> RunUserQuery(const Runtime& runtime, const UserQuery& query) {
  const Config& config = runtime.config();
  if (query.sql.empty()) {
    return InvalidArgument(
        "'sql' is empty: send one query (a SELECT statement, or the query language of the "
        "source, e.g. PromQL for a prometheus source)");
  }
  const ProjectConfig* project = nullptr;
  if (!query.project.empty()) {
    project = config.FindProject(query.project);
    if (!project) {
      return NotFound("unknown project '" + query.project +
                      "'; GET /api/v1/projects lists the projects");
    }
    if (std::find(project->sources.begin(), project->sources.end(), query.source) ==
        project->sources.end()) {
      std::string ids;
      for (const auto& s : project->sources) ids += (ids.empty() ? "" : ", ") + s;
      return InvalidArgument("source '" + query.source +
                             "' is not one of the sources of project '" + project->id + "' (" +
                             ids + "); name one of them, or leave out 'project'");
    }
  }
  TRIB_ASSIGN_OR_RETURN(SourceHandle * source, runtime.FindSource(query.source));
  // Connectors without per-query options would ignore them silently: refuse them here.
  if (!query.options.empty() && source->connector() &&
      !source->connector()->capabilities().query_options) {
    return InvalidArgument("source '" + source->id() + "' (type " + source->config().type +
                           ") takes no per-query options; remove 'options' (--option) or "
                           "query a source whose connector has them, such as prometheus");
  }
  QueryLimits limits = EffectiveQueryLimits(config, project, source->config());
  TRIB_ASSIGN_OR_RETURN(RequestedLimits requested,
                        ApplyRequestedLimits(limits, query.limit, query.timeout_ms));

  QueryRequest request;
  request.sql = query.sql;
  request.params = query.params;
  request.options = query.options;
  request.max_rows = requested.rows;
  request.max_bytes = requested.max_bytes;
  request.timeout = std::chrono::milliseconds(requested.timeout_ms);
  request.cancel = query.cancel;
  request.cost_warn_bytes = limits.cost_warn_bytes;
  request.cost_deny_bytes = limits.cost_deny_bytes;
  request.cost_deny_from = limits.cost_deny_from;

  auto start = std::chrono::steady_clock::now();
  Result<QueryResult> result = source->connector()->Execute(request);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Metrics::Global().RecordSourceQuery(
      source->id(), source->config().type,
      result.ok() ? std::string_view("ok") : ErrorCodeName(result.status().code()), seconds);
  if (!result.ok()) return result.status().WithContext("source '" + source->id() + "'");
  return result;
}

}  // namespace tributary
