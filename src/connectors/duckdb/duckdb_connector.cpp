#include "connectors/duckdb/duckdb_connector.h"

#include <duckdb.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/deadline_watchdog.h"
#include "connectors/duckdb/connection_pool.h"
#include "connectors/duckdb/duckdb_handles.h"
#include "connectors/duckdb/duckdb_open.h"
#include "connectors/duckdb/duckdb_setup.h"
#include "connectors/duckdb/duckdb_types.h"
#include "connectors/duckdb/query_runner.h"
#include "connectors/duckdb/statement_guard.h"

namespace tributary {

namespace {

using namespace duckdb_internal;  // NOLINT(google-build-using-namespace): this file's own helpers
using Clock = DeadlineWatchdog::Clock;

constexpr int64_t kDefaultMaxConnections = 4;
// Catalog queries (ListTables, DescribeTable) wait this long for a pooled connection.
constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kLongestTimeout = std::chrono::hours(24 * 366);

// Runs a setup statement; the error carries DuckDB's message.
Status Exec(duckdb_connection connection, const std::string& sql) {
  ResultHandle result;
  if (duckdb_query(connection, sql.c_str(), result.out()) == DuckDBError) {
    const char* error = duckdb_result_error(result.get());
    return Internal(error ? error : "unknown DuckDB error");
  }
  return Status::Ok();
}

std::string ListLiteral(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += SqlLiteral(items[i]);
  }
  return out + "]";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One table or view as the catalog knows it.
struct CatalogEntry {
  std::string catalog;
  TableInfo info;
};

class DuckDbConnector final : public Connector {
 public:
  explicit DuckDbConnector(const SourceContext& context) : context_(context) {}
  ~DuckDbConnector() override { Close(); }

  std::string_view type() const override { return "duckdb"; }

  Capabilities capabilities() const override {
    return Capabilities{.dialect = "duckdb",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = false};
  }

  Status Open() override {
    std::unique_lock lock(lifecycle_mu_);
    if (pool_) return Status::Ok();
    Status status = OpenLocked();
    if (!status.ok()) ResetLocked();
    return status;
  }

  void Close() override {
    std::unique_lock lock(lifecycle_mu_);
    ResetLocked();
  }

