// Loading and validating the YAML config (declared in config/config.h).
//
// Two passes: the first walks the document in order and stops at the first local mistake
// (unknown key, wrong type, bad value, duplicate); the second resolves references that may
// point forward (a project naming a source defined further down, default_project), so the
// reported error is deterministic and, within each pass, the first in document order.
//
// The layout (JSON with the same structure is accepted):
//   server: {listen: "127.0.0.1:8080", max_row_limit: 100000, ...}
//   sources:
//     warehouse: {type: duckdb, path: "${DATA_DIR}/warehouse.duckdb", threads: 4}
//   projects:
//     web:
//       sources: [warehouse]
//       datasets:
//         web_events: {source: warehouse, table: events, columns: {ts: event_time},
//                      features: [{match: "^/docs", name: docs}]}
//         llm_logs:              # several sources: a list of the same mappings
//           - {source: warehouse, table: llm_logs}
//           - {source: pg, table: public.gateway_logs, columns: {timestamp: ts}}
//   default_project: web
// Thread-safety: loading touches no shared state other than the read-only connector registry.
#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <system_error>

#include "config/access_config_parse.h"
#include "config/config_render.h"
#include "config/source_options.h"
#include "config/yaml_reader.h"
#include "connectors/registry.h"

namespace tributary {

const SourceConfig* Config::FindSource(std::string_view id) const {
  for (const auto& s : sources) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const ProjectConfig* Config::FindProject(std::string_view id) const {
  for (const auto& p : projects) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

namespace {

using config_internal::Field;
using config_internal::Value;
using config_internal::YamlReader;

const std::vector<std::string> kTopLevelKeys = {
    "server",      "sources", "projects", "default_project", "redis", "cache",
    "rate_limits", "auth",    "imports",  "investigate",     "mcp"};
const std::vector<std::string> kImportsKeys = {"enabled",          "dir",
                                               "max_upload_bytes", "min_free_bytes",
                                               "max_concurrent",   "keep_finished_seconds"};
const std::vector<std::string> kMcpKeys = {"enabled", "max_result_bytes", "default_row_limit"};
const std::vector<std::string> kImportTargetKeys = {"user", "password", "schema"};
const std::vector<std::string> kImportTargetTypes = {"postgres", "clickhouse"};
const std::vector<std::string> kRedisKeys = {"host",
                                             "port",
                                             "password",
                                             "database",
                                             "key_prefix",
                                             "connect_timeout_ms",
                                             "command_timeout_ms",
                                             "pool_size"};
const std::vector<std::string> kProjectKeys = {"sources", "datasets", "cache", "rate_limits",
                                               "limits"};
const std::vector<std::string> kCacheKeys = {"enabled", "backend", "max_bytes",
                                             "stale_while_revalidate"};
const std::vector<std::string> kCacheBackends = {"memory", "redis"};
const std::vector<std::string> kProjectCacheKeys = {"enabled", "ttl_seconds"};
const std::vector<std::string> kDatasetNames = {"llm_logs", "web_events"};
const std::vector<std::string> kDatasetKeys = {"source", "table", "columns", "client_pattern",
                                               "features"};
const std::vector<std::string> kFeatureKeys = {"match", "name"};

constexpr std::string_view kSourceExample = "demo: {type: duckdb, path: demo.duckdb}";

struct ServerIntSetting {
  const char* name;
  int64_t ServerConfig::*member;
  int64_t min;
};

// Limits and timeouts must be positive: 0 would not mean "unlimited" anywhere, it would
// reject every request. Thread counts may be 0, meaning "derive from the core count".
constexpr ServerIntSetting kServerInts[] = {
    {"max_body_bytes", &ServerConfig::max_body_bytes, 1},
    {"max_header_bytes", &ServerConfig::max_header_bytes, 1},
    {"read_timeout_ms", &ServerConfig::read_timeout_ms, 1},
    {"idle_timeout_ms", &ServerConfig::idle_timeout_ms, 1},
    {"io_threads", &ServerConfig::io_threads, 0},
    {"worker_threads", &ServerConfig::worker_threads, 0},
    {"fanout_threads", &ServerConfig::fanout_threads, 0},
    {"default_row_limit", &ServerConfig::default_row_limit, 1},
    {"max_row_limit", &ServerConfig::max_row_limit, 1},
    {"default_timeout_ms", &ServerConfig::default_timeout_ms, 1},
    {"max_timeout_ms", &ServerConfig::max_timeout_ms, 1},
    {"max_result_bytes", &ServerConfig::max_result_bytes, 1},
    {"shutdown_grace_ms", &ServerConfig::shutdown_grace_ms, 1},
};

const std::vector<std::string>& ServerKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> all = {"listen", "packs_dir", "web_dir"};
    for (const auto& setting : kServerInts) all.emplace_back(setting.name);
    return all;
  }();
  return keys;
}

std::vector<std::string> ConnectorTypes() {
  std::vector<std::string> types;
  for (const auto& factory : AllConnectors()) types.push_back(factory.type);
  return types;
}

bool IsHostnameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}
bool IsIpv6Char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// What is wrong with a listen address ("what; how to fix"), or nullopt when it is valid.
std::optional<std::string> ListenProblem(const std::string& listen) {
  const std::string not_host_port =
      "'" + listen + "' is not HOST:PORT; write e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080";
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return not_host_port;
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
    if (host.empty() || host.find(':') == std::string::npos ||
        !std::all_of(host.begin(), host.end(), IsIpv6Char)) {
      return "'" + host + "' is not an IPv6 address; write e.g. [::1]:8080 or [::]:8080";
    }
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return not_host_port;
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return "IPv6 address in '" + listen + "' needs brackets; write e.g. [::1]:8080";
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsHostnameChar)) {
      return not_host_port;
    }
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(port) > 65535) {
    return "port '" + port + "' is not a number from 0 to 65535; write e.g. " +
           (listen.front() == '[' ? "[::1]:8080" : "127.0.0.1:8080");
  }
  return std::nullopt;
}

