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
  //! Cost control for sources that estimate a query's bytes (BigQuery): above
  //! cost_warn_bytes the answer carries a COST_WARNING, above cost_deny_bytes the query is
  //! refused with COST_LIMIT. The tightest of the project's and the source's `limits:`; when
  //! neither sets one, the defaults (100 MiB and 1 GiB).
  int64_t cost_warn_bytes = kDefaultCostWarnBytes;
  int64_t cost_deny_bytes = kDefaultCostDenyBytes;
  //! The config key that set cost_deny_bytes (or where to set it), for COST_LIMIT errors.
  std::string cost_deny_from;

  static constexpr int64_t kDefaultCostWarnBytes = 100ll << 20;
  static constexpr int64_t kDefaultCostDenyBytes = 1ll << 30;
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
