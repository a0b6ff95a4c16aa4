#include "config/config_render.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <regex>
#include <type_traits>

#include "connectors/registry.h"
#include "core/sha256.h"

namespace tributary {

namespace config_internal {

namespace {

constexpr std::string_view kRedacted = "***";

// Rendering shared by RenderConfig (redact = true, with comments) and the fingerprint
// (redact = false). Keeping one function guarantees the fingerprint covers everything shown.
class ConfigEmitter {
 public:
  explicit ConfigEmitter(bool redact) : redact_(redact) {}

  std::string Render(const Config& config, bool with_comments) {
    if (with_comments) {
      out_ << YAML::Comment("Tributary config resolved from " + config.path +
                            (redact_ ? "; secrets are shown as ***" : ""));
      if (config.default_project.empty()) {
        out_ << YAML::Newline
             << YAML::Comment("no default_project: every request must name its project");
      }
      out_ << YAML::Newline;
    }
    out_ << YAML::BeginMap;
    EmitServer(config.server);
    if (!(config.cache == CacheConfig{})) EmitCache(config.cache);
    EmitSources(config.sources);
    EmitProjects(config.projects);
    if (config.redis) EmitRedis(*config.redis);
    if (!config.default_project.empty()) {
      out_ << YAML::Key << "default_project" << YAML::Value;
      EmitString(config.default_project);
    }
    EmitAccess(config);
    // Shown when written: the default folder depends on where the config is, not on it.
    if (config.imports.location.line > 0) EmitImports(config.imports);
    if (config.investigate.location.line > 0) EmitInvestigate(config.investigate);
    if (config.mcp.location.line > 0) EmitMcp(config.mcp);
    out_ << YAML::EndMap;
    return out_.c_str();
  }

 private:
  std::string Text(const std::string& value) const {
    return redact_ ? RedactCredentials(value) : value;
  }

  // Strings that YAML 1.1 readers would take for a boolean, null or number are quoted, so
  // the rendering means the same to any tool (Tributary itself reads by schema either way).
  void EmitString(const std::string& value) {
    static const std::regex kLooksTyped(
        R"(^[-+]?([0-9][0-9_]*(:[0-5]?[0-9])*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?)"
        R"(|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|\.(inf|Inf|INF|nan|NaN|NAN))$)");
    static const std::regex kLooksBoolOrNull(R"(^(y|n|yes|no|on|off|true|false|null|~)$)",
                                             std::regex::icase);
    const std::string text = Text(value);
    if (std::regex_match(text, kLooksTyped) || std::regex_match(text, kLooksBoolOrNull)) {
      out_ << YAML::DoubleQuoted;
    }
    out_ << text;
  }

  void EmitServer(const ServerConfig& server) {
    out_ << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "listen" << YAML::Value;
    EmitString(server.listen);
    if (!server.packs_dir.empty()) {
      out_ << YAML::Key << "packs_dir" << YAML::Value;
      EmitString(server.packs_dir);
    }
    if (server.web_dir) {
      out_ << YAML::Key << "web_dir" << YAML::Value;
      if (server.web_dir->empty()) out_ << YAML::DoubleQuoted;
      EmitString(*server.web_dir);
    }
    const std::pair<const char*, int64_t> ints[] = {
        {"max_body_bytes", server.max_body_bytes},
        {"max_header_bytes", server.max_header_bytes},
        {"read_timeout_ms", server.read_timeout_ms},
        {"idle_timeout_ms", server.idle_timeout_ms},
        {"io_threads", server.io_threads},
        {"worker_threads", server.worker_threads},
        {"default_row_limit", server.default_row_limit},
        {"max_row_limit", server.max_row_limit},
        {"default_timeout_ms", server.default_timeout_ms},
        {"max_timeout_ms", server.max_timeout_ms},
        {"max_result_bytes", server.max_result_bytes},
        {"shutdown_grace_ms", server.shutdown_grace_ms},
    };
    for (const auto& [name, value] : ints) out_ << YAML::Key << name << YAML::Value << value;
    out_ << YAML::EndMap;
  }

  // Only when it differs from the defaults, which mean the same thing.
  void EmitCache(const CacheConfig& cache) {
    out_ << YAML::Key << "cache" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "enabled" << YAML::Value << cache.enabled;
    out_ << YAML::Key << "backend" << YAML::Value << cache.backend;
    out_ << YAML::Key << "max_bytes" << YAML::Value << cache.max_bytes;
    out_ << YAML::Key << "stale_while_revalidate" << YAML::Value << cache.stale_while_revalidate;
    out_ << YAML::EndMap;
  }