std::string RegexProblem(std::regex_constants::error_type code) {
  namespace rc = std::regex_constants;
  // Our own wording: libstdc++'s messages differ between versions.
  if (code == rc::error_collate) return "invalid collating element";
  if (code == rc::error_ctype) return "invalid character class";
  if (code == rc::error_escape) return "invalid escape";
  if (code == rc::error_backref) return "invalid back reference";
  if (code == rc::error_brack) return "unmatched '['";
  if (code == rc::error_paren) return "unmatched '(' or ')'";
  if (code == rc::error_brace) return "unmatched '{'";
  if (code == rc::error_badbrace) return "invalid {m,n} repetition";
  if (code == rc::error_range) return "invalid character range";
  if (code == rc::error_badrepeat) return "'*', '+', '?' or '{' with nothing to repeat";
  return "pattern too complex";
}

// A reference resolved once the whole document has been read.
struct PendingReference {
  Value value;
  std::string id;
};

class ConfigParser {
 public:
  explicit ConfigParser(const YamlReader& reader) : reader_(reader) {}

  Status Parse(const Value& root, Config& config) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(root));
    bool has_sources = false;
    for (const auto& field : fields) {
      if (field.key == "server") {
        TRIB_RETURN_IF_ERROR(ParseServer(field.value, config.server));
      } else if (field.key == "sources") {
        has_sources = true;
        TRIB_RETURN_IF_ERROR(ParseSources(field.value, config.sources));
      } else if (field.key == "projects") {
        TRIB_RETURN_IF_ERROR(ParseProjects(field.value, config.projects));
      } else if (field.key == "redis") {
        RedisConfig redis;
        redis.location = field.key_location;
        TRIB_RETURN_IF_ERROR(ParseRedis(field.value, redis));
        config.redis = std::move(redis);
      } else if (field.key == "default_project") {
        TRIB_ASSIGN_OR_RETURN(config.default_project, reader_.String(field.value));
        default_project_ = PendingReference{field.value, config.default_project};
      } else if (field.key == "cache") {
        TRIB_RETURN_IF_ERROR(ParseCache(field.value, config.cache));
      } else if (field.key == "imports") {
        config.imports.location = field.key_location;
        TRIB_RETURN_IF_ERROR(ParseImports(field.value, config.imports));
      } else if (field.key == "mcp") {
        config.mcp.location = field.key_location;
        TRIB_RETURN_IF_ERROR(ParseMcp(field.value, config.mcp));
      } else if (field.key == "auth") {
        TRIB_RETURN_IF_ERROR(
            config_internal::ParseAuth(reader_, field.value, config.auth, key_projects_));
      } else if (field.key == "rate_limits") {
        TRIB_RETURN_IF_ERROR(
            config_internal::ParseRateLimits(reader_, field.value, config.rate_limits.emplace()));
      } else if (field.key == "investigate") {
        config.investigate.location = field.key_location;
        TRIB_RETURN_IF_ERROR(ParseInvestigate(field.value, config.investigate));
      } else {
        return reader_.UnknownKey(field, kTopLevelKeys, "allowed keys");
      }
    }
    if (!has_sources) {
      return reader_.MissingKey(
          root.location, "", "sources",
          "define at least one source, e.g. sources: {" + std::string(kSourceExample) + "}");
    }
    if (config.cache.backend == "redis" && config.cache.enabled && !config.redis) {
      return reader_.Error(config.cache.backend_location, "cache.backend",
                           "the redis backend needs the top-level redis: section (host, port, "
                           "password, ...); add it, or use backend: memory");
    }
    return ResolveReferences(config);
  }

 private:
  Status ParseRedis(const Value& value, RedisConfig& redis) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    for (const auto& field : fields) {
      if (field.key == "host") {
        TRIB_ASSIGN_OR_RETURN(redis.host, reader_.String(field.value));
        if (redis.host.empty() || !std::all_of(redis.host.begin(), redis.host.end(), [](char c) {
              return IsHostnameChar(c) || IsIpv6Char(c);
            })) {
          return reader_.Error(field.value, "'" + redis.host +
                                                "' is not a host name or address; write e.g. "
                                                "127.0.0.1 or redis.internal");
        }
      } else if (field.key == "port") {
        TRIB_ASSIGN_OR_RETURN(redis.port, reader_.Int(field.value, 1, 65535));
      } else if (field.key == "password") {
        TRIB_ASSIGN_OR_RETURN(redis.password, reader_.String(field.value, /*secret=*/true));
      } else if (field.key == "database") {
        TRIB_ASSIGN_OR_RETURN(redis.database, reader_.Int(field.value, 0, 15));
      } else if (field.key == "key_prefix") {
        TRIB_ASSIGN_OR_RETURN(redis.key_prefix, reader_.String(field.value));
      } else if (field.key == "connect_timeout_ms") {
        TRIB_ASSIGN_OR_RETURN(redis.connect_timeout_ms, reader_.Int(field.value, 1, 60000));
      } else if (field.key == "command_timeout_ms") {
        TRIB_ASSIGN_OR_RETURN(redis.command_timeout_ms, reader_.Int(field.value, 1, 60000));
      } else if (field.key == "pool_size") {
        TRIB_ASSIGN_OR_RETURN(redis.pool_size, reader_.Int(field.value, 1, 256));
      } else {
        return reader_.UnknownKey(field, kRedisKeys, "allowed keys");
      }
    }
    return Status::Ok();
  }

  //! `mcp:` (docs/mcp.md).
  Status ParseMcp(const Value& value, McpConfig& mcp) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    for (const auto& field : fields) {
      if (field.key == "enabled") {
        TRIB_ASSIGN_OR_RETURN(mcp.enabled, reader_.Bool(field.value));
      } else if (field.key == "max_result_bytes") {
        TRIB_ASSIGN_OR_RETURN(mcp.max_result_bytes, reader_.Int(field.value, 1024, 1LL << 30));
      } else if (field.key == "default_row_limit") {
        TRIB_ASSIGN_OR_RETURN(mcp.default_row_limit, reader_.Int(field.value, 1, 1'000'000));
      } else {
        return reader_.UnknownKey(field, kMcpKeys, "allowed keys");
      }
    }
    return Status::Ok();
  }

  Status ParseImports(const Value& value, ImportsConfig& imports) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    for (const auto& field : fields) {
      if (field.key == "enabled") {
        TRIB_ASSIGN_OR_RETURN(imports.enabled, reader_.Bool(field.value));
      } else if (field.key == "dir") {
        TRIB_ASSIGN_OR_RETURN(imports.dir, reader_.String(field.value));
        if (imports.dir.empty()) {
          return reader_.Error(field.value,
                               "empty imports.dir; name a folder, or remove the key for the "
                               "default .tributary/imports beside the config file");
        }
      } else if (field.key == "max_upload_bytes") {
        TRIB_ASSIGN_OR_RETURN(imports.max_upload_bytes, reader_.Int(field.value, 1, INT64_MAX));
      } else if (field.key == "min_free_bytes") {
        TRIB_ASSIGN_OR_RETURN(imports.min_free_bytes, reader_.Int(field.value, 0, INT64_MAX));
      } else if (field.key == "max_concurrent") {
        TRIB_ASSIGN_OR_RETURN(imports.max_concurrent, reader_.Int(field.value, 1, 64));
      } else if (field.key == "keep_finished_seconds") {
        TRIB_ASSIGN_OR_RETURN(imports.keep_finished_seconds,
                              reader_.Int(field.value, 0, 30LL * 24 * 3600));
      } else {
        return reader_.UnknownKey(field, kImportsKeys, "allowed keys");
      }
    }
    return Status::Ok();
  }

  Status ParseImportTarget(const Field& entry, const std::string& type,
                           ImportTargetConfig& target) {
    if (std::find(kImportTargetTypes.begin(), kImportTargetTypes.end(), type) ==
        kImportTargetTypes.end()) {
      return reader_.Error(entry.key_location, entry.value.path,
                           "a " + type +
                               " source cannot be an import target; only postgres and "
                               "clickhouse sources can: remove import_target here");
    }
    target.location = entry.key_location;
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(entry.value));
    bool has_user = false;
    for (const auto& field : fields) {
      if (field.key == "user") {
        has_user = true;
        TRIB_ASSIGN_OR_RETURN(target.user, reader_.String(field.value));
      } else if (field.key == "password") {
        TRIB_ASSIGN_OR_RETURN(target.password, reader_.String(field.value, /*secret=*/true));
      } else if (field.key == "schema") {
        TRIB_ASSIGN_OR_RETURN(target.schema, reader_.String(field.value));
        if (!config_internal::IsValidId(target.schema)) {
          return reader_.Error(field.value,
                               "invalid schema name; use 1 to 64 letters, digits, '_' or '-'");
        }
      } else {
        return reader_.UnknownKey(field, kImportTargetKeys, "allowed keys");
      }
    }
    if (!has_user) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "user",
                                "add user: <a user allowed to create tables and insert>, with "
                                "password: ${ENV_VAR}");
    }
    return Status::Ok();
  }

  Status ParseServer(const Value& value, ServerConfig& server) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    std::map<std::string, Value> given;
    for (const auto& field : fields) {
      given[field.key] = field.value;
      if (field.key == "listen") {
        TRIB_ASSIGN_OR_RETURN(server.listen, reader_.String(field.value));
        if (auto problem = ListenProblem(server.listen))
          return reader_.Error(field.value, *problem);
        continue;
      }
      if (field.key == "packs_dir") {
        TRIB_ASSIGN_OR_RETURN(server.packs_dir, reader_.String(field.value));
        if (server.packs_dir.empty()) {
          return reader_.Error(field.value,
                               "empty packs_dir; name a folder of metric packs or remove the key "
                               "to use the packs built into the binary");
        }
        continue;
      }
      if (field.key == "web_dir") {
        // "" is allowed: it turns the dashboard off (server/static_files.h).
        TRIB_ASSIGN_OR_RETURN(std::string web_dir, reader_.String(field.value));
        server.web_dir = std::move(web_dir);
        continue;
      }
      auto setting = std::find_if(std::begin(kServerInts), std::end(kServerInts),
                                  [&](const ServerIntSetting& s) { return field.key == s.name; });
      if (setting == std::end(kServerInts)) {
        return reader_.UnknownKey(field, ServerKeys(), "allowed keys");
      }
      TRIB_ASSIGN_OR_RETURN(server.*(setting->member),
                            reader_.Int(field.value, setting->min, INT64_MAX));
    }
    TRIB_RETURN_IF_ERROR(CheckNotAbove(given, "default_row_limit", server.default_row_limit,
                                       "max_row_limit", server.max_row_limit));
    return CheckNotAbove(given, "default_timeout_ms", server.default_timeout_ms, "max_timeout_ms",
                         server.max_timeout_ms);
  }

  Status ParseCache(const Value& value, CacheConfig& cache) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    for (const auto& field : fields) {
      if (field.key == "enabled") {
        TRIB_ASSIGN_OR_RETURN(cache.enabled, reader_.Bool(field.value));
      } else if (field.key == "backend") {
        TRIB_ASSIGN_OR_RETURN(cache.backend, reader_.String(field.value));
        cache.backend_location = field.value.location;
        if (std::find(kCacheBackends.begin(), kCacheBackends.end(), cache.backend) ==
            kCacheBackends.end()) {
          return reader_.Error(field.value,
                               "unknown cache backend '" + cache.backend + "'; " +
                                   config_internal::DidYouMean(cache.backend, kCacheBackends) +
                                   "use one of: " + config_internal::JoinNames(kCacheBackends));
        }
      } else if (field.key == "max_bytes") {
        // Below 1 MiB the cache would hold next to nothing; say so rather than thrash.
        TRIB_ASSIGN_OR_RETURN(cache.max_bytes, reader_.Int(field.value, 1 << 20, INT64_MAX));
      } else if (field.key == "stale_while_revalidate") {
        TRIB_ASSIGN_OR_RETURN(cache.stale_while_revalidate, reader_.Bool(field.value));
      } else {
        return reader_.UnknownKey(field, kCacheKeys, "allowed keys");
      }
    }
    return Status::Ok();
  }

  Status ParseProjectCache(const Value& value, ProjectCacheConfig& cache) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    for (const auto& field : fields) {
      if (field.key == "enabled") {
        TRIB_ASSIGN_OR_RETURN(cache.enabled, reader_.Bool(field.value));
      } else if (field.key == "ttl_seconds") {
        // Which metrics exist is up to the packs: names are checked when they load.
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> ttls, reader_.Mapping(field.value, "metric"));
        for (const auto& ttl : ttls) {
          TRIB_ASSIGN_OR_RETURN(int64_t seconds, reader_.Int(ttl.value, 0, 86400 * 7));
          cache.ttl_seconds[ttl.key] = seconds;
          cache.ttl_locations[ttl.key] = ttl.key_location;
        }
      } else {
        return reader_.UnknownKey(field, kProjectCacheKeys, "allowed keys");
      }
    }
    return Status::Ok();
  }

  // A default above its maximum is reported where the user wrote the conflicting number.
  Status CheckNotAbove(const std::map<std::string, Value>& given, const std::string& low_name,
                       int64_t low, const std::string& high_name, int64_t high) const {
    if (low <= high) return Status::Ok();
    if (auto it = given.find(low_name); it != given.end()) {
      return reader_.Error(it->second, std::to_string(low) + " exceeds " + high_name + " (" +
                                           std::to_string(high) + "); lower " + low_name +
                                           " or raise " + high_name);
    }
    return reader_.Error(given.at(high_name),
                         std::to_string(high) + " is below " + low_name + " (" +
                             std::to_string(low) + ", its default); raise " + high_name +
                             " or set " + low_name + " <= " + std::to_string(high));
  }

  Status ParseSources(const Value& value, std::vector<SourceConfig>& sources) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value, "source id"));
    if (fields.empty()) {
      return reader_.Error(value,
                           "no sources defined; add one, e.g. " + std::string(kSourceExample));
    }
    for (const auto& field : fields) {
      if (!config_internal::IsValidId(field.key)) {
        return reader_.Error(field.key_location, field.value.path,
                             "invalid source id; use 1 to 64 letters, digits, '_' or '-'");
      }
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> source_fields, reader_.Mapping(field.value));
      // The type decides which options are valid, so it is read first wherever it is.
      auto type_field = std::find_if(source_fields.begin(), source_fields.end(),
                                     [](const Field& f) { return f.key == "type"; });
      if (type_field == source_fields.end()) {
        return reader_.MissingKey(
            field.key_location, field.value.path, "type",
            "add type: <connector>, one of: " + config_internal::JoinNames(ConnectorTypes()));
      }
      TRIB_ASSIGN_OR_RETURN(std::string type, reader_.String(type_field->value));
      const ConnectorFactory* factory = FindConnector(type);
      if (!factory) {
        return reader_.Error(type_field->value,
                             "unknown connector type '" + type + "'; " +
                                 config_internal::DidYouMean(type, ConnectorTypes()) +
                                 "known types: " + config_internal::JoinNames(ConnectorTypes()));
      }
      TRIB_ASSIGN_OR_RETURN(Options options, config_internal::ParseSourceOptions(
                                                 reader_, source_fields, *factory, field));
      sources.push_back({field.key, type, std::move(options), field.key_location});
      auto limits_field = std::find_if(source_fields.begin(), source_fields.end(),
                                       [](const Field& f) { return f.key == "limits"; });
      if (limits_field != source_fields.end()) {
        TRIB_RETURN_IF_ERROR(
            config_internal::ParseQueryLimits(reader_, limits_field->value, sources.back().limits));
      }
      auto target_field = std::find_if(source_fields.begin(), source_fields.end(),
                                       [](const Field& f) { return f.key == "import_target"; });
      if (target_field != source_fields.end()) {
        TRIB_RETURN_IF_ERROR(
            ParseImportTarget(*target_field, type, sources.back().import_target.emplace()));
      }
      TRIB_RETURN_IF_ERROR(ParseSourceInvestigation(source_fields, sources.back()));
    }
    return Status::Ok();
  }

  Status ParseProjects(const Value& value, std::vector<ProjectConfig>& projects) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value, "project id"));
    for (const auto& field : fields) {
      if (!config_internal::IsValidId(field.key)) {
        return reader_.Error(field.key_location, field.value.path,
                             "invalid project id; use 1 to 64 letters, digits, '_' or '-'");
      }
      ProjectConfig project;
      TRIB_RETURN_IF_ERROR(ParseProject(field, project));
      projects.push_back(std::move(project));
    }
    return Status::Ok();
  }

  Status ParseProject(const Field& entry, ProjectConfig& project) {
    project.id = entry.key;
    project.location = entry.key_location;
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(entry.value));
    bool has_sources = false;
    // Where each dataset names its source, checked once the project's sources are known.
    std::vector<std::pair<std::string, Value>> dataset_sources;
    for (const auto& field : fields) {
      if (field.key == "sources") {
        has_sources = true;
        TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader_.Sequence(field.value));
        if (items.empty()) {
          return reader_.Error(field.value,
                               "empty list; list at least one source id, e.g. sources: [demo]");
        }
        for (const auto& item : items) {
          TRIB_ASSIGN_OR_RETURN(std::string id, reader_.String(item));
          if (std::find(project.sources.begin(), project.sources.end(), id) !=
              project.sources.end()) {
            return reader_.Error(item, "source '" + id + "' is listed twice; remove the duplicate");
          }
          project.sources.push_back(id);
          source_references_.push_back({item, id});
        }
      } else if (field.key == "datasets") {
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> datasets, reader_.Mapping(field.value, "dataset"));
        for (const auto& dataset_field : datasets) {
          // Which datasets exist is up to the metric packs (data, loaded later): the names
          // are checked against them when the packs load (CheckDatasetBindings).
          if (!config_internal::IsValidId(dataset_field.key)) {
            return reader_.Error(dataset_field.key_location, dataset_field.value.path,
                                 "invalid dataset name; use letters, digits, '_' and '-', e.g. " +
                                     kDatasetNames.front());
          }
          // One mapping, or a list of mappings: one per source holding part of the rows.
          std::vector<Field> entries;
          if (dataset_field.value.node.IsSequence()) {
            TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader_.Sequence(dataset_field.value));
            if (items.empty()) {
              return reader_.Error(dataset_field.value,
                                   "empty list; bind the dataset to at least one source, e.g. "
                                   "- {source: demo}");
            }
            for (const auto& item : items) {
              entries.push_back({dataset_field.key, item.location, item});
            }
          } else {
            entries.push_back(dataset_field);
          }
          std::vector<DatasetBinding> bindings;
          for (const auto& entry : entries) {
            DatasetBinding binding;
            Value source_value;
            TRIB_RETURN_IF_ERROR(ParseDataset(entry, binding, source_value));
            for (const auto& earlier : bindings) {
              if (earlier.source == binding.source) {
                return reader_.Error(
                    source_value, "source '" + binding.source + "' already holds " + binding.name +
                                      " in this list; bind each source once (remove the "
                                      "duplicate)");
              }
            }
            dataset_sources.emplace_back(binding.source, source_value);
            bindings.push_back(std::move(binding));
          }
          project.datasets[dataset_field.key] = std::move(bindings);
        }
      } else if (field.key == "cache") {
        TRIB_RETURN_IF_ERROR(ParseProjectCache(field.value, project.cache));
      } else if (field.key == "rate_limits") {
        // Keys left out inherit the top-level values, filled in by ResolveReferences.
        RateLimitSettings unset{-1, -1};
        TRIB_RETURN_IF_ERROR(config_internal::ParseRateLimits(reader_, field.value, unset));
        project.rate_limits = unset;
      } else if (field.key == "limits") {
        TRIB_RETURN_IF_ERROR(
            config_internal::ParseQueryLimits(reader_, field.value, project.limits));
      } else {
        return reader_.UnknownKey(field, kProjectKeys, "allowed keys");
      }
    }
    if (!has_sources) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "sources",
                                "list the source ids this project may use, e.g. sources: [demo]");
    }
    for (const auto& [source, where] : dataset_sources) {
      if (std::find(project.sources.begin(), project.sources.end(), source) ==
          project.sources.end()) {
        return reader_.Error(where,
                             "source '" + source + "' is not one of this project's sources (" +
                                 config_internal::JoinNames(project.sources) + "); add it to " +
                                 entry.value.path + ".sources or use one of them");
      }
    }
    return Status::Ok();
  }

  Status ParseDataset(const Field& entry, DatasetBinding& binding, Value& source_value) {
    binding.name = entry.key;
    binding.table = entry.key;
    binding.location = entry.key_location;
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(entry.value));
    bool has_source = false;
    for (const auto& field : fields) {
      if (field.key == "source") {
        has_source = true;
        source_value = field.value;
        TRIB_ASSIGN_OR_RETURN(binding.source, reader_.String(field.value));
      } else if (field.key == "table") {
        TRIB_ASSIGN_OR_RETURN(binding.table, reader_.String(field.value));
        if (binding.table.empty()) {
          return reader_.Error(field.value,
                               "empty table name; name the table, or remove the key "
                               "to use '" +
                                   entry.key + "'");
        }
      } else if (field.key == "columns") {
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> columns, reader_.Mapping(field.value));
        for (const auto& column : columns) {
          TRIB_ASSIGN_OR_RETURN(std::string actual, reader_.String(column.value));
          if (actual.empty()) {
            return reader_.Error(column.value,
                                 "empty column name; write the source's column for '" + column.key +
                                     "' or remove the entry");
          }
          binding.columns[column.key] = std::move(actual);
        }
      } else if (field.key == "client_pattern") {
        TRIB_ASSIGN_OR_RETURN(std::string pattern, reader_.String(field.value));
        TRIB_RETURN_IF_ERROR(CheckRegex(field.value, pattern));
        binding.client_pattern = std::move(pattern);
      } else if (field.key == "features") {
        TRIB_ASSIGN_OR_RETURN(std::vector<FeatureRule> rules, ParseFeatures(field.value));
        binding.feature_rules = std::move(rules);
      } else {
        return reader_.UnknownKey(field, kDatasetKeys, "allowed keys");
      }
    }
    if (!has_source) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "source",
                                "name the project source that holds " + entry.key);
    }
    return Status::Ok();
  }

  Result<std::vector<FeatureRule>> ParseFeatures(const Value& value) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader_.Sequence(value));
    std::vector<FeatureRule> rules;
    for (const auto& item : items) {
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(item));
      FeatureRule rule;
      bool has_match = false;
      bool has_name = false;
      for (const auto& field : fields) {
        if (field.key == "match") {
          has_match = true;
          TRIB_ASSIGN_OR_RETURN(rule.match, reader_.String(field.value));
          TRIB_RETURN_IF_ERROR(CheckRegex(field.value, rule.match));
        } else if (field.key == "name") {
          has_name = true;
          TRIB_ASSIGN_OR_RETURN(rule.name, reader_.String(field.value));
          if (rule.name.empty()) {
            return reader_.Error(field.value, "empty feature name; name the feature");
          }
        } else {
          return reader_.UnknownKey(field, kFeatureKeys, "allowed keys");
        }
      }
      if (!has_match) {
        return reader_.MissingKey(item.location, item.path, "match",
                                  "add match: <regular expression>");
      }
      if (!has_name) {
        return reader_.MissingKey(item.location, item.path, "name", "add name: <feature name>");
      }
      rules.push_back(std::move(rule));
    }
    return rules;
  }

  Status CheckRegex(const Value& value, const std::string& pattern) const {
    try {
      std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return reader_.Error(value, "invalid regular expression: " + RegexProblem(e.code()) +
                                      "; fix the pattern (ECMAScript syntax)");
    }
    return Status::Ok();
  }

  Status ResolveReferences(Config& config) const {
    // A project's rate_limits inherit the keys they leave out from the top-level section.
    const RateLimitSettings base = config.rate_limits.value_or(RateLimitSettings{});
    for (auto& project : config.projects) {
      if (!project.rate_limits) continue;
      if (project.rate_limits->per_minute < 0) project.rate_limits->per_minute = base.per_minute;
      if (project.rate_limits->per_hour < 0) project.rate_limits->per_hour = base.per_hour;
    }
    TRIB_RETURN_IF_ERROR(config_internal::ResolveKeyProjects(reader_, config, key_projects_));
    TRIB_RETURN_IF_ERROR(CheckInvestigateDatasets(config));
    std::vector<std::string> source_ids;
    for (const auto& source : config.sources) source_ids.push_back(source.id);
    for (const auto& reference : source_references_) {
      if (!config.FindSource(reference.id)) {
        return reader_.Error(reference.value,
                             "unknown source '" + reference.id + "'; " +
                                 config_internal::DidYouMean(reference.id, source_ids) +
                                 "defined sources: " + config_internal::JoinNames(source_ids));
      }
    }
    std::vector<std::string> project_ids;
    for (const auto& project : config.projects) project_ids.push_back(project.id);
    if (default_project_) {
      if (!config.FindProject(default_project_->id)) {
        return reader_.Error(default_project_->value,
                             "unknown project '" + default_project_->id + "'; " +
                                 config_internal::DidYouMean(default_project_->id, project_ids) +
                                 "defined projects: " + config_internal::JoinNames(project_ids));
      }
    } else if (config.projects.size() == 1) {
      // With several projects and no default, the API requires an explicit project.
      config.default_project = config.projects.front().id;
    }
    return Status::Ok();
  }

  // ---- investigate: (docs/investigate.md) ----

  static bool IsTagName(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
             c == '-';
    });
  }

  Status ParseInvestigate(const Value& value, InvestigateConfig& investigate) {
    static const std::vector<std::string> keys = {"deadline_ms", "baseline_multiple", "max_points",
                                                  "top_messages", "synthesis"};
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value));
    for (const auto& field : fields) {
      if (field.key == "deadline_ms") {
        TRIB_ASSIGN_OR_RETURN(investigate.deadline_ms, reader_.Int(field.value, 1, 600000));
      } else if (field.key == "baseline_multiple") {
        TRIB_ASSIGN_OR_RETURN(investigate.baseline_multiple, reader_.Double(field.value));
        if (!(investigate.baseline_multiple > 1.0) || investigate.baseline_multiple > 1e6) {
          return reader_.Error(field.value,
                               "baseline_multiple must be above 1 (a shift is a value above "
                               "baseline × this), e.g. 2.0");
        }
      } else if (field.key == "max_points") {
        TRIB_ASSIGN_OR_RETURN(investigate.max_points, reader_.Int(field.value, 10, 100000));
      } else if (field.key == "top_messages") {
        TRIB_ASSIGN_OR_RETURN(investigate.top_messages, reader_.Int(field.value, 0, 100));
      } else if (field.key == "synthesis") {
        SynthesisConfig synthesis;
        synthesis.location = field.key_location;
        TRIB_RETURN_IF_ERROR(ParseSynthesis(field, synthesis));
        investigate.synthesis = std::move(synthesis);
      } else {
        return reader_.UnknownKey(field, keys, "allowed keys");
      }
    }
    return Status::Ok();
  }

  Status ParseSynthesis(const Field& entry, SynthesisConfig& synthesis) {
    static const std::vector<std::string> keys = {"url", "model", "api_key", "timeout_ms",
                                                  "max_evidence_bytes"};
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(entry.value));
    bool has_url = false;
    bool has_model = false;
    for (const auto& field : fields) {
      if (field.key == "url") {
        has_url = true;
        TRIB_ASSIGN_OR_RETURN(synthesis.url, reader_.String(field.value));
        if (synthesis.url.rfind("http://", 0) != 0 && synthesis.url.rfind("https://", 0) != 0) {
          return reader_.Error(field.value,
                               "not an http(s) URL; write the API's base URL, e.g. "
                               "http://127.0.0.1:11434/v1 (requests go to {url}/chat/completions)");
        }
        while (!synthesis.url.empty() && synthesis.url.back() == '/') synthesis.url.pop_back();
      } else if (field.key == "model") {
        has_model = true;
        TRIB_ASSIGN_OR_RETURN(synthesis.model, reader_.String(field.value));
        if (synthesis.model.empty()) {
          return reader_.Error(field.value, "empty model; name the chat model, e.g. gpt-4o-mini");
        }
      } else if (field.key == "api_key") {
        TRIB_ASSIGN_OR_RETURN(synthesis.api_key, reader_.String(field.value, /*secret=*/true));
      } else if (field.key == "timeout_ms") {
        TRIB_ASSIGN_OR_RETURN(synthesis.timeout_ms, reader_.Int(field.value, 1, 600000));
      } else if (field.key == "max_evidence_bytes") {
        TRIB_ASSIGN_OR_RETURN(synthesis.max_evidence_bytes,
                              reader_.Int(field.value, 1024, 16LL << 20));
      } else {
        return reader_.UnknownKey(field, keys, "allowed keys");
      }
    }
    if (!has_url) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "url",
                                "add url: <the OpenAI-compatible API's base URL>, e.g. "
                                "http://127.0.0.1:11434/v1");
    }
    if (!has_model) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "model",
                                "add model: <chat model name>, e.g. gpt-4o-mini");
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> TagNames(const Value& value) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader_.Sequence(value));
    std::vector<std::string> names;
    for (const auto& item : items) {
      TRIB_ASSIGN_OR_RETURN(std::string name, reader_.String(item));
      if (!IsTagName(name)) {
        return reader_.Error(item, "invalid name '" + name +
                                       "'; use 1 to 128 letters, digits, '_', '.', ':' or '-'");
      }
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return reader_.Error(item, "'" + name + "' is listed twice; remove the duplicate");
      }
      names.push_back(std::move(name));
    }
    return names;
  }

  // `tags:` and `investigate:` of a source, read beside its connector options.
  Status ParseSourceInvestigation(const std::vector<Field>& source_fields, SourceConfig& source) {
    for (const auto& field : source_fields) {
      if (field.key == "tags") {
        static const std::vector<std::string> keys = {"environments", "services"};
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> tag_fields, reader_.Mapping(field.value));
        for (const auto& tag : tag_fields) {
          if (tag.key == "environments") {
            TRIB_ASSIGN_OR_RETURN(source.tags.environments, TagNames(tag.value));
          } else if (tag.key == "services") {
            TRIB_ASSIGN_OR_RETURN(source.tags.services, TagNames(tag.value));
          } else {
            return reader_.UnknownKey(tag, keys, "allowed keys");
          }
        }
      } else if (field.key == "investigate") {
        TRIB_RETURN_IF_ERROR(ParseSourceInvestigate(field, source));
      }
    }
    return Status::Ok();
  }

  Status ParseSourceInvestigate(const Field& entry, SourceConfig& source) {
    static const std::vector<std::string> kinds = {"metrics", "logs", "changes"};
    static const std::vector<std::string> sql_types = {"duckdb", "postgres", "mysql", "sqlite",
                                                       "clickhouse"};
    const bool sql = std::find(sql_types.begin(), sql_types.end(), source.type) != sql_types.end();
    SourceInvestigateConfig inv;
    inv.location = entry.key_location;
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(entry.value));
    if (fields.size() != 1) {
      return reader_.Error(entry.key_location, entry.value.path,
                           "investigate: holds exactly one of metrics, logs or changes (found " +
                               std::to_string(fields.size()) +
                               "); use one source entry per kind of evidence");
    }
    const Field& kind = fields.front();
    if (kind.key == "metrics") {
      if (source.type != "prometheus") {
        return reader_.Error(kind.key_location, kind.value.path,
                             "metrics: is for prometheus sources; a " + source.type +
                                 " source holds logs: or changes:");
      }
      inv.kind = SourceInvestigateConfig::Kind::kMetrics;
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> signals, reader_.Mapping(kind.value, "signal"));
      if (signals.empty()) {
        return reader_.Error(kind.value,
                             "no signals; add e.g. error_rate: '<PromQL with {{service}}>'");
      }
      for (const auto& signal : signals) {
        if (!config_internal::IsValidId(signal.key)) {
          return reader_.Error(signal.key_location, signal.value.path,
                               "invalid signal name; use 1 to 64 letters, digits, '_' or '-'");
        }
        TRIB_ASSIGN_OR_RETURN(std::string promql, reader_.String(signal.value));
        if (promql.empty()) {
          return reader_.Error(signal.value, "empty PromQL; write the query of this signal");
        }
        // `{{service}}` is the only placeholder.
        for (size_t at = promql.find("{{"); at != std::string::npos;
             at = promql.find("{{", at + 2)) {
          if (promql.compare(at, 11, "{{service}}") != 0) {
            return reader_.Error(signal.value,
                                 "unknown placeholder at '" + promql.substr(at, 20) +
                                     "'; {{service}} is the only one a signal may use");
          }
        }
        inv.metrics.emplace_back(signal.key, std::move(promql));
      }
    } else if (kind.key == "logs") {
      if (!sql && source.type != "elasticsearch") {
        return reader_.Error(kind.key_location, kind.value.path,
                             "logs: is for SQL sources (duckdb, postgres, mysql, sqlite, "
                             "clickhouse) and elasticsearch; a " +
                                 source.type + " source cannot hold it");
      }
      inv.kind = SourceInvestigateConfig::Kind::kLogs;
      TRIB_RETURN_IF_ERROR(ParseInvestigateLogs(kind, source, inv));
    } else if (kind.key == "changes") {
      if (!sql) {
        return reader_.Error(kind.key_location, kind.value.path,
                             "changes: is for SQL sources (duckdb, postgres, mysql, sqlite, "
                             "clickhouse); a " +
                                 source.type + " source cannot hold it");
      }
      inv.kind = SourceInvestigateConfig::Kind::kChanges;
      static const std::vector<std::string> keys = {"sql"};
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> change_fields, reader_.Mapping(kind.value));
      bool has_sql = false;
      for (const auto& field : change_fields) {
        if (field.key == "sql") {
          has_sql = true;
          TRIB_ASSIGN_OR_RETURN(inv.changes_sql, reader_.String(field.value));
          if (inv.changes_sql.find_first_not_of(" \t\r\n") == std::string::npos) {
            return reader_.Error(field.value,
                                 "empty query; write a SELECT returning time, description (and "
                                 "optionally service) between the parameters start and end");
          }
        } else {
          return reader_.UnknownKey(field, keys, "allowed keys");
        }
      }
      if (!has_sql) {
        return reader_.MissingKey(kind.key_location, kind.value.path, "sql",
                                  "add sql: SELECT ... AS time, ... AS description FROM ... "
                                  "WHERE <time> >= <param 1> AND <time> < <param 2>");
      }
    } else {
      return reader_.UnknownKey(kind, kinds, "allowed keys");
    }
    source.investigate = std::move(inv);
    return Status::Ok();
  }

  Status ParseInvestigateLogs(const Field& kind, const SourceConfig& source,
                              SourceInvestigateConfig& inv) {
    static const std::vector<std::string> keys = {
        "dataset",      "table",          "time_column",    "service_column",
        "level_column", "message_column", "latency_column", "error_levels"};
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(kind.value));
    std::map<std::string, const Field*> given;
    for (const auto& field : fields) {
      if (std::find(keys.begin(), keys.end(), field.key) == keys.end()) {
        return reader_.UnknownKey(field, keys, "allowed keys");
      }
      given[field.key] = &field;
      if (field.key == "error_levels") {
        TRIB_ASSIGN_OR_RETURN(inv.error_levels, reader_.StringList(field.value));
        if (inv.error_levels.empty()) {
          return reader_.Error(field.value,
                               "empty list; name the levels that are errors, e.g. "
                               "[error, fatal]");
        }
        for (auto& level : inv.error_levels) {
          std::transform(level.begin(), level.end(), level.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        }
        continue;
      }
      TRIB_ASSIGN_OR_RETURN(std::string text, reader_.String(field.value));
      if (text.empty()) {
        return reader_.Error(field.value, "empty " + field.key + "; name it or remove the key");
      }
      if (field.key == "dataset") inv.dataset = text;
      if (field.key == "table") inv.table = text;
      if (field.key == "time_column") inv.time_column = text;
      if (field.key == "service_column") inv.service_column = text;
      if (field.key == "level_column") inv.level_column = text;
      if (field.key == "message_column") inv.message_column = text;
      if (field.key == "latency_column") inv.latency_column = text;
    }
    if (given.count("dataset")) {
      const Field& dataset = *given.at("dataset");
      if (inv.dataset != "llm_logs") {
        return reader_.Error(dataset.value, "unknown dataset '" + inv.dataset +
                                                "'; only llm_logs can be read as logs");
      }
      if (source.type == "elasticsearch") {
        return reader_.Error(dataset.value,
                             "dataset: is for SQL sources; an elasticsearch source names its "
                             "index with table: and its fields with the *_column keys");
      }
      for (const auto& [key, field] : given) {
        if (key != "dataset") {
          return reader_.Error(field->key_location, field->value.path,
                               "dataset: llm_logs takes its table and columns from the "
                               "project's binding; remove " +
                                   key + " (or drop dataset: and name the table)");
        }
      }
      dataset_checks_.push_back({dataset.value, source.id});
      return Status::Ok();
    }
    for (const char* required :
         {"table", "time_column", "service_column", "level_column", "message_column"}) {
      if (!given.count(required)) {
        return reader_.MissingKey(kind.key_location, kind.value.path, required,
                                  "logs: needs table, time_column, service_column, level_column "
                                  "and message_column (or dataset: llm_logs)");
      }
    }
    return Status::Ok();
  }

  // A source reading `dataset: llm_logs` needs a project that binds llm_logs to it.
  Status CheckInvestigateDatasets(const Config& config) const {
    for (const auto& check : dataset_checks_) {
      bool bound = false;
      for (const auto& project : config.projects) {
        auto it = project.datasets.find("llm_logs");
        if (it == project.datasets.end()) continue;
        for (const auto& binding : it->second) bound = bound || binding.source == check.id;
      }
      if (!bound) {
        return reader_.Error(check.value, "no project binds llm_logs to source '" + check.id +
                                              "'; add datasets: {llm_logs: {source: " + check.id +
                                              "}} to a project using it, or name a table instead");
      }
    }
    return Status::Ok();
  }

  const YamlReader& reader_;
  std::vector<PendingReference> source_references_;
  std::optional<PendingReference> default_project_;
  std::vector<config_internal::KeyProjectReference> key_projects_;
  // Sources whose investigate.logs reads dataset llm_logs, checked once projects are known.
  std::vector<PendingReference> dataset_checks_;
};

