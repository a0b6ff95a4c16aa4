// The Tributary configuration: server settings, sources, projects and their datasets.
//
// Loaded from YAML (JSON is accepted, being YAML). `${VAR}` and `${VAR:-default}` are
// substituted in scalar values. Every mistake (unknown key, wrong type, missing variable,
// dangling reference, duplicate id) is a CONFIG_ERROR whose message starts with
// "file:line:col: " and says how to fix it; nothing is silently defaulted.
// Thread-safety: a loaded Config is immutable and shared as shared_ptr<const Config>.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/access_config.h"
#include "config/options.h"

namespace tributary {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  //! Largest accepted request body; larger bodies get 413.
  int64_t max_body_bytes = 1 << 20;
  int64_t max_header_bytes = 16 << 10;
  //! A request must arrive in full within this time.
  int64_t read_timeout_ms = 30000;
  //! A keep-alive connection with no request for this long is closed.
  int64_t idle_timeout_ms = 60000;
  //! I/O threads; 0 means one per core.
  int64_t io_threads = 0;
  //! Threads that run source queries; 0 means 2 per core.
  int64_t worker_threads = 0;
  //! Threads of the process-wide pool that runs a metric's per-source queries in parallel
  //! (docs/orchestration.md); 0 means 2 per core. Read when the pool is first used: a reload
  //! does not resize it.
  int64_t fanout_threads = 0;
  int64_t default_row_limit = 10000;
  int64_t max_row_limit = 1000000;
  int64_t default_timeout_ms = 30000;
  int64_t max_timeout_ms = 300000;
  //! Cap on the bytes of a query result's cells; larger results are truncated.
  int64_t max_result_bytes = 64ll << 20;
  //! On SIGTERM, in-flight requests get this long to finish.
  int64_t shutdown_grace_ms = 10000;
  //! A folder of metric packs read instead of the packs built into the binary (resolved
  //! against the config file's folder). Empty: the built-in packs.
  std::string packs_dir;
  //! The folder of the built web dashboard (web/dist) served at `/` (resolved against the
  //! config file's folder); nullopt: not written (the default folders are tried, see
  //! server/static_files.h); "": the dashboard is off. Read at start only.
  std::optional<std::string> web_dir;
};

//! `imports:` (docs/import.md): where uploaded files become Parquet sources, and how big they
//! may be.
struct ImportsConfig {
  //! False turns the import routes off (they answer 404 naming this key).
  bool enabled = true;
  //! The folder of the catalog and the imported files (resolved against the config file's
  //! folder); default `<config folder>/.tributary/imports`, or `<data dir>/imports` for the
  //! built-in demo config.
  std::string dir;
  //! Uploads larger than this are refused (413) before they are stored.
  int64_t max_upload_bytes = 2LL << 30;
  //! An upload or conversion stops (507) when the folder's file system has less free space.
  int64_t min_free_bytes = 256LL << 20;
  //! Imports converting at the same time; more wait their turn (phase "queued").
  int64_t max_concurrent = 2;
  //! Finished imports (their events and previews) are kept this long for replay.
  int64_t keep_finished_seconds = 3600;
  SourceLocation location;
};

//! `investigate.synthesis:`: an OpenAI-compatible chat endpoint that summarises an
//! investigation's evidence (docs/investigate.md, "Synthesis").
struct SynthesisConfig {
  //! The API's base URL; requests go to `{url}/chat/completions`.
  std::string url;
  std::string model;
  //! Sent as `Authorization: Bearer`; empty: no header. A secret: rendered as ***.
  std::string api_key;
  int64_t timeout_ms = 30000;
  int64_t max_evidence_bytes = 32768;
  SourceLocation location;
};

//! Top-level `investigate:` (docs/investigate.md).
struct InvestigateConfig {
  //! The whole investigation, every source included.
  int64_t deadline_ms = 15000;
  //! A series crossing its baseline times this is a shift.
  double baseline_multiple = 2.0;
  //! Points per series; the default step is chosen to stay at or below it.
  int64_t max_points = 240;
  //! Top error messages kept per log source.
  int64_t top_messages = 5;
  std::optional<SynthesisConfig> synthesis;
  SourceLocation location;
};

