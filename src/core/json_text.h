// Small helpers for connectors that build JSON text by hand (nested values such as arrays,
// structs and tuples, written into kJson cells).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace tributary {

//! Appends `text` as a JSON string literal: quotes, backslashes and control characters
//! escaped, other bytes (UTF-8) as they are.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace tributary
