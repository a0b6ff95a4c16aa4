// Runs one user query against one source with the server's defaults and caps applied,
// and records per-source metrics. Shared by the HTTP API and the CLI.
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "core/query_result.h"
#include "orchestrator/runtime.h"

namespace tributary {

struct UserQuery {
  //! The project the query runs for: its `limits` apply and it must use `source`. Empty: none
  //! (server and source limits only).
  std::string project;
  std::string source;
  std::string sql;
  std::vector<Value> params;
  //! Connector-specific options of this one query (QueryRequest::options), e.g. a Prometheus
  //! source's start, end and step. Passed through as they are: the connector rejects a key it
  //! does not know; for the SQL connectors, which define none, RunUserQuery refuses any.
  std::map<std::string, std::string> options;
  //! Rows wanted; defaults to server.default_row_limit; above the effective row cap
  //! (EffectiveQueryLimits) is an error.
  std::optional<int64_t> limit;
  //! Defaults to server.default_timeout_ms; above the effective timeout cap is an error.
  std::optional<int64_t> timeout_ms;
  CancelToken cancel;
};

//! Runs the query with the tightest of the server's, the project's and the source's limits
//! (orchestrator/query_limits.h). NOT_FOUND for an unknown project, INVALID_ARGUMENT when the
//! project does not use the source.
Result<QueryResult> RunUserQuery(const Runtime& runtime, const UserQuery& query);

}  // namespace tributary
