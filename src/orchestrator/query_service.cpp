#include "orchestrator/query_service.h"

#include <chrono>

#include "common/metrics.h"

namespace tributary {

Result<QueryResult> RunUserQuery(const Runtime& runtime, const UserQuery& query) {
  const ServerConfig& server = runtime.config().server;
  if (query.sql.empty()) {
    return InvalidArgument("'sql' is empty: send one SELECT statement");
  }
  int64_t limit = query.limit.value_or(server.default_row_limit);
  if (limit < 1 || limit > server.max_row_limit) {
    return InvalidArgument("'limit' must be between 1 and " + std::to_string(server.max_row_limit) +
                           ", got " + std::to_string(limit));
  }
  int64_t timeout_ms = query.timeout_ms.value_or(server.default_timeout_ms);
  if (timeout_ms < 1 || timeout_ms > server.max_timeout_ms) {
    return InvalidArgument("'timeoutMs' must be between 1 and " +
                           std::to_string(server.max_timeout_ms) + ", got " +
                           std::to_string(timeout_ms));
  }
  TRIB_ASSIGN_OR_RETURN(SourceHandle * source, runtime.FindSource(query.source));

  QueryRequest request;
  request.sql = query.sql;
  request.params = query.params;
  request.max_rows = limit;
  request.max_bytes = server.max_result_bytes;
  request.timeout = std::chrono::milliseconds(timeout_ms);
  request.cancel = query.cancel;

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
