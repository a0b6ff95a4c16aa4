// SHA-256 digests (OpenSSL) and their lower-case hex form: config fingerprints, API key hashes
// and result-cache keys use this one implementation.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tributary {

using Sha256Digest = std::array<unsigned char, 32>;

//! The digest of `data`; nullopt only when OpenSSL fails.
std::optional<Sha256Digest> Sha256(std::string_view data);
//! Lower-case hex of `digest` (64 characters).
std::string HexDigest(const Sha256Digest& digest);
//! Lower-case hex SHA-256 of `data`; "" only when OpenSSL fails.
std::string Sha256Hex(std::string_view data);

}  // namespace tributary
