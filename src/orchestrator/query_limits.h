// The limits one source query of a metric runs with: its deadline, row and byte caps. One
// function decides them for a (project, source) pair, so per-project or per-source overrides
// plug in here and nowhere else.
// Thread-safety: pure function.
#pragma once

#include <chrono>
#include <cstdint>

#include "config/config.h"

namespace tributary {

struct QueryLimits {
  //! The source's deadline, counted from when the request fans out; every query part of
  //! the metric on that source must be done by then.
  std::chrono::milliseconds timeout{30000};
  int64_t max_rows = 0;
  int64_t max_bytes = 0;
};

//! Today: server.default_timeout_ms, server.max_row_limit and server.max_result_bytes.
QueryLimits QueryLimitsFor(const Config& config, const ProjectConfig& project,
                           const SourceConfig& source);

}  // namespace tributary