  Result<HealthInfo> HealthCheck() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::lock_guard admin_lock(admin_mu_);
    const auto start = Clock::now();
    ResultHandle result;
    if (duckdb_query(admin_.get(), "SELECT 1", result.out()) == DuckDBError) {
      const char* error = duckdb_result_error(result.get());
      return Unavailable("DuckDB health check failed: " + std::string(error ? error : ""));
    }
    HealthInfo info;
    info.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    info.detail = std::string("DuckDB ") + duckdb_library_version();
    return info;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    TRIB_ASSIGN_OR_RETURN(auto entries, ListCatalog());
    std::vector<TableInfo> out;
    out.reserve(entries.size());
    for (auto& e : entries) out.push_back(std::move(e.info));
    return out;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    // "name", "schema.name" or "catalog.schema.name", case-insensitive; the first match in
    // listing order wins (the attached file before the declared tables, as for queries).
    std::vector<std::string_view> parts;
    for (std::string_view rest = table;;) {
      const size_t dot = rest.find('.');
      parts.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (parts.size() > 3) {
      return NotFound("table \"" + std::string(table) + "\" does not exist in source " +
                      context_.id);
    }
    const std::string_view name = parts.back();
    const std::string_view schema = parts.size() >= 2 ? parts[parts.size() - 2] : "";
    const std::string_view catalog_name = parts.size() == 3 ? parts[0] : "";
    TRIB_ASSIGN_OR_RETURN(auto entries, ListCatalog());
    const CatalogEntry* found = nullptr;
    for (const auto& e : entries) {
      if (EqualsIgnoreCase(e.info.name, name) &&
          (schema.empty() || EqualsIgnoreCase(e.info.schema, schema)) &&
          (catalog_name.empty() || EqualsIgnoreCase(e.catalog, catalog_name))) {
        found = &e;
        break;
      }
    }
    if (found == nullptr) {
      return NotFound("table \"" + std::string(table) + "\" does not exist in source " +
                      context_.id);
    }
    const std::string qualified = SqlIdentifier(found->catalog) + "." +
                                  SqlIdentifier(found->info.schema) + "." +
                                  SqlIdentifier(found->info.name);

    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(Clock::now() + kCatalogTimeout, {}));
    // Names, DuckDB's own type text and nullability from the catalog (views report every
    // column nullable)...
    QueryRequest catalog_request;
    catalog_request.sql =
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 ORDER BY column_index";
    catalog_request.params = {Value::String(found->catalog), Value::String(found->info.schema),
                              Value::String(found->info.name)};
    catalog_request.max_rows = 0;
    catalog_request.max_bytes = 0;
    TRIB_ASSIGN_OR_RETURN(QueryResult catalog,
                          RunQuery(lease.get(), catalog_request, Clock::now() + kCatalogTimeout,
                                   DeadlineWatchdog::Shared()));
    // ...and the Tributary types exactly as a query sees them: prepare (never run) a SELECT.
    auto prepared = PrepareGuarded(lease.get(), "SELECT * FROM " + qualified, false);
    if (!prepared.ok()) return prepared.status();
    TableSchema out;
    out.table = found->info;
    const idx_t count = duckdb_prepared_statement_column_count(prepared->get());
    for (idx_t c = 0; c < count; ++c) {
      LogicalTypeHandle logical(duckdb_prepared_statement_column_logical_type(prepared->get(), c));
      DuckType type = DescribeType(logical.get());
      TableColumn column;
      // Unlike a result's column names, these are allocated for the caller.
      column.name = TakeDuckString(
          const_cast<char*>(duckdb_prepared_statement_column_name(prepared->get(), c)));
      column.type = MapColumnType(type);
      column.source_type = TypeName(type);
      if (c < catalog.row_count()) {
        if (!catalog.column(1).is_null(c)) column.source_type = catalog.column(1).string_at(c);
        if (!catalog.column(2).is_null(c)) column.nullable = catalog.column(2).bool_at(c);
      }
      out.columns.push_back(std::move(column));
    }
    return out;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    const auto start = Clock::now();
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    // A non-positive timeout means none; so does an absurdly long one, which would overflow
    // the clock's arithmetic.
    const bool has_deadline = request.timeout.count() > 0 && request.timeout < kLongestTimeout;
    const Clock::time_point deadline =
        has_deadline ? start + request.timeout : Clock::time_point::max();
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, request.cancel));
    auto result = RunQuery(lease.get(), request, deadline, DeadlineWatchdog::Shared());
    if (!result.ok()) return result.status();
    result->stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  Status NotOpen() const { return Unavailable("source " + context_.id + " is not open"); }

