#include "connectors/json_api/json_api_connector.h"

#include <duckdb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/deadline_watchdog.h"
#include "connectors/common/http_client.h"
#include "connectors/duckdb/connection_pool.h"
#include "connectors/duckdb/duckdb_handles.h"
#include "connectors/duckdb/duckdb_open.h"
#include "connectors/duckdb/duckdb_setup.h"
#include "connectors/duckdb/query_runner.h"
#include "connectors/json_api/json_api_loader.h"
#include "connectors/json_api/json_api_spec.h"
#include "connectors/json_api/sql_tables.h"

namespace tributary {

namespace {

using namespace json_api;  // NOLINT(google-build-using-namespace): this connector's own helpers
using duckdb_internal::ConnectionHandle;
using duckdb_internal::ConnectionPool;
using duckdb_internal::SqlIdentifier;
using Clock = DeadlineWatchdog::Clock;

// The schema of the loaded tables; queries see them only through per-connection temporary
// views named after the configured tables.
constexpr const char* kLoadedSchema = "loaded";
constexpr auto kLongestTimeout = std::chrono::hours(24 * 366);
constexpr auto kHealthTimeout = std::chrono::seconds(10);
// Distinct (table, URL) entries kept in the cache at most; the oldest go first.
constexpr size_t kMaxCachedTables = 64;
// Characters of an error body shown in a message.
constexpr size_t kBodySummaryChars = 200;

Status Exec(duckdb_connection connection, const std::string& sql) {
  duckdb_internal::ResultHandle result;
  if (duckdb_query(connection, sql.c_str(), result.out()) == DuckDBError) {
    const char* error = duckdb_result_error(result.get());
    return Internal(error ? error : "unknown DuckDB error");
  }
  return Status::Ok();
}

// The path of a URL, without scheme, host or query string (which may hold a secret).
std::string ShownPath(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : url.find('/', start + 3);
  if (start == std::string::npos) return "/";
  const size_t end = url.find_first_of("?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// "scheme://host[:port]" of a URL.
std::string OriginOf(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

std::string WithParam(std::string url, const std::string& name, const std::string& value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += UrlEncode(name);
  url += '=';
  url += UrlEncode(value);
  return url;
}

// Names the tables a query's SQL mentions and holds their loaded data until it is done.
struct LoadedTable {
  std::string internal_name;
  Clock::time_point fetched_at;
  int64_t rows = 0;
  // Where the table's name goes when nobody uses it any more (dropped by the next query).
  std::shared_ptr<std::vector<std::string>> graveyard;
  std::shared_ptr<std::mutex> graveyard_mu;
  ~LoadedTable() {
    if (!graveyard) return;
    std::lock_guard lock(*graveyard_mu);
    graveyard->push_back(internal_name);
  }
};

class JsonApiConnector final : public Connector {
 public:
  explicit JsonApiConnector(const SourceContext& context) : context_(context) {}
  ~JsonApiConnector() override { Close(); }

  std::string_view type() const override { return "json_api"; }

  Capabilities capabilities() const override {
    return Capabilities{.dialect = "duckdb",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = false,
                        .query_options = true};
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
    const auto start = Clock::now();
    auto response = Get(HealthUrl(), CancelToken(), start + kHealthTimeout);
    if (!response.ok()) {
      return Unavailable("health check of " + OriginOf(spec_.base_url) +
                         " failed: " + response.status().message());
    }
    if (response->status < 200 || response->status > 299) {
      Status error = HttpError(*response, HealthUrl(), "health check");
      if (error.code() != ErrorCode::kUnavailable) error = Unavailable(error.message());
      return error;
    }
    HealthInfo info;
    info.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (info.latency.count() == 0) info.latency = std::chrono::microseconds(1);
    info.detail = "JSON API at " + OriginOf(spec_.base_url) + " (HTTP " +
                  std::to_string(response->status) + " from " + ShownPath(HealthUrl()) + ")";
    return info;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::vector<TableInfo> out;
    for (const auto& table : spec_.tables) out.push_back({"main", table.name, "table"});
    return out;
  }

  Result<TableSchema> DescribeTable(std::string_view name) override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::string_view bare = name;
    if (bare.rfind("main.", 0) == 0) bare.remove_prefix(5);
    const TableSpec* table = spec_.FindTable(bare);
    if (table == nullptr) {
      std::string known;
      for (const auto& t : spec_.tables) known += (known.empty() ? "" : ", ") + t.name;
      return NotFound("table \"" + std::string(name) + "\" does not exist in source " +
                      context_.id + "; its configured tables are " + known);
    }
    TableSchema schema;
    schema.table = {"main", table->name, "table"};
    for (const auto& column : table->columns) {
      schema.columns.push_back({column.name, column.column_type, SourceTypeOf(column), true});
    }
    return schema;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    const auto start = Clock::now();
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    const bool has_deadline = request.timeout.count() > 0 && request.timeout < kLongestTimeout;
    const Clock::time_point deadline =
        has_deadline ? start + request.timeout : Clock::time_point::max();

    if (!request.param_names.empty()) {
      return InvalidArgument("source " + context_.id +
                             " takes positional parameters ($1, $2, ... or ?), not named ones");
    }
    // Query options are the tables' template values; anything else is a mistake.
    const std::vector<std::string> variables = spec_.AllVariables();
    for (const auto& [key, value] : request.options) {
      if (std::find(variables.begin(), variables.end(), key) == variables.end()) {
        std::string accepted;
        for (const auto& v : variables) accepted += (accepted.empty() ? "" : ", ") + v;
        return InvalidArgument("unknown query option \"" + key + "\" for json_api source " +
                               context_.id +
                               "; the options it accepts are the placeholders of "
                               "its tables' paths: " +
                               (accepted.empty() ? std::string("(none)") : accepted));
      }
    }
    struct Wanted {
      const TableSpec* table;
      std::string first_url;
    };
    std::vector<Wanted> wanted;
    std::vector<std::string> names;
    for (const auto& t : spec_.tables) names.push_back(t.name);
    for (const auto& name : ReferencedTables(request.sql, names)) {
      const TableSpec* table = spec_.FindTable(name);
      TRIB_ASSIGN_OR_RETURN(auto values, ResolveTemplateValues(*table, request.options));
      wanted.push_back({table, spec_.base_url + ExpandUrlTemplate(table->path, values)});
    }

    // One pooled DuckDB connection per query, held while its tables are fetched: it bounds
    // the concurrent queries (and so the concurrent fetches) to max_connections.
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, request.cancel));
    DropUnused(lease.get());

    std::vector<std::shared_ptr<LoadedTable>> held;
    if (wanted.empty()) {
      TRIB_RETURN_IF_ERROR(MapAbort(Probe(request.cancel, deadline), request, deadline));
    }
    for (const auto& w : wanted) {
      auto loaded = GetTable(*w.table, w.first_url, lease.get(), request, deadline);
      if (!loaded.ok()) return MapAbort(loaded.status(), request, deadline);
      Status viewed =
          Exec(lease.get(), "CREATE OR REPLACE TEMP VIEW " + SqlIdentifier(w.table->name) +
                                " AS SELECT * FROM " + kLoadedSchema + "." +
                                SqlIdentifier((*loaded)->internal_name));
      if (!viewed.ok()) return Internal("table " + w.table->name + ": " + viewed.message());
      held.push_back(std::move(loaded).value());
    }

    // The scratch database is shared by every query and the cache: nothing may change it,
    // so the read-only check applies even to trusted callers that skip the guard elsewhere.
    QueryRequest guarded = request;
    guarded.skip_statement_guard = false;
    auto result =
        duckdb_internal::RunQuery(lease.get(), guarded, deadline, DeadlineWatchdog::Shared());
    // Tables only this query used (no cache, or replaced meanwhile) are dropped now rather
    // than at the next query, so their memory goes back at once.
    held.clear();
    DropUnused(lease.get());
    if (!result.ok()) return result.status();
    result->stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  Status NotOpen() const { return Unavailable("source " + context_.id + " is not open"); }

  Status OpenLocked() {
    TRIB_ASSIGN_OR_RETURN(spec_, ParseApiSpec(context_.options));
    HttpClientOptions http;
    http.source_id = context_.id;
    http.max_connections = spec_.max_connections;
    http.tls.verify = spec_.tls_verify;
    http.tls.ca_file = spec_.tls_ca_file;
    http.connect_timeout = spec_.connect_timeout;
    http_ = std::make_unique<HttpClient>(std::move(http));

    if (Status st = duckdb_internal::OpenOfflineDatabase("", {}, db_); !st.ok()) {
      return Unavailable("cannot start DuckDB for source " + context_.id + ": " + st.message());
    }
    ConnectionHandle setup;
    if (duckdb_connect(db_.get(), setup.out()) == DuckDBError) {
      return Unavailable("cannot connect to DuckDB for source " + context_.id);
    }
    TRIB_RETURN_IF_ERROR(Exec(setup.get(), std::string("CREATE SCHEMA ") + kLoadedSchema));
    // Queries read only what was fetched: no files, no network.
    TRIB_RETURN_IF_ERROR(Exec(setup.get(), "SET enable_external_access = false"));
    std::vector<ConnectionHandle> connections;
    for (int64_t i = 0; i < spec_.max_connections; ++i) {
      ConnectionHandle connection;
      if (duckdb_connect(db_.get(), connection.out()) == DuckDBError) {
        return Unavailable("cannot connect to DuckDB for source " + context_.id);
      }
      TRIB_RETURN_IF_ERROR(Exec(connection.get(), "SET TimeZone = 'UTC'"));
      connections.push_back(std::move(connection));
    }
    TRIB_RETURN_IF_ERROR(Exec(setup.get(), "SET lock_configuration = true"));
    pool_ = std::make_unique<ConnectionPool>(context_.id, std::move(connections));
    graveyard_ = std::make_shared<std::vector<std::string>>();
    graveyard_mu_ = std::make_shared<std::mutex>();
    return Status::Ok();
  }

  void ResetLocked() {
    {
      std::lock_guard lock(cache_mu_);
      cache_.clear();
      probe_ok_at_.reset();
    }
    pool_.reset();
    db_.Reset();
    if (http_) http_->Close();
    http_.reset();
  }

  std::string HealthUrl() const {
    if (!spec_.health_path.empty()) return spec_.base_url + spec_.health_path;
    const TableSpec& first = spec_.tables.front();
    return spec_.base_url + ExpandUrlTemplate(first.path, first.defaults);
  }

  // One GET with the source's headers and auth.
  Result<HttpResponse> Get(const std::string& url, const CancelToken& cancel,
                           Clock::time_point deadline) {
    HttpRequest request;
    request.url = url;
    request.post = false;
    request.headers = spec_.header_lines;
    request.headers.push_back("Accept: application/json");
    if (spec_.auth.kind == AuthSpec::Kind::kBearer) {
      request.headers.push_back("Authorization: Bearer " + spec_.auth.token);
    } else if (spec_.auth.kind == AuthSpec::Kind::kBasic) {
      request.basic_user = spec_.auth.user;
      request.basic_password = spec_.auth.password;
    }
    auto response = http_->Perform(std::move(request), cancel, deadline);
    if (!response.ok()) {
      return Status(response.status().code(),
                    RedactSecrets(response.status().message(), spec_.secrets));
    }
    return response;
  }

  // A non-2xx answer as an error: what, where (the URL's path only) and how to fix.
  Status HttpError(const HttpResponse& response, const std::string& url,
                   const std::string& what) const {
    std::string body = RedactSecrets(response.body.substr(0, kBodySummaryChars * 2), spec_.secrets);
    for (char& c : body) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    if (body.size() > kBodySummaryChars) body = body.substr(0, kBodySummaryChars) + "...";
    std::string where = "HTTP " + std::to_string(response.status) + " from GET " + ShownPath(url) +
                        " (" + what + " of source " + context_.id + ")";
    if (response.attempts > 1) where += " after " + std::to_string(response.attempts) + " attempts";
    if (!body.empty()) where += ": " + body;
    const long status = response.status;  // NOLINT(google-runtime-int)
    if (status == 401 || status == 403) {
      return Unavailable("authentication failed: " + where +
                         "; check the source's auth (token, user, password) and headers");
    }
    if (status == 404) {
      return NotFound(where + "; the API has no such path: check base_url and the table's path");
    }
    if (IsRetryableHttpStatus(status)) {
      return Unavailable(where + "; the API is overloaded or down: try again later");
    }
    return QueryError(where + "; check the table's path and the template values of the query");
  }

  // A failure after the deadline or a cancel is reported as such, whatever layer saw it.
  static Status MapAbort(Status status, const QueryRequest& request, Clock::time_point deadline) {
    if (status.ok()) return status;
    if (request.cancel.cancelled()) return QueryCancelledError(request.cancel);
    if (Clock::now() >= deadline || status.code() == ErrorCode::kDeadlineExceeded) {
      if (status.code() == ErrorCode::kResourceExhausted) return status;
      return QueryTimeoutError(request.timeout);
    }
    return status;
  }

  // A query that names no table still needs the API to answer (see the header).
  Status Probe(const CancelToken& cancel, Clock::time_point deadline) {
    if (spec_.cache_ttl.count() > 0) {
      std::lock_guard lock(cache_mu_);
      if (probe_ok_at_ && Clock::now() - *probe_ok_at_ < spec_.cache_ttl) return Status::Ok();
    }
    const std::string url = HealthUrl();
    TRIB_ASSIGN_OR_RETURN(auto response, Get(url, cancel, deadline));
    if (response.status < 200 || response.status > 299) {
      return HttpError(response, url, "reachability check");
    }
    std::lock_guard lock(cache_mu_);
    probe_ok_at_ = Clock::now();
    return Status::Ok();
  }

  void DropUnused(duckdb_connection connection) {
    std::vector<std::string> names;
    {
      std::lock_guard lock(*graveyard_mu_);
      names.swap(*graveyard_);
    }
    for (const auto& name : names) {
      (void)Exec(connection,
                 std::string("DROP TABLE IF EXISTS ") + kLoadedSchema + "." + SqlIdentifier(name));
    }
  }

  // The table's data for this first URL: from the cache while fresh (waiting for a fetch
  // another query has started), else fetched now.
  Result<std::shared_ptr<LoadedTable>> GetTable(const TableSpec& table, const std::string& url,
                                                duckdb_connection connection,
                                                const QueryRequest& request,
                                                Clock::time_point deadline) {
    if (spec_.cache_ttl.count() == 0) return Load(table, url, connection, request, deadline);
    const std::string key = table.name + "\n" + url;
    {
      std::unique_lock lock(cache_mu_);
      for (;;) {
        Slot& slot = cache_[key];
        if (slot.table && Clock::now() - slot.table->fetched_at < spec_.cache_ttl) {
          return slot.table;
        }
        if (!slot.loading) {
          slot.loading = true;
          break;
        }
        if (request.cancel.cancelled()) return QueryCancelledError(request.cancel);
        if (Clock::now() >= deadline) return QueryTimeoutError(request.timeout);
        cache_cv_.wait_until(lock,
                             std::min(deadline, Clock::now() + std::chrono::milliseconds(20)));
      }
    }
    auto loaded = Load(table, url, connection, request, deadline);
    std::lock_guard lock(cache_mu_);
    Slot& slot = cache_[key];
    slot.loading = false;
    if (loaded.ok()) slot.table = *loaded;
    cache_cv_.notify_all();
    EvictLocked();
    return loaded;
  }

  void EvictLocked() {
    // Expired tables go (their memory with them, once no query uses them)...
    const auto now = Clock::now();
    for (auto it = cache_.begin(); it != cache_.end();) {
      const bool expired =
          !it->second.loading &&
          (!it->second.table || now - it->second.table->fetched_at >= spec_.cache_ttl);
      it = expired ? cache_.erase(it) : std::next(it);
    }
    // ...and the oldest beyond the bound.
    while (cache_.size() > kMaxCachedTables) {
      auto oldest = cache_.end();
      for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        if (it->second.loading) continue;
        if (oldest == cache_.end() || !it->second.table ||
            (oldest->second.table &&
             it->second.table->fetched_at < oldest->second.table->fetched_at)) {
          oldest = it;
        }
      }
      if (oldest == cache_.end()) return;
      cache_.erase(oldest);
    }
  }

  // Fetches every page of `table` from `first_url` and loads the records into a new table.
  Result<std::shared_ptr<LoadedTable>> Load(const TableSpec& table, const std::string& first_url,
                                            duckdb_connection connection,
                                            const QueryRequest& request,
                                            Clock::time_point deadline) {
    auto loaded = std::make_shared<LoadedTable>();
    loaded->internal_name = table.name + "_" + std::to_string(++table_counter_);
    TRIB_RETURN_IF_ERROR(Exec(connection, std::string("CREATE TABLE ") + kLoadedSchema + "." +
                                              SqlIdentifier(loaded->internal_name) + " " +
                                              ColumnDefinitions(table)));
    // From here on, the table is dropped with `loaded` whatever happens.
    loaded->graveyard = graveyard_;
    loaded->graveyard_mu = graveyard_mu_;
    TRIB_ASSIGN_OR_RETURN(
        auto loader, TableLoader::Create(table, connection, kLoadedSchema, loaded->internal_name));
    const PaginationSpec& pagination = table.pagination;
    const std::string origin = OriginOf(spec_.base_url);
    std::string url = first_url;
    if (pagination.kind == PaginationSpec::Kind::kPage) {
      url = WithParam(url, pagination.param, std::to_string(pagination.start));
      if (!pagination.size_param.empty()) {
        url = WithParam(url, pagination.size_param, std::to_string(pagination.size));
      }
    }
    std::set<std::string> seen;
    for (int64_t page = 1;; ++page) {
      if (page > spec_.max_pages) {
        return ResourceExhausted(
            "table " + table.name + " of source " + context_.id + " has more than max_pages = " +
            std::to_string(spec_.max_pages) + " pages at " + ShownPath(first_url) +
            " (the answer would be incomplete); raise max_pages in the source config or narrow "
            "the listing with the path's template values");
      }
      seen.insert(url);
      TRIB_ASSIGN_OR_RETURN(auto response, Get(url, request.cancel, deadline));
      if (response.status < 200 || response.status > 299) {
        return HttpError(response, url, "table " + table.name);
      }
      TRIB_ASSIGN_OR_RETURN(PageInfo info, loader->AddPage(response.body, page, ShownPath(url)));
      std::string next;
      switch (pagination.kind) {
        case PaginationSpec::Kind::kNone:
          break;
        case PaginationSpec::Kind::kNextLink:
          next = info.next;
          break;
        case PaginationSpec::Kind::kLinkHeader:
          next = NextFromLinkHeader(response.Header("link"));
          break;
        case PaginationSpec::Kind::kCursor:
          if (!info.next.empty() && info.records > 0) {
            next = WithParam(first_url, pagination.param, info.next);
          }
          break;
        case PaginationSpec::Kind::kPage:
          if (info.records > 0 && (pagination.size == 0 || info.records >= pagination.size)) {
            next = WithParam(first_url, pagination.param, std::to_string(pagination.start + page));
            if (!pagination.size_param.empty()) {
              next = WithParam(next, pagination.size_param, std::to_string(pagination.size));
            }
          }
          break;
      }
      if (next.empty()) break;
      if (next[0] == '/') {
        next = origin + next;
      } else if (next.rfind("http://", 0) != 0 && next.rfind("https://", 0) != 0) {
        return QueryError("table " + table.name + ": page " + std::to_string(page) + " of " +
                          ShownPath(url) +
                          " gives a next link that is not a URL; check "
                          "tables." +
                          table.name + ".pagination");
      }
      // The source's credentials go to its own origin only.
      if (OriginOf(next) != origin) {
        return QueryError("table " + table.name + ": page " + std::to_string(page) + " of " +
                          ShownPath(url) + " links to another origin (" + OriginOf(next) +
                          "); the source's credentials are sent to " + origin +
                          " only, so the listing cannot be followed there");
      }
      if (seen.count(next) != 0) {
        return QueryError("table " + table.name + ": page " + std::to_string(page) + " of " +
                          ShownPath(url) +
                          " links back to a page already fetched; the "
                          "pagination never ends: check tables." +
                          table.name + ".pagination");
      }
      url = std::move(next);
    }
    TRIB_RETURN_IF_ERROR(loader->Finish());
    loaded->rows = loader->rows();
    loaded->fetched_at = Clock::now();
    return loaded;
  }

  struct Slot {
    std::shared_ptr<LoadedTable> table;
    bool loading = false;
  };

  const SourceContext context_;
  std::shared_mutex lifecycle_mu_;
  ApiSpec spec_;
  std::unique_ptr<HttpClient> http_;
  duckdb_internal::DatabaseHandle db_;
  std::unique_ptr<ConnectionPool> pool_;
  std::atomic<uint64_t> table_counter_{0};
  std::shared_ptr<std::vector<std::string>> graveyard_;
  std::shared_ptr<std::mutex> graveyard_mu_;
  std::mutex cache_mu_;
  std::condition_variable cache_cv_;
  std::map<std::string, Slot> cache_;
  std::optional<Clock::time_point> probe_ok_at_;
};

}  // namespace

ConnectorFactory JsonApiConnectorFactory() {
  ConnectorFactory f;
  f.type = "json_api";
  f.description = "Any HTTP JSON API (URL templates, auth, pagination) queried with SQL";
  f.schema = JsonApiOptionSchema();
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<JsonApiConnector>(context);
  };
  return f;
}

}  // namespace tributary
