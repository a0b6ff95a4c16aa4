// Runs one user query against one source with the server's defaults and caps applied,
// and records per-source metrics. Shared by the HTTP API and the CLI.
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "core/query_result.h"
#include "orchestrator/runtime.h"

namespace tributary {

struct UserQuery {
  std::string source;
  std::string sql;
  std::vector<Value> params;
  //! Rows wanted; defaults to server.default_row_limit; above server.max_row_limit is an error.
  std::optional<int64_t> limit;
  //! Defaults to server.default_timeout_ms; above server.max_timeout_ms is an error.
  std::optional<int64_t> timeout_ms;
  CancelToken cancel;
};

Result<QueryResult> RunUserQuery(const Runtime& runtime, const UserQuery& query);

}  // namespace tributary