  Status OpenLocked() {
    const Options& options = context_.options;
    DuckDbSettings settings;
    if (options.Has("threads")) {
      settings.emplace_back("threads", std::to_string(options.GetInt("threads", 1)));
    }
    if (options.Has("memory_limit")) {
      settings.emplace_back("memory_limit", options.GetString("memory_limit"));
    }
    if (Status st = OpenOfflineDatabase("", settings, db_); !st.ok()) {
      if (st.code() == ErrorCode::kInvalidArgument) {
        return ConfigError("source " + context_.id + ": " + st.message());
      }
      return Unavailable("cannot start DuckDB for source " + context_.id + ": " + st.message());
    }

    ConnectionHandle setup;
    if (duckdb_connect(db_.get(), setup.out()) == DuckDBError) {
      return Unavailable("cannot connect to DuckDB for source " + context_.id);
    }
    std::vector<std::string> allowed_paths, allowed_directories;

    const std::string path = options.GetString("path");
    if (!path.empty()) {
      const std::string resolved = ResolvePath(path, context_.base_dir);
      std::error_code ec;
      // Checked here because ATTACH would create a missing file (and READ_ONLY then fails
      // with a less helpful message).
      if (!std::filesystem::is_regular_file(resolved, ec)) {
        return Unavailable("database file not found: " + resolved);
      }
      alias_ = CatalogAliasFor(context_.id);
      Status attached = Exec(setup.get(), "ATTACH " + SqlLiteral(resolved) + " AS " +
                                              SqlIdentifier(alias_) + " (READ_ONLY)");
      if (!attached.ok()) {
        return Unavailable("cannot attach database file " + resolved + ": " + attached.message());
      }
      // DuckDB reads the file lazily, so it must stay readable once external access is off.
      allowed_paths.push_back(resolved);
      allowed_paths.push_back(resolved + ".wal");
    }

    for (const auto& [name, pattern] : options.GetStringMap("tables")) {
      if (name.empty()) return ConfigError("source " + context_.id + ": empty table name");
      const std::string resolved = ResolvePath(pattern, context_.base_dir);
      auto reader = ReaderFunctionFor(resolved);
      if (!reader) {
        return ConfigError("source " + context_.id + ", table " + name +
                           ": cannot tell the file format of " + resolved +
                           " (expected .parquet, .csv, .tsv, .json, .ndjson or .jsonl, the "
                           "text formats optionally .gz)");
      }
      if (HasGlob(resolved)) {
        TRIB_ASSIGN_OR_RETURN(int64_t matches, CountGlob(setup.get(), resolved));
        if (matches == 0) {
          return Unavailable("table " + name + ": no file matches " + resolved);
        }
        allowed_directories.push_back(GlobBaseDirectory(resolved));
      } else {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(resolved, ec)) {
          return Unavailable("table " + name + ": file not found: " + resolved);
        }
        allowed_paths.push_back(resolved);
      }
      Status created =
          Exec(setup.get(), "CREATE VIEW memory.main." + SqlIdentifier(name) +
                                " AS SELECT * FROM " + *reader + "(" + SqlLiteral(resolved) + ")");
      if (!created.ok()) {
        return Unavailable("table " + name + ": cannot read " + resolved + ": " +
                           created.message());
      }
      file_tables_.insert(name);
    }

    // From here on DuckDB may only touch the files declared above.
    if (!allowed_paths.empty()) {
      TRIB_RETURN_IF_ERROR(Exec(setup.get(), "SET allowed_paths = " + ListLiteral(allowed_paths)));
    }
    if (!allowed_directories.empty()) {
      TRIB_RETURN_IF_ERROR(
          Exec(setup.get(), "SET allowed_directories = " + ListLiteral(allowed_directories)));
    }
    TRIB_RETURN_IF_ERROR(Exec(setup.get(), "SET enable_external_access = false"));

