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

//! Splits SQL into tokens, dropping comments and whitespace. QUERY_ERROR for an unterminated
//! string, identifier or comment, naming the offset.
Result<std::vector<SqlToken>> TokenizeSql(std::string_view sql, SqlDialect dialect);

//! OK for exactly one read-only statement. Otherwise QUERY_ERROR (empty, unterminated,
//! several statements) or PERMISSION_DENIED ("only read-only SELECT statements are allowed;
//! found DELETE").
Status CheckReadOnlySql(std::string_view sql, SqlDialect dialect);

}  // namespace tributary
