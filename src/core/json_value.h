// boost::json::value documents read from clients and sources: parsing with every double read
// exactly, naming a value's kind in error messages, and writing a value into a JsonOut.
//
// Boost.JSON 1.81's own parser rounds some long decimals to a neighbouring double (for example
// 474.59380568556355 becomes 474.5938056855635), so a value that passes through Tributary would
// change in its last bit. Every JSON document Tributary reads into a boost::json::value goes
// through ParseJson instead of boost::json::parse.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

namespace tributary {

class JsonOut;

//! Parses one JSON document (whitespace around it allowed, nothing else). On failure sets `ec`
//! (a boost::json error: syntax, extra_data, too_deep...), sets `*stop_offset` (when given) to
//! the byte where parsing stopped, and returns null. Numbers keep boost::json's kinds: int64,
//! then uint64, otherwise the double closest to the text.
boost::json::value ParseJson(std::string_view text, boost::system::error_code& ec,
                             const boost::json::parse_options& options = {},
                             std::size_t* stop_offset = nullptr);

//! As above, but throws boost::system::system_error on failure.
boost::json::value ParseJson(std::string_view text, const boost::json::parse_options& options = {});

//! "null", "a boolean", "an integer", "a number with a fraction", "a string", "an array" or
//! "an object": for messages such as "'limit' must be an integer, got a string".
std::string JsonKindName(const boost::json::value& value);

//! Writes `value` as it is; a uint64 above INT64_MAX keeps its digits. Doubles that are not
//! finite (never parsed, but built by code) become null, as JSON has no spelling for them.
void WriteJsonValue(JsonOut& out, const boost::json::value& value);

}  // namespace tributary
