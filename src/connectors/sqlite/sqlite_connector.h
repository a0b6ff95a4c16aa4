// The SQLite connector (registry type "sqlite"): one database file, queried through
// libsqlite3. SQLite is a file engine: no server, no credentials, nothing to restart.
//
// Options: path (required; relative to the config file's directory), max_connections (pool
// size, default 4), busy_timeout_ms (how long a read waits for a writer's lock, default
// 5000), immutable (open with immutable=1: no locking and no change detection, only for files
// that never change while the service runs). A missing file is not an Open error: the source
// reports UNAVAILABLE "database file not found: <path>" from HealthCheck and Execute until
// the file appears; the connector never creates it.
//
// Read-only in depth, each wall independent of the others:
// 1. CheckReadOnlySql(sql, SqlDialect::kSqlite), unless QueryRequest::skip_statement_guard.
// 2. After preparing: exactly one statement (the tail may hold only whitespace, comments and
//    semicolons) and sqlite3_stmt_readonly() must be true.
// 3. An authorizer refuses every write action, ATTACH/DETACH, transactions and savepoints, and
//    every PRAGMA except a list of read-only ones (table_info & co.; value pragmas such as
//    user_version only without an assignment), so PRAGMA query_only = OFF cannot be run.
// 4. Each connection is opened SQLITE_OPEN_READONLY (with mode=ro in the URI) and runs with
//    PRAGMA query_only = ON, SQLITE_DBCONFIG_DEFENSIVE (no writable_schema), extension
//    loading disabled, untrusted schema, and SQLITE_LIMIT_ATTACHED = 0.
// Engine refusals (SQLITE_READONLY, SQLITE_AUTH) are PERMISSION_DENIED.
//
// Timeouts and cancellation: a progress handler (every 1000 VM steps) stops the statement once
// the deadline has passed or the CancelToken fired, and the shared DeadlineWatchdog and the
// token's callback also call sqlite3_interrupt; SQLITE_INTERRUPT becomes DEADLINE_EXCEEDED or
// CANCELLED depending on which fired first.
//
// Every connection also has regexp(), regexp_matches(), regexp_extract() and
// regexp_replace() (sqlite_regexp.h). Types: sqlite_types.h. Parameters are bound with
// sqlite3_bind_*: bool as 0/1, date as 'YYYY-MM-DD', timestamp as
// 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), decimal and json as text, bytes as a blob.
// ListTables reads sqlite_schema (schema "main", kind table/view, sqlite_* left out);
// DescribeTable uses pragma_table_info with the name bound as a parameter.
// Thread-safety: see Connector. Connections come from a ConnectionPool; Close() fails
// waiting borrowers and lets queries in flight finish.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory SqliteConnectorFactory();

}  // namespace tributary
