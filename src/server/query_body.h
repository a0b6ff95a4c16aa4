// Parses the JSON body of POST /api/v1/query into a UserQuery.
//
// Strict by design: unknown fields, wrong types and malformed parameters are INVALID_ARGUMENT
// errors naming the field, the parameter index or the JSON error position, because a silently
// ignored typo ("limt") would run a different query than the caller meant.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "orchestrator/query_service.h"

namespace tributary {

//! Body: {"source", "sql", "params", "limit", "timeoutMs"}. `source` may be left out when
//! `config` has exactly one source. The returned query has a fresh CancelToken.
Result<UserQuery> ParseQueryBody(std::string_view body, const Config& config);

}  // namespace tributary
