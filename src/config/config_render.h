// Rendering a resolved Config as YAML, and its fingerprint (internal to src/config; the
// public entry point is RenderConfig in config/config.h).
//
// The redacted rendering is what `check-config` prints; the canonical one hashes every value,
// secrets included, so that any change (even of a password) changes Config::fingerprint.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace tributary::config_internal {

//! The unredacted rendering plus base_dir, without comments: the fingerprint's input.
//! Locations are left out, so moving a line or editing a comment keeps the fingerprint.
std::string CanonicalConfigText(const Config& config);

//! Lower-case hex SHA-256 of CanonicalConfigText.
std::string ComputeFingerprint(const Config& config);

//! Replaces credentials inside free text by "***": the password of `scheme://user:pw@host`
//! and the value of `password=`, `passwd=` and `pwd=` (libpq/ODBC-style DSNs, URL queries).
std::string RedactCredentials(std::string_view text);

}  // namespace tributary::config_internal