//! Top-level `mcp:` (docs/mcp.md).
struct McpConfig {
  //! False: /mcp answers 404 and `tributary mcp` refuses to start.
  bool enabled = true;
  //! A tool result's JSON is cut to about this many bytes (rows dropped, `truncated`).
  int64_t max_result_bytes = 256 << 10;
  //! run_query's rows when the call names no limit.
  int64_t default_row_limit = 100;
  SourceLocation location;
};

//! A Redis server shared by several Tributary replicas (the result cache and rate limits use
//! it when their sections say so).
struct RedisConfig {
  std::string host = "127.0.0.1";
  int64_t port = 6379;
  //! AUTH password; empty: no AUTH. A secret: rendered as ***.
  std::string password;
  int64_t database = 0;
  //! Prepended to every key, so replicas of different deployments can share one server.
  std::string key_prefix = "tributary:";
  int64_t connect_timeout_ms = 250;
  int64_t command_timeout_ms = 250;
  //! Connections kept open per process.
  int64_t pool_size = 8;
  SourceLocation location;
};

//! `import_target:` on a PostgreSQL or ClickHouse source: imports may load their rows into it
//! (docs/import.md), with credentials of their own, since the source's own are read-only.
struct ImportTargetConfig {
  //! The writer's user and password; the host, port and database are the source's.
  std::string user;
  std::string password;
  //! PostgreSQL: the schema new tables go to (default "public"). ClickHouse: the database
  //! (default: the source's).
  std::string schema;
  SourceLocation location;
};

//! `tags:` on a source: the services and environments it has evidence about, for
//! investigations (docs/investigate.md). An empty list matches every name.
struct SourceTags {
  std::vector<std::string> environments;
  std::vector<std::string> services;
};

//! `investigate:` on a source: what evidence it holds (docs/investigate.md). Exactly one kind.
struct SourceInvestigateConfig {
  enum class Kind { kMetrics, kLogs, kChanges };
  Kind kind = Kind::kMetrics;
  //! kMetrics (Prometheus): signal name -> PromQL with `{{service}}`, in declaration order.
  std::vector<std::pair<std::string, std::string>> metrics;
  //! kLogs: the project's dataset read as logs ("llm_logs"), or empty for a table.
  std::string dataset;
  //! kLogs with a table (an index pattern on Elasticsearch) and its columns (fields).
  std::string table;
  std::string time_column;
  std::string service_column;
  std::string level_column;
  std::string message_column;
  //! Optional: gives a latency_ms series (mean per step).
  std::string latency_column;
  //! Levels counted as errors, compared case-insensitively.
  std::vector<std::string> error_levels = {"error", "fatal", "critical"};
  //! kChanges: a read-only query taking the window's start and end as its two parameters and
  //! returning `time`, `description` and optionally `service`.
  std::string changes_sql;
  SourceLocation location;
};

struct SourceConfig {
  std::string id;
  std::string type;
  //! The keys written beside `type` in the source's mapping, checked against the schema.
  Options options;
  SourceLocation location;
  //! `limits:` (read before the connector's options): caps for every query on this source.
  QueryLimitsConfig limits = {};
  //! `import_target:`; only PostgreSQL and ClickHouse sources accept it.
  std::optional<ImportTargetConfig> import_target = {};
  //! `tags:` and `investigate:` (docs/investigate.md).
  SourceTags tags = {};
  std::optional<SourceInvestigateConfig> investigate = {};
  //! Set on sources that come from the import catalog (docs/import.md), never from a file:
  //! the catalog entry's id.
  std::string import_id = {};
};

//! An ordered feature rule of the web pack: the first whose regex matches names the feature.
struct FeatureRule {
  std::string match;
  std::string name;
};

//! Where a project's canonical dataset (llm_logs, web_events) lives in one source. A dataset
//! may be bound to several sources (a list in the config): a metric then runs on each and the
//! answers are merged by the pack's merge rules.
struct DatasetBinding {
  std::string name;
  std::string source;
  //! The table in the source; defaults to the dataset name.
  std::string table;
  //! canonical column name -> the source's column name.
  std::map<std::string, std::string> columns;
  std::optional<std::string> client_pattern;
  std::optional<std::vector<FeatureRule>> feature_rules;
  SourceLocation location;
};

