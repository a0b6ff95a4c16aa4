#include "connectors/sqlite/sqlite_connector.h"

#include <sqlite3.h>

#include <atomic>
#include <cctype>
#include <climits>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline_watchdog.h"
#include "connectors/common/connection_pool.h"
#include "connectors/common/sql_guard.h"
#include "connectors/sqlite/sqlite_regexp.h"
#include "connectors/sqlite/sqlite_types.h"
#include "core/time_util.h"

namespace tributary {

namespace {

using namespace sqlite_internal;  // NOLINT(google-build-using-namespace): this file's own helpers
using Clock = DeadlineWatchdog::Clock;

constexpr int64_t kDefaultMaxConnections = 4;
constexpr int64_t kDefaultBusyTimeoutMs = 5000;
// The progress handler runs every this many virtual machine instructions.
constexpr int kProgressSteps = 1000;
// Catalog calls and health checks wait this long for a pooled connection and for SQLite.
constexpr auto kCatalogTimeout = std::chrono::seconds(30);
constexpr auto kHealthTimeout = std::chrono::seconds(5);
constexpr auto kLongestTimeout = std::chrono::hours(24 * 366);

// Who stopped a statement: the progress handler or an interrupt callback records it first.
enum class StopReason : int { kNone = 0, kDeadline = 1, kCancel = 2 };

// One pooled SQLite connection and the state its progress handler reads while a statement of
// the borrowing request runs.
struct SqliteConnection {
  sqlite3* db = nullptr;
  Clock::time_point deadline = Clock::time_point::max();
  const CancelToken* cancel = nullptr;
  std::atomic<int> stop_reason{0};

  SqliteConnection() = default;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection() { sqlite3_close_v2(db); }

  void MarkStopped(StopReason reason) {
    int expected = 0;
    stop_reason.compare_exchange_strong(expected, static_cast<int>(reason));
  }
};

// Lets interrupt callbacks reach a connection only while its statement runs.
class InterruptGate {
 public:
  explicit InterruptGate(SqliteConnection& conn) : conn_(conn) {}
  void Fire(StopReason reason) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    conn_.MarkStopped(reason);
    sqlite3_interrupt(conn_.db);
  }
  //! After this returns, Fire never touches the connection again.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }

 private:
  std::mutex mu_;
  bool closed_ = false;
  SqliteConnection& conn_;
};

int ProgressHandler(void* arg) {
  auto* conn = static_cast<SqliteConnection*>(arg);
  if (conn->cancel != nullptr && conn->cancel->cancelled()) {
    conn->MarkStopped(StopReason::kCancel);
    return 1;
  }
  if (Clock::now() >= conn->deadline) {
    conn->MarkStopped(StopReason::kDeadline);
    return 1;
  }
  return 0;
}

// Pragmas that only read. Those in the second list set a value when given an argument.
bool PragmaAllowed(const char* name, const char* argument) {
  if (name == nullptr) return false;
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* const kReadOnly[] = {
      "table_info",  "table_xinfo",      "table_list",     "index_list",     "index_info",
      "index_xinfo", "foreign_key_list", "database_list",  "collation_list", "function_list",
      "module_list", "pragma_list",      "compile_options"};
  static const char* const kValueReads[] = {"user_version", "schema_version", "application_id",
                                            "page_count",   "page_size",      "freelist_count",
                                            "encoding",     "data_version",   "query_only"};
  for (const char* allowed : kReadOnly) {
    if (n == allowed) return true;
  }
  for (const char* allowed : kValueReads) {
    if (n == allowed) return argument == nullptr;
  }
  return false;
}

// The third wall (see the header): runs at prepare time for every statement.
int Authorize(void* /*unused*/, int action, const char* arg1, const char* arg2,
              const char* /*database*/, const char* /*trigger_or_view*/) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_PRAGMA:
      return PragmaAllowed(arg1, arg2) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_UPDATE:
      // Preparing a read of an eponymous virtual table (pragma_table_info, json_each, ...)
      // reports an UPDATE of sqlite_master. A real schema write is still refused by
      // sqlite3_stmt_readonly, the read-only open, query_only and SQLITE_DBCONFIG_DEFENSIVE.
      return arg1 != nullptr && std::string_view(arg1) == "sqlite_master" ? SQLITE_OK : SQLITE_DENY;
    default:
      return SQLITE_DENY;
  }
}