std::string ParentDirectory(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  std::string parent = absolute.lexically_normal().parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

Result<Config> LoadConfigText(const std::string& text, const std::string& name,
                              const std::string& base_dir, const EnvLookup& env) {
  YamlReader reader(name, env);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    SourceLocation where{name, e.mark.is_null() ? 0 : e.mark.line + 1,
                         e.mark.is_null() ? 0 : e.mark.column + 1};
    return ConfigError(where.ToString() + ": " + e.msg);
  }
  const SourceLocation start{name, 1, 1};
  if (documents.size() > 1) {
    return reader.Error(reader.Locate(documents[1]), "",
                        "more than one YAML document; keep a single document (remove the "
                        "extra '---')");
  }
  if (documents.empty() || documents.front().IsNull()) {
    return reader.Error(start, "",
                        "the config is empty; define at least sources, e.g. sources: {" +
                            std::string(kSourceExample) + "}");
  }
  config_internal::Value root = reader.Root(documents.front());
  if (!root.node.IsMap()) {
    return reader.Error(root.location, "",
                        std::string("expected a mapping with keys ") +
                            config_internal::JoinNames(kTopLevelKeys) + ", got " +
                            (root.node.IsSequence() ? "a list" : "a single value") +
                            "; write the config as key: value pairs");
  }

  Config config;
  config.path = name;
  config.base_dir = base_dir;
  ConfigParser parser(reader);
  try {
    TRIB_RETURN_IF_ERROR(parser.Parse(root, config));
    if (!config.server.packs_dir.empty() &&
        std::filesystem::path(config.server.packs_dir).is_relative()) {
      config.server.packs_dir =
          (std::filesystem::path(base_dir) / config.server.packs_dir).lexically_normal().string();
    }
    config.imports.dir = (std::filesystem::path(base_dir) /
                          (config.imports.dir.empty() ? ".tributary/imports" : config.imports.dir))
                             .lexically_normal()
                             .string();
    if (config.server.web_dir && !config.server.web_dir->empty() &&
        std::filesystem::path(*config.server.web_dir).is_relative()) {
      config.server.web_dir =
          (std::filesystem::path(base_dir) / *config.server.web_dir).lexically_normal().string();
    }
  } catch (const YAML::Exception& e) {
    // Node accessors only throw on misuse, which the reader's type checks rule out; should
    // one slip through it is still a config error with a location, not a crash.
    SourceLocation where{name, e.mark.is_null() ? 0 : e.mark.line + 1,
                         e.mark.is_null() ? 0 : e.mark.column + 1};
    return ConfigError(where.ToString() + ": " + e.msg);
  }
  config.fingerprint = config_internal::ComputeFingerprint(config);
  return config;
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  const auto failure = [&path](int error_number) {
    return ConfigError("cannot read config file '" + path +
                       "': " + std::generic_category().message(error_number) +
                       "; check the path and its permissions");
  };
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return failure(errno);
  std::string text;
  char buffer[1 << 16];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, read);
  const bool failed = std::ferror(file);
  const int error_number = errno;
  std::fclose(file);
  if (failed) return failure(error_number);
  return LoadConfigText(text, path, ParentDirectory(path), env);
}

