// Deterministic demo data for the embedded default: `llm_logs` and `web_events` in a DuckDB
// file, shaped like real traffic (diurnal cycle, a few dominant tenants and clients, ~5%
// errors, anomalies) over the days ending at `end`.
// Thread-safety: functions are independent; do not generate the same file twice at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace tributary {

struct DemoDataOptions {
  //! The DuckDB file to create; replaced atomically (written beside it, then renamed).
  std::string path;
  //! Rows in each of the two tables.
  int64_t rows = 1'000'000;
  //! Days of history ending at `end`.
  int64_t days = 90;
  //! End of the window, UTC micros since the epoch; defaults to now.
  std::optional<int64_t> end_micros;
  //! Same seed and same end give byte-identical rows.
  uint64_t seed = 42;
};

Status GenerateDemoData(const DemoDataOptions& options);

//! Creates the demo file with default options when `path` does not exist yet.
Status EnsureDemoData(const std::string& path);

}  // namespace tributary
