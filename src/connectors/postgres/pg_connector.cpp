#include "connectors/postgres/pg_connector.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/deadline_watchdog.h"
#include "connectors/common/connection_pool.h"
#include "connectors/common/sql_guard.h"
#include "connectors/postgres/pg_types.h"

namespace tributary {
namespace {

using Clock = std::chrono::steady_clock;
using pg::TypeCache;

constexpr std::chrono::milliseconds kCatalogTimeout{30'000};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct CancelDeleter {
  void operator()(PGcancel* c) const { PQfreeCancel(c); }
};

//! Everything needed to open a session, validated by Open().
struct ConnectSettings {
  std::string source_id;
  //! Keyword/value pairs for PQconnectdbParams (the password among them, never logged).
  std::vector<std::pair<std::string, std::string>> params;
  std::string search_path;
  //! For error messages: "host:port/database" without credentials.
  std::string where;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A connection failure as UNAVAILABLE, with the reason first. libpq's message never holds the
// password, but it is reduced to its first lines anyway.
Status ConnectError(const ConnectSettings& s, const std::string& libpq_message) {
  std::string reason = "cannot connect";
  if (Contains(libpq_message, "password authentication failed") ||
      Contains(libpq_message, "authentication failed") ||
      Contains(libpq_message, "no password supplied")) {
    reason = "authentication failed (check user and password)";
  } else if (Contains(libpq_message, "database \"") && Contains(libpq_message, "does not exist")) {
    reason = "unknown database (check the database option)";
  } else if (Contains(libpq_message, "Connection refused")) {
    reason = "connection refused (is the server running and listening there?)";
  } else if (Contains(libpq_message, "timeout expired")) {
    reason = "connection timed out";
  }
  return Unavailable("source '" + s.source_id + "': " + reason + " to PostgreSQL at " + s.where +
                     ": " + Trim(libpq_message));
}

//! One libpq session with its settings applied.
class PgConnection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* get() const { return conn_; }
  const TypeCache& types() const { return types_; }
  TypeCache& mutable_types() { return types_; }
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  //! Runs a statement without parameters; OK when it returned PGRES_COMMAND_OK/TUPLES_OK.
  Result<ResultPtr> Exec(const std::string& sql) {
    ResultPtr r(PQexec(conn_, sql.c_str()));
    if (!r) return Unavailable(Trim(PQerrorMessage(conn_)));
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure(r.get());
    return r;
  }

  //! The Status for a failed result, from its SQLSTATE.
  Status Failure(const PGresult* r) const {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message = primary ? primary : Trim(PQerrorMessage(conn_));
    std::string code = state ? state : "";
    // 08P01 (protocol violation, e.g. a wrong parameter count) leaves the session usable.
    const bool connection_class = code.rfind("08", 0) == 0 && code != "08P01";
    if (code.empty() || PQstatus(conn_) != CONNECTION_OK || connection_class || code == "57P01" ||
        code == "57P02" || code == "57P03") {
      return Unavailable("lost the connection to PostgreSQL: " + message);
    }
    if (code == "25006" || code == "42501") {
      return PermissionDenied(message + " (SQLSTATE " + code + "; this source is read-only)");
    }
    const char* hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : nullptr;
    const char* position = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : nullptr;
    std::string text = "PostgreSQL error " + code + ": " + message;
    if (position) text += " (at character " + std::string(position) + ")";
    if (hint) text += ". Hint: " + std::string(hint);
    return QueryError(std::move(text));
  }

