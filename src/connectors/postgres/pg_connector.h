// The PostgreSQL connector (registry type "postgres"), through libpq.
//
// Read-only in depth:
// 1. User SQL passes CheckReadOnlySql(sql, SqlDialect::kPostgres) unless the request is a
//    trusted one (QueryRequest::skip_statement_guard).
// 2. Every session starts with default_transaction_read_only = on, and every query runs in
//    BEGIN TRANSACTION READ ONLY ... ROLLBACK: a write that reaches the engine fails there with
//    SQLSTATE 25006 ("cannot execute INSERT in a read-only transaction") -> PERMISSION_DENIED.
//    A privilege error (42501) is PERMISSION_DENIED too. (A configured user with fewer rights
//    is the third wall, left to the operator.)
//
// Options: `url` (postgresql://..., secret since it may hold a password) or host, port,
// database, user, password (secret); sslmode, connect_timeout_ms, application_name,
// search_path, and the pool's min_connections, max_connections, idle_timeout_ms,
// max_lifetime_ms. Connection parameters go to PQconnectdbParams as keyword/value arrays,
// never spliced into a conninfo string; search_path is set with set_config($1).
//
// Sessions run with TimeZone=UTC, DateStyle=ISO, IntervalStyle=iso_8601 (see pg_types.h for
// the type mapping). Parameters are bound by PQexecParams with explicit type OIDs; more
// values than the statement's highest $N is INVALID_ARGUMENT (the server would ignore them).
// Results stream in single-row mode: at the row or byte limit the rest is cancelled on the
// server (PQcancel), drained and rolled back, so a LIMIT-less query over a large table does
// not travel over the wire in full. The request's timeout is enforced twice: the shared
// DeadlineWatchdog sends a cancel request at the deadline, and SET LOCAL statement_timeout
// stops the statement on the server even if that cancel is lost. SQLSTATE 57014 becomes
// CANCELLED when the request's CancelToken fired, DEADLINE_EXCEEDED otherwise.
//
// Open() only validates options: a server that is down at start-up is reported by
// HealthCheck (which opens its own short-lived connection, so it never queues behind
// queries) and connections are made on first use. Pooled connections idle for a second or
// more are validated with `SELECT 1` when borrowed, so a restarted server is recovered
// transparently; a query whose connection turns out dead before it started is retried once
// on a fresh connection.
// Thread-safety: see Connector.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory PostgresConnectorFactory();

//! Where a postgres source's server is: libpq keyword/value pairs and, for messages, the place
//! without credentials ("host:port/database" or "the configured url").
struct PgServerParams {
  std::vector<std::pair<std::string, std::string>> params;
  std::string where;
};

//! Reads the `url` or `host`/`port`/`database`, `sslmode`, `connect_timeout_ms` and
//! `application_name` options of postgres source `source_id` (shared with the import target,
//! which writes to the same server). The credentials are not among them: callers append
//! `user` and `password` (later pairs override earlier ones). CONFIG_ERROR naming the source
//! and the option when they are wrong.
Result<PgServerParams> ReadPgServerParams(std::string_view source_id, const Options& options);

}  // namespace tributary