// A `file:` URI for the path, percent-encoding everything that is not plainly safe (so `?`,
// `#` and `%` in a file name cannot add URI parameters).
std::string FileUri(const std::string& path, bool immutable) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  uri += "?mode=ro";
  if (immutable) uri += "&immutable=1";
  return uri;
}

std::string ResolvePath(const std::string& path, const std::string& base_dir) {
  std::filesystem::path p{path};
  if (p.is_relative()) {
    std::filesystem::path base =
        base_dir.empty() ? std::filesystem::current_path() : std::filesystem::path(base_dir);
    if (base.is_relative()) base = std::filesystem::current_path() / base;
    p = base / p;
  }
  return p.lexically_normal().string();
}

// SQLite's error for `rc` as a Status with the code callers can act on.
Status ErrorStatus(int rc, const std::string& message) {
  switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_PERM:
      return PermissionDenied("SQLite refused the statement (sources are read-only): " + message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("SQLite database is locked by a writer: " + message +
                         " (raise busy_timeout_ms to wait longer)");
    case SQLITE_NOMEM:
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
      return ResourceExhausted("SQLite: " + message);
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_IOERR:
      return Unavailable("SQLite cannot read the database file: " + message);
    default:
      return QueryError(message);
  }
}

Status ConnectionError(sqlite3* db, int rc) {
  return ErrorStatus(rc, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

// True when the rest of the SQL after a statement is only whitespace, comments and `;`.
bool OnlyTrivia(std::string_view rest) {
  size_t i = 0;
  while (i < rest.size()) {
    const char c = rest[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      ++i;
    } else if (rest.substr(i, 2) == "--") {
      const size_t end = rest.find('\n', i);
      i = end == std::string_view::npos ? rest.size() : end + 1;
    } else if (rest.substr(i, 2) == "/*") {
      const size_t end = rest.find("*/", i + 2);
      // SQLite accepts an unterminated block comment at the end.
      i = end == std::string_view::npos ? rest.size() : end + 2;
    } else {
      return false;
    }
  }
  return true;
}

struct StatementHandle {
  sqlite3_stmt* stmt = nullptr;
  ~StatementHandle() { sqlite3_finalize(stmt); }
};

Status BindParameters(sqlite3* db, sqlite3_stmt* stmt, const std::vector<Value>& params) {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    return QueryError("the statement has " + std::to_string(expected) + " parameter" +
                      (expected == 1 ? "" : "s") + " but " + std::to_string(params.size()) +
                      (params.size() == 1 ? " was" : " were") + " given");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    const int index = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    if (v.is_null()) {
      rc = sqlite3_bind_null(stmt, index);
    } else {
      switch (v.type) {
        case ColumnType::kNull:
          rc = sqlite3_bind_null(stmt, index);
          break;
        case ColumnType::kBool:
          rc = sqlite3_bind_int(stmt, index, v.as_bool() ? 1 : 0);
          break;
        case ColumnType::kInt64:
          rc = sqlite3_bind_int64(stmt, index, v.as_int());
          break;
        case ColumnType::kDouble:
          rc = sqlite3_bind_double(stmt, index, v.as_double());
          break;
        case ColumnType::kDate: {
          const std::string text = FormatDate(v.as_int());
          rc = sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
          break;
        }
        case ColumnType::kTimestamp: {
          const std::string text = TimestampParameterText(v.as_int());
          rc = sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
          break;
        }
        case ColumnType::kDecimal:
        case ColumnType::kString:
        case ColumnType::kJson:
          rc = sqlite3_bind_text64(stmt, index, v.as_string().data(), v.as_string().size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8);
          break;
        case ColumnType::kBytes:
          rc = sqlite3_bind_blob64(stmt, index, v.as_string().data(), v.as_string().size(),
                                   SQLITE_TRANSIENT);
          break;
      }
    }
    if (rc != SQLITE_OK) {
      return QueryError("cannot bind parameter " + std::to_string(index) + " as " +
                        std::string(ColumnTypeName(v.type)) + ": " + sqlite3_errmsg(db));
    }
  }
  return Status::Ok();
}

// Runs one statement on a borrowed connection within the request's limits.
Result<QueryResult> RunQuery(SqliteConnection& conn, const QueryRequest& request,
                             Clock::time_point deadline) {
  sqlite3* db = conn.db;
  conn.deadline = deadline;
  conn.cancel = &request.cancel;
  conn.stop_reason.store(0);
  struct ResetState {
    SqliteConnection& conn;
    ~ResetState() {
      conn.cancel = nullptr;
      conn.deadline = Clock::time_point::max();
    }
  } reset_state{conn};

  if (request.sql.size() > static_cast<size_t>(INT_MAX)) {
    return QueryError("the statement is too long for SQLite");
  }
  StatementHandle statement;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, request.sql.data(), static_cast<int>(request.sql.size()),
                              &statement.stmt, &tail);
  if (rc != SQLITE_OK) return ConnectionError(db, rc);
  if (statement.stmt == nullptr) return QueryError("the SQL holds no statement");
  const size_t consumed = tail != nullptr ? static_cast<size_t>(tail - request.sql.data()) : 0;
  if (!OnlyTrivia(std::string_view(request.sql).substr(consumed))) {
    return QueryError("only one statement is allowed; more SQL follows at offset " +
                      std::to_string(consumed));
  }
  if (!sqlite3_stmt_readonly(statement.stmt)) {
    return PermissionDenied(
        "only read-only statements are allowed; SQLite reports that this "
        "statement writes");
  }
  TRIB_RETURN_IF_ERROR(BindParameters(db, statement.stmt, request.params));

  // Both also stop SQLite at once, between progress handler calls. A cancel callback may
  // still be running on another thread after its registration is gone, so it goes through a
  // gate that is closed before the connection returns to the pool.
  auto gate = std::make_shared<InterruptGate>(conn);
  CancelRegistration on_cancel(request.cancel, [gate] { gate->Fire(StopReason::kCancel); });
  std::optional<ScopedDeadline> on_deadline;
  if (deadline != Clock::time_point::max()) {
    on_deadline.emplace(DeadlineWatchdog::Shared(), deadline,
                        [gate] { gate->Fire(StopReason::kDeadline); });
  }
  struct CloseGate {
    InterruptGate& gate;
    ~CloseGate() { gate.Close(); }
  } close_gate{*gate};
  auto stopped_status = [&]() -> Status {
    switch (static_cast<StopReason>(conn.stop_reason.load())) {
      case StopReason::kDeadline:
        return QueryTimeoutError(request.timeout);
      case StopReason::kCancel:
        return QueryCancelledError(request.cancel);
      case StopReason::kNone:
        break;
    }
    return Cancelled("query was interrupted");
  };
  if (request.cancel.cancelled()) conn.MarkStopped(StopReason::kCancel);
  if (conn.stop_reason.load() != 0) return stopped_status();

  const int column_count = sqlite3_column_count(statement.stmt);
  auto step = [&]() -> Result<bool> {
    const int step_rc = sqlite3_step(statement.stmt);
    if (step_rc == SQLITE_ROW) return true;
    if (step_rc == SQLITE_DONE) return false;
    if ((step_rc & 0xff) == SQLITE_INTERRUPT) return stopped_status();
    return ConnectionError(db, step_rc);
  };
  auto read_row = [&](std::vector<RawCell>& row) {
    row.resize(column_count);
    for (int c = 0; c < column_count; ++c) ReadCell(statement.stmt, c, row[c]);
  };

  const int64_t max_rows = request.max_rows > 0 ? request.max_rows : 0;
  const size_t max_bytes = request.max_bytes > 0 ? static_cast<size_t>(request.max_bytes) : 0;

  // 1. A sample of rows, to type the columns whose declared type does not decide (one more
  //    than the row limit at most, so that truncation can be told).
  size_t sample_limit = kSampleRows;
  if (max_rows != 0 && static_cast<size_t>(max_rows) + 1 < sample_limit) {
    sample_limit = static_cast<size_t>(max_rows) + 1;
  }
  std::vector<std::vector<RawCell>> sample;
  size_t sample_bytes = 0;
  bool finished = false;
  while (sample.size() < sample_limit) {
    TRIB_ASSIGN_OR_RETURN(bool has_row, step());
    if (!has_row) {
      finished = true;
      break;
    }
    sample.emplace_back();
    read_row(sample.back());
    for (const auto& cell : sample.back()) sample_bytes += cell.bytes.size() + 8;
    if (max_bytes != 0 && sample_bytes > max_bytes) break;
  }

  // 2. Column types.
  std::vector<ColumnInfo> columns(column_count);
  for (int c = 0; c < column_count; ++c) {
    const char* name = sqlite3_column_name(statement.stmt, c);
    const char* declared = sqlite3_column_decltype(statement.stmt, c);
    columns[c].name = name != nullptr ? name : "column" + std::to_string(c + 1);
    columns[c].type = declared != nullptr ? TypeForDeclaredType(declared) : ColumnType::kNull;
    if (columns[c].type == ColumnType::kNull) {
      columns[c].type = TypeFromSample(sample, c, finished);
    }
    if (declared != nullptr && *declared != '\0') {
      columns[c].source_type = declared;
    } else {
      // No declared type: the storage class of the first value, as SQLite's typeof() says.
      int storage = SQLITE_NULL;
      for (const auto& row : sample) {
        if (row[c].storage != SQLITE_NULL) {
          storage = row[c].storage;
          break;
        }
      }
      columns[c].source_type = StorageClassName(storage);
    }
  }
  QueryResult result(columns);

  // 3. Rows: the sample, then the rest, until a limit cuts the result short. Limits are
  //    checked when another row is at hand, so `truncated` means rows really were left out.
  auto append = [&](const std::vector<RawCell>& row) -> Result<bool> {
    if (max_rows != 0 && static_cast<int64_t>(result.row_count()) >= max_rows) {
      result.stats().truncated = true;
      result.stats().truncated_by = "rows";
      return false;
    }
    if (max_bytes != 0 && result.ApproxBytes() > max_bytes) {
      result.stats().truncated = true;
      result.stats().truncated_by = "bytes";
      return false;
    }
    const size_t row_number = result.row_count() + 1;
    for (int c = 0; c < column_count; ++c) {
      TRIB_RETURN_IF_ERROR(
          AppendCell(row[c], columns[c].type, columns[c].name, row_number, result.column(c)));
    }
    return true;
  };
  for (const auto& row : sample) {
    TRIB_ASSIGN_OR_RETURN(bool more, append(row));
    if (!more) return result;
  }
  sample.clear();
  if (!finished) {
    std::vector<RawCell> row;
    while (true) {
      TRIB_ASSIGN_OR_RETURN(bool has_row, step());
      if (!has_row) break;
      read_row(row);
      TRIB_ASSIGN_OR_RETURN(bool more, append(row));
      if (!more) break;
    }
  }
  return result;
}