 private:
  PGconn* conn_;
  TypeCache types_;
};

Result<std::unique_ptr<PgConnection>> Connect(const ConnectSettings& s, bool session_setup) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : s.params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname=1: a `dbname` value that is a URL is parsed as one (the url option).
  auto conn = std::make_unique<PgConnection>(PQconnectdbParams(keys.data(), values.data(), 1));
  if (conn->get() == nullptr) return Unavailable("out of memory opening a PostgreSQL connection");
  if (PQstatus(conn->get()) != CONNECTION_OK) {
    return ConnectError(s, PQerrorMessage(conn->get()));
  }
  // Server notices (e.g. "there is no transaction in progress") would go to stderr.
  PQsetNoticeProcessor(
      conn->get(), [](void*, const char*) {}, nullptr);
  if (!session_setup) return conn;
  auto setup = conn->Exec(
      "SET default_transaction_read_only = on; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
      " SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 1; SET bytea_output = 'hex'");
  if (!setup.ok()) return setup.status().WithContext("setting up a PostgreSQL session");
  if (!s.search_path.empty()) {
    const char* value = s.search_path.c_str();
    ResultPtr r(PQexecParams(conn->get(), "SELECT pg_catalog.set_config('search_path', $1, false)",
                             1, nullptr, &value, nullptr, nullptr, 0));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      return conn->Failure(r.get()).WithContext("setting search_path");
    }
  }
  auto types = conn->Exec("SELECT oid, typname, typcategory, typelem FROM pg_catalog.pg_type");
  if (!types.ok()) return types.status().WithContext("reading pg_type");
  PGresult* t = types->get();
  for (int i = 0; i < PQntuples(t); ++i) {
    pg::PgType type;
    type.name = PQgetvalue(t, i, 1);
    type.category = PQgetvalue(t, i, 2)[0];
    type.element = static_cast<pg::TypeOid>(std::strtoul(PQgetvalue(t, i, 3), nullptr, 10));
    conn->mutable_types().emplace(
        static_cast<pg::TypeOid>(std::strtoul(PQgetvalue(t, i, 0), nullptr, 10)), std::move(type));
  }
  return conn;
}

// Who stopped a running query.
enum class Stopper { kNone, kDeadline, kCancel };

//! The stop state of one running statement, shared with the callbacks that may stop it.
struct StopState {
  std::atomic<Stopper> stopper{Stopper::kNone};
  std::unique_ptr<PGcancel, CancelDeleter> handle;
  std::mutex mu;
  bool finished = false;
  bool cancel_sent = false;

  //! Sends a cancel request for `who`, unless the statement already finished or was stopped.
  //! PQcancel opens a connection of its own and may block, so it runs on a short-lived
  //! thread: the shared watchdog thread is never held up.
  void Fire(Stopper who) {
    std::lock_guard lock(mu);
    Stopper none = Stopper::kNone;
    if (finished || !stopper.compare_exchange_strong(none, who) || !handle) return;
    cancel_sent = true;
    std::thread([cancel = std::shared_ptr<PGcancel>(std::move(handle))] {
      char err[256];
      PQcancel(cancel.get(), err, sizeof err);
    }).detach();
  }

  //! Marks the statement finished; true when a cancel request was sent that may still arrive
  //! (the connection must then not be reused).
  bool Finish() {
    std::lock_guard lock(mu);
    finished = true;
    return cancel_sent;
  }
};

class PostgresConnector final : public Connector {
 public:
  explicit PostgresConnector(const SourceContext& context) : context_(context) {}
  ~PostgresConnector() override { Close(); }

  std::string_view type() const override { return "postgres"; }
  Capabilities capabilities() const override {
    return Capabilities{.dialect = "postgres",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = false};
  }