  void EmitProjectCache(const ProjectCacheConfig& cache) {
    out_ << YAML::Key << "cache" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "enabled" << YAML::Value << cache.enabled;
    if (!cache.ttl_seconds.empty()) {
      out_ << YAML::Key << "ttl_seconds" << YAML::Value << YAML::BeginMap;
      for (const auto& [metric, seconds] : cache.ttl_seconds) {
        out_ << YAML::Key << metric << YAML::Value << seconds;
      }
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }

  void EmitRedis(const RedisConfig& redis) {
    out_ << YAML::Key << "redis" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "host" << YAML::Value;
    EmitString(redis.host);
    out_ << YAML::Key << "port" << YAML::Value << redis.port;
    if (!redis.password.empty()) {
      out_ << YAML::Key << "password" << YAML::Value;
      if (redact_) {
        out_ << std::string(kRedacted);
      } else {
        EmitString(redis.password);
      }
    }
    out_ << YAML::Key << "database" << YAML::Value << redis.database;
    out_ << YAML::Key << "key_prefix" << YAML::Value;
    EmitString(redis.key_prefix);
    out_ << YAML::Key << "connect_timeout_ms" << YAML::Value << redis.connect_timeout_ms;
    out_ << YAML::Key << "command_timeout_ms" << YAML::Value << redis.command_timeout_ms;
    out_ << YAML::Key << "pool_size" << YAML::Value << redis.pool_size;
    out_ << YAML::EndMap;
  }

  void EmitOption(const OptionValue& value) {
    std::visit(
        [this](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            EmitString(v);
          } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, bool>) {
            out_ << v;
          } else if constexpr (std::is_same_v<T, double>) {
            // Shortest text that reads back as the same double (the emitter would print
            // 0.1 as 0.10000000000000001).
            char buffer[64];
            auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, v);
            out_ << std::string(buffer, error == std::errc() ? end : buffer);
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            out_ << YAML::Flow << YAML::BeginSeq;
            for (const auto& item : v) EmitString(item);
            out_ << YAML::EndSeq;
          } else if constexpr (std::is_same_v<T, OptionTree>) {
            EmitTree(v);
          } else {
            out_ << YAML::BeginMap;
            for (const auto& [key, item] : v) {
              out_ << YAML::Key << key << YAML::Value;
              EmitString(item);
            }
            out_ << YAML::EndMap;
          }
        },
        value);
  }

  //! A nested option; a scalar taken from the environment may be a secret and is redacted.
  void EmitTree(const OptionTree& tree) {
    switch (tree.kind) {
      case OptionTree::Kind::kNull:
        out_ << YAML::Null;
        return;
      case OptionTree::Kind::kScalar:
        if (redact_ && tree.from_env) {
          out_ << std::string(kRedacted);
        } else {
          EmitString(tree.scalar);
        }
        return;
      case OptionTree::Kind::kList:
        out_ << YAML::BeginSeq;
        for (const auto& item : tree.items) EmitTree(item);
        out_ << YAML::EndSeq;
        return;
      case OptionTree::Kind::kMap:
        out_ << YAML::BeginMap;
        for (const auto& [key, item] : tree.fields) {
          out_ << YAML::Key << key << YAML::Value;
          EmitTree(item);
        }
        out_ << YAML::EndMap;
        return;
    }
  }

  // The connector schema's order, which groups related options as its author meant;
  // options the schema does not know (a hand-built Config) follow by name.
  static std::vector<std::string> OptionOrder(const SourceConfig& source) {
    std::vector<std::string> order;
    if (const ConnectorFactory* factory = FindConnector(source.type)) {
      for (const auto& spec : factory->schema) {
        if (source.options.Has(spec.name)) order.push_back(spec.name);
      }
    }
    for (const auto& [name, entry] : source.options.entries()) {
      if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    }
    return order;
  }

