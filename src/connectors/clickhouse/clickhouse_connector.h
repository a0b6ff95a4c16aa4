// The ClickHouse connector (registry type "clickhouse"), over ClickHouse's HTTP interface
// with libcurl, for servers as old as 18.16.
//
// Options: url (http[s]://host:port) or host/port/https, database, user, password (secret;
// sent with HTTP basic authentication, never in the URL), connect_timeout_ms,
// min_connections/max_connections/idle_timeout_ms/max_lifetime_ms (a ConnectionPool of curl
// easy handles: the concurrency limit and the keep-alive connection cache), tls_verify,
// tls_ca_file.
//
// Read-only in depth: user SQL passes CheckReadOnlySql(kClickHouse) (unless
// skip_statement_guard) and every query carries readonly=1 as a URL setting, so ClickHouse
// itself refuses writes (code 164 -> PERMISSION_DENIED), SET, and on 18.16 also every table
// function (numbers(), url(), file(), remote(): use system.numbers instead). Each query also
// carries max_execution_time (the timeout, rounded up to seconds), max_result_rows=<limit+1> with
// result_overflow_mode=break, a random query_id and default_format=
// TabSeparatedWithNamesAndTypes; a FORMAT clause in user SQL is refused. The response is
// parsed while it streams, so a row or byte limit stops the transfer early.
//
// Timeout and cancel: the DeadlineWatchdog or the CancelToken sets an abort flag that the
// transfer's progress callback sees (within about a second); the connector then sends
// `KILL QUERY WHERE query_id = '...' ASYNC` (permitted under readonly=1 on 18.16) on a separate
// connection, so the work stops on the server too. Truncated results are killed the same way.
//
// Parameters: 18.16 has no bound parameters over HTTP; `?` placeholders are replaced by
// strictly escaped literals in exactly one place (clickhouse_sql.h, RenderClickHouseLiteral).
// Time zones: DateTime text is read as UTC, so the server must run with <timezone>UTC</timezone>
// (HealthCheck's detail names the server's zone); see clickhouse_types.h for the type mapping.
// Thread-safety: see Connector.
#pragma once

#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory ClickHouseConnectorFactory();

//! "scheme://host:port" of a clickhouse source from its `url` or `host`/`port`/`https`
//! options (shared with the import target, which writes to the same server); CONFIG_ERROR
//! naming the source when they are wrong.
Result<std::string> ClickHouseBaseUrl(std::string_view source_id, const Options& options);

}  // namespace tributary
