#include "importer/duckdb_session.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "connectors/duckdb/duckdb_open.h"
#include "connectors/duckdb/duckdb_setup.h"

namespace tributary::importer {

using duckdb_internal::ConfigHandle;
using duckdb_internal::PreparedHandle;
using duckdb_internal::ResultHandle;
using duckdb_internal::TakeDuckString;

namespace {

Status FromResult(duckdb_result* result, DuckError* error) {
  DuckError e;
  e.type = duckdb_result_error_type(result);
  const char* message = duckdb_result_error(result);
  e.message = message ? message : "unknown DuckDB error";
  Status status = QueryError(e.message);
  if (error) *error = std::move(e);
  return status;
}

}  // namespace

Result<std::unique_ptr<DuckSession>> DuckSession::Open(const std::string& temp_dir,
                                                       const std::string& memory_limit) {
  duckdb_internal::DuckDbSettings settings = {{"threads", "2"}, {"memory_limit", memory_limit}};
  if (!temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(temp_dir, ec);
    if (ec) {
      return ResourceExhausted("cannot create the import's scratch folder " + temp_dir + ": " +
                               ec.message());
    }
    settings.emplace_back("temp_directory", temp_dir);
  }
  std::unique_ptr<DuckSession> session(new DuckSession());
  if (Status st = duckdb_internal::OpenOfflineDatabase("", settings, session->db_); !st.ok()) {
    if (st.code() == ErrorCode::kInvalidArgument) {
      return Internal("cannot set DuckDB option: " + st.message());
    }
    return Internal("cannot start DuckDB for the import: " + st.message());
  }
  if (duckdb_connect(session->db_.get(), session->conn_.out()) == DuckDBError) {
    return Internal("cannot connect to the import's DuckDB database");
  }
  // Progress is reported from the first moment (the default waits 2 s).
  for (const char* sql : {"SET enable_progress_bar = true", "SET enable_progress_bar_print = false",
                          "SET progress_bar_time = 0"}) {
    TRIB_RETURN_IF_ERROR(session->Exec(sql));
  }
  return session;
}

DuckSession::~DuckSession() = default;

Status DuckSession::Exec(const std::string& sql, DuckError* error) {
  ResultHandle result;
  if (duckdb_query(conn_.get(), sql.c_str(), result.out()) == DuckDBError) {
    return FromResult(result.get(), error);
  }
  return Status::Ok();
}

std::optional<std::string> VarcharAt(duckdb_vector vector, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity && !duckdb_validity_row_is_valid(validity, row)) return std::nullopt;
  auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
  duckdb_string_t& s = data[row];
  const uint32_t length = duckdb_string_t_length(s);
  const char* text = duckdb_string_t_data(&s);
  return std::string(text, length);
}

Result<TextTable> DuckSession::Query(const std::string& sql, DuckError* error) {
  ResultHandle result;
  if (duckdb_query(conn_.get(), sql.c_str(), result.out()) == DuckDBError) {
    return FromResult(result.get(), error);
  }
  TextTable table;
  const idx_t columns = duckdb_column_count(result.get());
  for (idx_t c = 0; c < columns; ++c) {
    table.names.emplace_back(duckdb_column_name(result.get(), c));
  }
  const idx_t rows = duckdb_row_count(result.get());
  table.rows.reserve(rows);
  for (idx_t r = 0; r < rows; ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(columns);
    for (idx_t c = 0; c < columns; ++c) {
      if (duckdb_value_is_null(result.get(), c, r)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(TakeDuckString(duckdb_value_varchar(result.get(), c, r)));
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

void DuckSession::Interrupt() {
  if (conn_) duckdb_interrupt(conn_.get());
}

Result<uint64_t> DuckSession::RunLong(const std::string& sql, const PollFn& poll,
                                      const CancelToken& cancel, DuckError* error) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  // Polls progress, and interrupts again while cancelled (an interrupt that arrives just
  // before the statement starts could otherwise be lost).
  std::thread poller([&] {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done; })) {
      lock.unlock();
      if (cancel.cancelled()) Interrupt();
      if (poll) {
        const duckdb_query_progress_type p = duckdb_query_progress(conn_.get());
        poll(p.percentage, p.rows_processed, p.total_rows_to_process);
      }
      lock.lock();
    }
  });
  Status status;
  uint64_t changed = 0;
  {
    CancelRegistration registration(cancel, [this] { Interrupt(); });
    ResultHandle result;
    if (cancel.cancelled()) {
      status = Cancelled("cancelled: " + cancel.reason());
      if (error) *error = DuckError{DUCKDB_ERROR_INTERRUPT, "cancelled"};
    } else if (duckdb_query(conn_.get(), sql.c_str(), result.out()) == DuckDBError) {
      status = FromResult(result.get(), error);
    } else {
      changed = duckdb_rows_changed(result.get());
    }
  }
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  poller.join();
  if (!status.ok()) return status;
  return changed;
}

Status DuckSession::Stream(const std::string& sql,
                           const std::function<Status(duckdb_data_chunk)>& on_chunk,
                           const CancelToken& cancel, DuckError* error) {
  CancelRegistration registration(cancel, [this] { Interrupt(); });
  PreparedHandle prepared;
  if (duckdb_prepare(conn_.get(), sql.c_str(), prepared.out()) == DuckDBError) {
    DuckError e{DUCKDB_ERROR_INVALID, duckdb_prepare_error(prepared.get())
                                          ? duckdb_prepare_error(prepared.get())
                                          : "cannot prepare the query"};
    Status status = QueryError(e.message);
    if (error) *error = std::move(e);
    return status;
  }
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(prepared.get(), &pending) == DuckDBError) {
    DuckError e{DUCKDB_ERROR_INVALID, duckdb_pending_error(pending) ? duckdb_pending_error(pending)
                                                                    : "cannot start the query"};
    duckdb_destroy_pending(&pending);
    Status status = QueryError(e.message);
    if (error) *error = std::move(e);
    return status;
  }
  ResultHandle result;
  const duckdb_state state = duckdb_execute_pending(pending, result.out());
  duckdb_destroy_pending(&pending);
  if (state == DuckDBError) return FromResult(result.get(), error);
  while (true) {
    duckdb_internal::ChunkHandle chunk(duckdb_fetch_chunk(*result.get()));
    if (!chunk) {
      // End of the result, or an error raised while streaming.
      const char* message = duckdb_result_error(result.get());
      if (message != nullptr) return FromResult(result.get(), error);
      return Status::Ok();
    }
    if (duckdb_data_chunk_get_size(chunk.get()) == 0) continue;
    TRIB_RETURN_IF_ERROR(on_chunk(chunk.get()));
  }
}

}  // namespace tributary::importer
