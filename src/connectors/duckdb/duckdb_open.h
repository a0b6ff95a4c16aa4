// Opening an in-process DuckDB database the one way Tributary does: whatever it is for (a DuckDB
// source, the JSON API connector's tables, an import, the demo generator), only the extensions
// built into the library are used and nothing is downloaded, loaded at query time or read from
// ~/.duckdb (autoinstall/autoload, community extensions and persistent secrets are off).
// Thread-safety: a free function; the handle it fills belongs to the caller.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "connectors/duckdb/duckdb_handles.h"

namespace tributary::duckdb_internal {

//! DuckDB configuration options as name, value pairs (e.g. {"threads", "2"}).
using DuckDbSettings = std::vector<std::pair<std::string, std::string>>;

//! Opens the database at `path` (in memory when empty) into `db`, locked down as above and with
//! `settings` on top. A setting DuckDB refuses is INVALID_ARGUMENT `invalid NAME "VALUE"`; a
//! failed open is UNAVAILABLE with DuckDB's reason. Callers add what the database is for.
Status OpenOfflineDatabase(const std::string& path, const DuckDbSettings& settings,
                           DatabaseHandle& db);

}  // namespace tributary::duckdb_internal
