// ClickHouse type names and TabSeparatedWithNamesAndTypes cells -> Tributary's ColumnTypes.
//
// Mapping (ClickHouse 18.16): Int8..Int64 and UInt8..UInt32 -> int64 (UInt8 stays int64:
// 18.16 has no Bool, metric packs treat UInt8 as a flag); UInt64 -> decimal always (it may
// exceed int64); Float32/64 -> double (nan, inf); Decimal(P,S) / Decimal32/64/128(S) -> exact
// decimal text; String, FixedString(N) (bytes kept, NULs included), Enum8/16, UUID -> string;
// Date -> date; DateTime and DateTime('UTC') -> timestamp (the text is read as UTC: the server
// must run with timezone UTC, see clickhouse_connector.h); DateTime('<other zone>') -> string
// "YYYY-MM-DD HH:MM:SS <zone>" because the text is local time of that zone and this build has
// no time zone database; Array(T) and Tuple(...) -> json; Nullable(T) -> T, nullable;
// LowCardinality(T) -> T; Nothing (a bare NULL) -> null; anything else -> string.
// 18.16 has no DateTime64 type.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "core/query_result.h"

namespace tributary::clickhouse {

struct MappedType {
  ColumnType type = ColumnType::kString;
  bool nullable = false;
  //! The type with Nullable/LowCardinality wrappers removed, e.g. "Decimal(20, 6)".
  std::string base;
};

//! Maps a ClickHouse type name (as in system.columns or a TSV header).
MappedType MapClickHouseType(std::string_view type_name);

//! Undoes TSV escaping (\t \n \\ \' \0 \b \f \r \xHH ...). "\N" is handled by the caller.
std::string TsvUnescape(std::string_view field);

//! Converts ClickHouse's text form of an Array/Tuple value (e.g. "[1,'a\'b',NULL]",
//! "(1,'x')") into JSON ("[1,\"a'b\",null]"); tuples become arrays; nan/inf become null.
//! nullopt when the text is malformed.
std::optional<std::string> ClickHouseTextToJson(std::string_view text);

//! Appends one unescaped TSV cell (not \N) to `column` of mapped type `type`; QUERY_ERROR
//! naming the column when the text does not parse.
Status AppendClickHouseCell(const MappedType& type, std::string_view text, ColumnData& column,
                            std::string_view column_name);

}  // namespace tributary::clickhouse
