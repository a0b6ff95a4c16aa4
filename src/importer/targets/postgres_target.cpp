#include "importer/targets/postgres_target.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include "connectors/postgres/pg_connector.h"

namespace tributary::importer {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Field(const PGresult* r, int code) {
  const char* v = r ? PQresultErrorField(r, code) : nullptr;
  return v ? v : "";
}

//! What the session is opened with; the password only ever goes to libpq.
struct Settings {
  std::vector<std::pair<std::string, std::string>> params;
  //! "host:port/database", for messages.
  std::string where;
};

//! The connection parameters of the source with the import_target's user and password,
//! read by the PostgreSQL connector's own ReadPgServerParams.
Result<Settings> ReadSettings(const SourceConfig& source) {
  TRIB_ASSIGN_OR_RETURN(PgServerParams server, ReadPgServerParams(source.id, source.options));
  Settings s;
  s.params = std::move(server.params);
  s.where = std::move(server.where);
  s.params.emplace_back("user", source.import_target->user);
  s.params.emplace_back("password", source.import_target->password);
  s.params.emplace_back("application_name",
                        source.options.GetString("application_name", "tributary") + " import");
  return s;
}

class PostgresTarget final : public TargetLoader {
 public:
  PostgresTarget(const SourceConfig& source, TargetTable table, std::vector<ColumnSpec> columns,
                 CancelToken cancel)
      : user_(source.import_target->user),
        reader_(source.options.GetString("user")),
        who_(TargetWho(source)),
        table_(std::move(table)),
        columns_(std::move(columns)),
        cancel_(std::move(cancel)) {
    qualified_ =
        QuotePostgresIdentifier(table_.schema) + "." + QuotePostgresIdentifier(table_.table);
  }
  ~PostgresTarget() override { Abort(); }

