// The DuckDB connector: a database file (attached read-only) and/or Parquet, CSV and JSON
// files or globs declared as tables, queried through DuckDB's C API.
//
// Read-only by construction, in two layers:
// 1. The statement guard (statement_guard.h) lets only a single SELECT-class statement
//    through, classified by DuckDB's own parser.
// 2. The engine itself: an in-memory database, opened with extension autoinstall/autoload
//    off, where the file is ATTACHed READ_ONLY and each declared table is a view in
//    memory.main; then file access is limited to exactly the declared files (allowed_paths)
//    and glob directories (allowed_directories), enable_external_access is turned off and the
//    configuration is locked. read_csv('/etc/passwd'), COPY, ATTACH of a file, INSTALL, LOAD
//    and SET of a global option then fail inside DuckDB even without the guard. Writes to the
//    in-memory catalog (CREATE TABLE memory.x, or ATTACH ':memory:') are not prevented by
//    the engine: only the guard stops those, which is why QueryRequest::skip_statement_guard
//    is for trusted callers only. Session-local settings (search_path, profiling) are not
//    locked by DuckDB either; the guard refuses SET and PRAGMA.
//
// What passes the guard: SELECT-class statements only. EXPLAIN is refused (DuckDB gives
// EXPLAIN and EXPLAIN ANALYZE, which executes its statement, the same type); so is a PIVOT
// without an IN list (DuckDB splits it into CREATE TYPE + SELECT). SELECT setseed(x) passes:
// it only seeds the random numbers of the connection it runs on. A glob table makes its whole
// base directory readable (allowed_directories is a prefix); a plain file only that file.
//
// Options: path, tables, max_connections (default 4), threads, memory_limit. Unqualified
// names resolve first in the attached file's main schema, then in the declared tables.
// Every connection runs with TimeZone=UTC. Health checks use one extra connection outside
// the pool, so they never queue behind queries; ListTables and DescribeTable borrow a pooled
// connection (waiting at most 30 s).
// Thread-safety: see Connector. Close() waits for queries in flight.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory DuckDbConnectorFactory();

}  // namespace tributary
