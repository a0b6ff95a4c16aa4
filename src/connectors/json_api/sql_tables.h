// Which configured tables a SQL statement mentions, so the json_api connector fetches only
// those. A lexical scan, not a parse: every identifier outside string literals, comments and
// dollar-quoted strings is compared (case-insensitively, as SQL does) with the table names.
// A column or alias that happens to share a table's name only causes an extra fetch.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tributary::json_api {

//! The entries of `tables` that `sql` mentions as a bare or "quoted" identifier, in the order
//! of `tables`.
std::vector<std::string> ReferencedTables(std::string_view sql,
                                          const std::vector<std::string>& tables);

}  // namespace tributary::json_api
