#include "importer/targets/clickhouse_target.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "connectors/clickhouse/clickhouse_connector.h"
#include "connectors/clickhouse/clickhouse_sql.h"
#include "connectors/common/http_client.h"
#include "core/time_util.h"

namespace tributary::importer {
namespace {

// Each statement's transfer gets this long at most (a batch of rows, a CREATE, a DROP); the
// cancel token stops a transfer sooner.
constexpr std::chrono::milliseconds kStatementTimeout{15 * 60 * 1000};
constexpr std::chrono::milliseconds kDropTimeout{30'000};

//! How a column's text values are turned into what the ClickHouse type reads.
enum class Kind { kPlain, kBool, kDate, kDateTime };

struct Settings {
  std::string base_url;  // scheme://host:port, no trailing slash
  std::string database;
  std::string user;
  std::string password;
  std::chrono::milliseconds connect_timeout{10'000};
  HttpTlsOptions tls;
};

//! The server address of the source with the import_target's credentials, read as the
//! ClickHouse connector reads them (src/connectors/clickhouse/clickhouse_connector.cpp).
Result<Settings> ReadSettings(const SourceConfig& source) {
  const Options& o = source.options;
  Settings s;
  TRIB_ASSIGN_OR_RETURN(s.base_url, ClickHouseBaseUrl(source.id, o));
  s.database = TargetSchemaOf(source);
  s.user = source.import_target->user;
  s.password = source.import_target->password;
  s.connect_timeout = std::chrono::milliseconds(o.GetInt("connect_timeout_ms", 10'000));
  s.tls.verify = o.GetBool("tls_verify", true);
  s.tls.ca_file = o.GetString("tls_ca_file");
  return s;
}

Kind KindOf(const std::string& clickhouse_type) {
  if (clickhouse_type == "Date") return Kind::kDate;
  if (clickhouse_type.rfind("DateTime", 0) == 0) return Kind::kDateTime;
  return Kind::kPlain;
}

//! "(at row N)" in a ClickHouse parse error; 0 when absent.
uint64_t RowInError(std::string_view body) {
  size_t at = body.find("(at row ");
  if (at == std::string_view::npos) return 0;
  return std::strtoull(std::string(body.substr(at + 8, 20)).c_str(), nullptr, 10);
}

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<size_t>(width) - s.size(), '0');
  return s;
}

class ClickHouseTarget final : public TargetLoader {
 public:
  ClickHouseTarget(const SourceConfig& source, Settings settings, std::string table,
                   std::vector<ColumnSpec> columns, CancelToken cancel)
      : who_(TargetWho(source)),
        settings_(std::move(settings)),
        columns_(std::move(columns)),
        cancel_(std::move(cancel)) {
    table_.table = std::move(table);
    for (const auto& c : columns_) {
      std::string type = ClickHouseColumnType(c.type);
      Kind kind = KindOf(type);
      std::string upper = c.type;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (upper == "BOOLEAN" || upper == "BOOL") kind = Kind::kBool;
      types_.push_back(std::move(type));
      kinds_.push_back(kind);
    }
  }
  ~ClickHouseTarget() override { Abort(); }

  Status Open() {
    table_.schema = settings_.database;
    if (table_.schema.empty()) {
      std::string body;
      TRIB_RETURN_IF_ERROR(Post("", "SELECT currentDatabase() FORMAT TabSeparated", true,
                                "asking for the default database", &body));
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      table_.schema = body;
    }
    qualified_ =
        QuoteClickHouseIdentifier(table_.schema) + "." + QuoteClickHouseIdentifier(table_.table);
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    std::string create = "CREATE TABLE " + qualified_ + " (";
    column_list_ = "(";
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) {
        create += ", ";
        column_list_ += ", ";
      }
      create += QuoteClickHouseIdentifier(columns_[i].name) + " Nullable(" + types_[i] + ")";
      column_list_ += QuoteClickHouseIdentifier(columns_[i].name);
    }
    column_list_ += ")";
    create += ") ENGINE = MergeTree ORDER BY tuple()";
    // Not cancellable: a CREATE cut short might or might not have made the table.
    Status created = Post("", create, false, "creating table " + table_.location(), nullptr);
    if (!created.ok()) {
      done_ = true;  // nothing of ours to drop
      return created;
    }
    created_ = true;
    return Status::Ok();
  }

  Status Write(const RowBatch& batch) override {
    if (done_) return FailedState();
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    const uint64_t batch_no = ++batches_;
    buffer_.clear();
    for (size_t r = 0; r < batch.size(); ++r) {
      const auto& row = batch[r];
      auto where = [&](size_t c) {
        std::string w = "row " + std::to_string(rows_ + r + 1) + " (batch " +
                        std::to_string(batch_no) + ", row " + std::to_string(r + 1) + ")";
        if (c < columns_.size()) w += ", column '" + columns_[c].name + "'";
        return w;
      };
      if (row.size() != columns_.size()) {
        return Fail(InvalidArgument(who_ + ": " + where(columns_.size()) + " has " +
                                    std::to_string(row.size()) + " values but " +
                                    table_.location() + " has " + std::to_string(columns_.size()) +
                                    " columns"));
      }
      for (size_t c = 0; c < row.size(); ++c) {
        if (c) buffer_.push_back('\t');
        if (!row[c] || kinds_[c] == Kind::kPlain) {
          AppendTabSeparatedValue(buffer_, row[c]);
          continue;
        }
        auto converted = Convert(kinds_[c], *row[c]);
        if (!converted.ok()) {
          return Fail(InvalidArgument(who_ + ": " + where(c) + " of " + table_.location() + ": " +
                                      converted.status().message()));
        }
        buffer_.append(*converted);
      }
      buffer_.push_back('\n');
    }
    if (batch.empty()) return Status::Ok();
    const std::string insert =
        "INSERT INTO " + qualified_ + " " + column_list_ + " FORMAT TabSeparated";
    std::string doing = "inserting batch " + std::to_string(batch_no) + " (rows " +
                        std::to_string(rows_ + 1) + ".." + std::to_string(rows_ + batch.size()) +
                        ") into " + table_.location();
    Status sent =
        Post("&query=" + UrlEncode(insert), std::move(buffer_), true, doing, nullptr, batch_no);
    buffer_.clear();
    if (!sent.ok()) return Fail(sent);
    rows_ += batch.size();
    return Status::Ok();
  }

  Result<uint64_t> Commit() override {
    if (done_) return FailedState();
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    done_ = true;  // every batch is already stored: the table is kept
    return rows_;
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    if (!created_) return;
    // A fresh, uncancellable request: the load may be aborted because of a cancel.
    HttpHandle http;
    HttpRequest request = BaseRequest();
    request.url = Url("");
    request.body = "DROP TABLE IF EXISTS " + qualified_;
    request.total_timeout = kDropTimeout;
    (void)http.Perform(request, nullptr);  // best effort: the table stays if the server is gone
  }

  std::string location() const override { return table_.location(); }
  uint64_t rows_written() const override { return rows_; }

 private:
  //! A value of a non-plain column as the ClickHouse type reads it.
  static Result<std::string> Convert(Kind kind, const std::string& value) {
    switch (kind) {
      case Kind::kBool:
        if (value == "true" || value == "1") return std::string("1");
        if (value == "false" || value == "0") return std::string("0");
        return InvalidArgument("'" + value + "' is not a boolean (true or false)");
      case Kind::kDate: {
        auto days = ParseDate(value);
        if (!days) return InvalidArgument("'" + value + "' is not a date (YYYY-MM-DD)");
        if (*days < 0 || *days > DaysFromCivil(2105, 12, 31)) {
          return InvalidArgument("the date " + value +
                                 " is outside 1970-01-01..2105-12-31, which ClickHouse's Date "
                                 "holds; import the column as VARCHAR instead");
        }
        return value.substr(0, 10);
      }
      case Kind::kDateTime: {
        auto micros = ParseTimestamp(value);
        if (!micros) return InvalidArgument("'" + value + "' is not an ISO 8601 timestamp");
        int64_t seconds = *micros / 1'000'000;
        if (*micros < 0 && *micros % 1'000'000 != 0) --seconds;
        if (seconds < 0 || seconds > 4294967295LL) {
          return InvalidArgument("the timestamp " + value +
                                 " is outside 1970-01-01 00:00:00..2106-02-07 06:28:15, which "
                                 "ClickHouse's DateTime holds; import the column as VARCHAR "
                                 "instead");
        }
        // Whole seconds (DateTime has no fraction in 18.16): "YYYY-MM-DD hh:mm:ss" in UTC.
        const int64_t day_seconds = seconds % 86'400;
        std::string out = FormatDate(seconds / 86'400);
        out += ' ';
        out += Pad(day_seconds / 3600, 2) + ":" + Pad(day_seconds / 60 % 60, 2) + ":" +
               Pad(day_seconds % 60, 2);
        return out;
      }
      case Kind::kPlain:
        break;
    }
    return value;
  }

  HttpRequest BaseRequest() const {
    HttpRequest request;
    request.basic_user = settings_.user;
    request.basic_password = settings_.password;
    request.connect_timeout = settings_.connect_timeout;
    request.tls = settings_.tls;
    return request;
  }

  std::string Url(const std::string& extra) const {
    std::string url = settings_.base_url + "/?";
    if (!table_.schema.empty()) url += "database=" + UrlEncode(table_.schema);
    return url + extra;
  }

  //! POSTs `body` (the statement, or the rows when `extra` holds &query=INSERT ...).
  Status Post(const std::string& extra, std::string body, bool cancellable,
              const std::string& doing, std::string* out, uint64_t batch_no = 0) {
    HttpRequest request = BaseRequest();
    request.url = Url(extra);
    request.body = std::move(body);
    request.total_timeout = kStatementTimeout;
    std::atomic<bool> abort{false};
    Result<HttpResponse> response = Internal("not run");
    {
      std::optional<CancelRegistration> on_cancel;
      if (cancellable) on_cancel.emplace(cancel_, [&abort] { abort = true; });
      response = http_.Perform(request, &abort);
    }
    if (response.ok() && response->aborted) return CancelledStatus();
    if (!response.ok()) {
      if (cancel_.cancelled()) return CancelledStatus();
      return Unavailable(who_ + ": cannot reach ClickHouse at " + settings_.base_url + " while " +
                         doing + ": " + response.status().message());
    }
    if (response->status >= 200 && response->status < 300) {
      if (out) *out = std::move(response->body);
      return Status::Ok();
    }
    return ServerError(response->status, response->body, doing, batch_no);
  }

  Status ServerError(long http_status, const std::string& body,  // NOLINT(google-runtime-int)
                     const std::string& doing, uint64_t batch_no) const {
    const int code = clickhouse::ClickHouseErrorCode(body);
    const Status mapped = clickhouse::MapClickHouseError(http_status, body);
    std::string message = mapped.message();
    if (size_t at = body.find("DB::Exception: "); at != std::string::npos) {
      message = body.substr(at + 15);
      if (size_t end = message.rfind(", e.what() = "); end != std::string::npos) {
        message.resize(end);
      }
      // A parse error goes on with a dump of the row ("Row 1: / Column 0, name: ..."): keep
      // its first line and the line of the column that failed.
      if (size_t nl = message.find('\n'); nl != std::string::npos) {
        std::string first = message.substr(0, nl);
        if (size_t bad = message.find("ERROR", nl); bad != std::string::npos) {
          size_t line_start = message.rfind('\n', bad) + 1;
          std::string line = message.substr(line_start, message.find('\n', bad) - line_start);
          line.erase(0, line.find_first_not_of(' '));
          first.append(" ").append(line);
        }
        message = std::move(first);
      }
      // "expected \t before: <the rest of the batch>: (at row N)": not the batch's data.
      if (size_t before = message.find(" before: "); before != std::string::npos) {
        if (size_t row = message.find("(at row ", before); row != std::string::npos) {
          message.erase(before, row - before);
          message.insert(before, " ");
        }
      }
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
      }
      if (message.size() > 500) message = message.substr(0, 500) + "...";
    }
    const std::string& user = settings_.user;
    switch (code) {
      case 192:  // UNKNOWN_USER
      case 193:  // WRONG_PASSWORD
      case 194:  // REQUIRED_PASSWORD
      case 195:  // IP_ADDRESS_NOT_ALLOWED
      case 516:  // AUTHENTICATION_FAILED
        return Unavailable(who_ + ": authentication failed for the import_target user '" + user +
                           "' at ClickHouse " + settings_.base_url +
                           " (check import_target.user and import_target.password): " + message);
      case 57:  // TABLE_ALREADY_EXISTS
        return AlreadyExists(who_ + ": table " + table_.location() +
                             " already exists in ClickHouse; it was left untouched: import "
                             "under another name, or drop that table first");
      case 81:  // UNKNOWN_DATABASE
        return NotFound(who_ + ": database '" + table_.schema +
                        "' does not exist in ClickHouse; create it (CREATE DATABASE " +
                        QuoteClickHouseIdentifier(table_.schema) + ") or set import_target.schema");
      case 164:  // READONLY
        return PermissionDenied(who_ + ": the import_target user '" + user +
                                "' is read-only in ClickHouse (" + message +
                                "); give it a profile without readonly in users.xml");
      case 291:  // DATABASE_ACCESS_DENIED
      case 497:  // ACCESS_DENIED
        return PermissionDenied(who_ + ": the import_target user '" + user +
                                "' may not create tables in database '" + table_.schema + "' (" +
                                message +
                                "); allow it that database (<allow_databases> in "
                                "users.xml, or GRANT CREATE TABLE, INSERT, DROP TABLE on newer "
                                "servers)");
      case 243:  // NOT_ENOUGH_SPACE
        return ResourceExhausted(who_ + ": ClickHouse is out of disk space while " + doing + ": " +
                                 message);
      case 394:  // QUERY_WAS_CANCELLED
        return Cancelled(who_ + ": the statement was cancelled on the server while " + doing);
      default:
        break;
    }
    if (code == -1 && (http_status == 401 || http_status == 403)) {
      return Unavailable(who_ + ": authentication failed for the import_target user '" + user +
                         "' at ClickHouse " + settings_.base_url +
                         " (check import_target.user and import_target.password)");
    }
    if (batch_no > 0 && code != -1) {
      // A value the server could not read: name the row. "(at row N)" counts within the batch.
      std::string where = "batch " + std::to_string(batch_no);
      if (uint64_t row = RowInError(body); row > 0) {
        where = "row " + std::to_string(rows_ + row) + " (" + where + ", row " +
                std::to_string(row) + ")";
      }
      return InvalidArgument(who_ + ": " + where + " of " + table_.location() +
                             " was refused by ClickHouse (code " + std::to_string(code) +
                             "): " + message +
                             ". Fix the value in the file, or import the column as VARCHAR");
    }
    if (code == -1) {
      return Unavailable(who_ + ": ClickHouse answered HTTP " + std::to_string(http_status) +
                         " while " + doing + ": " + message);
    }
    return QueryError(who_ + ": ClickHouse error " + std::to_string(code) + " while " + doing +
                      ": " + message);
  }

  Status CancelledStatus() const {
    std::string reason = cancel_.reason();
    return Cancelled("the load into " + table_.location() + " of " + who_ + " was cancelled" +
                     (reason.empty() ? std::string() : " (" + reason + ")") +
                     "; the table was dropped");
  }

  Status FailedState() const {
    return Internal(who_ + ": the load into " + table_.location() +
                    " is already finished or aborted");
  }

  Status Fail(Status error) {
    Abort();
    return error;
  }

  const std::string who_;
  const Settings settings_;
  const std::vector<ColumnSpec> columns_;
  const CancelToken cancel_;
  TargetTable table_;
  std::vector<std::string> types_;
  std::vector<Kind> kinds_;
  std::string qualified_;
  std::string column_list_;
  HttpHandle http_;
  //! The table was created by this load (and so is dropped by Abort).
  bool created_ = false;
  //! Committed or aborted: nothing more happens.
  bool done_ = false;
  uint64_t rows_ = 0;
  uint64_t batches_ = 0;
  std::string buffer_;
};

}  // namespace

std::string QuoteClickHouseIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

Result<std::unique_ptr<TargetLoader>> OpenClickHouseTarget(const SourceConfig& source,
                                                           const std::string& table,
                                                           const std::vector<ColumnSpec>& columns,
                                                           const CancelToken& cancel) {
  TRIB_ASSIGN_OR_RETURN(Settings settings, ReadSettings(source));
  EnsureCurlGlobalInit();
  auto loader =
      std::make_unique<ClickHouseTarget>(source, std::move(settings), table, columns, cancel);
  TRIB_RETURN_IF_ERROR(loader->Open());
  return std::unique_ptr<TargetLoader>(std::move(loader));
}

}  // namespace tributary::importer
