// Text encodings used at several layers: base64 (bytes cells, bytes parameters), base64url
// (JWTs, API keys) and
// percent-decoding (URL paths, connection URLs).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tributary {

//! Standard base64 with padding.
std::string Base64Encode(std::string_view raw);
//! Standard base64, padding optional; nullopt for any other character or a bad length.
std::optional<std::string> Base64Decode(std::string_view text);
//! Base64url (RFC 4648 section 5) without padding, as JWTs and API keys use it.
std::string Base64UrlEncode(std::string_view raw);
//! Base64url, padding optional; nullopt for any other character or a bad length.
std::optional<std::string> Base64UrlDecode(std::string_view text);
//! Decodes %XX escapes ('+' stays '+'); nullopt for a malformed escape or an encoded NUL.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace tributary