  Status Open() override {
    const Options& o = context_.options;
    settings_.source_id = context_.id;
    TRIB_ASSIGN_OR_RETURN(PgServerParams server, ReadPgServerParams(context_.id, o));
    settings_.params = std::move(server.params);
    settings_.where = std::move(server.where);
    if (o.Has("user")) settings_.params.emplace_back("user", o.GetString("user"));
    if (o.Has("password")) settings_.params.emplace_back("password", o.GetString("password"));
    settings_.search_path = o.GetString("search_path");

    PoolOptions pool;
    pool.min_connections = o.GetInt("min_connections", 0);
    pool.max_connections = o.GetInt("max_connections", 4);
    pool.idle_timeout = std::chrono::milliseconds(o.GetInt("idle_timeout_ms", 60'000));
    pool.max_lifetime = std::chrono::milliseconds(o.GetInt("max_lifetime_ms", 1'800'000));
    if (pool.min_connections > pool.max_connections) {
      return ConfigError("source '" + context_.id + "': min_connections (" +
                         std::to_string(pool.min_connections) + ") exceeds max_connections (" +
                         std::to_string(pool.max_connections) + ")");
    }
    pool_ = std::make_unique<ConnectionPool<PgConnection>>(
        context_.id, pool, [this] { return Connect(settings_, true); },
        [](PgConnection& c) {
          ResultPtr r(PQexec(c.get(), "SELECT 1"));
          return r && PQresultStatus(r.get()) == PGRES_TUPLES_OK;
        });
    return Status::Ok();
  }

  void Close() override {
    if (pool_) pool_->Close();
  }

  Result<HealthInfo> HealthCheck() override {
    if (!pool_) return Unavailable("source '" + context_.id + "' is not open");
    TRIB_ASSIGN_OR_RETURN(auto conn, Connect(settings_, false));
    const auto start = Clock::now();
    auto r = conn->Exec("SELECT 1");
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (!r.ok()) return r.status();
    const char* version = PQparameterStatus(conn->get(), "server_version");
    return HealthInfo{latency, std::string("PostgreSQL ") + (version ? version : "?")};
  }

  Result<std::vector<TableInfo>> ListTables() override {
    TRIB_ASSIGN_OR_RETURN(QueryResult rows,
                          Internal("SELECT table_schema::text, table_name::text, "
                                   "CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END "
                                   "FROM information_schema.tables "
                                   "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                                   "ORDER BY 1, 2",
                                   {}));
    std::vector<TableInfo> out;
    for (size_t r = 0; r < rows.row_count(); ++r) {
      out.push_back(TableInfo{rows.column(0).string_at(r), rows.column(1).string_at(r),
                              rows.column(2).string_at(r)});
    }
    return out;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    // "name" (resolved through the search path) or "schema.name", matched exactly as
    // ListTables spells them.
    std::string schema, name(table);
    if (auto dot = table.find('.'); dot != std::string_view::npos) {
      schema = std::string(table.substr(0, dot));
      name = std::string(table.substr(dot + 1));
    }
    TRIB_ASSIGN_OR_RETURN(
        QueryResult found,
        Internal("SELECT n.nspname::text, c.relname::text, "
                 "CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, c.oid::int8 "
                 "FROM pg_catalog.pg_class c "
                 "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'f', 'p') "
                 "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                 "AND (n.nspname = $1 OR ($1 = '' AND n.nspname = ANY "
                 "(pg_catalog.current_schemas(false)))) "
                 "ORDER BY pg_catalog.array_position(pg_catalog.current_schemas(false), "
                 "n.nspname) LIMIT 1",
                 {Value::String(schema), Value::String(name)}));
    if (found.row_count() == 0) {
      return NotFound("source '" + context_.id + "' has no table or view '" + std::string(table) +
                      "' (names are case-sensitive; see the table list)");
    }
    TableSchema out;
    out.table = TableInfo{found.column(0).string_at(0), found.column(1).string_at(0),
                          found.column(2).string_at(0)};
    TRIB_ASSIGN_OR_RETURN(
        QueryResult columns,
        Internal("SELECT a.attname::text, a.atttypid::int8, a.atttypmod::int8, "
                 "pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
                 "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::int8::oid "
                 "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                 {Value::Int64(found.column(3).int_at(0))}));
    TypeCache types = TypesSnapshot();
    for (size_t r = 0; r < columns.row_count(); ++r) {
      auto mapping = pg::MapType(static_cast<pg::TypeOid>(columns.column(1).int_at(r)),
                                 static_cast<int>(columns.column(2).int_at(r)), types);
      out.columns.push_back(TableColumn{columns.column(0).string_at(r), mapping.type,
                                        columns.column(3).string_at(r),
                                        columns.column(4).bool_at(r)});
    }
    return out;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    if (!pool_) return Unavailable("source '" + context_.id + "' is not open");
    if (!request.skip_statement_guard) {
      TRIB_RETURN_IF_ERROR(CheckReadOnlySql(request.sql, SqlDialect::kPostgres));
    }
    TRIB_RETURN_IF_ERROR(CheckParameterCount(request));
    return Run(request);
  }

 private:
  // PostgreSQL accepts declared parameters that the statement never uses, so extra values
  // would pass silently: refuse them. (Too few is reported by the server itself.)
  static Status CheckParameterCount(const QueryRequest& request) {
    if (request.params.empty()) return Status::Ok();
    auto tokens = TokenizeSql(request.sql, SqlDialect::kPostgres);
    if (!tokens.ok()) return Status::Ok();  // the server reports the malformed statement
    size_t highest = 0;
    for (const auto& token : *tokens) {
      if (token.kind != SqlToken::Kind::kParameter || token.text.size() < 2) continue;
      highest = std::max<size_t>(highest, std::strtoul(token.text.c_str() + 1, nullptr, 10));
    }
    if (request.params.size() > highest) {
      return InvalidArgument(
          std::to_string(request.params.size()) + " parameters were given but the statement uses " +
          (highest == 0 ? std::string("none") : "$1..$" + std::to_string(highest)));
    }
    return Status::Ok();
  }

  // Catalog queries: trusted SQL, the same path as user queries.
  Result<QueryResult> Internal(std::string sql, std::vector<Value> params) {
    if (!pool_) return Unavailable("source '" + context_.id + "' is not open");
    QueryRequest request;
    request.sql = std::move(sql);
    request.params = std::move(params);
    request.timeout = kCatalogTimeout;
    request.max_rows = 0;
    request.max_bytes = 0;
    request.skip_statement_guard = true;
    return Run(request);
  }

  TypeCache TypesSnapshot() {
    std::lock_guard lock(types_mu_);
    return types_snapshot_;
  }

  Result<QueryResult> Run(const QueryRequest& request) {
    const auto start = Clock::now();
    const auto deadline = start + request.timeout;
    std::vector<pg::BoundParam> params;
    for (size_t i = 0; i < request.params.size(); ++i) {
      TRIB_ASSIGN_OR_RETURN(auto p, pg::BindParam(request.params[i], static_cast<int>(i + 1)));
      params.push_back(std::move(p));
    }
    for (int attempt = 0;; ++attempt) {
      TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, request.cancel));
      bool started = false, discard = false;
      auto result = RunOn(*lease, request, params, deadline, started, discard);
      if (discard || !lease->healthy() ||
          (!result.ok() && result.status().code() == ErrorCode::kUnavailable)) {
        lease.Discard();
      }
      // A connection that died while idle (server restarted within validate_after) fails
      // before the query reached the server: one retry on a fresh connection.
      if (!started && attempt == 0 && !result.ok() &&
          result.status().code() == ErrorCode::kUnavailable) {
        continue;
      }
      if (result.ok()) {
        result->stats().elapsed_us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
      }
      return result;
    }
  }

  Result<QueryResult> RunOn(PgConnection& conn, const QueryRequest& request,
                            const std::vector<pg::BoundParam>& params, Clock::time_point deadline,
                            bool& started, bool& discard) {
    {
      std::lock_guard lock(types_mu_);
      if (types_snapshot_.empty()) types_snapshot_ = conn.types();
    }
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (remaining <= 0) {
      return QueryTimeoutError(request.timeout);
    }
    // The server-side wall: a little later than the watchdog's, which reports first.
    auto begin = conn.Exec("BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = " +
                           std::to_string(remaining + 250));
    if (!begin.ok()) return begin.status();
    started = true;

    // Shared with the watchdog and cancel callbacks, which may outlive this frame (a
    // CancelToken does not wait for a callback that is running when it is unregistered).
    auto stop = std::make_shared<StopState>();
    stop->handle.reset(PQgetCancel(conn.get()));
    auto body = [&]() -> Result<QueryResult> {
      std::vector<const char*> values;
      std::vector<int> lengths, formats;
      std::vector<Oid> oids;
      for (const auto& p : params) {
        values.push_back(p.is_null ? nullptr : p.data.c_str());
        lengths.push_back(static_cast<int>(p.data.size()));
        formats.push_back(p.binary ? 1 : 0);
        oids.push_back(p.oid);
      }
      if (!PQsendQueryParams(conn.get(), request.sql.c_str(), static_cast<int>(params.size()),
                             oids.data(), values.data(), lengths.data(), formats.data(), 0)) {
        return Unavailable("cannot send the query to PostgreSQL: " +
                           Trim(PQerrorMessage(conn.get())));
      }
      PQsetSingleRowMode(conn.get());
      ScopedDeadline timer(DeadlineWatchdog::Shared(), deadline,
                           [stop] { stop->Fire(Stopper::kDeadline); });
      CancelRegistration on_cancel(request.cancel, [stop] { stop->Fire(Stopper::kCancel); });
      return Fetch(conn, request, stop->stopper);
    };
    auto result = body();
    // Drain whatever is left of the statement (after a limit, the cancelled remainder).
    while (ResultPtr rest{PQgetResult(conn.get())}) {
    }
    if (PQstatus(conn.get()) == CONNECTION_OK) {
      ResultPtr end(PQexec(conn.get(), "ROLLBACK"));
    }
    // A cancel request sent from another thread may still be on its way: it must not hit the
    // next query borrowed on this connection.
    if (stop->Finish()) discard = true;
    return result;
  }

  Result<QueryResult> Fetch(PgConnection& conn, const QueryRequest& request,
                            std::atomic<Stopper>& stopper) {
    const int64_t max_rows = request.max_rows > 0 ? request.max_rows : 0;
    const size_t max_bytes = request.max_bytes > 0 ? static_cast<size_t>(request.max_bytes) : 0;
    std::optional<QueryResult> out;
    std::vector<pg::ColumnMapping> mappings;
    auto stopped_status = [&](Stopper who) -> Status {
      if (who == Stopper::kCancel) {
        return QueryCancelledError(request.cancel);
      }
      return QueryTimeoutError(request.timeout);
    };
    auto stop_early = [&](const char* by) {
      out->stats().truncated = true;
      out->stats().truncated_by = by;
      // Stop the rest on the server; our own cancel, so the watchdog must not claim it.
      Stopper none = Stopper::kNone;
      stopper.compare_exchange_strong(none, Stopper::kCancel);
      if (std::unique_ptr<PGcancel, CancelDeleter> c{PQgetCancel(conn.get())}) {
        char err[256];
        PQcancel(c.get(), err, sizeof err);
      }
    };
    while (ResultPtr r{PQgetResult(conn.get())}) {
      const auto st = PQresultStatus(r.get());
      if (st == PGRES_FATAL_ERROR) {
        const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
        if (state && std::string_view(state) == "57014") {
          const Stopper who = stopper.load();
          return stopped_status(who == Stopper::kNone ? Stopper::kDeadline : who);
        }
        return conn.Failure(r.get());
      }
      if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK) {
        if (st == PGRES_COMMAND_OK) continue;  // e.g. a utility statement with no rows
        return conn.Failure(r.get());
      }
      if (!out) {
        std::vector<ColumnInfo> columns;
        const int n = PQnfields(r.get());
        for (int c = 0; c < n; ++c) {
          mappings.push_back(pg::MapType(PQftype(r.get(), c), PQfmod(r.get(), c), conn.types()));
          columns.push_back(
              ColumnInfo{PQfname(r.get(), c), mappings.back().type, mappings.back().source_type});
        }
        out.emplace(std::move(columns));
      }
      if (st == PGRES_TUPLES_OK) continue;  // the end of the rows (zero rows in this result)
      if (max_rows != 0 && static_cast<int64_t>(out->row_count()) >= max_rows) {
        stop_early("rows");
        break;
      }
      if (max_bytes != 0 && out->ApproxBytes() > max_bytes) {
        stop_early("bytes");
        break;
      }
      for (size_t c = 0; c < mappings.size(); ++c) {
        const int col = static_cast<int>(c);
        if (PQgetisnull(r.get(), 0, col)) {
          out->column(c).AppendNull();
          continue;
        }
        auto value = pg::ConvertCell(
            mappings[c], std::string_view(PQgetvalue(r.get(), 0, col),
                                          static_cast<size_t>(PQgetlength(r.get(), 0, col))));
        if (!value.ok()) return value.status();
        out->column(c).Append(*value);
      }
    }
    const Stopper who = stopper.load();
    if (!out) {
      if (who != Stopper::kNone) return stopped_status(who);
      return QueryResult();
    }
    if (!out->stats().truncated && who != Stopper::kNone) return stopped_status(who);
    return std::move(*out);
  }

  SourceContext context_;
  ConnectSettings settings_;
  std::unique_ptr<ConnectionPool<PgConnection>> pool_;
  std::mutex types_mu_;
  //! pg_type as first seen, for DescribeTable.
  TypeCache types_snapshot_;
};

}  // namespace

Result<PgServerParams> ReadPgServerParams(std::string_view source_id, const Options& o) {
  const std::string who = "source '" + std::string(source_id) + "'";
  PgServerParams server;
  auto& p = server.params;
  const std::string url = o.GetString("url");
  if (!url.empty()) {
    if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
      return ConfigError(who + ": url must start with postgresql:// (" +
                         o.LocationOf("url").ToString() + ")");
    }
    // Later keywords override what the URL says, so discrete options may refine it.
    p.emplace_back("dbname", url);
    server.where = "the configured url";
  } else if (!o.Has("host") || !o.Has("database")) {
    return ConfigError(who + ": give either url or host and database (plus user, password)");
  }
  if (o.Has("host")) p.emplace_back("host", o.GetString("host"));
  if (o.Has("port")) p.emplace_back("port", std::to_string(o.GetInt("port", 5432)));
  if (o.Has("database")) p.emplace_back("dbname", o.GetString("database"));
  const std::string sslmode = o.GetString("sslmode", "prefer");
  static const char* kModes[] = {"disable", "allow",     "prefer",
                                 "require", "verify-ca", "verify-full"};
  bool known = false;
  for (const char* m : kModes) known = known || sslmode == m;
  if (!known) {
    return ConfigError(who + ": sslmode '" + sslmode +
                       "' is not one of disable, allow, prefer, require, verify-ca, "
                       "verify-full (" +
                       o.LocationOf("sslmode").ToString() + ")");
  }
  p.emplace_back("sslmode", sslmode);
  const int64_t timeout_ms = o.GetInt("connect_timeout_ms", 5000);
  // libpq counts whole seconds (and treats 1 as 2); round up so the bound is never shorter.
  p.emplace_back("connect_timeout",
                 std::to_string(std::max<int64_t>(2, (timeout_ms + 999) / 1000)));
  p.emplace_back("application_name", o.GetString("application_name", "tributary"));
  if (server.where.empty()) {
    server.where = o.GetString("host") + ":" + std::to_string(o.GetInt("port", 5432)) + "/" +
                   o.GetString("database");
  }
  return server;
}

ConnectorFactory PostgresConnectorFactory() {
  ConnectorFactory f;
  f.type = "postgres";
  f.description = "PostgreSQL server, read-only sessions through libpq";
  auto pool_int = [](const char* name, const char* description, int64_t min, int64_t max) {
    return OptionSpec{
        .name = name, .type = OptionType::kInt, .description = description, .min = min, .max = max};
  };
  f.schema = {
      {.name = "url",
       .type = OptionType::kString,
       .secret = true,
       .description = "postgresql://user:password@host:port/database (instead of host etc.)"},
      {.name = "host", .type = OptionType::kString, .description = "server host name or address"},
      pool_int("port", "server port (default 5432)", 1, 65535),
      {.name = "database", .type = OptionType::kString, .description = "database name"},
      {.name = "user", .type = OptionType::kString, .description = "user name"},
      {.name = "password",
       .type = OptionType::kString,
       .secret = true,
       .description = "password; use ${ENV_VAR}"},
      {.name = "sslmode",
       .type = OptionType::kString,
       .description = "disable, allow, prefer (default), require, verify-ca or verify-full"},
      pool_int("connect_timeout_ms", "connection timeout (default 5000)", 1, 600'000),
      {.name = "application_name",
       .type = OptionType::kString,
       .description = "application_name shown in pg_stat_activity (default tributary)"},
      {.name = "search_path",
       .type = OptionType::kString,
       .description = "search_path for unqualified names, e.g. \"analytics, public\""},
      pool_int("min_connections", "connections kept open once used (default 0)", 0, 1024),
      pool_int("max_connections", "concurrent queries (pool size, default 4)", 1, 1024),
      pool_int("idle_timeout_ms", "close connections idle this long (default 60000)", 1000,
               INT64_MAX),
      pool_int("max_lifetime_ms", "close connections older than this (default 1800000)", 1000,
               INT64_MAX),
  };
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<PostgresConnector>(context);
  };
  return f;
}

}  // namespace tributary
