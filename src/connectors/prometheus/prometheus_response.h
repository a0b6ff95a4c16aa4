// Turns Prometheus HTTP API answers into Tributary results and errors.
//
// Query results become one table: `timestamp` (TIMESTAMP, millisecond precision), one string
// column per label (the union of the label names of all series, `__name__` included when
// present, sorted by name; a series without that label gives NULL), and `value` (DOUBLE; NaN
// and infinities as such; STRING for a string result). One row per sample: range results
// (matrix) series by series in Prometheus's label order, each series in time order; instant
// vectors sorted by their label sets so that the same data always gives the same rows; scalar
// and string results as one row. A label named `timestamp` or `value` is renamed
// `label_timestamp` / `label_value` so it cannot hide the sample columns.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/query_result.h"

namespace tributary::prometheus {

struct ResultLimits {
  //! At most this many rows (0 = no limit); more set stats.truncated_by "rows".
  int64_t max_rows = 0;
  //! At most about this many bytes of cells (0 = no limit); more set truncated_by "bytes".
  int64_t max_bytes = 0;
};

//! Parses a successful /api/v1/query or /api/v1/query_range body (simdjson On-Demand).
//! `body` must have simdjson::SIMDJSON_PADDING spare capacity (it is reserved here if not).
//! QUERY_ERROR for a body that is not the documented shape, or that reports an error.
Result<QueryResult> ParseQueryResponse(std::string& body, const ResultLimits& limits);

//! The error of a Prometheus answer that is not a success: {"status":"error","errorType":...,
//! "error":...} bodies map by errorType (bad_data / execution -> QUERY_ERROR with Prometheus's
//! message; timeout -> DEADLINE_EXCEEDED; canceled -> CANCELLED; unavailable -> UNAVAILABLE),
//! 401/403 -> UNAVAILABLE "authentication failed", other statuses -> UNAVAILABLE naming the
//! HTTP status and `where` (the URL path, never credentials).
Status MapErrorResponse(long http_status, std::string_view body,  // NOLINT(google-runtime-int)
                        std::string_view where);

//! The "data" array of strings of a /api/v1/label/.../values or /api/v1/labels answer.
Result<std::vector<std::string>> ParseStringList(std::string& body);

//! The "data.version" of a /api/v1/status/buildinfo answer.
Result<std::string> ParseBuildVersion(std::string& body);

}  // namespace tributary::prometheus
