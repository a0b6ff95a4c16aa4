// Parsing the access sections: API keys, rate limits and per-query limits (see
// config/access_config.h and config/access_config_parse.h).
//
//   auth:
//     keys:
//       - {name: dashboards, sha256: 5e88...42, projects: [web], roles: [read]}
//       - {name: ops, key: "${TRIB_OPS_KEY}", projects: ["*"], roles: [read, query, admin]}
//   # or, to serve without keys on a non-loopback address on purpose:
//   auth: none
//   rate_limits: {per_minute: 100, per_hour: 1000}
//   projects:
//     web: {sources: [wh], rate_limits: {per_minute: 20}, limits: {timeout_ms: 5000}}
//   sources:
//     wh: {type: duckdb, path: wh.duckdb, limits: {max_rows: 5000, max_bytes: 1048576}}

#include <algorithm>
#include <cctype>

#include "config/access_config_parse.h"
#include "core/sha256.h"

namespace tributary {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kQuery:
      return "query";
    case Role::kAdmin:
      return "admin";
    case Role::kImport:
      return "import";
  }
  return "?";
}

bool ApiKeyConfig::HasProject(std::string_view project) const {
  return all_projects || std::find(projects.begin(), projects.end(), project) != projects.end();
}

std::array<unsigned char, 32> KeySha256(std::string_view text) {
  return Sha256(text).value_or(Sha256Digest{});
}

std::string KeySha256Hex(std::string_view text) {
  return HexDigest(KeySha256(text));
}

