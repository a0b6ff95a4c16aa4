#include "connectors/mysql/mysql_connector.h"

#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/deadline_watchdog.h"
#include "connectors/common/connection_pool.h"
#include "connectors/common/sql_guard.h"
#include "connectors/mysql/mysql_types.h"
#include "core/encoding.h"
#include "core/time_util.h"

namespace tributary {

namespace {

using namespace mysql_internal;  // NOLINT(google-build-using-namespace): this connector's helpers
using Clock = DeadlineWatchdog::Clock;

// Catalog queries (ListTables, DescribeTable) wait at most this long in all.
constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kLongestTimeout = std::chrono::hours(24 * 366);
// A KILL QUERY connection never waits longer than this to connect.
constexpr auto kKillConnectTimeout = std::chrono::seconds(5);
// Text cells start in a buffer this large and grow when a value is longer.
constexpr unsigned long kInitialTextBuffer = 256;
// How much later than the client-side deadline the server's max_statement_time fires.
constexpr std::chrono::milliseconds kServerWallMargin{250};
constexpr int64_t kMicrosPerDay = 86'400'000'000;

// Everything needed to open a connection. Holds the password: never logged or rendered.
struct ServerSettings {
  std::string source_id;
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string user;
  std::string password;
  std::string database;
  std::string ssl_mode = "disabled";
  std::string ssl_ca;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{0};

