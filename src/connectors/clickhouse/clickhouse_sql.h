// SQL text helpers for the ClickHouse connector: parameter rendering, the FORMAT clause check
// and error mapping.
//
// ClickHouse 18.16 has no bound parameters over HTTP (`{name:Type}` with `param_name=` arrived
// in 19.x; 18.16 answers "Unknown setting param_x"). RenderClickHouseLiteral is therefore THE
// ONE PLACE where a value reaches SQL text: every parameter becomes a strictly escaped literal.
// Strings: backslash and quote get a backslash, control bytes become \xHH, other bytes (UTF-8)
// pass through. Integers: toInt64(<std::to_chars>). Floats: std::to_chars text, nan, inf.
// Decimals: validated digit by digit, toDecimal128('<text>', scale). Dates and whole-second
// timestamps: toDate('...') / toDateTime(<seconds>, 'UTC').
// BindClickHouseParameters replaces each `?` placeholder outside strings, quoted identifiers
// and comments with such a literal.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/value.h"

namespace tributary::clickhouse {

//! A ClickHouse literal for `value`; INVALID_ARGUMENT for a value ClickHouse cannot hold
//! (a date outside 1970..2105, a malformed decimal). A timestamp with fractional seconds or
//! outside DateTime's 1970..2106 becomes the UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'.
Result<std::string> RenderClickHouseLiteral(const Value& value);

//! `sql` with each `?` placeholder (outside '...' strings, "..."/`...` identifiers, --
//! line comments and /* */ comments) replaced by the literal of the matching parameter.
//! INVALID_ARGUMENT when the counts differ; QUERY_ERROR for an unterminated string.
Result<std::string> BindClickHouseParameters(std::string_view sql,
                                             const std::vector<Value>& params);

//! True when the statement ends with a FORMAT clause (outside strings and comments), which
//! would override the format the connector reads.
bool HasFormatClause(std::string_view sql);

//! Maps a ClickHouse HTTP error (status and "Code: N, e.displayText() = DB::Exception: ..."
//! body) to a Status with a short, clean message.
Status MapClickHouseError(long http_status, std::string_view body);  // NOLINT(google-runtime-int)

//! The numeric "Code: N" of an error body, or -1.
int ClickHouseErrorCode(std::string_view body);

}  // namespace tributary::clickhouse