namespace config_internal {

namespace {

const std::vector<std::string> kAuthKeys = {"mode", "keys"};
const std::vector<std::string> kAuthModes = {"keys", "none"};
const std::vector<std::string> kApiKeyKeys = {"name", "sha256", "key", "projects", "roles"};
const std::vector<std::string> kRoleNames = {"read", "query", "admin", "import"};
const std::vector<std::string> kRateLimitKeys = {"per_minute", "per_hour"};
const std::vector<std::string> kQueryLimitKeys = {"timeout_ms", "max_rows", "max_bytes",
                                                  "cost_warn_bytes", "cost_deny_bytes"};
// Shorter keys are guessable; `tributary hash-key` makes 43-character ones.
constexpr size_t kMinKeyLength = 16;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status ParseApiKey(const YamlReader& reader, const Value& item, ApiKeyConfig& key,
                   std::vector<KeyProjectReference>& project_references) {
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader.Mapping(item));
  key.location = item.location;
  bool has_name = false;
  bool has_secret = false;
  bool has_projects = false;
  bool has_roles = false;
  for (const auto& field : fields) {
    if (field.key == "name") {
      has_name = true;
      TRIB_ASSIGN_OR_RETURN(key.name, reader.String(field.value));
      if (!IsValidId(key.name)) {
        return reader.Error(field.value,
                            "invalid key name; use 1 to 64 letters, digits, '_' or '-' (it names "
                            "the key in logs and rate-limit buckets, never the key itself)");
      }
    } else if (field.key == "sha256" || field.key == "key") {
      if (has_secret) {
        return reader.Error(field.value,
                            "give either sha256: (the key's SHA-256 in hex) or key: (the clear "
                            "key, e.g. key: ${MY_KEY}), not both");
      }
      has_secret = true;
      TRIB_ASSIGN_OR_RETURN(std::string text, reader.String(field.value, /*secret=*/true));
      if (field.key == "key") {
        if (text.size() < kMinKeyLength) {
          return reader.Error(field.value,
                              "the key is shorter than " + std::to_string(kMinKeyLength) +
                                  " characters; use a long random key (`tributary hash-key` "
                                  "prints one)");
        }
        key.digest = KeySha256(text);
        key.from_clear_key = true;
      } else {
        if (text.size() != 64 ||
            !std::all_of(text.begin(), text.end(), [](char c) { return HexDigit(c) >= 0; })) {
          return reader.Error(field.value,
                              "not a SHA-256 in hex (64 hex digits); `tributary hash-key` "
                              "prints a key with its sha256 line, or run: printf %s \"$KEY\" | "
                              "sha256sum");
        }
        for (size_t i = 0; i < 32; ++i) {
          key.digest[i] =
              static_cast<unsigned char>(HexDigit(text[2 * i]) * 16 + HexDigit(text[2 * i + 1]));
        }
      }
    } else if (field.key == "projects") {
      has_projects = true;
      TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader.Sequence(field.value));
      if (items.empty()) {
        return reader.Error(field.value,
                            "empty list; list the project ids this key may use, or [\"*\"] for "
                            "every project");
      }
      for (const auto& project : items) {
        TRIB_ASSIGN_OR_RETURN(std::string id, reader.String(project));
        if (id == "*") {
          if (items.size() != 1) {
            return reader.Error(project, "\"*\" already means every project; list it alone");
          }
          key.all_projects = true;
          continue;
        }
        if (std::find(key.projects.begin(), key.projects.end(), id) != key.projects.end()) {
          return reader.Error(project,
                              "project '" + id + "' is listed twice; remove the duplicate");
        }
        key.projects.push_back(id);
        project_references.push_back({project, id});
      }
    } else if (field.key == "roles") {
      has_roles = true;
      TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader.Sequence(field.value));
      if (items.empty()) {
        return reader.Error(field.value,
                            "empty list; give the key at least one role: read, query or admin");
      }
      for (const auto& role_value : items) {
        TRIB_ASSIGN_OR_RETURN(std::string name, reader.String(role_value));
        auto it = std::find(kRoleNames.begin(), kRoleNames.end(), name);
        if (it == kRoleNames.end()) {
          return reader.Error(role_value, "unknown role '" + name + "'; " +
                                              DidYouMean(name, kRoleNames) +
                                              "roles: read (metrics, schema, sources), query "
                                              "(raw SQL), admin (cache, reload, rate limits)");
        }
        key.roles |= static_cast<uint8_t>(1u << (it - kRoleNames.begin()));
      }
    } else {
      return reader.UnknownKey(field, kApiKeyKeys, "allowed keys");
    }
  }
  if (!has_name) {
    return reader.MissingKey(item.location, item.path, "name",
                             "add name: <id> (names the key in logs and rate limits)");
  }
  if (!has_secret) {
    return reader.MissingKey(item.location, item.path, "sha256",
                             "add sha256: <hex SHA-256 of the key> or key: ${ENV_VAR} "
                             "(`tributary hash-key` prints a new key and its sha256 line)");
  }
  if (!has_projects) {
    return reader.MissingKey(item.location, item.path, "projects",
                             "list the projects this key may use, e.g. projects: [web], or "
                             "projects: [\"*\"]");
  }
  if (!has_roles) {
    return reader.MissingKey(item.location, item.path, "roles",
                             "list the key's roles, e.g. roles: [read]");
  }
  return Status::Ok();
}

Status ParseKeys(const YamlReader& reader, const Value& value, AuthConfig& auth,
                 std::vector<KeyProjectReference>& project_references) {
  TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader.Sequence(value));
  for (const auto& item : items) {
    ApiKeyConfig key;
    TRIB_RETURN_IF_ERROR(ParseApiKey(reader, item, key, project_references));
    for (const auto& other : auth.keys) {
      if (other.name == key.name) {
        return reader.Error(
            item, "API key name '" + key.name + "' is used twice; give each key its own name");
      }
      if (other.digest == key.digest) {
        return reader.Error(item, "API key '" + key.name + "' is the same key as '" + other.name +
                                      "'; give each client its own key");
      }
    }
    auth.keys.push_back(std::move(key));
  }
  return Status::Ok();
}

Result<int64_t> PositiveLimit(const YamlReader& reader, const Value& value, int64_t min) {
  return reader.Int(value, min, INT64_MAX);
}

}  // namespace

