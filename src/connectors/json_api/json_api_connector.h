// The json_api connector: any HTTP JSON API described in the config (URL templates, headers
// with secrets, bearer/basic auth, a JSON Pointer to the records, typed columns, pagination by
// next link, Link header, cursor or page number, a page cap) queried with SQL.
//
// A query's SQL is read for the configured table names it mentions; each such table is fetched
// (every page, up to max_pages; more is a RESOURCE_EXHAUSTED error rather than a silently
// partial answer), loaded into an in-memory DuckDB with the declared column types, and the
// statement runs there through the DuckDB connector's guard and runner (parameters, row/byte
// limits, timeout, cancel). Fetched tables are reused for cache_ttl_seconds (concurrent
// queries for the same pages share one fetch). A query that names no table still asks the
// API (its health path) so that a down or unauthorised source fails like any other.
// Thread-safety: see Connector; every method but Open/Close may run concurrently.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory JsonApiConnectorFactory();

}  // namespace tributary