//! The result cache (top-level `cache:`). Absent: an in-process cache of 256 MiB.
struct CacheConfig {
  bool enabled = true;
  //! "memory" (in-process, one per replica) or "redis" (shared by every replica configured
  //! with the same Redis; needs the top-level `redis:` section).
  std::string backend = "memory";
  //! Bound of the memory backend: cached bodies, keys and bookkeeping, in bytes.
  int64_t max_bytes = 256LL << 20;
  //! An expired entry may be served once more (marked `stale`) for up to one more TTL while
  //! one refresh runs in the background.
  bool stale_while_revalidate = true;
  //! Where `backend` was written (for errors found after parsing); line 0 when defaulted.
  SourceLocation backend_location;

  bool operator==(const CacheConfig& o) const {
    return enabled == o.enabled && backend == o.backend && max_bytes == o.max_bytes &&
           stale_while_revalidate == o.stale_while_revalidate;
  }
};

//! A project's cache overrides (`projects.<id>.cache:`).
struct ProjectCacheConfig {
  //! False: this project's answers are never cached.
  bool enabled = true;
  //! Metric name ("realtime_kpi"), "pack.metric" or "default" -> TTL in seconds (0: do not
  //! cache). Otherwise the TTL the pack declares.
  std::map<std::string, int64_t> ttl_seconds;
  //! Where each ttl_seconds key was written, for the check against the packs.
  std::map<std::string, SourceLocation> ttl_locations;

  bool empty() const { return enabled && ttl_seconds.empty(); }
};

struct ProjectConfig {
  std::string id;
  //! Sources this project may use, in declaration order.
  std::vector<std::string> sources;
  //! dataset name -> its bindings, one per source, in declaration order (never empty).
  std::map<std::string, std::vector<DatasetBinding>> datasets;
  ProjectCacheConfig cache;
  //! `rate_limits:`; unset: the top-level rate_limits.
  std::optional<RateLimitSettings> rate_limits;
  //! `limits:`: caps for every query made for this project.
  QueryLimitsConfig limits = {};
  SourceLocation location;
};

//! Config::path of the embedded default config (no file).
inline constexpr const char* kBuiltinConfigPath = "<built-in>";

struct Config {
  //! The file it came from (kBuiltinConfigPath for the embedded default).
  std::string path;
  //! Directory relative paths in options resolve against.
  std::string base_dir;
  ServerConfig server;
  CacheConfig cache;
  ImportsConfig imports;
  InvestigateConfig investigate;
  McpConfig mcp;
  //! In declaration order.
  std::vector<SourceConfig> sources;
  std::vector<ProjectConfig> projects;
  //! As written; when omitted, the only project. Empty when there are several projects and
  //! none is named: every API request must then name its project.
  std::string default_project;
  //! The `redis:` section, when given.
  std::optional<RedisConfig> redis;
  //! `auth:`: API keys, or explicitly none.
  AuthConfig auth;
  //! `rate_limits:`: the windows of every caller, unless its project sets its own. When not
  //! written: the defaults (100 per minute, 1000 per hour) with `auth:` keys or `auth: none`,
  //! and no limits on a loopback-only server without an `auth:` section (local use and tests).
  std::optional<RateLimitSettings> rate_limits;
  //! Hash of the resolved config; changes whenever anything in it changes.
  std::string fingerprint;
  //! The short form of the fingerprint that /readyz, the admin routes and the logs show.
  std::string version() const { return fingerprint.substr(0, 12); }
  //! Whether this is the embedded default config rather than a file.
  bool builtin() const { return path == kBuiltinConfigPath; }

  const SourceConfig* FindSource(std::string_view id) const;
  const ProjectConfig* FindProject(std::string_view id) const;
};

//! Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
//! The process environment.
EnvLookup ProcessEnv();

//! Loads and validates a config file.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnv());
//! Loads and validates config text; `name` is used in error locations.
Result<Config> LoadConfigText(const std::string& text, const std::string& name,
                              const std::string& base_dir, const EnvLookup& env = ProcessEnv());

//! The embedded default: one DuckDB source `demo` at `<data_dir>/demo.duckdb` holding
//! llm_logs and web_events, one project `demo` using it.
Config BuiltinConfig(const std::string& data_dir);

//! The resolved config as YAML; secret options (and passwords inside URLs) become "***".
std::string RenderConfig(const Config& config);

//! Substitutes ${VAR} and ${VAR:-default} in one scalar. `$$` is a literal `$`.
//! Errors name the variable; the caller adds the location.
Result<std::string> SubstituteEnv(const std::string& text, const EnvLookup& env);

}  // namespace tributary
