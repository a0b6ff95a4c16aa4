// The MySQL/MariaDB connector (registry type "mysql"), built on libmariadb (MariaDB
// Connector/C): a bounded pool of client connections (connectors/common/connection_pool.h),
// server-side prepared statements for every query, typed parameters bound by the driver.
//
// Options: `url` (mysql://user:password@host:port/database, the password percent-encoded) or
// host, port (3306), database, user, password (secret); ssl_mode (disabled | preferred |
// required | verify_ca | verify_identity; libmariadb checks the CA and the host name together,
// so verify_ca behaves like verify_identity) with ssl_ca; connect_timeout_ms, read_timeout_ms;
// min_connections, max_connections, idle_timeout_ms, max_lifetime_ms.
//
// Read-only in depth:
// 1. User SQL passes CheckReadOnlySql(sql, SqlDialect::kMySql) (unless skip_statement_guard).
// 2. Every session runs `SET SESSION TRANSACTION READ ONLY`, so a write that reaches the
//    engine fails with error 1792 -> PERMISSION_DENIED. On MariaDB 10.11 this also refuses DDL
//    and CREATE TEMPORARY TABLE (tested); MySQL and older MariaDB releases allow writes to
//    TEMPORARY tables in a read-only transaction. A session setting can be switched back by
//    `SET SESSION TRANSACTION READ WRITE`, which only the guard stops: give the configured
//    user only SELECT (no CREATE TEMPORARY TABLES, no write privileges) for a third wall.
// 3. `SET SESSION max_statement_time` = the request's timeout (MariaDB; ignored by MySQL) is a
//    server-side limit independent of this process.
//
// Sessions use utf8mb4 and time_zone '+00:00'. Rows are streamed (no client-side buffering of
// the whole result); when a row or byte limit, a timeout or a cancel stops a query early, the
// connector sends `KILL QUERY <id>` on a separate short-lived connection and discards the
// pooled connection. Health checks use one extra connection outside the pool.
// Thread-safety: see Connector.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory MySqlConnectorFactory();

}  // namespace tributary
