// Runs one statement on one borrowed DuckDB connection: guard, parameter binding, streaming
// execution into a QueryResult within the request's row and byte limits, and interruption
// at the deadline or on cancel.
//
// Interruption: duckdb_interrupt only stops the statement that is running at that moment
// (DuckDB clears the flag when the next statement starts), so an interrupt that lands just
// before execution begins would be lost. The runner therefore keeps interrupting every few
// milliseconds from the first trigger until the query has returned, and never after: once
// RunQuery returns, nothing will interrupt the connection, so it can go back to the pool.
// Thread-safety: one call per connection at a time; the request's CancelToken may be
// cancelled from any thread.
#pragma once

#include <duckdb.h>

#include <chrono>
#include <string>

#include "common/deadline_watchdog.h"
#include "common/status.h"
#include "connectors/connector.h"
#include "core/query_result.h"

namespace tributary::duckdb_internal {

//! Runs `request` on `connection`, interrupting it at `deadline` (Clock::time_point::max()
//! for none) through `watchdog`. Errors: see PrepareGuarded for the guard; QUERY_ERROR for a
//! wrong parameter count ("the query has N parameters but M were given") or an engine error;
//! DEADLINE_EXCEEDED "query exceeded its timeout of N ms"; CANCELLED with the token's reason.
//! Does not set stats().elapsed_us (the caller times the whole request).
Result<QueryResult> RunQuery(duckdb_connection connection, const QueryRequest& request,
                             DeadlineWatchdog::Clock::time_point deadline,
                             DeadlineWatchdog& watchdog);

}  // namespace tributary::duckdb_internal