class SqliteConnector final : public Connector {
 public:
  explicit SqliteConnector(const SourceContext& context) : context_(context) {}
  ~SqliteConnector() override { Close(); }

  std::string_view type() const override { return "sqlite"; }

  Capabilities capabilities() const override {
    return Capabilities{.dialect = "sqlite",
                        .schema_introspection = true,
                        .parameters = true,
                        .cancellation = true,
                        .cost_estimate = false};
  }

  Status Open() override {
    std::unique_lock lock(lifecycle_mu_);
    if (pool_) return Status::Ok();
    const Options& options = context_.options;
    const std::string path = options.GetString("path");
    if (path.empty()) {
      return ConfigError("source " + context_.id + ": `path` must name the SQLite database file");
    }
    path_ = ResolvePath(path, context_.base_dir);
    immutable_ = options.GetBool("immutable", false);
    busy_timeout_ms_ = options.GetInt("busy_timeout_ms", kDefaultBusyTimeoutMs);
    PoolOptions pool_options;
    pool_options.max_connections = options.GetInt("max_connections", kDefaultMaxConnections);
    // A local file needs no round trip to prove a connection still works.
    pool_options.validate_on_borrow = false;
    pool_ = std::make_unique<ConnectionPool<SqliteConnection>>(
        context_.id, pool_options, [this] { return OpenConnection(); }, nullptr);
    // The file is not touched here: a missing one is reported by HealthCheck and Execute.
    return Status::Ok();
  }