Config BuiltinConfig(const std::string& data_dir) {
  const SourceLocation builtin{kBuiltinConfigPath, 0, 0};
  Config config;
  config.path = kBuiltinConfigPath;
  std::error_code error;
  config.base_dir = std::filesystem::current_path(error).string();
  if (error || config.base_dir.empty()) config.base_dir = ".";

  config.imports.dir = data_dir + "/imports";
  SourceConfig demo{"demo", "duckdb", {}, builtin};
  demo.options.Set("path", {OptionValue(data_dir + "/demo.duckdb"), builtin, false});
  // Something to investigate (docs/investigate.md): the demo's gateway logs.
  demo.tags.services = {"llm-gateway"};
  demo.investigate.emplace();
  demo.investigate->kind = SourceInvestigateConfig::Kind::kLogs;
  demo.investigate->dataset = "llm_logs";
  demo.investigate->location = builtin;
  config.sources.push_back(std::move(demo));

  ProjectConfig project;
  project.id = "demo";
  project.sources = {"demo"};
  project.location = builtin;
  for (const auto& name : kDatasetNames) {
    DatasetBinding binding;
    binding.name = name;
    binding.source = "demo";
    binding.table = name;
    binding.location = builtin;
    project.datasets[name] = {std::move(binding)};
  }
  config.projects.push_back(std::move(project));
  config.default_project = "demo";
  config.fingerprint = config_internal::ComputeFingerprint(config);
  return config;
}

}  // namespace tributary