    // All connections are configured now: session settings cannot change once locked.
    const int64_t pool_size = options.GetInt("max_connections", kDefaultMaxConnections);
    std::vector<ConnectionHandle> connections;
    for (int64_t i = 0; i <= pool_size; ++i) {
      ConnectionHandle connection;
      if (duckdb_connect(db_.get(), connection.out()) == DuckDBError) {
        return Unavailable("cannot connect to DuckDB for source " + context_.id);
      }
      TRIB_RETURN_IF_ERROR(Exec(connection.get(), "SET TimeZone = 'UTC'"));
      if (!alias_.empty()) {
        TRIB_RETURN_IF_ERROR(
            Exec(connection.get(),
                 "SET search_path = " + SqlLiteral(SqlIdentifier(alias_) + ".main,memory.main")));
      }
      connections.push_back(std::move(connection));
    }
    // One extra connection serves health checks, so they never queue behind queries.
    admin_ = std::move(connections.back());
    connections.pop_back();
    TRIB_RETURN_IF_ERROR(Exec(setup.get(), "SET lock_configuration = true"));
    pool_ = std::make_unique<ConnectionPool>(context_.id, std::move(connections));
    return Status::Ok();
  }

  // Connections go before the database they belong to.
  void ResetLocked() {
    pool_.reset();
    admin_.Reset();
    db_.Reset();
    alias_.clear();
    file_tables_.clear();
  }

  static Result<int64_t> CountGlob(duckdb_connection connection, const std::string& pattern) {
    ResultHandle result;
    const std::string sql = "SELECT count(*) FROM glob(" + SqlLiteral(pattern) + ")";
    if (duckdb_query(connection, sql.c_str(), result.out()) == DuckDBError) {
      const char* error = duckdb_result_error(result.get());
      return Unavailable("cannot list files matching " + pattern + ": " + (error ? error : ""));
    }
    ChunkHandle chunk(duckdb_fetch_chunk(*result.get()));
    if (!chunk || duckdb_data_chunk_get_size(chunk.get()) == 0) return int64_t{0};
    auto* counts =
        static_cast<int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk.get(), 0)));
    return counts[0];
  }

  // Tables and views of the attached file and of memory.main (the declared files), in name
  // resolution order; DuckDB's own catalogs and internal objects are left out.
  Result<std::vector<CatalogEntry>> ListCatalog() {
    QueryRequest request;
    request.sql =
        "SELECT * FROM ("
        "SELECT database_name, schema_name, table_name AS name, 'table' AS kind "
        "FROM duckdb_tables() "
        "WHERE NOT internal AND NOT temporary AND database_name IN ($1, 'memory') "
        "UNION ALL SELECT database_name, schema_name, view_name, 'view' FROM duckdb_views() "
        "WHERE NOT internal AND NOT temporary AND database_name IN ($1, 'memory')) "
        "ORDER BY database_name = 'memory', schema_name, name";
    request.params = {Value::String(alias_.empty() ? "memory" : alias_)};
    request.max_rows = 0;
    request.max_bytes = 0;
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(Clock::now() + kCatalogTimeout, {}));
    TRIB_ASSIGN_OR_RETURN(
        QueryResult rows,
        RunQuery(lease.get(), request, Clock::now() + kCatalogTimeout, DeadlineWatchdog::Shared()));
    std::vector<CatalogEntry> out;
    for (size_t r = 0; r < rows.row_count(); ++r) {
      CatalogEntry e;
      e.catalog = rows.column(0).string_at(r);
      e.info.schema = rows.column(1).string_at(r);
      e.info.name = rows.column(2).string_at(r);
      e.info.kind = rows.column(3).string_at(r);
      if (e.catalog == "memory" && e.info.schema == "main" && e.info.kind == "view" &&
          file_tables_.count(e.info.name) != 0) {
        e.info.kind = "file";
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  const SourceContext context_;
  // Shared by every call that uses the database, exclusive for Open and Close.
  std::shared_mutex lifecycle_mu_;
  DatabaseHandle db_;
  std::unique_ptr<ConnectionPool> pool_;
  std::mutex admin_mu_;
  ConnectionHandle admin_;
  // Catalog name of the attached file; empty without `path`.
  std::string alias_;
  std::set<std::string> file_tables_;
};

}  // namespace

ConnectorFactory DuckDbConnectorFactory() {
  ConnectorFactory f;
  f.type = "duckdb";
  f.description = "Embedded DuckDB: a database file and/or Parquet, CSV and JSON files";
  f.schema = {
      {.name = "path",
       .type = OptionType::kString,
       .description = "DuckDB database file, attached read-only; omit for in-memory"},
      {.name = "tables",
       .type = OptionType::kStringMap,
       .description = "table name -> Parquet/CSV/JSON file or glob, exposed as a view"},
      {.name = "max_connections",
       .type = OptionType::kInt,
       .description = "concurrent queries (connection pool size)",
       .min = 1,
       .max = 256},
      {.name = "threads",
       .type = OptionType::kInt,
       .description = "DuckDB worker threads (default: cores)",
       .min = 1,
       .max = 1024},
      {.name = "memory_limit",
       .type = OptionType::kString,
       .description = "DuckDB memory_limit, e.g. \"2GB\""},
  };
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<DuckDbConnector>(context);
  };
  return f;
}

}  // namespace tributary