  void EmitSources(const std::vector<SourceConfig>& sources) {
    out_ << YAML::Key << "sources" << YAML::Value;
    if (sources.empty()) out_ << YAML::Flow;
    out_ << YAML::BeginMap;
    for (const auto& source : sources) {
      out_ << YAML::Key << source.id << YAML::Value << YAML::BeginMap;
      out_ << YAML::Key << "type" << YAML::Value << source.type;
      for (const std::string& name : OptionOrder(source)) {
        const Options::Entry& entry = source.options.entries().at(name);
        out_ << YAML::Key << name << YAML::Value;
        if (redact_ && entry.secret) {
          out_ << std::string(kRedacted);
        } else {
          EmitOption(entry.value);
        }
      }
      EmitQueryLimits(source.limits);
      if (source.import_target) EmitImportTarget(*source.import_target);
      EmitSourceInvestigation(source);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }

  void EmitNames(const char* key, const std::vector<std::string>& names) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& name : names) EmitString(name);
    out_ << YAML::EndSeq;
  }

  void EmitSourceInvestigation(const SourceConfig& source) {
    if (!source.tags.environments.empty() || !source.tags.services.empty()) {
      out_ << YAML::Key << "tags" << YAML::Value << YAML::BeginMap;
      if (!source.tags.environments.empty()) EmitNames("environments", source.tags.environments);
      if (!source.tags.services.empty()) EmitNames("services", source.tags.services);
      out_ << YAML::EndMap;
    }
    if (!source.investigate) return;
    const SourceInvestigateConfig& inv = *source.investigate;
    out_ << YAML::Key << "investigate" << YAML::Value << YAML::BeginMap;
    switch (inv.kind) {
      case SourceInvestigateConfig::Kind::kMetrics:
        out_ << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
        for (const auto& [signal, promql] : inv.metrics) {
          out_ << YAML::Key << signal << YAML::Value;
          EmitString(promql);
        }
        out_ << YAML::EndMap;
        break;
      case SourceInvestigateConfig::Kind::kLogs:
        out_ << YAML::Key << "logs" << YAML::Value << YAML::BeginMap;
        if (!inv.dataset.empty()) {
          out_ << YAML::Key << "dataset" << YAML::Value << inv.dataset;
        } else {
          for (const auto& [key, value] : std::vector<std::pair<const char*, const std::string*>>{
                   {"table", &inv.table},
                   {"time_column", &inv.time_column},
                   {"service_column", &inv.service_column},
                   {"level_column", &inv.level_column},
                   {"message_column", &inv.message_column},
                   {"latency_column", &inv.latency_column}}) {
            if (value->empty()) continue;
            out_ << YAML::Key << key << YAML::Value;
            EmitString(*value);
          }
          EmitNames("error_levels", inv.error_levels);
        }
        out_ << YAML::EndMap;
        break;
      case SourceInvestigateConfig::Kind::kChanges:
        out_ << YAML::Key << "changes" << YAML::Value << YAML::BeginMap;
        out_ << YAML::Key << "sql" << YAML::Value;
        EmitString(inv.changes_sql);
        out_ << YAML::EndMap;
        break;
    }
    out_ << YAML::EndMap;
  }

