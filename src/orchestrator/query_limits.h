// The per-query limits in force for one query: the tightest of the server's caps
// (server.max_row_limit, max_timeout_ms, max_result_bytes), the project's `limits:` and the
// source's `limits:`. A request may ask for less, never for more. One function, used by every
// path that runs a query (raw SQL now, metrics through the orchestrator).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace tributary {

struct QueryLimits {
  //! Rows when the request names none: min(server.default_row_limit, max_rows).
  int64_t default_rows = 0;
  //! The most rows a request may ask for; more rows are cut and `truncated` is set.
  int64_t max_rows = 0;
  int64_t default_timeout_ms = 0;
  int64_t max_timeout_ms = 0;
  //! Cap on the bytes of a result's cells; larger results are truncated.
  int64_t max_bytes = 0;
  //! The config keys that set max_rows and max_timeout_ms, for error messages
  //! ("server.max_row_limit", "projects.web.limits.max_rows", "sources.wh.limits.max_rows").
  std::string max_rows_from;
  std::string max_timeout_from;
};

//! The tightest of server, project (may be null) and source limits.
QueryLimits EffectiveQueryLimits(const Config& config, const ProjectConfig* project,
                                 const SourceConfig& source);

//! A request's row limit and timeout within `limits`: the defaults when not given,
//! INVALID_ARGUMENT naming the limit's config key when above it (or below 1).
struct RequestedLimits {
  int64_t rows = 0;
  int64_t timeout_ms = 0;
  int64_t max_bytes = 0;
};
Result<RequestedLimits> ApplyRequestedLimits(const QueryLimits& limits, std::optional<int64_t> rows,
                                             std::optional<int64_t> timeout_ms);

}  // namespace tributary
