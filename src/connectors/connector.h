// The connector interface every data source implements, and the factory that builds one
// from its validated config.
//
// Modelled on ADBC drivers: capability flags say what an engine lacks, errors come back as
// Status/Result and are converted to HTTP or CLI errors only at the boundary.
// Thread-safety: Open and Close are called once, by the owner; every other method may be
// called concurrently from many threads once Open has succeeded.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "config/options.h"
#include "core/query_result.h"
#include "core/value.h"

namespace tributary {

struct Capabilities {
  //! SQL dialect name: "duckdb", "postgres", "mysql", "sqlite", "clickhouse", ...
  std::string dialect;
  bool schema_introspection = false;
  bool parameters = false;
  bool cancellation = false;
  bool cost_estimate = false;
  //! Takes per-query options (QueryRequest::options) and checks their keys itself; when
  //! false the query service refuses any option instead of letting it be ignored.
  bool query_options = false;
};

struct HealthInfo {
  std::chrono::microseconds latency{0};
  //! Engine version or similar detail, safe to show (never a secret).
  std::string detail;
};

struct TableInfo {
  std::string schema;
  std::string name;
  //! "table", "view" or "file".
  std::string kind;
};

struct TableColumn {
  std::string name;
  ColumnType type = ColumnType::kNull;
  std::string source_type;
  bool nullable = true;
};

struct TableSchema {
  TableInfo table;
  std::vector<TableColumn> columns;
};

struct QueryRequest {
  std::string sql;
  //! Parameters, bound by the driver, never spliced: positional ($1 / ? placeholders), or
  //! named (@name) when `param_names` is not empty.
  std::vector<Value> params;
  //! For named placeholders (BigQuery's @name): the name of each entry of `params`, same order.
  std::vector<std::string> param_names;
  //! Connector-specific options of one query, outside the query text (Prometheus: start, end,
  //! step, time; Elasticsearch: index). A connector rejects a key it does not know with
  //! INVALID_ARGUMENT naming the keys it accepts.
  std::map<std::string, std::string> options;
  std::chrono::milliseconds timeout{30000};
  //! At most this many rows; more set stats.truncated. 0 means no row limit.
  int64_t max_rows = 10000;
  //! At most about this many bytes of cells; more set stats.truncated. 0 means no limit.
  int64_t max_bytes = 64ll << 20;
  CancelToken cancel;
  //! Cost control, for connectors with cost_estimate: above `cost_warn_bytes` estimated bytes
  //! processed the result carries a COST_WARNING, above `cost_deny_bytes` the query is refused
  //! with COST_LIMIT. 0 disables a threshold. Set from EffectiveQueryLimits.
  int64_t cost_warn_bytes = 100ll << 20;
  int64_t cost_deny_bytes = 1ll << 30;
  //! The config key that set cost_deny_bytes, named in COST_LIMIT errors.
  std::string cost_deny_from = "limits.cost_deny_bytes";
  //! Set only by trusted internal callers (tests of engine-level read-only enforcement,
  //! metric packs whose SQL ships with Tributary). User SQL always goes through the guard.
  bool skip_statement_guard = false;
};

class Connector {
 public:
  virtual ~Connector() = default;

  //! The registry's type string, e.g. "duckdb".
  virtual std::string_view type() const = 0;
  virtual Capabilities capabilities() const = 0;

  virtual Status Open() = 0;
  virtual void Close() = 0;

  //! Round trip to the engine; UNAVAILABLE with a reason when it cannot be reached.
  virtual Result<HealthInfo> HealthCheck() = 0;
  virtual Result<std::vector<TableInfo>> ListTables() = 0;
  //! NOT_FOUND when the table does not exist.
  virtual Result<TableSchema> DescribeTable(std::string_view table) = 0;
  //! Runs one read-only statement within the request's limits. Statements that are not a
  //! single SELECT-class query fail with QUERY_ERROR or PERMISSION_DENIED; a timeout gives
  //! DEADLINE_EXCEEDED and a cancel CANCELLED, both stopping the work in the engine.
  virtual Result<QueryResult> Execute(const QueryRequest& request) = 0;
};

//! DEADLINE_EXCEEDED "query exceeded its timeout of N ms": every connector's timeout error.
Status QueryTimeoutError(std::chrono::milliseconds timeout);
//! CANCELLED with the token's reason ("query cancelled" when it gave none).
Status QueryCancelledError(const CancelToken& cancel);

//! Everything a factory knows about one configured source.
struct SourceContext {
  std::string id;
  //! The source's options, validated against the factory's schema.
  Options options;
  //! Directory of the config file, for resolving relative paths.
  std::string base_dir;
};

struct ConnectorFactory {
  std::string type;
  std::string description;
  //! The options this connector accepts; unknown keys are rejected by the config loader.
  OptionSchema schema;
  std::unique_ptr<Connector> (*create)(const SourceContext& context) = nullptr;
};

}  // namespace tributary