  Status Open(const Settings& settings) {
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : settings.params) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr) return Unavailable("out of memory opening a PostgreSQL connection");
    if (PQstatus(conn_) != CONNECTION_OK) {
      Status error = ConnectError(settings, Trim(PQerrorMessage(conn_)));
      Close();
      return error;
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    Status setup = Exec(
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; "
        "SET default_transaction_read_only = off");
    if (!setup.ok()) return Fail(setup.WithContext("setting up the session"));
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    TRIB_RETURN_IF_ERROR(Exec("BEGIN"));
    std::string create = "CREATE TABLE " + qualified_ + " (";
    std::string names;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) {
        create += ", ";
        names += ", ";
      }
      create +=
          QuotePostgresIdentifier(columns_[i].name) + " " + PostgresColumnType(columns_[i].type);
      names += QuotePostgresIdentifier(columns_[i].name);
    }
    create += ")";
    Status created = Exec(create, /*creating=*/true);
    if (!created.ok()) return Fail(created);
    // The source's own (read-only) user queries the import: it may read the new table.
    if (!reader_.empty() && reader_ != user_) {
      Status granted =
          Exec("GRANT SELECT ON " + qualified_ + " TO " + QuotePostgresIdentifier(reader_));
      if (!granted.ok()) {
        return Fail(granted.WithContext("granting SELECT on " + table_.location() +
                                        " to the source's user '" + reader_ + "'"));
      }
    }
    ResultPtr copy(PQexec(conn_, ("COPY " + qualified_ + " (" + names + ") FROM STDIN").c_str()));
    if (!copy || PQresultStatus(copy.get()) != PGRES_COPY_IN) {
      return Fail(ServerError(copy.get(), "starting COPY into " + table_.location()));
    }
    in_copy_ = true;
    return Status::Ok();
  }

  Status Write(const RowBatch& batch) override {
    if (finished_) return FailedState();
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    const uint64_t batch_no = batch_starts_.size() + 1;
    buffer_.clear();
    for (size_t r = 0; r < batch.size(); ++r) {
      const auto& row = batch[r];
      if (row.size() != columns_.size()) {
        return Fail(InvalidArgument(who_ + ": row " + std::to_string(rows_ + r + 1) + " (batch " +
                                    std::to_string(batch_no) + ", row " + std::to_string(r + 1) +
                                    ") has " + std::to_string(row.size()) + " values but " +
                                    table_.location() + " has " + std::to_string(columns_.size()) +
                                    " columns"));
      }
      for (size_t c = 0; c < row.size(); ++c) {
        if (c) buffer_.push_back('\t');
        if (row[c] && row[c]->find('\0') != std::string::npos) {
          return Fail(InvalidArgument(
              who_ + ": row " + std::to_string(rows_ + r + 1) + " (batch " +
              std::to_string(batch_no) + ", row " + std::to_string(r + 1) + "), column '" +
              columns_[c].name + "' of " + table_.location() +
              " holds a NUL byte, which PostgreSQL text cannot store; remove it from the file"));
        }
        AppendTabSeparatedValue(buffer_, row[c]);
      }
      buffer_.push_back('\n');
    }
    batch_starts_.push_back(rows_);
    if (!buffer_.empty() &&
        PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      // The COPY ended on the server side (an error) or the connection broke: its result
      // holds the reason.
      return Fail(FinishCopyError());
    }
    rows_ += batch.size();
    return Status::Ok();
  }

  Result<uint64_t> Commit() override {
    if (finished_) return FailedState();
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    if (PQputCopyEnd(conn_, nullptr) != 1) return Fail(FinishCopyError());
    in_copy_ = false;
    ResultPtr r(PQgetResult(conn_));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      Status error = CopyError(r.get());
      Drain();
      return Fail(error);
    }
    Drain();
    if (cancel_.cancelled()) return Fail(CancelledStatus());
    Status committed = Exec("COMMIT");
    if (!committed.ok()) return Fail(committed.WithContext("committing " + table_.location()));
    finished_ = true;
    Close();
    return rows_;
  }

  void Abort() override {
    if (finished_ && conn_ == nullptr) return;
    finished_ = true;
    if (conn_ == nullptr) return;
    if (in_copy_ && PQstatus(conn_) == CONNECTION_OK) {
      PQputCopyEnd(conn_, "import aborted");
      in_copy_ = false;
      Drain();
    }
    if (PQstatus(conn_) == CONNECTION_OK) {
      ResultPtr r(PQexec(conn_, "ROLLBACK"));
    }
    // Closing the session rolls back anything still open in any case.
    Close();
  }

  std::string location() const override { return table_.location(); }
  uint64_t rows_written() const override { return rows_; }

 private:
  Status ConnectError(const Settings& s, const std::string& libpq_message) const {
    std::string reason = "cannot connect";
    if (Contains(libpq_message, "authentication failed") ||
        Contains(libpq_message, "no password supplied")) {
      reason = "authentication failed for the import_target user '" + user_ +
               "' (check import_target.user and import_target.password)";
    } else if (Contains(libpq_message, "does not exist") &&
               Contains(libpq_message, "database \"")) {
      reason = "unknown database (check the source's database option)";
    } else if (Contains(libpq_message, "Connection refused")) {
      reason = "connection refused (is the server running and listening there?)";
    } else if (Contains(libpq_message, "timeout expired")) {
      reason = "connection timed out";
    } else if (Contains(libpq_message, "permission denied for database")) {
      reason = "the import_target user '" + user_ + "' may not connect (GRANT CONNECT ON DATABASE)";
    }
    return Unavailable(who_ + ": " + reason + " to PostgreSQL at " + s.where + ": " +
                       libpq_message);
  }

  Status CancelledStatus() const {
    std::string reason = cancel_.reason();
    return Cancelled("the load into " + table_.location() + " of " + who_ + " was cancelled" +
                     (reason.empty() ? std::string() : " (" + reason + ")") + "; nothing was kept");
  }

  Status FailedState() const {
    return Internal(who_ + ": the load into " + table_.location() +
                    " is already finished or aborted");
  }

  //! Aborts and returns `error`.
  Status Fail(Status error) {
    Abort();
    return error;
  }

  void Close() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
  }

  void Drain() {
    while (ResultPtr rest{PQgetResult(conn_)}) {
    }
  }

  Status Exec(const std::string& sql, bool creating = false) {
    ResultPtr r(PQexec(conn_, sql.c_str()));
    if (r && (PQresultStatus(r.get()) == PGRES_COMMAND_OK ||
              PQresultStatus(r.get()) == PGRES_TUPLES_OK)) {
      return Status::Ok();
    }
    return ServerError(r.get(), creating ? "creating table " + table_.location() : sql);
  }

  //! After PQputCopyData/PQputCopyEnd failed: the COPY's result, as an error.
  Status FinishCopyError() {
    in_copy_ = false;
    ResultPtr r(PQgetResult(conn_));
    Status error = r && PQresultStatus(r.get()) == PGRES_FATAL_ERROR
                       ? CopyError(r.get())
                       : Unavailable(who_ + ": lost the connection to PostgreSQL while loading " +
                                     table_.location() + ": " + Trim(PQerrorMessage(conn_)));
    Drain();
    return error;
  }

  //! A failed COPY: names the row (and its batch) and the column from the server's context
  //! ("COPY t, line 5, column amount: \"abc\"").
  Status CopyError(const PGresult* r) {
    Status base = ServerError(r, "loading rows into " + table_.location());
    const std::string context = Field(r, PG_DIAG_CONTEXT);
    size_t at = context.find(", line ");
    if (at == std::string::npos) return base;
    const uint64_t line = std::strtoull(context.c_str() + at + 7, nullptr, 10);
    if (line == 0) return base;
    std::string where = "row " + std::to_string(line);
    // The batch holding that row: the last one starting before it.
    auto it = std::upper_bound(batch_starts_.begin(), batch_starts_.end(), line - 1);
    if (it != batch_starts_.begin()) {
      const size_t batch = static_cast<size_t>(it - batch_starts_.begin());
      where += " (batch " + std::to_string(batch) + ", row " +
               std::to_string(line - batch_starts_[batch - 1]) + ")";
    }
    size_t col = context.find(", column ", at);
    if (col != std::string::npos) {
      std::string name = context.substr(col + 9);
      name = name.substr(0, name.find(':'));
      where += ", column '" + name + "'";
    }
    std::string reason = base.message();
    if (reason.rfind(who_ + ": ", 0) == 0) reason.erase(0, who_.size() + 2);
    return Status(base.code(),
                  who_ + ": " + where + " of " + table_.location() + " was refused: " + reason);
  }

  //! A server error as a Status with a fix where one is known. The message starts with who_.
  Status ServerError(const PGresult* r, const std::string& doing) const {
    const std::string code = Field(r, PG_DIAG_SQLSTATE);
    std::string message = Field(r, PG_DIAG_MESSAGE_PRIMARY);
    if (message.empty()) message = Trim(PQerrorMessage(conn_));
    const std::string hint = Field(r, PG_DIAG_MESSAGE_HINT);
    const std::string detail = Field(r, PG_DIAG_MESSAGE_DETAIL);
    std::string text = who_ + ": " + message;
    if (!code.empty()) text += " (SQLSTATE " + code + ")";
    if (!detail.empty()) text += ". " + detail;
    if (!hint.empty()) text += ". Hint: " + hint;
    const std::string& schema = table_.schema;
    if (code == "42P07") {
      return AlreadyExists(who_ + ": table " + table_.location() +
                           " already exists in PostgreSQL; it was left untouched: import under "
                           "another name, or drop that table first");
    }
    if (code == "3F000") {
      return NotFound(who_ + ": schema '" + schema +
                      "' does not exist in PostgreSQL; create it (CREATE SCHEMA " +
                      QuotePostgresIdentifier(schema) + " AUTHORIZATION " +
                      QuotePostgresIdentifier(user_) + ") or set import_target.schema");
    }
    if (code == "42501") {
      return PermissionDenied(
          who_ + ": the import_target user '" + user_ + "' may not create tables in schema '" +
          schema + "' (" + message + "); GRANT USAGE, CREATE ON SCHEMA " +
          QuotePostgresIdentifier(schema) + " TO " + QuotePostgresIdentifier(user_) +
          ", or set import_target.schema to a schema it owns");
    }
    if (code == "25006") {
      return PermissionDenied(
          who_ + ": the session is read-only (" + message + "); the import_target user '" + user_ +
          "' must be allowed to write (ALTER ROLE " + QuotePostgresIdentifier(user_) +
          " SET default_transaction_read_only = off)");
    }
    if (code.empty() || PQstatus(conn_) != CONNECTION_OK || code.rfind("08", 0) == 0 ||
        code.rfind("57P", 0) == 0) {
      return Unavailable(who_ + ": lost the connection to PostgreSQL while " + doing + ": " +
                         message);
    }
    if (code == "57014") return Cancelled(text + " (while " + doing + ")");
    if (code == "53100") {
      return ResourceExhausted(text + "; the PostgreSQL server is out of disk space");
    }
    if (code.rfind("22", 0) == 0 || code.rfind("23", 0) == 0) {
      text += text.back() == '.' ? " " : ". ";
      return InvalidArgument(text + "Fix the value in the file, or import the column as VARCHAR");
    }
    return QueryError(text + " (while " + doing + ")");
  }

  const std::string user_;
  //! The source's own user (empty when it comes from the url).
  const std::string reader_;
  const std::string who_;
  const TargetTable table_;
  const std::vector<ColumnSpec> columns_;
  const CancelToken cancel_;
  std::string qualified_;
  PGconn* conn_ = nullptr;
  bool in_copy_ = false;
  bool finished_ = false;
  uint64_t rows_ = 0;
  //! The first row (0-based) of each batch sent, to name a refused row's batch.
  std::vector<uint64_t> batch_starts_;
  std::string buffer_;
};

}  // namespace

std::string QuotePostgresIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<std::unique_ptr<TargetLoader>> OpenPostgresTarget(const SourceConfig& source,
                                                         const std::string& table,
                                                         const std::vector<ColumnSpec>& columns,
                                                         const CancelToken& cancel) {
  TRIB_ASSIGN_OR_RETURN(Settings settings, ReadSettings(source));
  auto loader = std::make_unique<PostgresTarget>(source, TargetTable{TargetSchemaOf(source), table},
                                                 columns, cancel);
  TRIB_RETURN_IF_ERROR(loader->Open(settings));
  return std::unique_ptr<TargetLoader>(std::move(loader));
}

}  // namespace tributary::importer