Status ParseAuth(const YamlReader& reader, const Value& value, AuthConfig& auth,
                 std::vector<KeyProjectReference>& project_references) {
  if (value.node.IsScalar()) {
    TRIB_ASSIGN_OR_RETURN(std::string mode, reader.String(value));
    if (mode != "none") {
      return reader.Error(value, "'" + mode +
                                     "' is not an auth setting; write auth: none to serve without "
                                     "keys, or auth: {keys: [...]} to require API keys");
    }
    auth.mode = AuthConfig::Mode::kNone;
    return Status::Ok();
  }
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader.Mapping(value));
  std::optional<Value> mode_value;
  std::string mode;
  for (const auto& field : fields) {
    if (field.key == "mode") {
      TRIB_ASSIGN_OR_RETURN(mode, reader.String(field.value));
      if (std::find(kAuthModes.begin(), kAuthModes.end(), mode) == kAuthModes.end()) {
        return reader.Error(field.value, "unknown auth mode '" + mode +
                                             "'; use keys (require API keys) or none (no "
                                             "authentication)");
      }
      mode_value = field.value;
    } else if (field.key == "keys") {
      TRIB_RETURN_IF_ERROR(ParseKeys(reader, field.value, auth, project_references));
    } else {
      return reader.UnknownKey(field, kAuthKeys, "allowed keys");
    }
  }
  if (mode == "none") {
    if (!auth.keys.empty()) {
      return reader.Error(*mode_value,
                          "mode: none with API keys listed; remove the keys, or use mode: keys");
    }
    auth.mode = AuthConfig::Mode::kNone;
    return Status::Ok();
  }
  if (auth.keys.empty()) {
    return reader.Error(value,
                        "no API keys; add keys: [{name, sha256 or key, projects, roles}] "
                        "(`tributary hash-key` prints one), or write auth: none");
  }
  auth.mode = AuthConfig::Mode::kKeys;
  return Status::Ok();
}

Status ParseRateLimits(const YamlReader& reader, const Value& value, RateLimitSettings& limits) {
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader.Mapping(value));
  for (const auto& field : fields) {
    if (field.key == "per_minute") {
      TRIB_ASSIGN_OR_RETURN(limits.per_minute, PositiveLimit(reader, field.value, 0));
    } else if (field.key == "per_hour") {
      TRIB_ASSIGN_OR_RETURN(limits.per_hour, PositiveLimit(reader, field.value, 0));
    } else {
      return reader.UnknownKey(field, kRateLimitKeys, "allowed keys (0 turns a window off)");
    }
  }
  return Status::Ok();
}

Status ParseQueryLimits(const YamlReader& reader, const Value& value, QueryLimitsConfig& limits) {
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader.Mapping(value));
  for (const auto& field : fields) {
    std::optional<int64_t>* member = nullptr;
    if (field.key == "timeout_ms") {
      member = &limits.timeout_ms;
    } else if (field.key == "max_rows") {
      member = &limits.max_rows;
    } else if (field.key == "max_bytes") {
      member = &limits.max_bytes;
    } else if (field.key == "cost_warn_bytes") {
      member = &limits.cost_warn_bytes;
    } else if (field.key == "cost_deny_bytes") {
      member = &limits.cost_deny_bytes;
    } else {
      return reader.UnknownKey(field, kQueryLimitKeys, "allowed keys");
    }
    TRIB_ASSIGN_OR_RETURN(int64_t n, PositiveLimit(reader, field.value, 1));
    *member = n;
  }
  return Status::Ok();
}

Status ResolveKeyProjects(const YamlReader& reader, const Config& config,
                          const std::vector<KeyProjectReference>& references) {
  std::vector<std::string> project_ids;
  for (const auto& project : config.projects) project_ids.push_back(project.id);
  for (const auto& reference : references) {
    if (!config.FindProject(reference.id)) {
      return reader.Error(reference.value, "unknown project '" + reference.id + "'; " +
                                               DidYouMean(reference.id, project_ids) +
                                               "defined projects: " + JoinNames(project_ids));
    }
  }
  return Status::Ok();
}

}  // namespace config_internal

}  // namespace tributary