  //! "user@host:port/database", for messages (no password).
  std::string Where() const {
    return user + "@" + host + ":" + std::to_string(port) +
           (database.empty() ? "" : "/" + database);
  }
};

void InitLibraryOnce() {
  static std::once_flag once;
  // mysql_library_init is not thread-safe; run it before any connection is made.
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// One client connection; closed on destruction.
struct MySqlConn {
  explicit MySqlConn(MYSQL* h) : handle(h) {}
  ~MySqlConn() { CloseNow(); }
  MySqlConn(const MySqlConn&) = delete;
  MySqlConn& operator=(const MySqlConn&) = delete;

  //! Closes the socket without draining a pending result (statements become unusable).
  void CloseNow() {
    if (handle) mysql_close(handle);
    handle = nullptr;
  }

  MYSQL* handle;
  unsigned long thread_id = 0;
  //! The session's current max_statement_time setting, to skip needless round trips.
  std::string max_statement_time;
  //! False on servers without max_statement_time (MySQL).
  bool statement_time_supported = true;
};

unsigned SecondsCeil(std::chrono::milliseconds ms) {
  return static_cast<unsigned>(std::max<int64_t>(1, (ms.count() + 999) / 1000));
}

bool IsConnectionError(unsigned error) {
  return error == 2002 || error == 2003 || error == 2005 || error == 2006 || error == 2013 ||
         error == 2055 || error == ER_CON_COUNT_ERROR || error == ER_HOST_IS_BLOCKED ||
         error == ER_HOST_NOT_PRIVILEGED || error == ER_SERVER_SHUTDOWN;
}

// The status for an error of a connection attempt (the password is never part of it).
Status ConnectError(const ServerSettings& s, unsigned error, const std::string& message) {
  const std::string where = "source '" + s.source_id + "' (" + s.Where() + ")";
  const std::string detail = " [" + message + ", error " + std::to_string(error) + "]";
  if (error == ER_ACCESS_DENIED_ERROR) {
    return Unavailable("authentication failed for " + where + ": check the user and password" +
                       detail);
  }
  if (error == ER_BAD_DB_ERROR) {
    return Unavailable("unknown database '" + s.database + "' for " + where +
                       ": check the database name" + detail);
  }
  if (error == ER_DBACCESS_DENIED_ERROR) {
    // The server answers this (not 1049) when the user may not even learn whether it exists.
    return Unavailable("unknown database '" + s.database + "', or no access to it, for " + where +
                       ": check the database name and the user's grants" + detail);
  }
  if (error == 2002 || error == 2003) {
    return Unavailable("cannot connect to " + where +
                       ": connection refused or host unreachable; is the server running?" + detail);
  }
  return Unavailable("cannot connect to " + where + detail);
}

Result<std::unique_ptr<MySqlConn>> Connect(const ServerSettings& s,
                                           std::chrono::milliseconds connect_timeout) {
  InitLibraryOnce();
  MYSQL* h = mysql_init(nullptr);
  if (h == nullptr) return Internal("cannot allocate a MySQL client handle");
  auto conn = std::make_unique<MySqlConn>(h);
  const unsigned connect_seconds = SecondsCeil(connect_timeout);
  mysql_optionsv(h, MYSQL_OPT_CONNECT_TIMEOUT, &connect_seconds);
  if (s.read_timeout.count() > 0) {
    const unsigned read_seconds = SecondsCeil(s.read_timeout);
    mysql_optionsv(h, MYSQL_OPT_READ_TIMEOUT, &read_seconds);
    mysql_optionsv(h, MYSQL_OPT_WRITE_TIMEOUT, &read_seconds);
  }
  mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // A server must never be able to read client files (LOAD DATA LOCAL INFILE).
  const unsigned no_local_infile = 0;
  mysql_optionsv(h, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  // A silent reconnect would lose the session's read-only and time zone settings.
  const my_bool no_reconnect = 0;
  mysql_optionsv(h, MYSQL_OPT_RECONNECT, &no_reconnect);
  mysql_optionsv(h, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  mysql_optionsv(h, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION READ ONLY");
  const char* ca = s.ssl_ca.empty() ? nullptr : s.ssl_ca.c_str();
  if (s.ssl_mode == "preferred") {
    // TLS when the server offers it, plain otherwise.
    mysql_ssl_set(h, nullptr, nullptr, ca, nullptr, nullptr);
  } else if (s.ssl_mode != "disabled") {
    const my_bool yes = 1;
    const my_bool verify = (s.ssl_mode == "verify_ca" || s.ssl_mode == "verify_identity") ? 1 : 0;
    if (ca) mysql_optionsv(h, MYSQL_OPT_SSL_CA, ca);
    mysql_optionsv(h, MYSQL_OPT_SSL_ENFORCE, &yes);
    mysql_optionsv(h, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  if (mysql_real_connect(h, s.host.c_str(), s.user.c_str(), s.password.c_str(),
                         s.database.empty() ? nullptr : s.database.c_str(), s.port, nullptr,
                         0) == nullptr) {
    return ConnectError(s, mysql_errno(h), mysql_error(h));
  }
  conn->thread_id = mysql_thread_id(h);
  return conn;
}

// Stops the statement running on connection `thread_id` (blocking; best effort).
void SendKillQuery(const ServerSettings& s, unsigned long thread_id) {
  auto killer =
      Connect(s, std::min<std::chrono::milliseconds>(s.connect_timeout, kKillConnectTimeout));
  if (!killer.ok()) return;
  const std::string sql = "KILL QUERY " + std::to_string(thread_id);
  mysql_real_query((*killer)->handle, sql.data(), sql.size());
}

// The status for a server or client error of a statement.
Status StatementError(unsigned error, const char* sqlstate, const char* message) {
  const std::string detail =
      std::string(message ? message : "") + " (MySQL error " + std::to_string(error) +
      (sqlstate && *sqlstate ? ", SQLSTATE " + std::string(sqlstate) : std::string()) + ")";
  switch (error) {
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
      return PermissionDenied("the source is read-only; the engine refused a write: " + detail);
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_OPTION_PREVENTS_STATEMENT:
      return PermissionDenied("the server refused the statement: " + detail);
    default:
      break;
  }
  if (IsConnectionError(error)) return Unavailable("lost the connection to the server: " + detail);
  return QueryError(detail);
}

// Owns a prepared statement; closed before or after its connection (libmariadb detaches
// statements from a closed connection).
struct StmtCloser {
  void operator()(MYSQL_STMT* stmt) const { mysql_stmt_close(stmt); }
};
using StmtHandle = std::unique_ptr<MYSQL_STMT, StmtCloser>;

struct MetaFreer {
  void operator()(MYSQL_RES* res) const { mysql_free_result(res); }
};
using MetaHandle = std::unique_ptr<MYSQL_RES, MetaFreer>;

// Days since the epoch -> civil date (proleptic Gregorian).
void CivilFromDays(int64_t days, MYSQL_TIME& t) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  t.year = static_cast<unsigned>(year);
  t.month = static_cast<unsigned>(month);
  t.day = static_cast<unsigned>(day);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Parameter storage that outlives mysql_stmt_execute.
struct ParamBinding {
  std::vector<MYSQL_BIND> binds;
  std::vector<long long> ints;
  std::vector<double> doubles;
  std::vector<MYSQL_TIME> times;
  std::vector<unsigned long> lengths;
};

Status BindParams(MYSQL_STMT* stmt, const std::vector<Value>& params, ParamBinding& b) {
  const size_t n = params.size();
  b.binds.assign(n, MYSQL_BIND{});
  b.ints.assign(n, 0);
  b.doubles.assign(n, 0);
  b.times.assign(n, MYSQL_TIME{});
  b.lengths.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Value& v = params[i];
    MYSQL_BIND& bind = b.binds[i];
    if (v.is_null()) {
      bind.buffer_type = MYSQL_TYPE_NULL;
      continue;
    }
    switch (v.type) {
      case ColumnType::kNull:
        bind.buffer_type = MYSQL_TYPE_NULL;
        break;
      case ColumnType::kBool:
      case ColumnType::kInt64:
        b.ints[i] = v.type == ColumnType::kBool ? (v.as_bool() ? 1 : 0) : v.as_int();
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &b.ints[i];
        break;
      case ColumnType::kDouble:
        b.doubles[i] = v.as_double();
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &b.doubles[i];
        break;
      case ColumnType::kDecimal:
      case ColumnType::kString:
      case ColumnType::kJson:
      case ColumnType::kBytes:
        bind.buffer_type = v.type == ColumnType::kDecimal ? MYSQL_TYPE_NEWDECIMAL
                           : v.type == ColumnType::kBytes ? MYSQL_TYPE_BLOB
                                                          : MYSQL_TYPE_STRING;
        bind.buffer = const_cast<char*>(v.as_string().data());
        b.lengths[i] = v.as_string().size();
        bind.buffer_length = b.lengths[i];
        bind.length = &b.lengths[i];
        break;
      case ColumnType::kDate: {
        MYSQL_TIME& t = b.times[i];
        CivilFromDays(v.as_int(), t);
        t.time_type = MYSQL_TIMESTAMP_DATE;
        bind.buffer_type = MYSQL_TYPE_DATE;
        bind.buffer = &t;
        break;
      }
      case ColumnType::kTimestamp: {
        MYSQL_TIME& t = b.times[i];
        const int64_t micros = v.as_int();
        const int64_t days = FloorDiv(micros, kMicrosPerDay);
        int64_t rest = micros - days * kMicrosPerDay;
        CivilFromDays(days, t);
        t.second_part = static_cast<unsigned long>(rest % 1'000'000);
        rest /= 1'000'000;
        t.second = static_cast<unsigned>(rest % 60);
        t.minute = static_cast<unsigned>(rest / 60 % 60);
        t.hour = static_cast<unsigned>(rest / 3600);
        t.time_type = MYSQL_TIMESTAMP_DATETIME;
        bind.buffer_type = MYSQL_TYPE_DATETIME;
        bind.buffer = &t;
        break;
      }
    }
  }
  if (n > 0 && mysql_stmt_bind_param(stmt, b.binds.data()) != 0) {
    return QueryError("cannot bind the parameters: " + std::string(mysql_stmt_error(stmt)));
  }
  return Status::Ok();
}

// The client buffer of one result column.
struct ResultCell {
  long long integer = 0;
  double real = 0;
  float single = 0;
  MYSQL_TIME time{};
  std::string text;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

void SetupResultBind(const MySqlColumnType& column, ResultCell& cell, MYSQL_BIND& bind) {
  bind = MYSQL_BIND{};
  bind.is_null = &cell.is_null;
  bind.error = &cell.error;
  bind.length = &cell.length;
  switch (column.fetch) {
    case FetchKind::kSigned:
    case FetchKind::kUnsigned:
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &cell.integer;
      bind.is_unsigned = column.fetch == FetchKind::kUnsigned;
      break;
    case FetchKind::kFloat:
      bind.buffer_type = MYSQL_TYPE_FLOAT;
      bind.buffer = &cell.single;
      break;
    case FetchKind::kDouble:
      bind.buffer_type = MYSQL_TYPE_DOUBLE;
      bind.buffer = &cell.real;
      break;
    case FetchKind::kDate:
      bind.buffer_type = MYSQL_TYPE_DATE;
      bind.buffer = &cell.time;
      break;
    case FetchKind::kDateTime:
      bind.buffer_type = MYSQL_TYPE_DATETIME;
      bind.buffer = &cell.time;
      break;
    case FetchKind::kBits:
    case FetchKind::kText:
      cell.text.assign(kInitialTextBuffer, '\0');
      bind.buffer_type = column.fetch == FetchKind::kBits ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
      bind.buffer = cell.text.data();
      bind.buffer_length = static_cast<unsigned long>(cell.text.size());
      break;
  }
}

void AppendCell(const MySqlColumnType& column, const ResultCell& cell, std::string_view text,
                ColumnData& out) {
  if (cell.is_null || column.type == ColumnType::kNull) {
    out.AppendNull();
    return;
  }
  switch (column.fetch) {
    case FetchKind::kSigned:
      if (column.type == ColumnType::kBool) {
        out.AppendBool(cell.integer != 0);
      } else {
        out.AppendInt(cell.integer);
      }
      return;
    case FetchKind::kUnsigned:
      if (column.type == ColumnType::kDecimal) {
        out.AppendString(std::to_string(static_cast<unsigned long long>(cell.integer)));
      } else {
        out.AppendInt(cell.integer);
      }
      return;
    case FetchKind::kFloat: {
      // A FLOAT's shortest text ("1.2"), not the binary expansion of its float value.
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, cell.single);
      *end = '\0';
      out.AppendDouble(ec == std::errc() ? std::strtod(buf, nullptr) : cell.single);
      return;
    }
    case FetchKind::kDouble:
      out.AppendDouble(cell.real);
      return;
    case FetchKind::kDate:
    case FetchKind::kDateTime: {
      const MYSQL_TIME& t = cell.time;
      if (t.year == 0 && t.month == 0 && t.day == 0) {
        out.AppendNull();  // MySQL's zero date is not a real date
        return;
      }
      const int64_t days = DaysFromCivil(t.year, t.month, t.day);
      if (column.fetch == FetchKind::kDate) {
        out.AppendInt(days);
      } else {
        out.AppendInt(days * kMicrosPerDay +
                      ((t.hour * 60ll + t.minute) * 60 + t.second) * 1'000'000 +
                      static_cast<int64_t>(t.second_part));
      }
      return;
    }
    case FetchKind::kBits: {
      uint64_t bits = 0;
      for (unsigned char c : text) bits = (bits << 8) | c;
      out.AppendInt(static_cast<int64_t>(bits));
      return;
    }
    case FetchKind::kText:
      out.AppendString(std::string(text));
      return;
  }
}

std::string FormatStatementTime(std::chrono::milliseconds timeout) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(timeout.count() / 1000),
                static_cast<long long>(timeout.count() % 1000));
  return buf;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// `name` as a backtick-quoted identifier.
std::string QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

// Applies a mysql:// URL to `s`. The password never appears in an error.
Status ParseUrl(const std::string& url, ServerSettings& s) {
  const std::string where = "source '" + s.source_id + "': option url";
  std::string_view rest = url;
  const size_t scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos ||
      (rest.substr(0, scheme_end) != "mysql" && rest.substr(0, scheme_end) != "mariadb")) {
    return ConfigError(where + " must look like mysql://user:password@host:port/database");
  }
  rest.remove_prefix(scheme_end + 3);
  if (rest.find('?') != std::string_view::npos) {
    return ConfigError(where + ": query parameters are not supported; use the options " +
                       "ssl_mode, connect_timeout_ms, ... instead");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  // The message names the part, never its (possibly secret) text.
  auto decode = [&](std::string_view part, const char* what, std::string& out) -> Status {
    auto decoded = PercentDecode(part);
    if (!decoded) return ConfigError(where + ": malformed %-escape in the " + what);
    out = std::move(*decoded);
    return Status::Ok();
  };
  if (slash != std::string_view::npos) {
    TRIB_RETURN_IF_ERROR(decode(rest.substr(slash + 1), "database", s.database));
  }
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const size_t colon = userinfo.find(':');
    TRIB_RETURN_IF_ERROR(decode(userinfo.substr(0, colon), "user", s.user));
    if (colon != std::string_view::npos) {
      TRIB_RETURN_IF_ERROR(decode(userinfo.substr(colon + 1), "password", s.password));
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return ConfigError(where + ": unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!host.empty()) s.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return ConfigError(where + ": invalid port \"" + std::string(port) + "\"");
    }
    s.port = value;
  }
  return Status::Ok();
}

using Pool = ConnectionPool<MySqlConn>;

//! What stopped a statement early.
enum Interrupt : int { kNone = 0, kDeadline = 1, kCancel = 2, kLimit = 3 };

class MySqlConnector final : public Connector {
 public:
  explicit MySqlConnector(const SourceContext& context) : context_(context) {}
  ~MySqlConnector() override { Close(); }

  std::string_view type() const override { return "mysql"; }

  Capabilities capabilities() const override {
    return Capabilities{.dialect = "mysql",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = false};
  }

  Status Open() override {
    std::unique_lock lock(lifecycle_mu_);
    if (pool_) return Status::Ok();
    InitLibraryOnce();
    auto settings = std::make_shared<ServerSettings>();
    TRIB_RETURN_IF_ERROR(ReadSettings(*settings));
    const Options& o = context_.options;
    PoolOptions pool_options;
    pool_options.min_connections = o.GetInt("min_connections", 0);
    pool_options.max_connections = o.GetInt("max_connections", 4);
    pool_options.idle_timeout = std::chrono::milliseconds(o.GetInt("idle_timeout_ms", 60'000));
    pool_options.max_lifetime = std::chrono::milliseconds(o.GetInt("max_lifetime_ms", 1'800'000));
    if (pool_options.min_connections > pool_options.max_connections) {
      return ConfigError("source '" + context_.id +
                         "': min_connections must not exceed max_connections");
    }
    settings_ = settings;
    // No connection is made here: a server that is down at start is reported by HealthCheck
    // and recovered by the pool once it is back.
    pool_ = std::make_unique<Pool>(
        context_.id, pool_options,
        [settings]() { return Connect(*settings, settings->connect_timeout); },
        [](MySqlConn& conn) { return conn.handle != nullptr && mysql_ping(conn.handle) == 0; });
    return Status::Ok();
  }

  void Close() override {
    std::unique_lock lock(lifecycle_mu_);
    if (pool_) pool_->Close();
    pool_.reset();
    std::lock_guard admin_lock(admin_mu_);
    admin_.reset();
  }

  Result<HealthInfo> HealthCheck() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::lock_guard admin_lock(admin_mu_);
    // A dedicated connection, so health checks never queue behind queries; replaced when the
    // server went away (restart).
    if (admin_ && mysql_ping(admin_->handle) != 0) admin_.reset();
    if (!admin_) {
      auto connected = Connect(*settings_, settings_->connect_timeout);
      if (!connected.ok()) return connected.status();
      admin_ = std::move(connected).value();
    }
    const auto start = Clock::now();
    TRIB_ASSIGN_OR_RETURN(std::string one, AdminScalar("SELECT 1"));
    HealthInfo info;
    info.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    TRIB_ASSIGN_OR_RETURN(std::string version, AdminScalar("SELECT VERSION()"));
    info.detail = (version.find("MariaDB") != std::string::npos ? "MariaDB " : "MySQL ") + version;
    return info;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::string sql =
        "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE ";
    std::vector<Value> params;
    if (settings_->database.empty()) {
      sql += "table_schema NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys') ";
    } else {
      sql += "table_schema = ? ";
      params.push_back(Value::String(settings_->database));
    }
    sql += "ORDER BY table_schema, table_name";
    TRIB_ASSIGN_OR_RETURN(QueryResult rows, CatalogQuery(sql, std::move(params)));
    std::vector<TableInfo> out;
    for (size_t r = 0; r < rows.row_count(); ++r) {
      TableInfo info;
      info.schema = rows.column(0).string_at(r);
      info.name = rows.column(1).string_at(r);
      info.kind = rows.column(2).string_at(r) == "VIEW" ? "view" : "table";
      out.push_back(std::move(info));
    }
    return out;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::string schema = settings_->database;
    std::string name(table);
    if (const size_t dot = name.find('.'); dot != std::string::npos) {
      schema = name.substr(0, dot);
      name = name.substr(dot + 1);
    }
    const Status not_found =
        NotFound("table \"" + std::string(table) + "\" does not exist in source " + context_.id);
    if (schema.empty() || name.empty()) return not_found;
    TRIB_ASSIGN_OR_RETURN(
        QueryResult kind,
        CatalogQuery("SELECT table_schema, table_name, table_type FROM information_schema.tables "
                     "WHERE table_schema = ? AND table_name = ?",
                     {Value::String(schema), Value::String(name)}));
    if (kind.row_count() == 0) return not_found;
    TableSchema out;
    out.table.schema = kind.column(0).string_at(0);
    out.table.name = kind.column(1).string_at(0);
    out.table.kind = kind.column(2).string_at(0) == "VIEW" ? "view" : "table";
    TRIB_ASSIGN_OR_RETURN(
        QueryResult columns,
        CatalogQuery("SELECT column_name, column_type, is_nullable FROM information_schema.columns "
                     "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                     {Value::String(out.table.schema), Value::String(out.table.name)}));
    // The Tributary types exactly as a query sees them: the metadata of a prepared (never
    // executed) SELECT *.
    TRIB_ASSIGN_OR_RETURN(std::vector<MySqlColumnType> types,
                          PreparedColumnTypes("SELECT * FROM " + QuoteIdentifier(out.table.schema) +
                                              "." + QuoteIdentifier(out.table.name)));
    for (size_t r = 0; r < columns.row_count(); ++r) {
      TableColumn column;
      column.name = columns.column(0).string_at(r);
      column.source_type = Upper(columns.column(1).string_at(r));
      column.nullable = columns.column(2).string_at(r) == "YES";
      if (r < types.size()) {
        column.type = types[r].type;
        // MariaDB stores JSON as LONGTEXT and UUID under its own name; say what it means.
        if (types[r].type == ColumnType::kJson) column.source_type = "JSON";
      }
      out.columns.push_back(std::move(column));
    }
    return out;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    const auto start = Clock::now();
    if (!request.skip_statement_guard) {
      TRIB_RETURN_IF_ERROR(CheckReadOnlySql(request.sql, SqlDialect::kMySql));
    }
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    auto result = Run(request);
    if (!result.ok()) return result.status();
    result->stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  Status NotOpen() const { return Unavailable("source " + context_.id + " is not open"); }

  Status ReadSettings(ServerSettings& s) const {
    const Options& o = context_.options;
    s.source_id = context_.id;
    if (o.Has("url")) TRIB_RETURN_IF_ERROR(ParseUrl(o.GetString("url"), s));
    if (o.Has("host")) s.host = o.GetString("host");
    if (o.Has("port")) s.port = static_cast<unsigned>(o.GetInt("port", 3306));
    if (o.Has("user")) s.user = o.GetString("user");
    if (o.Has("password")) s.password = o.GetString("password");
    if (o.Has("database")) s.database = o.GetString("database");
    s.ssl_mode = o.GetString("ssl_mode", "disabled");
    s.ssl_ca = o.GetString("ssl_ca");
    s.connect_timeout = std::chrono::milliseconds(o.GetInt("connect_timeout_ms", 10'000));
    s.read_timeout = std::chrono::milliseconds(o.GetInt("read_timeout_ms", 0));
    static const char* const kModes[] = {"disabled", "preferred", "required", "verify_ca",
                                         "verify_identity"};
    if (std::find(std::begin(kModes), std::end(kModes), s.ssl_mode) == std::end(kModes)) {
      return ConfigError("source '" + context_.id + "': invalid ssl_mode \"" + s.ssl_mode +
                         "\" (expected disabled, preferred, required, verify_ca or " +
                         "verify_identity)");
    }
    if (s.user.empty()) {
      return ConfigError("source '" + context_.id + "': no user given (option user or url)");
    }
    return Status::Ok();
  }

  // A one-value query on the health connection (trusted SQL, text protocol).
  Result<std::string> AdminScalar(const std::string& sql) {
    MYSQL* h = admin_->handle;
    if (mysql_real_query(h, sql.data(), sql.size()) != 0) {
      Status status = StatementError(mysql_errno(h), mysql_sqlstate(h), mysql_error(h));
      admin_.reset();
      return Unavailable("health check of source " + context_.id + " failed: " + status.message());
    }
    MetaHandle res(mysql_store_result(h));
    if (!res) return Unavailable("health check of source " + context_.id + " returned nothing");
    MYSQL_ROW row = mysql_fetch_row(res.get());
    return std::string(row && row[0] ? row[0] : "");
  }

  Result<QueryResult> CatalogQuery(const std::string& sql, std::vector<Value> params) {
    QueryRequest request;
    request.sql = sql;
    request.params = std::move(params);
    request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kCatalogTimeout);
    request.max_rows = 0;
    request.max_bytes = 0;
    request.skip_statement_guard = true;
    return Run(request);
  }

  Result<std::vector<MySqlColumnType>> PreparedColumnTypes(const std::string& sql) {
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(Clock::now() + kCatalogTimeout, {}));
    StmtHandle stmt(mysql_stmt_init(lease->handle));
    if (!stmt) return Internal("cannot allocate a prepared statement");
    if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0) {
      return StatementError(mysql_stmt_errno(stmt.get()), mysql_stmt_sqlstate(stmt.get()),
                            mysql_stmt_error(stmt.get()));
    }
    std::vector<MySqlColumnType> out;
    MetaHandle meta(mysql_stmt_result_metadata(stmt.get()));
    if (!meta) return out;
    const unsigned n = mysql_num_fields(meta.get());
    MYSQL_FIELD* fields = mysql_fetch_fields(meta.get());
    for (unsigned c = 0; c < n; ++c) out.push_back(MapField(fields[c]));
    return out;
  }

  Status InterruptStatus(int who, const QueryRequest& request) const {
    if (who == kDeadline) {
      return QueryTimeoutError(request.timeout);
    }
    return QueryCancelledError(request.cancel);
  }

  // Borrows a connection and runs one statement within the request's limits.
  Result<QueryResult> Run(const QueryRequest& request) {
    const bool has_deadline = request.timeout.count() > 0 && request.timeout < kLongestTimeout;
    const Clock::time_point deadline =
        has_deadline ? Clock::now() + request.timeout : Clock::time_point::max();
    // A pooled connection that looked fine may still have died with a restarted server
    // (validation is skipped for recently used ones): the statement is read-only, so it is
    // safe to run it once more on a fresh connection.
    for (int attempt = 0;; ++attempt) {
      TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, request.cancel));
      bool discard = false;
      bool connection_lost = false;
      auto result =
          RunOnConnection(*lease, request, has_deadline, deadline, discard, connection_lost);
      if (discard || connection_lost) lease.Discard();
      if (!connection_lost || attempt > 0 || Clock::now() >= deadline) return result;
    }
  }

  Result<QueryResult> RunOnConnection(MySqlConn& conn, const QueryRequest& request,
                                      bool has_deadline, Clock::time_point deadline, bool& discard,
                                      bool& connection_lost) {
    MYSQL* h = conn.handle;
    // The server-side wall: MariaDB stops the statement itself at the timeout, even when
    // this process cannot reach it any more.
    // Slightly later than the client's own deadline, which stops the query with KILL QUERY
    // first: the server's wall only matters when that fails (MariaDB ends SLEEP() at its
    // max_statement_time without an error).
    const std::string statement_time =
        has_deadline ? FormatStatementTime(request.timeout + kServerWallMargin) : std::string("0");
    if (conn.statement_time_supported && conn.max_statement_time != statement_time) {
      const std::string set = "SET SESSION max_statement_time = " + statement_time;
      if (mysql_real_query(h, set.data(), set.size()) != 0) {
        const unsigned error = mysql_errno(h);
        if (error == ER_UNKNOWN_SYSTEM_VARIABLE) {
          conn.statement_time_supported = false;  // MySQL: only the client-side wall
        } else {
          discard = IsConnectionError(error) || error >= 2000;
          connection_lost = error == 2006 || error == 2013 || error == 2055;
          return StatementError(error, mysql_sqlstate(h), mysql_error(h));
        }
      } else {
        conn.max_statement_time = statement_time;
      }
    }

    StmtHandle stmt(mysql_stmt_init(h));
    if (!stmt) return Internal("cannot allocate a prepared statement");
    auto stmt_error = [&]() {
      const unsigned error = mysql_stmt_errno(stmt.get());
      if (error >= 2000) discard = true;  // client-side errors leave the connection unknown
      if (error == 2006 || error == 2013 || error == 2055) connection_lost = true;
      return StatementError(error, mysql_stmt_sqlstate(stmt.get()), mysql_stmt_error(stmt.get()));
    };
    if (mysql_stmt_prepare(stmt.get(), request.sql.data(), request.sql.size()) != 0) {
      return stmt_error();
    }
    const unsigned long placeholders = mysql_stmt_param_count(stmt.get());
    if (placeholders != request.params.size()) {
      return QueryError("the statement has " + std::to_string(placeholders) +
                        " ? placeholder(s) but " + std::to_string(request.params.size()) +
                        " parameter(s) were given");
    }
    ParamBinding params;
    TRIB_RETURN_IF_ERROR(BindParams(stmt.get(), request.params, params));

    // A timeout or a cancel sends KILL QUERY from another thread (connecting takes time, which
    // the watchdog and the cancelling thread must not spend); the connection is then
    // discarded, so a late KILL can never hit the next query on it.
    auto fired = std::make_shared<std::atomic<int>>(kNone);
    auto settings = settings_;
    const unsigned long thread_id = conn.thread_id;
    auto fire = [fired, settings, thread_id](int who) {
      int expected = kNone;
      if (!fired->compare_exchange_strong(expected, who)) return;
      std::thread([settings, thread_id] { SendKillQuery(*settings, thread_id); }).detach();
    };
    CancelRegistration on_cancel(request.cancel, [fire] { fire(kCancel); });
    std::optional<ScopedDeadline> on_deadline;
    if (has_deadline) {
      on_deadline.emplace(DeadlineWatchdog::Shared(), deadline, [fire] { fire(kDeadline); });
    }
    auto interrupted = [&]() -> std::optional<Status> {
      const int who = fired->load();
      if (who == kNone) return std::nullopt;
      // Rows may still be on the wire: drop the connection rather than drain them.
      conn.CloseNow();
      discard = true;
      return InterruptStatus(who, request);
    };
    if (auto status = interrupted()) return *status;

    if (mysql_stmt_execute(stmt.get()) != 0) {
      if (auto status = interrupted()) return *status;
      const unsigned error = mysql_stmt_errno(stmt.get());
      if (error == ER_STATEMENT_TIMEOUT || error == 3024) {
        return InterruptStatus(kDeadline, request);
      }
      return stmt_error();
    }
    MetaHandle meta(mysql_stmt_result_metadata(stmt.get()));
    if (!meta) {
      if (auto status = interrupted()) return *status;
      return QueryResult();
    }
    const unsigned n = mysql_num_fields(meta.get());
    MYSQL_FIELD* fields = mysql_fetch_fields(meta.get());
    std::vector<MySqlColumnType> types;
    std::vector<ColumnInfo> infos;
    for (unsigned c = 0; c < n; ++c) {
      types.push_back(MapField(fields[c]));
      infos.push_back(ColumnInfo{std::string(fields[c].name, fields[c].name_length),
                                 types.back().type, types.back().source_type});
    }
    QueryResult result(std::move(infos));
    std::vector<ResultCell> cells(n);
    std::vector<MYSQL_BIND> binds(n);
    for (unsigned c = 0; c < n; ++c) SetupResultBind(types[c], cells[c], binds[c]);
    if (n > 0 && mysql_stmt_bind_result(stmt.get(), binds.data()) != 0) return stmt_error();

    const int64_t max_rows = request.max_rows > 0 ? request.max_rows : 0;
    const size_t max_bytes = request.max_bytes > 0 ? static_cast<size_t>(request.max_bytes) : 0;
    std::string long_value;
    // Rows stream from the server one at a time (no mysql_stmt_store_result), so a limit
    // stops the transfer instead of buffering everything first.
    while (true) {
      const int rc = mysql_stmt_fetch(stmt.get());
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) {
        if (auto status = interrupted()) return *status;
        const unsigned error = mysql_stmt_errno(stmt.get());
        if (error == ER_STATEMENT_TIMEOUT || error == 3024) {
          return InterruptStatus(kDeadline, request);
        }
        discard = true;  // a failed fetch may leave rows on the wire
        return stmt_error();
      }
      if (auto status = interrupted()) return *status;
      // Both limits are checked when another row is at hand, so `truncated` means that rows
      // really were left out.
      const char* limit = nullptr;
      if (max_rows != 0 && static_cast<int64_t>(result.row_count()) >= max_rows) {
        limit = "rows";
      } else if (max_bytes != 0 && result.ApproxBytes() > max_bytes) {
        limit = "bytes";
      }
      if (limit != nullptr) {
        result.stats().truncated = true;
        result.stats().truncated_by = limit;
        // Stop the rest on the server, then drop the connection without reading what is
        // still on the wire.
        if (fired->exchange(kLimit) == kNone) SendKillQuery(*settings_, thread_id);
        conn.CloseNow();
        discard = true;
        return result;
      }
      for (unsigned c = 0; c < n; ++c) {
        ResultCell& cell = cells[c];
        std::string_view text;
        if (!cell.is_null &&
            (types[c].fetch == FetchKind::kText || types[c].fetch == FetchKind::kBits)) {
          if (cell.length > cell.text.size()) {
            // Longer than the buffer: fetch this cell again, whole.
            long_value.assign(cell.length, '\0');
            MYSQL_BIND whole = binds[c];
            whole.buffer = long_value.data();
            whole.buffer_length = cell.length;
            my_bool ignored_error = 0;
            unsigned long ignored_length = 0;
            whole.error = &ignored_error;
            whole.length = &ignored_length;
            if (mysql_stmt_fetch_column(stmt.get(), &whole, c, 0) != 0) return stmt_error();
            text = std::string_view(long_value.data(), cell.length);
          } else {
            text = std::string_view(cell.text.data(), cell.length);
          }
        }
        AppendCell(types[c], cell, text, result.column(c));
      }
    }
    // The deadline or a cancel fired while the last rows arrived: a KILL may still be on its
    // way, and the caller was promised DEADLINE_EXCEEDED or CANCELLED.
    if (auto status = interrupted()) return *status;
    return result;
  }

  const SourceContext context_;
  // Shared by every call that uses the pool, exclusive for Open and Close.
  std::shared_mutex lifecycle_mu_;
  std::shared_ptr<const ServerSettings> settings_;
  std::unique_ptr<Pool> pool_;
  std::mutex admin_mu_;
  std::unique_ptr<MySqlConn> admin_;
};

}  // namespace

ConnectorFactory MySqlConnectorFactory() {
  ConnectorFactory f;
  f.type = "mysql";
  f.description = "MySQL or MariaDB server (libmariadb), read-only sessions";
  f.schema = {
      {.name = "url",
       .type = OptionType::kString,
       .secret = true,
       .description = "mysql://user:password@host:port/database (instead of host, port, ...)"},
      {.name = "host", .type = OptionType::kString, .description = "server host (127.0.0.1)"},
      {.name = "port",
       .type = OptionType::kInt,
       .description = "server port (3306)",
       .min = 1,
       .max = 65535},
      {.name = "database", .type = OptionType::kString, .description = "default database"},
      {.name = "user", .type = OptionType::kString, .description = "user name"},
      {.name = "password",
       .type = OptionType::kString,
       .secret = true,
       .description = "password, e.g. ${MYSQL_PASSWORD}"},
      {.name = "ssl_mode",
       .type = OptionType::kString,
       .description = "disabled (default), preferred, required, verify_ca or verify_identity"},
      {.name = "ssl_ca",
       .type = OptionType::kString,
       .description = "CA certificate file for verify_ca / verify_identity"},
      {.name = "connect_timeout_ms",
       .type = OptionType::kInt,
       .description = "connection timeout (10000; whole seconds on the wire)",
       .min = 1,
       .max = 3'600'000},
      {.name = "read_timeout_ms",
       .type = OptionType::kInt,
       .description = "socket read/write timeout, 0 for none (default 0)",
       .min = 0,
       .max = 86'400'000},
      {.name = "min_connections",
       .type = OptionType::kInt,
       .description = "connections kept open once used (0)",
       .min = 0,
       .max = 256},
      {.name = "max_connections",
       .type = OptionType::kInt,
       .description = "concurrent queries (connection pool size, 4)",
       .min = 1,
       .max = 256},
      {.name = "idle_timeout_ms",
       .type = OptionType::kInt,
       .description = "close connections idle this long (60000)",
       .min = 1,
       .max = 86'400'000},
      {.name = "max_lifetime_ms",
       .type = OptionType::kInt,
       .description = "close connections older than this (1800000)",
       .min = 1,
       .max = 604'800'000},
  };
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    InitLibraryOnce();
    return std::make_unique<MySqlConnector>(context);
  };
  return f;
}

}  // namespace tributary