  void EmitInvestigate(const InvestigateConfig& inv) {
    out_ << YAML::Key << "investigate" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "deadline_ms" << YAML::Value << inv.deadline_ms;
    out_ << YAML::Key << "baseline_multiple" << YAML::Value << inv.baseline_multiple;
    out_ << YAML::Key << "max_points" << YAML::Value << inv.max_points;
    out_ << YAML::Key << "top_messages" << YAML::Value << inv.top_messages;
    if (inv.synthesis) {
      const SynthesisConfig& s = *inv.synthesis;
      out_ << YAML::Key << "synthesis" << YAML::Value << YAML::BeginMap;
      out_ << YAML::Key << "url" << YAML::Value;
      EmitString(Text(s.url));
      out_ << YAML::Key << "model" << YAML::Value;
      EmitString(s.model);
      if (!s.api_key.empty()) {
        out_ << YAML::Key << "api_key" << YAML::Value;
        if (redact_) {
          out_ << std::string(kRedacted);
        } else {
          EmitString(s.api_key);
        }
      }
      out_ << YAML::Key << "timeout_ms" << YAML::Value << s.timeout_ms;
      out_ << YAML::Key << "max_evidence_bytes" << YAML::Value << s.max_evidence_bytes;
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }

  void EmitImportTarget(const ImportTargetConfig& target) {
    out_ << YAML::Key << "import_target" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out_ << YAML::Key << "user" << YAML::Value;
    EmitString(target.user);
    out_ << YAML::Key << "password" << YAML::Value;
    if (redact_) {
      out_ << std::string(kRedacted);
    } else {
      EmitString(target.password);
    }
    if (!target.schema.empty()) out_ << YAML::Key << "schema" << YAML::Value << target.schema;
    out_ << YAML::EndMap;
  }

  void EmitMcp(const McpConfig& mcp) {
    out_ << YAML::Key << "mcp" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "enabled" << YAML::Value << mcp.enabled;
    out_ << YAML::Key << "max_result_bytes" << YAML::Value << mcp.max_result_bytes;
    out_ << YAML::Key << "default_row_limit" << YAML::Value << mcp.default_row_limit;
    out_ << YAML::EndMap;
  }

  void EmitImports(const ImportsConfig& imports) {
    out_ << YAML::Key << "imports" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "enabled" << YAML::Value << imports.enabled;
    out_ << YAML::Key << "dir" << YAML::Value;
    EmitString(imports.dir);
    out_ << YAML::Key << "max_upload_bytes" << YAML::Value << imports.max_upload_bytes;
    out_ << YAML::Key << "min_free_bytes" << YAML::Value << imports.min_free_bytes;
    out_ << YAML::Key << "max_concurrent" << YAML::Value << imports.max_concurrent;
    out_ << YAML::Key << "keep_finished_seconds" << YAML::Value << imports.keep_finished_seconds;
    out_ << YAML::EndMap;
  }

  //! One binding as a mapping; several as a list of mappings (the config's two forms).
  void EmitDatasetBindings(const std::string& name, const std::vector<DatasetBinding>& bindings) {
    out_ << YAML::Key << name << YAML::Value;
    if (bindings.size() == 1) {
      EmitDataset(bindings.front());
      return;
    }
    out_ << YAML::BeginSeq;
    for (const auto& binding : bindings) EmitDataset(binding);
    out_ << YAML::EndSeq;
  }

  void EmitDataset(const DatasetBinding& dataset) {
    out_ << YAML::BeginMap;
    out_ << YAML::Key << "source" << YAML::Value << dataset.source;
    out_ << YAML::Key << "table" << YAML::Value;
    EmitString(dataset.table);
    if (!dataset.columns.empty()) {
      out_ << YAML::Key << "columns" << YAML::Value << YAML::BeginMap;
      for (const auto& [canonical, actual] : dataset.columns) {
        out_ << YAML::Key << canonical << YAML::Value;
        EmitString(actual);
      }
      out_ << YAML::EndMap;
    }
    if (dataset.client_pattern) {
      out_ << YAML::Key << "client_pattern" << YAML::Value;
      EmitString(*dataset.client_pattern);
    }
    if (dataset.feature_rules) {
      out_ << YAML::Key << "features" << YAML::Value;
      if (dataset.feature_rules->empty()) out_ << YAML::Flow;
      out_ << YAML::BeginSeq;
      for (const auto& rule : *dataset.feature_rules) {
        out_ << YAML::Flow << YAML::BeginMap;
        out_ << YAML::Key << "match" << YAML::Value;
        EmitString(rule.match);
        out_ << YAML::Key << "name" << YAML::Value;
        EmitString(rule.name);
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq;
    }
    out_ << YAML::EndMap;
  }

  void EmitProjects(const std::vector<ProjectConfig>& projects) {
    out_ << YAML::Key << "projects" << YAML::Value;
    if (projects.empty()) out_ << YAML::Flow;
    out_ << YAML::BeginMap;
    for (const auto& project : projects) {
      out_ << YAML::Key << project.id << YAML::Value << YAML::BeginMap;
      out_ << YAML::Key << "sources" << YAML::Value << YAML::Flow << project.sources;
      out_ << YAML::Key << "datasets" << YAML::Value;
      if (project.datasets.empty()) out_ << YAML::Flow;
      out_ << YAML::BeginMap;
      for (const auto& [name, bindings] : project.datasets) EmitDatasetBindings(name, bindings);
      out_ << YAML::EndMap;
      if (!project.cache.empty()) EmitProjectCache(project.cache);
      if (project.rate_limits) {
        out_ << YAML::Key << "rate_limits" << YAML::Value;
        EmitRateLimits(*project.rate_limits);
      }
      EmitQueryLimits(project.limits);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }

  // Sections left at their defaults are not shown, so configs without them render as before.
  void EmitAccess(const Config& config) {
    if (config.auth.mode == AuthConfig::Mode::kNone) {
      out_ << YAML::Key << "auth" << YAML::Value << "none";
    } else if (config.auth.mode == AuthConfig::Mode::kKeys) {
      out_ << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
      out_ << YAML::Key << "mode" << YAML::Value << "keys";
      out_ << YAML::Key << "keys" << YAML::Value << YAML::BeginSeq;
      for (const auto& key : config.auth.keys) {
        out_ << YAML::BeginMap;
        out_ << YAML::Key << "name" << YAML::Value << key.name;
        // Only a digest is kept, so a clear key renders as its sha256 too; redacted either way.
        out_ << YAML::Key << "sha256" << YAML::Value;
        if (redact_) {
          out_ << std::string(kRedacted);
        } else {
          out_ << HexDigest(key.digest);
        }
        out_ << YAML::Key << "projects" << YAML::Value << YAML::Flow;
        if (key.all_projects) {
          out_ << std::vector<std::string>{"*"};
        } else {
          out_ << key.projects;
        }
        std::vector<std::string> roles;
        for (Role role : kAllRoles) {
          if (key.HasRole(role)) roles.emplace_back(RoleName(role));
        }
        out_ << YAML::Key << "roles" << YAML::Value << YAML::Flow << roles;
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq << YAML::EndMap;
    }
    if (config.rate_limits) {
      out_ << YAML::Key << "rate_limits" << YAML::Value;
      EmitRateLimits(*config.rate_limits);
    }
  }

  void EmitRateLimits(const RateLimitSettings& limits) {
    out_ << YAML::Flow << YAML::BeginMap;
    out_ << YAML::Key << "per_minute" << YAML::Value << limits.per_minute;
    out_ << YAML::Key << "per_hour" << YAML::Value << limits.per_hour;
    out_ << YAML::EndMap;
  }

  void EmitQueryLimits(const QueryLimitsConfig& limits) {
    if (limits.empty()) return;
    out_ << YAML::Key << "limits" << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (limits.timeout_ms) out_ << YAML::Key << "timeout_ms" << YAML::Value << *limits.timeout_ms;
    if (limits.max_rows) out_ << YAML::Key << "max_rows" << YAML::Value << *limits.max_rows;
    if (limits.max_bytes) out_ << YAML::Key << "max_bytes" << YAML::Value << *limits.max_bytes;
    if (limits.cost_warn_bytes) {
      out_ << YAML::Key << "cost_warn_bytes" << YAML::Value << *limits.cost_warn_bytes;
    }
    if (limits.cost_deny_bytes) {
      out_ << YAML::Key << "cost_deny_bytes" << YAML::Value << *limits.cost_deny_bytes;
    }
    out_ << YAML::EndMap;
  }

  bool redact_;
  YAML::Emitter out_;
};

}  // namespace

std::string RedactCredentials(std::string_view text) {
  // The password runs to the last '@' of the URL so that an unescaped '@' inside it cannot
  // leave its tail visible; over-redacting a URL is harmless, leaking a password is not.
  static const std::regex kUrlPassword(R"(([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)\S*@)");
  static const std::regex kKeywordPassword(
      R"(\b((?:password|passwd|pwd)\s*=\s*)('[^']*'|"[^"]*"|[^\s;&]*))", std::regex::icase);
  if (text.find('@') == std::string_view::npos && text.find('=') == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = std::regex_replace(std::string(text), kUrlPassword, "$1***@");
  return std::regex_replace(out, kKeywordPassword, "$1***");
}

std::string CanonicalConfigText(const Config& config) {
  YAML::Emitter base;
  base << YAML::BeginMap << YAML::Key << "base_dir" << YAML::Value << config.base_dir
       << YAML::EndMap;
  return std::string(base.c_str()) + "\n" + ConfigEmitter(false).Render(config, false);
}

std::string ComputeFingerprint(const Config& config) {
  // Empty only when OpenSSL fails; an empty fingerprint never equals a real one, so callers
  // comparing fingerprints see a change rather than a false "unchanged".
  return Sha256Hex(CanonicalConfigText(config));
}

}  // namespace config_internal

std::string RenderConfig(const Config& config) {
  return config_internal::ConfigEmitter(true).Render(config, true) + "\n";
}

}  // namespace tributary
