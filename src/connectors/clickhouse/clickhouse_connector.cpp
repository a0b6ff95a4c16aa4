#include "connectors/clickhouse/clickhouse_connector.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "common/deadline_watchdog.h"
#include "connectors/clickhouse/clickhouse_sql.h"
#include "connectors/clickhouse/clickhouse_tsv.h"
#include "connectors/common/connection_pool.h"
#include "connectors/common/http_client.h"
#include "connectors/common/sql_guard.h"

namespace tributary {

namespace {

using namespace clickhouse;  // NOLINT(google-build-using-namespace): this connector's helpers
using Clock = DeadlineWatchdog::Clock;

constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kValidateTimeout = std::chrono::seconds(5);
// A KILL QUERY round trip gets this long; the query is already cut off on our side.
constexpr auto kKillTimeout = std::chrono::seconds(5);
// libcurl's own whole-transfer limit, as a last resort behind the watchdog.
constexpr auto kTransferGrace = std::chrono::seconds(30);

struct Settings {
  std::string base_url;  // scheme://host:port, no trailing slash
  std::string database;
  std::string user;
  std::string password;
  std::chrono::milliseconds connect_timeout{10'000};
  HttpTlsOptions tls;
  PoolOptions pool;
};

// One pooled transfer handle: its keep-alive connection is reused by the next borrower.
struct ClickHouseConn {
  HttpHandle http;
};

class ClickHouseConnector final : public Connector {
 public:
  explicit ClickHouseConnector(const SourceContext& context) : context_(context) {}
  ~ClickHouseConnector() override { Close(); }

  std::string_view type() const override { return "clickhouse"; }

  Capabilities capabilities() const override {
    return Capabilities{.dialect = "clickhouse",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = false};
  }

