// Parsing of the access sections (`auth:`, `rate_limits:`, `limits:`; declared in
// config/access_config.h), internal to src/config. Same rules as the rest of the loader: unknown
// keys, wrong types and bad values are CONFIG_ERRORs with file:line:col and a fix.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace tributary::config_internal {

//! A project named by an API key, checked once every project is known.
struct KeyProjectReference {
  Value value;
  std::string id;
};

//! `auth: none`, `auth: {mode: none}` or `auth: {mode: keys, keys: [...]}`.
Status ParseAuth(const YamlReader& reader, const Value& value, AuthConfig& auth,
                 std::vector<KeyProjectReference>& project_references);
//! `{per_minute: N, per_hour: N}`; keys left out keep the values already in `limits`.
Status ParseRateLimits(const YamlReader& reader, const Value& value, RateLimitSettings& limits);
//! `{timeout_ms: N, max_rows: N, max_bytes: N}`.
Status ParseQueryLimits(const YamlReader& reader, const Value& value, QueryLimitsConfig& limits);
//! Every project an API key names exists.
Status ResolveKeyProjects(const YamlReader& reader, const Config& config,
                          const std::vector<KeyProjectReference>& references);

}  // namespace tributary::config_internal
