// A dialect-aware read-only guard for engines whose parser we cannot call in-process
// (PostgreSQL, MySQL/MariaDB, SQLite, ClickHouse). DuckDB uses its own parser instead.
//
// The SQL is tokenized the way the engine would: single-quoted strings (with '' and, for
// MySQL, backslash escapes), double-quoted / backtick identifiers, -- and # (MySQL) line
// comments, nested /* */ block comments (PostgreSQL), dollar-quoted strings ($tag$...$tag$,
// PostgreSQL) and MySQL's executable comments (/*! ... */ whose content runs: treated as code).
// A statement passes only if, outside strings and comments, there is exactly one statement
// (a trailing `;` is allowed), it starts with SELECT, WITH, VALUES, TABLE (PostgreSQL) or `(`,
// and it contains no write or side-effect keyword anywhere (INSERT, UPDATE, DELETE, MERGE,
// CREATE, DROP, ALTER, TRUNCATE, GRANT, REVOKE, COPY, CALL, DO, SET, LOCK, INTO, OUTFILE, ...).
// Function calls with side effects or outside access (pg_read_file, dblink, nextval, LOAD_FILE,
// load_extension, ClickHouse's file/url/remote/... table functions) are refused too, and so
// are row locks (FOR UPDATE / FOR SHARE). Where the engine's lexing depends on a server mode
// (MySQL NO_BACKSLASH_ESCAPES, PostgreSQL standard_conforming_strings), both readings must
// pass; where it depends on the version (MySQL `--` needs a following space, nesting of
// block comments), the reading that shows the guard more code is used.
// The engine's own read-only session is the second wall; this guard is the first.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tributary {

enum class SqlDialect { kPostgres, kMySql, kSqlite, kClickHouse };

struct SqlToken {
  enum class Kind { kWord, kQuotedIdentifier, kString, kNumber, kPunct, kParameter };
  Kind kind;
  std::string text;  //!< words are upper-cased; others verbatim
  size_t offset = 0;
};

//! Splits SQL into tokens, dropping comments and whitespace (the content of MySQL's /*! */
//! comments is kept as code). QUERY_ERROR "unterminated string starting at offset N" for an
//! unterminated string, identifier or comment.
Result<std::vector<SqlToken>> TokenizeSql(std::string_view sql, SqlDialect dialect);

//! OK for exactly one read-only statement. Otherwise QUERY_ERROR (empty, unterminated,
//! "only one statement is allowed, found 2") or PERMISSION_DENIED ("only read-only SELECT
//! statements are allowed; found DELETE at offset 7").
Status CheckReadOnlySql(std::string_view sql, SqlDialect dialect);

}  // namespace tributary
