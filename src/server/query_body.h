// Parses the JSON body of POST /api/v1/query into a UserQuery.
//
// Strict by design: unknown fields, wrong types and malformed parameters are INVALID_ARGUMENT
// errors naming the field, the parameter index or the JSON error position, because a silently
// ignored typo ("limt") would run a different query than the caller meant.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "orchestrator/query_service.h"

namespace tributary {

//! Body: {"project", "source", "sql", "params", "options", "limit", "timeoutMs"}. `options`
//! is an object of per-query connector options (strings, numbers or booleans, all passed on
//! as text; e.g. a Prometheus source's {"start": "now-1h", "step": "60s"}). `source` may be left
//! out when the named project, or else `config`, has exactly one source. The returned query
//! has a fresh CancelToken.
Result<UserQuery> ParseQueryBody(std::string_view body, const Config& config);

//! The project (empty when not named) and source (empty when it cannot be told) a query body
//! names, with ParseQueryBody's defaults; nullopt when ParseQueryBody would reject the body
//! anyway. For the access check, which runs before the handler parses the whole body.
struct QueryTarget {
  std::string project;
  std::string source;
};
std::optional<QueryTarget> PeekQueryTarget(std::string_view body, const Config& config);

}  // namespace tributary
