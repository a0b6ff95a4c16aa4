// The config sections about who may call the API and how much: API keys (`auth:`), rate limits
// (`rate_limits:`, global and per project) and per-query limits (`limits:` on a project or a
// source). Included by config/config.h; parsed by config/access_config.cpp.
// Thread-safety: plain value types, immutable once the config is loaded.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"

namespace tributary {

//! What an API key may do. A key holds any combination; no role implies another, except that
//! `admin` may also import.
enum class Role : uint8_t {
  //! Metrics, schema (tables), sources, packs, projects.
  kRead = 1,
  //! Raw SQL (POST /api/v1/query).
  kQuery = 2,
  //! Cache administration, reload, source administration, rate-limit administration.
  kAdmin = 4,
  //! File imports (POST /api/v1/imports and the import routes); `admin` keys may import too.
  kImport = 8,
};

//! Every role, in the order config files and answers list them.
inline constexpr Role kAllRoles[] = {Role::kRead, Role::kQuery, Role::kAdmin, Role::kImport};

//! "read", "query", "admin", "import".
std::string_view RoleName(Role role);

struct ApiKeyConfig {
  std::string name;
  //! SHA-256 of the key, 32 raw bytes: the clear key is never kept.
  std::array<unsigned char, 32> digest{};
  //! True when the config gave the clear key (`key:`), false for `sha256:`.
  bool from_clear_key = false;
  //! Project ids; empty with `all_projects` for `projects: ["*"]`.
  std::vector<std::string> projects;
  bool all_projects = false;
  //! Bit set of Role values.
  uint8_t roles = 0;
  SourceLocation location;

  bool HasRole(Role role) const { return (roles & static_cast<uint8_t>(role)) != 0; }
  bool HasProject(std::string_view project) const;
};

struct AuthConfig {
  enum class Mode {
    //! No `auth:` section: no keys, and serving is allowed on loopback addresses only.
    kUnset,
    //! `auth: {keys: [...]}`: every non-public route needs a key.
    kKeys,
    //! `auth: none`: no authentication, on any address (behind an authenticating proxy).
    kNone,
  };
  Mode mode = Mode::kUnset;
  std::vector<ApiKeyConfig> keys;

  bool enabled() const { return mode == Mode::kKeys; }
};

//! Sliding-window request limits; 0 turns a window off.
struct RateLimitSettings {
  int64_t per_minute = 100;
  int64_t per_hour = 1000;
  bool operator==(const RateLimitSettings&) const = default;
};

//! Per-query limits; an unset member leaves the limit to the next level (server defaults).
struct QueryLimitsConfig {
  std::optional<int64_t> timeout_ms;
  std::optional<int64_t> max_rows;
  std::optional<int64_t> max_bytes;
  //! Cost control (sources with cost estimates, e.g. BigQuery): estimated bytes processed
  //! above which an answer carries a COST_WARNING, and above which a query is refused.
  std::optional<int64_t> cost_warn_bytes;
  std::optional<int64_t> cost_deny_bytes;
  bool empty() const {
    return !timeout_ms && !max_rows && !max_bytes && !cost_warn_bytes && !cost_deny_bytes;
  }
};

//! Lower-case hex SHA-256 of `text`.
std::string KeySha256Hex(std::string_view text);
//! SHA-256 of `text`, raw.
std::array<unsigned char, 32> KeySha256(std::string_view text);

}  // namespace tributary
