// Deterministic demo data for the embedded default: `llm_logs` and `web_events` in a DuckDB
// file, shaped like real traffic (diurnal cycle, a few dominant tenants and clients, ~5%
// errors, anomalies) over the days ending at `end`.
//
// The canonical columns of the `llm` and `web` metric packs, with DuckDB types
// TIMESTAMP (UTC), VARCHAR, DOUBLE, BIGINT and BOOLEAN; rows are stored in time order. The
// data holds ten tenants (three take about 70% of requests), ~340 LLM users, seven models
// priced per token, two incidents (an outage mid-window, a degradation a few days before the
// end) flagged as anomalies, scattered token/latency/cost anomalies, 18 web clients, sessions
// of several events and a page_view > add_to_cart > begin_checkout > purchase funnel.
//
// Thread-safety: functions are independent and may run concurrently on different paths;
// concurrent runs on one path are safe too (each writes its own temporary file) but the
// last rename wins.
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
  //! Same seed and same end give identical rows in the same order.
  uint64_t seed = 42;
};

//! Writes both tables to `<path>.tmp-<pid>` (creating parent directories), then renames it
//! over `path`; on failure the temporary file is removed and `path` is left as it was.
//! Prints nothing. About 5 s for the default 1M + 1M rows on two cores.
//! Errors: INVALID_ARGUMENT for bad options, PERMISSION_DENIED when the directory cannot be
//! created, UNAVAILABLE when the file cannot be written or renamed.
Status GenerateDemoData(const DemoDataOptions& options);

//! Creates the demo file with default options when `path` does not exist yet; an existing
//! file is left untouched, whatever it holds.
Status EnsureDemoData(const std::string& path);

}  // namespace tributary