  void Close() override {
    std::unique_lock lock(lifecycle_mu_);
    if (pool_) pool_->Close();
    pool_.reset();
  }

  Result<HealthInfo> HealthCheck() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    TRIB_RETURN_IF_ERROR(CheckFile());
    const auto start = Clock::now();
    const auto deadline = start + kHealthTimeout;
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, {}));
    QueryRequest request;
    // Counting the schema makes SQLite read the file, so a file that is not a database fails.
    request.sql = "SELECT 1, sqlite_version(), (SELECT count(*) FROM sqlite_schema)";
    request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kHealthTimeout);
    auto result = RunQuery(*lease, request, deadline);
    if (!result.ok()) {
      return Unavailable("SQLite health check of " + path_ +
                         " failed: " + result.status().message());
    }
    HealthInfo info;
    info.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    info.detail = "SQLite " + result->column(1).string_at(0);
    return info;
  }

  Result<std::vector<TableInfo>> ListTables() override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    TRIB_ASSIGN_OR_RETURN(
        QueryResult rows,
        RunCatalogQuery("SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                        {}));
    std::vector<TableInfo> out;
    for (size_t r = 0; r < rows.row_count(); ++r) {
      out.push_back(TableInfo{"main", rows.column(0).string_at(r), rows.column(1).string_at(r)});
    }
    return out;
  }

  Result<TableSchema> DescribeTable(std::string_view table) override {
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    std::string name(table);
    if (name.size() > 5 && (name.compare(0, 5, "main.") == 0 || name.compare(0, 5, "MAIN.") == 0)) {
      name = name.substr(5);
    }
    TRIB_ASSIGN_OR_RETURN(
        QueryResult found,
        RunCatalogQuery("SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name = ?1 COLLATE NOCASE",
                        {Value::String(name)}));
    if (found.row_count() == 0) {
      return NotFound("table \"" + std::string(table) + "\" does not exist in source " +
                      context_.id);
    }
    TableSchema out;
    out.table = TableInfo{"main", found.column(0).string_at(0), found.column(1).string_at(0)};
    TRIB_ASSIGN_OR_RETURN(
        QueryResult info,
        RunCatalogQuery(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
            {Value::String(out.table.name)}));
    for (size_t r = 0; r < info.row_count(); ++r) {
      TableColumn column;
      column.name = info.ValueAt(r, 0).is_null() ? "" : info.ValueAt(r, 0).as_string();
      column.source_type = info.column(1).is_null(r) ? "" : info.ValueAt(r, 1).as_string();
      column.type = TypeForDeclaredType(column.source_type);
      // Without a deciding declared type a query types the column by its values; before any
      // row is read, text is the one type every value converts to.
      if (column.type == ColumnType::kNull) column.type = ColumnType::kString;
      const Value not_null = info.ValueAt(r, 2);
      const Value pk = info.ValueAt(r, 3);
      column.nullable = !(not_null.type == ColumnType::kInt64 && not_null.as_int() != 0);
      // An INTEGER PRIMARY KEY is the rowid, which is never null.
      if (pk.type == ColumnType::kInt64 && pk.as_int() != 0 &&
          (column.source_type == "INTEGER" || column.source_type == "integer")) {
        column.nullable = false;
      }
      out.columns.push_back(std::move(column));
    }
    return out;
  }

  Result<QueryResult> Execute(const QueryRequest& request) override {
    const auto start = Clock::now();
    std::shared_lock lock(lifecycle_mu_);
    if (!pool_) return NotOpen();
    TRIB_RETURN_IF_ERROR(CheckFile());
    if (!request.skip_statement_guard) {
      TRIB_RETURN_IF_ERROR(CheckReadOnlySql(request.sql, SqlDialect::kSqlite));
    }
    // A non-positive timeout means none; so does an absurdly long one.
    const bool has_deadline = request.timeout.count() > 0 && request.timeout < kLongestTimeout;
    const Clock::time_point deadline =
        has_deadline ? start + request.timeout : Clock::time_point::max();
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, request.cancel));
    auto result = RunQuery(*lease, request, deadline);
    if (!result.ok()) return result.status();
    result->stats().elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    return result;
  }

 private:
  Status NotOpen() const { return Unavailable("source " + context_.id + " is not open"); }

  Status CheckFile() const {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) {
      return Unavailable("database file not found: " + path_);
    }
    return Status::Ok();
  }

  // Called by the pool, outside its lock.
  Result<std::unique_ptr<SqliteConnection>> OpenConnection() {
    // Checked first: SQLite's own "unable to open database file" does not say why.
    TRIB_RETURN_IF_ERROR(CheckFile());
    auto conn = std::make_unique<SqliteConnection>();
    const std::string uri = FileUri(path_, immutable_);
    const int rc =
        sqlite3_open_v2(uri.c_str(), &conn->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      return Unavailable("cannot open SQLite database " + path_ + ": " +
                         (conn->db != nullptr ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc)));
    }
    sqlite3* db = conn->db;
    sqlite3_extended_result_codes(db, 1);
    int ignored = 0;
    bool configured =
        sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &ignored) == SQLITE_OK &&
        sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &ignored) == SQLITE_OK &&
        sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &ignored) == SQLITE_OK &&
        sqlite3_enable_load_extension(db, 0) == SQLITE_OK;
    if (!configured)
      return Internal("cannot configure SQLite connection: " + std::string(sqlite3_errmsg(db)));
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout_ms_));
    char* error = nullptr;
    if (sqlite3_exec(db, "PRAGMA query_only = ON", nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      return Internal("cannot make SQLite connection query-only: " + message);
    }
    if (const int reg = RegisterRegexpFunctions(db); reg != SQLITE_OK) {
      return Internal("cannot register regexp functions: " + std::string(sqlite3_errstr(reg)));
    }
    sqlite3_progress_handler(db, kProgressSteps, ProgressHandler, conn.get());
    // Last: the setup above needed the pragma the authorizer refuses.
    sqlite3_set_authorizer(db, Authorize, nullptr);
    return conn;
  }

  Result<QueryResult> RunCatalogQuery(const std::string& sql, std::vector<Value> params) {
    TRIB_RETURN_IF_ERROR(CheckFile());
    const auto deadline = Clock::now() + kCatalogTimeout;
    TRIB_ASSIGN_OR_RETURN(auto lease, pool_->Acquire(deadline, {}));
    QueryRequest request;
    request.sql = sql;
    request.params = std::move(params);
    request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kCatalogTimeout);
    request.max_rows = 0;
    request.max_bytes = 0;
    return RunQuery(*lease, request, deadline);
  }

  const SourceContext context_;
  // Shared by every call that uses the pool, exclusive for Open and Close.
  std::shared_mutex lifecycle_mu_;
  std::unique_ptr<ConnectionPool<SqliteConnection>> pool_;
  std::string path_;
  bool immutable_ = false;
  int64_t busy_timeout_ms_ = kDefaultBusyTimeoutMs;
};

}  // namespace

ConnectorFactory SqliteConnectorFactory() {
  ConnectorFactory f;
  f.type = "sqlite";
  f.description = "SQLite database file, opened read-only";
  f.schema = {
      {.name = "path",
       .type = OptionType::kString,
       .required = true,
       .description = "SQLite database file (relative to the config file); never created"},
      {.name = "max_connections",
       .type = OptionType::kInt,
       .description = "concurrent queries (connection pool size, default 4)",
       .min = 1,
       .max = 256},
      {.name = "busy_timeout_ms",
       .type = OptionType::kInt,
       .description = "how long a read waits for a writer's lock (default 5000)",
       .min = 0,
       .max = 3'600'000},
      {.name = "immutable",
       .type = OptionType::kBool,
       .description = "the file never changes: open with immutable=1 (no locking)"},
  };
  f.create = [](const SourceContext& context) -> std::unique_ptr<Connector> {
    return std::make_unique<SqliteConnector>(context);
  };
  return f;
}

}  // namespace tributary
