// DuckSession: the private in-memory DuckDB database one importer call works in.
//
// Opened like the DuckDB source (no extension autoinstall/autoload, no persistent secrets),
// with 2 threads, a memory limit and its spill directory inside the call's output or scratch
// folder, so a large file is converted within a bounded amount of memory. Runs statements,
// small materialised queries, long statements with progress polling and cancellation, and
// streaming queries read chunk by chunk.
//
// Thread-safety: a session is used by one thread at a time, except Interrupt(), which may be
// called from any thread (it is how a CancelToken stops a running statement).
#pragma once

#include <duckdb.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "connectors/duckdb/duckdb_handles.h"

namespace tributary::importer {

//! A failed DuckDB call: the error type and DuckDB's message.
struct DuckError {
  duckdb_error_type type = DUCKDB_ERROR_INVALID;
  std::string message;
};

//! A small query result with every value as text (nullopt: NULL).
struct TextTable {
  std::vector<std::string> names;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

class DuckSession {
 public:
  //! Opens the database; `temp_dir` (created) receives DuckDB's spill files; empty: no spill
  //! folder (for small queries that never spill, e.g. reading Parquet footers).
  static Result<std::unique_ptr<DuckSession>> Open(const std::string& temp_dir,
                                                   const std::string& memory_limit = "512MB");
  ~DuckSession();
  DuckSession(const DuckSession&) = delete;
  DuckSession& operator=(const DuckSession&) = delete;

  duckdb_connection connection() const { return conn_.get(); }

  //! Runs `sql`, discarding its result; on error fills `error` (when given) and returns
  //! QUERY_ERROR with DuckDB's message.
  Status Exec(const std::string& sql, DuckError* error = nullptr);
  //! Runs `sql` and returns its (small) result as text.
  Result<TextTable> Query(const std::string& sql, DuckError* error = nullptr);

  //! Called about every 200 ms while RunLong runs: percent (0-100; negative when DuckDB has
  //! no estimate), rows processed and rows to process as DuckDB counts them.
  using PollFn = std::function<void(double percent, uint64_t rows, uint64_t total)>;
  //! Runs a long statement on this thread while a helper thread polls its progress; `cancel`
  //! interrupts it (the result is then a DuckError of type DUCKDB_ERROR_INTERRUPT). Returns
  //! the rows the statement changed (for COPY: rows written).
  Result<uint64_t> RunLong(const std::string& sql, const PollFn& poll, const CancelToken& cancel,
                           DuckError* error);

  //! Streams the rows of `sql` chunk by chunk: `on_chunk` gets each data chunk (owned by the
  //! caller's loop, valid during the call); a non-OK status stops the read and is returned.
  Status Stream(const std::string& sql, const std::function<Status(duckdb_data_chunk)>& on_chunk,
                const CancelToken& cancel, DuckError* error);

  //! Interrupts the running statement (any thread).
  void Interrupt();

 private:
  DuckSession() = default;
  duckdb_internal::DatabaseHandle db_;
  duckdb_internal::ConnectionHandle conn_;
};

//! The text of a value of `vector` at `row` (VARCHAR vectors only); nullopt for NULL.
std::optional<std::string> VarcharAt(duckdb_vector vector, idx_t row);

}  // namespace tributary::importer
