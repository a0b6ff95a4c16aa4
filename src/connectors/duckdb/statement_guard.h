// The DuckDB statement guard: lets exactly one read-only SELECT-class statement through.
//
// Classification uses DuckDB's own parser and binder, never text matching: the SQL is split
// with duckdb_extract_statements (so semicolons inside strings or comments are handled the
// way DuckDB handles them), must yield exactly one statement, which is prepared and must have
// statement type SELECT. That covers SELECT, WITH ... SELECT, FROM-first queries, VALUES,
// TABLE, DESCRIBE, SHOW, SUMMARIZE and the PRAGMAs DuckDB rewrites into SELECTs. Everything
// else is refused, including EXPLAIN: DuckDB reports EXPLAIN and EXPLAIN ANALYZE with one
// type, and EXPLAIN ANALYZE executes the statement it wraps (which may be a write).
//
// The guard is the first of two layers. The second is the engine configuration the connector
// sets up (read-only attach, enable_external_access=false, lock_configuration=true), which
// still holds when a trusted caller skips the guard.
// Thread-safety: functions are stateless; the connection must not be used concurrently.
#pragma once

#include <duckdb.h>

#include <string>
#include <string_view>

#include "common/status.h"
#include "connectors/duckdb/duckdb_handles.h"

namespace tributary::duckdb_internal {

//! Splits, checks and prepares `sql` on `connection`. Errors:
//! - QUERY_ERROR "empty query" when there is no statement (only whitespace or comments);
//! - QUERY_ERROR "only one statement is allowed, found N";
//! - QUERY_ERROR with DuckDB's message for a syntax or binder error (PERMISSION_DENIED when
//!   DuckDB refused access, e.g. to a file while external access is disabled);
//! - PERMISSION_DENIED "only read-only SELECT statements are allowed; this is a(n) <TYPE>
//!   statement" for any other statement type.
//! With `skip_type_check` the statement type is not checked (the single-statement rule and
//! error mapping still apply); for trusted internal callers only.
Result<PreparedHandle> PrepareGuarded(duckdb_connection connection, std::string_view sql,
                                      bool skip_type_check);

//! The name DuckDB's parser gives a statement type ("INSERT", "COPY", "SET", ...).
std::string_view StatementTypeName(duckdb_statement_type type);

//! Maps a DuckDB error message (which starts with "<Kind> Error:") to a Status. Permission
//! errors become PERMISSION_DENIED, out-of-memory RESOURCE_EXHAUSTED, others QUERY_ERROR.
Status StatusFromDuckDbMessage(std::string_view message);
//! As above, with the error type a duckdb_result reports.
Status StatusFromDuckDbError(duckdb_error_type type, std::string_view message);

}  // namespace tributary::duckdb_internal
