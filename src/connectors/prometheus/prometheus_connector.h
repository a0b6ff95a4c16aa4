// The Prometheus connector (registry type "prometheus"): PromQL over Prometheus's HTTP API
// (/api/v1/query and /api/v1/query_range), results as tables (prometheus_response.h).
//
// Options: url (the base URL, http[s]://host:9090, a path prefix allowed), user/password (HTTP
// basic authentication; password secret) or bearer_token (secret), headers (extra request
// headers, secret), tls_verify, tls_ca_file, connect_timeout_ms, max_connections (the shared
// HttpClient's pool: concurrent requests and kept-alive connections), max_points (points per
// series a range query may return, default 11000 like Prometheus), default_step (step of a
// range query that gives none, default 60s), max_response_mb (the largest answer read).
//
// The query text is PromQL. Per-query options (QueryRequest::options): `time` for an instant
// query at that time (none: at the server's now), or `start` with optional `end` (default now)
// and `step` (default default_step) for a range query; see prometheus_query.h for the time and
// duration forms. Unknown keys and ranges with too many points are INVALID_ARGUMENT naming the
// fix. PromQL has no placeholders: parameters are refused (capabilities().parameters is false).
//
// Read-only by nature: the query API evaluates expressions and cannot change data, so the SQL
// statement guard does not apply (there is no SQL); Prometheus validates the PromQL itself and
// its bad_data errors come back as QUERY_ERROR with its message.
//
// Timeout and cancel: each query carries timeout=<the time left> so Prometheus stops the
// evaluation itself; our side aborts the transfer at the deadline or on cancel (Prometheus
// then cancels the query with the closed request). Errors: 401/403 -> UNAVAILABLE
// "authentication failed", unreachable -> UNAVAILABLE, Prometheus timeouts -> DEADLINE_EXCEEDED.
// Schema: metric names are the tables (kind "metric", /api/v1/label/__name__/values); a
// metric's columns are timestamp, its label names (/api/v1/labels?match[]=<metric>) and value.
// Health: /api/v1/status/buildinfo, the version in the detail.
// Thread-safety: see Connector.
#pragma once

#include "connectors/connector.h"

namespace tributary {

//! The factory of the "prometheus" connector.
ConnectorFactory PrometheusConnectorFactory();

}  // namespace tributary