  Status Open() override {
    const Options& o = context_.options;
    Settings s;
    TRIB_ASSIGN_OR_RETURN(s.base_url, ClickHouseBaseUrl(context_.id, o));
    s.database = o.GetString("database");
    s.user = o.GetString("user", "default");
    s.password = o.GetString("password");
    s.connect_timeout = std::chrono::milliseconds(o.GetInt("connect_timeout_ms", 10'000));
    s.tls.verify = o.GetBool("tls_verify", true);
    s.tls.ca_file = o.GetString("tls_ca_file");
    s.pool.min_connections = o.GetInt("min_connections", 0);
    s.pool.max_connections = o.GetInt("max_connections", 4);
    s.pool.idle_timeout = std::chrono::milliseconds(o.GetInt("idle_timeout_ms", 60'000));
    s.pool.max_lifetime = std::chrono::milliseconds(o.GetInt("max_lifetime_ms", 1'800'000));
    if (s.pool.min_connections > s.pool.max_connections) {
      return ConfigError("source '" + context_.id +
                         "': min_connections is larger than max_connections");
    }
    settings_ = s;
    EnsureCurlGlobalInit();
    // Handles are created lazily and connect on first use: a dead server does not stop Open.
    pool_ = std::make_unique<ConnectionPool<ClickHouseConn>>(
        context_.id, s.pool,
        []() -> Result<std::unique_ptr<ClickHouseConn>> {
          return std::make_unique<ClickHouseConn>();
        },
        [this](ClickHouseConn& conn) {
          auto r = RunOn(conn.http, "SELECT 1", QueryOptions{}, Clock::now() + kValidateTimeout,
                         CancelToken());
          return r.ok();
        });
    return Status::Ok();
  }

  void Close() override {
    if (pool_) pool_->Close();
  }

  Result<HealthInfo> HealthCheck() override {
    if (!pool_) return Unavailable("source '" + context_.id + "' is not open");
    // A handle of its own: a health check never queues behind busy queries.
    HttpHandle http;
    auto start = Clock::now();
    TRIB_ASSIGN_OR_RETURN(auto ping, RunOn(http, "SELECT 1", QueryOptions{},
                                           start + kValidateTimeout, CancelToken()));
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    TRIB_ASSIGN_OR_RETURN(auto info, RunOn(http, "SELECT version(), timezone()", QueryOptions{},
                                           Clock::now() + kValidateTimeout, CancelToken()));
    HealthInfo health;
    health.latency = latency;
    if (info.row_count() == 1 && info.column_count() == 2) {
      health.detail = "ClickHouse " + info.ValueAt(0, 0).as_string() + ", server time zone " +
                      info.ValueAt(0, 1).as_string();
    }
    return health;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    TRIB_ASSIGN_OR_RETURN(
        auto result,
        RunPooled("SELECT database, name, engine FROM system.tables WHERE database = " +
                      DatabaseExpression() + " ORDER BY name",
                  QueryOptions{}, Clock::now() + kCatalogTimeout, CancelToken()));
    std::vector<TableInfo> tables;
    for (size_t row = 0; row < result.row_count(); ++row) {
      std::string engine = result.ValueAt(row, 2).as_string();
      tables.push_back(
          TableInfo{result.ValueAt(row, 0).as_string(), result.ValueAt(row, 1).as_string(),
                    engine == "View" || engine == "MaterializedView" ? "view" : "table"});
    }
    return tables;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    std::string database_expr = DatabaseExpression();
    std::string name(table);
    // "db.table" names another database; a name with a dot inside backticks is not split.
    if (size_t dot = name.find('.'); dot != std::string::npos && name.front() != '`') {
      TRIB_ASSIGN_OR_RETURN(database_expr,
                            RenderClickHouseLiteral(Value::String(name.substr(0, dot))));
      name = name.substr(dot + 1);
    }
    if (name.size() >= 2 && name.front() == '`' && name.back() == '`') {
      name = name.substr(1, name.size() - 2);
    }
    TRIB_ASSIGN_OR_RETURN(std::string name_literal, RenderClickHouseLiteral(Value::String(name)));
    auto deadline = Clock::now() + kCatalogTimeout;
    TRIB_ASSIGN_OR_RETURN(auto tables,
                          RunPooled("SELECT database, name, engine FROM system.tables WHERE "
                                    "database = " +
                                        database_expr + " AND name = " + name_literal,
                                    QueryOptions{}, deadline, CancelToken()));
    if (tables.row_count() == 0) {
      return NotFound("table '" + std::string(table) + "' does not exist in source '" +
                      context_.id + "'");
    }
    TRIB_ASSIGN_OR_RETURN(auto columns,
                          RunPooled("SELECT name, type FROM system.columns WHERE database = " +
                                        database_expr + " AND table = " + name_literal,
                                    QueryOptions{}, deadline, CancelToken()));
    TableSchema schema;
    std::string engine = tables.ValueAt(0, 2).as_string();
    schema.table = TableInfo{tables.ValueAt(0, 0).as_string(), tables.ValueAt(0, 1).as_string(),
                             engine == "View" || engine == "MaterializedView" ? "view" : "table"};
    for (size_t row = 0; row < columns.row_count(); ++row) {
      std::string source_type = columns.ValueAt(row, 1).as_string();
      MappedType mapped = MapClickHouseType(source_type);
      schema.columns.push_back(TableColumn{columns.ValueAt(row, 0).as_string(), mapped.type,
                                           std::move(source_type), mapped.nullable});
    }
    return schema;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    if (!pool_) return Unavailable("source '" + context_.id + "' is not open");
    if (!request.skip_statement_guard) {
      TRIB_RETURN_IF_ERROR(CheckReadOnlySql(request.sql, SqlDialect::kClickHouse));
    }
    if (HasFormatClause(request.sql)) {
      return QueryError(
          "remove the FORMAT clause: the gateway chooses ClickHouse's output format itself");
    }
    TRIB_ASSIGN_OR_RETURN(std::string sql, BindClickHouseParameters(request.sql, request.params));
    QueryOptions options;
    options.max_rows = request.max_rows;
    options.max_bytes = request.max_bytes;
    options.timeout = request.timeout;
    auto start = Clock::now();
    TRIB_ASSIGN_OR_RETURN(auto result,
                          RunPooled(sql, options, start + request.timeout, request.cancel));
    result.stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  struct QueryOptions {
    int64_t max_rows = 0;
    int64_t max_bytes = 0;
    //! Reported in DEADLINE_EXCEEDED; zero for internal queries (their own fixed limits).
    std::chrono::milliseconds timeout{0};
  };

  // The configured database as a literal, or currentDatabase() (the user's default).
  std::string DatabaseExpression() const {
    if (settings_.database.empty()) return "currentDatabase()";
    auto literal = RenderClickHouseLiteral(Value::String(settings_.database));
    return literal.ok() ? *literal : "currentDatabase()";
  }

  std::string QueryUrl(const std::string& query_id, const QueryOptions& options,
                       Clock::time_point deadline) const {
    std::string url = settings_.base_url + "/?readonly=1";
    if (!settings_.database.empty()) url += "&database=" + UrlEncode(settings_.database);
    url += "&default_format=TabSeparatedWithNamesAndTypes";
    url += "&query_id=" + UrlEncode(query_id);
    // The server's own time limit, rounded up to whole seconds (its resolution).
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int64_t seconds = std::max<int64_t>(1, (remaining.count() + 999) / 1000);
    url += "&max_execution_time=" + std::to_string(seconds);
    if (options.max_rows > 0) {
      url += "&max_result_rows=" + std::to_string(options.max_rows + 1) +
             "&result_overflow_mode=break";
    }
    return url;
  }

  HttpRequest BaseRequest() const {
    HttpRequest request;
    request.basic_user = settings_.user;
    request.basic_password = settings_.password;
    request.connect_timeout = settings_.connect_timeout;
    request.tls = settings_.tls;
    return request;
  }

  Result<QueryResult> RunPooled(const std::string& sql, const QueryOptions& options,
                                Clock::time_point deadline, const CancelToken& cancel) {
    if (!pool_) return Unavailable("source '" + context_.id + "' is not open");
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, cancel));
    auto result = RunOn(lease->http, sql, options, deadline, cancel);
    // A failed transfer may leave the connection in any state; a new handle is cheap.
    if (!result.ok()) lease.Discard();
    return result;
  }

  // Runs one statement on `http`, streaming the response into a QueryResult.
  Result<QueryResult> RunOn(HttpHandle& http, const std::string& sql, const QueryOptions& options,
                            Clock::time_point deadline, const CancelToken& cancel) {
    const std::string query_id = NewRemoteRequestId("trib-");
    TsvResultReader reader(options.max_rows, options.max_bytes);
    HttpRequest request = BaseRequest();
    request.url = QueryUrl(query_id, options, deadline);
    request.body = sql;
    request.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now() + kTransferGrace);
    request.on_body = [&reader](std::string_view chunk) { return reader.Feed(chunk); };

    std::atomic<bool> abort{false};
    std::atomic<bool> timed_out{false};
    std::atomic<bool> cancelled{false};
    Result<HttpResponse> response = Internal("not run");
    {
      // Both callbacks only flip flags: the watchdog thread must never block on the network.
      CancelRegistration on_cancel(cancel, [&] {
        cancelled = true;
        abort = true;
      });
      ScopedDeadline on_deadline(DeadlineWatchdog::Shared(), deadline, [&] {
        timed_out = true;
        abort = true;
      });
      response = http.Perform(request, &abort);
    }
    if (!response.ok()) {
      if (timed_out || cancelled) {
        KillQuery(query_id);
        return StoppedStatus(timed_out, options, cancel);
      }
      return response.status();
    }
    // A deadline or cancel that fired after the body was complete does not spoil the result.
    if (response->aborted) {
      KillQuery(query_id);
      return StoppedStatus(timed_out, options, cancel);
    }
    if (response->status < 200 || response->status >= 300) {
      Status error = MapClickHouseError(response->status, response->body);
      if (error.code() == ErrorCode::kDeadlineExceeded || error.code() == ErrorCode::kCancelled) {
        if (cancelled) return QueryCancelledError(cancel);
        if (options.timeout.count() > 0) return StoppedStatus(true, options, cancel);
      }
      return error;
    }
    if (response->stopped_by_receiver) {
      // A limit cut the result (or the data was bad): stop the rest of the work on the server.
      KillQuery(query_id);
      if (!reader.status().ok())
        return ServerSideStatus(reader.status(), cancelled, options, cancel);
      if (!reader.has_header()) return QueryError("ClickHouse sent no column header");
      return reader.TakeResult();
    }
    Status finished = reader.Finish();
    if (!finished.ok()) return ServerSideStatus(finished, cancelled, options, cancel);
    return reader.TakeResult();
  }

  // Errors that ClickHouse reported itself, adjusted for who stopped the query.
  Status ServerSideStatus(const Status& status, bool cancelled, const QueryOptions& options,
                          const CancelToken& cancel) const {
    if (status.code() == ErrorCode::kDeadlineExceeded || status.code() == ErrorCode::kCancelled) {
      if (cancelled) return QueryCancelledError(cancel);
      if (options.timeout.count() > 0) return StoppedStatus(true, options, cancel);
    }
    return status;
  }

  Status StoppedStatus(bool timed_out, const QueryOptions& options,
                       const CancelToken& cancel) const {
    if (timed_out) {
      return QueryTimeoutError(options.timeout);
    }
    return QueryCancelledError(cancel);
  }

  // Stops a query on the server. Sent on a fresh connection (the pool may be exhausted and the
  // query's own connection was cut); KILL QUERY is allowed under readonly=1, and the only
  // value spliced in is our own random id, rendered as an escaped literal anyway.
  void KillQuery(const std::string& query_id) {
    auto id_literal = RenderClickHouseLiteral(Value::String(query_id));
    if (!id_literal.ok()) return;
    HttpHandle http;
    HttpRequest request = BaseRequest();
    request.url = settings_.base_url + "/?readonly=1";
    request.body = "KILL QUERY WHERE query_id = " + *id_literal + " ASYNC";
    request.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kKillTimeout);
    (void)http.Perform(request, nullptr);  // best effort: max_execution_time still applies
  }

  SourceContext context_;
  Settings settings_;
  std::unique_ptr<ConnectionPool<ClickHouseConn>> pool_;
};

}  // namespace

Result<std::string> ClickHouseBaseUrl(std::string_view source_id, const Options& o) {
  const std::string who = "source '" + std::string(source_id) + "'";
  std::string url = o.GetString("url");
  if (!url.empty()) {
    if (o.Has("host") || o.Has("port") || o.Has("https")) {
      return ConfigError(who + ": give either url or host/port/https, not both");
    }
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return ConfigError(who + ": url must start with http:// or https://");
    }
    if (url.find('@') != std::string::npos) {
      return ConfigError(who + ": put credentials in user/password, not in the url");
    }
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  const bool https = o.GetBool("https", false);
  std::string host = o.GetString("host", "127.0.0.1");
  const int64_t port = o.GetInt("port", https ? 8443 : 8123);
  if (host.find_first_of("/@?# ") != std::string::npos) {
    return ConfigError(who + ": host must be a plain host name");
  }
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return std::string(https ? "https://" : "http://") + host + ":" + std::to_string(port);
}

ConnectorFactory ClickHouseConnectorFactory() {
  ConnectorFactory f;
  f.type = "clickhouse";
  f.description = "ClickHouse over its HTTP interface (18.16 or newer)";
  f.schema = {
      {.name = "url",
       .type = OptionType::kString,
       .description = "http://host:8123 or https://host:8443 (instead of host/port/https)"},
      {.name = "host",
       .type = OptionType::kString,
       .description = "server host (default 127.0.0.1)"},
      {.name = "port",
       .type = OptionType::kInt,
       .description = "HTTP port (default 8123, 8443 with https)",
       .min = 1,
       .max = 65535},
      {.name = "https", .type = OptionType::kBool, .description = "use HTTPS (default false)"},
      {.name = "database",
       .type = OptionType::kString,
       .description = "database for unqualified names (default: the user's default)"},
      {.name = "user", .type = OptionType::kString, .description = "user (default \"default\")"},
      {.name = "password",
       .type = OptionType::kString,
       .secret = true,
       .description = "password, e.g. ${CLICKHOUSE_PASSWORD}"},
      {.name = "connect_timeout_ms",
       .type = OptionType::kInt,
       .description = "TCP/TLS connect timeout (default 10000)",
       .min = 1,
       .max = 600'000},
      {.name = "min_connections",
       .type = OptionType::kInt,
       .description = "pooled connections kept open once used (default 0)",
       .min = 0,
       .max = 256},
      {.name = "max_connections",
       .type = OptionType::kInt,
       .description = "concurrent queries (connection pool size, default 4)",
       .min = 1,
       .max = 256},
      {.name = "idle_timeout_ms",
       .type = OptionType::kInt,
       .description = "close pooled connections idle this long (default 60000)",
       .min = 1,
       .max = INT32_MAX},
      {.name = "max_lifetime_ms",
       .type = OptionType::kInt,
       .description = "close pooled connections this old (default 1800000)",
       .min = 1,
       .max = INT32_MAX},
      {.name = "tls_verify",
       .type = OptionType::kBool,
       .description = "verify the server certificate and host name (default true)"},
      {.name = "tls_ca_file",
       .type = OptionType::kString,
       .description = "CA bundle for verifying the server (default: system CAs)"},
  };
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<ClickHouseConnector>(context);
  };
  return f;
}

}  // namespace tributary
