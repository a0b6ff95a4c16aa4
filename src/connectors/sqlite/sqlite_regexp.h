// Regular-expression SQL functions for SQLite connections, backed by PCRE2 (UTF mode).
//
// SQLite parses `x REGEXP y` but ships no implementation; RegisterRegexpFunctions adds one
// together with the DuckDB-style functions users of the other sources already know:
//   regexp(pattern, text)                    -> 1/0; what `text REGEXP pattern` calls
//   regexp_matches(text, pattern)            -> 1/0 (a match anywhere in text)
//   regexp_extract(text, pattern[, group])   -> the group's text of the first match (group 0,
//                                               the whole match, by default); '' when nothing
//                                               matches or the group did not take part
//   regexp_replace(text, pattern, replacement[, options])
//                                            -> text with the first match replaced; options
//                                               'g' replaces every match, 'i' ignores case.
//                                               In the replacement \N or $N (N = 0..9) or ${N}
//                                               insert group N, \\ and $$ a literal \ or $.
// Any NULL argument gives NULL. Patterns are PCRE2 syntax compiled with PCRE2_UTF and
// PCRE2_UCP (so `.` is a code point and \w, \d, \b and case-folding know Unicode); an invalid
// pattern, an unknown group or invalid UTF-8 text makes the statement fail with a message
// naming the function, the pattern and PCRE2's reason (the connector turns it into
// QUERY_ERROR). The functions are deterministic and innocuous, so they work in views and
// indexes. A compiled pattern is cached per statement and argument via sqlite3_set_auxdata,
// so a constant pattern is compiled once per statement, not once per row.
// Thread-safety: registration is per connection; a connection is used by one thread at a time.
#pragma once

#include <sqlite3.h>

namespace tributary::sqlite_internal {

//! Registers regexp, regexp_matches, regexp_extract and regexp_replace on `db`; returns the
//! first SQLite error code, SQLITE_OK on success.
int RegisterRegexpFunctions(sqlite3* db);

}  // namespace tributary::sqlite_internal
