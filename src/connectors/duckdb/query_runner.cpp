#include "connectors/duckdb/query_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "connectors/duckdb/duckdb_handles.h"
#include "connectors/duckdb/duckdb_types.h"
#include "connectors/duckdb/statement_guard.h"

namespace tributary::duckdb_internal {

namespace {

using Clock = DeadlineWatchdog::Clock;

// How often an interrupt is repeated until the query returns (see the header).
constexpr auto kReinterruptEvery = std::chrono::milliseconds(20);

// Interrupts one connection at the deadline or on cancel, repeatedly, until Finish().
class Interrupter : public std::enable_shared_from_this<Interrupter> {
 public:
  enum class Reason { kNone, kDeadline, kCancel };

  Interrupter(duckdb_connection connection, DeadlineWatchdog& watchdog)
      : connection_(connection), watchdog_(watchdog) {}

  void ArmDeadline(Clock::time_point deadline) {
    std::weak_ptr<Interrupter> weak = weak_from_this();
    auto id = watchdog_.Schedule(deadline, [weak] {
      if (auto self = weak.lock()) self->Fire(Reason::kDeadline);
    });
    std::lock_guard lock(mu_);
    deadline_timer_ = id;
  }

  //! Starts interrupting; the first reason is the one reported.
  void Fire(Reason reason) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (reason_ == Reason::kNone) reason_ = reason;
    InterruptLocked();
  }

  Reason reason() const {
    std::lock_guard lock(mu_);
    return reason_;
  }

  //! After this returns the connection is never interrupted again by this object.
  void Finish() {
    DeadlineWatchdog::TimerId deadline_timer, retry_timer;
    {
      std::lock_guard lock(mu_);
      finished_ = true;
      deadline_timer = deadline_timer_;
      retry_timer = retry_timer_;
    }
    // Outside mu_: Cancel waits for a running callback, which takes mu_.
    if (deadline_timer != 0) watchdog_.Cancel(deadline_timer);
    if (retry_timer != 0) watchdog_.Cancel(retry_timer);
  }

 private:
  void InterruptLocked() {
    duckdb_interrupt(connection_);
    if (retry_timer_ != 0) return;
    std::weak_ptr<Interrupter> weak = weak_from_this();
    retry_timer_ = watchdog_.ScheduleAfter(kReinterruptEvery, [weak] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      self->retry_timer_ = 0;
      if (!self->finished_) self->InterruptLocked();
    });
  }

  const duckdb_connection connection_;
  DeadlineWatchdog& watchdog_;
  mutable std::mutex mu_;
  bool finished_ = false;
  Reason reason_ = Reason::kNone;
  DeadlineWatchdog::TimerId deadline_timer_ = 0;
  DeadlineWatchdog::TimerId retry_timer_ = 0;
};

struct FinishOnExit {
  Interrupter& interrupter;
  ~FinishOnExit() { interrupter.Finish(); }
};

// Parses "-12.340" into DuckDB's decimal; nullopt when malformed or wider than 38 digits.
std::optional<duckdb_decimal> ParseDecimal(const std::string& text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  __extension__ unsigned __int128 magnitude = 0;
  int digits = 0, scale = 0;
  bool seen_point = false, any_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    any_digit = true;
    if (digits > 0 || c != '0') ++digits;
    if (seen_point) ++scale;
    magnitude = magnitude * 10 + static_cast<unsigned>(c - '0');
    if (digits > 38) return std::nullopt;
  }
  if (!any_digit) return std::nullopt;
  const int width = std::max(std::max(digits, scale), 1);
  if (width > 38) return std::nullopt;
  __extension__ __int128 value = static_cast<__int128>(magnitude);
  if (negative) value = -value;
  duckdb_decimal out;
  out.width = static_cast<uint8_t>(width);
  out.scale = static_cast<uint8_t>(scale);
  out.value.lower = static_cast<uint64_t>(value);
  out.value.upper = static_cast<int64_t>(value >> 64);
  return out;
}

Status BindParams(duckdb_prepared_statement prepared, const std::vector<Value>& params) {
  const idx_t expected = duckdb_nparams(prepared);
  if (params.size() != expected) {
    return QueryError("the query has " + std::to_string(expected) + " parameter" +
                      (expected == 1 ? "" : "s") + " but " + std::to_string(params.size()) +
                      (params.size() == 1 ? " was" : " were") + " given");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    const idx_t index = i + 1;
    duckdb_state state = DuckDBSuccess;
    if (v.is_null()) {
      state = duckdb_bind_null(prepared, index);
    } else {
      switch (v.type) {
        case ColumnType::kNull:
          state = duckdb_bind_null(prepared, index);
          break;
        case ColumnType::kBool:
          state = duckdb_bind_boolean(prepared, index, v.as_bool());
          break;
        case ColumnType::kInt64:
          state = duckdb_bind_int64(prepared, index, v.as_int());
          break;
        case ColumnType::kDouble:
          state = duckdb_bind_double(prepared, index, v.as_double());
          break;
        case ColumnType::kDecimal: {
          // Wider than DECIMAL(38) goes as text, which DuckDB casts exactly where needed.
          auto decimal = ParseDecimal(v.as_string());
          if (decimal) {
            state = duckdb_bind_decimal(prepared, index, *decimal);
          } else if (v.as_string().find_first_not_of("+-.0123456789") == std::string::npos) {
            state = duckdb_bind_varchar_length(prepared, index, v.as_string().data(),
                                               v.as_string().size());
          } else {
            return InvalidArgument("parameter $" + std::to_string(index) +
                                   " is not a decimal number");
          }
          break;
        }
        case ColumnType::kString:
        case ColumnType::kJson:
          state = duckdb_bind_varchar_length(prepared, index, v.as_string().data(),
                                             v.as_string().size());
          break;
        case ColumnType::kBytes:
          state = duckdb_bind_blob(prepared, index, v.as_string().data(), v.as_string().size());
          break;
        case ColumnType::kDate: {
          const int64_t days = v.as_int();
          if (days < std::numeric_limits<int32_t>::min() ||
              days > std::numeric_limits<int32_t>::max()) {
            return InvalidArgument("parameter $" + std::to_string(index) +
                                   " is a date out of range");
          }
          state = duckdb_bind_date(prepared, index, duckdb_date{static_cast<int32_t>(days)});
          break;
        }
        case ColumnType::kTimestamp:
          // A plain TIMESTAMP holding UTC: compared with a TIMESTAMP column it needs no cast
          // (keeping filter pushdown), and connections run with TimeZone=UTC so a cast to
          // TIMESTAMP WITH TIME ZONE means the same instant.
          state = duckdb_bind_timestamp(prepared, index, duckdb_timestamp{v.as_int()});
          break;
      }
    }
    if (state == DuckDBError) {
      const char* error = duckdb_prepare_error(prepared);
      return QueryError("cannot bind parameter $" + std::to_string(index) + " as " +
                        std::string(ColumnTypeName(v.type)) +
                        (error && *error ? std::string(": ") + error : std::string()));
    }
  }
  return Status::Ok();
}

Status InterruptStatus(Interrupter::Reason reason, const QueryRequest& request) {
  if (reason == Interrupter::Reason::kDeadline) {
    return QueryTimeoutError(request.timeout);
  }
  return QueryCancelledError(request.cancel);
}

Status ResultError(ResultHandle& result) {
  const char* message = duckdb_result_error(result.get());
  const duckdb_error_type type = duckdb_result_error_type(result.get());
  if (type == DUCKDB_ERROR_INTERRUPT) return Cancelled("query was interrupted");
  return StatusFromDuckDbError(type, message ? message : "");
}

// The columns a running statement returns: the user's names and the types to convert.
// Read from the result, not the prepared statement: with parameters DuckDB only knows the
// result types once the values are bound.
struct Columns {
  std::vector<std::string> names;
  std::vector<DuckType> types;
  //! Columns whose type the C API does not expose (TIME_NS and VARIANT report INVALID in
  //! DuckDB 1.4): DuckDB casts them in a wrapping query that also returns their type names
  //! from typeof(), as extra columns after the user's.
  std::vector<idx_t> cast;
};

Columns DescribeResult(ResultHandle& stream) {
  Columns out;
  const idx_t count = duckdb_column_count(stream.get());
  for (idx_t c = 0; c < count; ++c) {
    LogicalTypeHandle logical(duckdb_column_logical_type(stream.get(), c));
    out.types.push_back(DescribeType(logical.get()));
    const char* name = duckdb_column_name(stream.get(), c);
    out.names.emplace_back(name ? name : "");
    if (!IsSupported(out.types.back())) out.cast.push_back(c);
  }
  return out;
}

// Prepares `sql` (through the guard), binds the parameters and starts streaming execution.
Status Start(duckdb_connection connection, const QueryRequest& request, const std::string& sql,
             PreparedHandle& prepared, ResultHandle& stream) {
  TRIB_ASSIGN_OR_RETURN(prepared, PrepareGuarded(connection, sql, request.skip_statement_guard));
  TRIB_RETURN_IF_ERROR(BindParams(prepared.get(), request.params));
  if (duckdb_execute_prepared_streaming(prepared.get(), stream.out()) == DuckDBError) {
    return ResultError(stream);
  }
  return Status::Ok();
}

// Wraps the (already guarded) statement so that DuckDB converts the columns in `columns.cast`
// by position: scalars to VARCHAR, nested values to JSON. The statement text is kept
// verbatim, so its parameters bind as before.
std::string CastWrapper(const std::string& sql, const Columns& columns) {
  std::string select;
  for (idx_t c = 0; c < columns.types.size(); ++c) {
    const bool cast = std::find(columns.cast.begin(), columns.cast.end(), c) != columns.cast.end();
    const bool nested = columns.types[c].id != DUCKDB_TYPE_INVALID;
    const char* pattern = !cast ? "{}#{}" : nested ? "{}to_json(#{})" : "{}CAST(#{} AS VARCHAR)";
    select += fmt::format(fmt::runtime(pattern), c ? ", " : "", c + 1);
  }
  for (idx_t c : columns.cast) select += fmt::format(", typeof(#{})", c + 1);
  return fmt::format("SELECT {} FROM (\n{}\n) AS trib_source", select, sql);
}

// The result's columns; the type names of cast columns come from the first row of the
// typeof() columns when there is one.
std::vector<ColumnInfo> ResultColumns(const Columns& columns, duckdb_data_chunk first_chunk) {
  std::vector<ColumnInfo> out;
  for (size_t c = 0; c < columns.names.size(); ++c) {
    out.push_back(ColumnInfo{.name = columns.names[c],
                             .type = MapColumnType(columns.types[c]),
                             .source_type = TypeName(columns.types[c])});
  }
  for (size_t k = 0; k < columns.cast.size(); ++k) {
    std::string type_name = "UNKNOWN";
    const idx_t typeof_column = columns.names.size() + k;
    if (first_chunk != nullptr && typeof_column < columns.types.size()) {
      VectorReader reader(columns.types[typeof_column],
                          duckdb_data_chunk_get_vector(first_chunk, typeof_column));
      ColumnData text(ColumnType::kString);
      reader.AppendTo(0, text);
      if (!text.is_null(0)) type_name = text.string_at(0);
    }
    out[columns.cast[k]].source_type = type_name;
  }
  return out;
}

}  // namespace

Result<QueryResult> RunQuery(duckdb_connection connection, const QueryRequest& request,
                             Clock::time_point deadline, DeadlineWatchdog& watchdog) {
  auto interrupter = std::make_shared<Interrupter>(connection, watchdog);
  FinishOnExit finish{*interrupter};
  if (deadline != Clock::time_point::max()) interrupter->ArmDeadline(deadline);
  CancelRegistration on_cancel(request.cancel,
                               [interrupter] { interrupter->Fire(Interrupter::Reason::kCancel); });
  // Any failure after an interrupt was triggered is reported as the interrupt: DuckDB's own
  // error then only says "Interrupted!".
  auto fail = [&](Status status) -> Status {
    const auto reason = interrupter->reason();
    return reason == Interrupter::Reason::kNone ? status : InterruptStatus(reason, request);
  };
  auto check = [&]() -> Status {
    const auto reason = interrupter->reason();
    return reason == Interrupter::Reason::kNone ? Status::Ok() : InterruptStatus(reason, request);
  };

  TRIB_RETURN_IF_ERROR(check());
  PreparedHandle prepared;
  ResultHandle stream;
  if (Status started = Start(connection, request, request.sql, prepared, stream); !started.ok()) {
    return fail(started);
  }
  Columns columns = DescribeResult(stream);
  if (!columns.cast.empty()) {
    // Rare (TIME_NS, VARIANT): run the statement again, wrapped, instead of this result.
    stream.Reset();
    TRIB_RETURN_IF_ERROR(check());
    const std::string wrapped = CastWrapper(request.sql, columns);
    if (Status started = Start(connection, request, wrapped, prepared, stream); !started.ok()) {
      if (interrupter->reason() != Interrupter::Reason::kNone) return fail(started);
      return QueryError(fmt::format(
          "column \"{}\" has a type Tributary cannot read directly and the query could not be "
          "wrapped to convert it ({}); cast it in the query, e.g. to VARCHAR",
          columns.names[columns.cast[0]], started.message()));
    }
    Columns wrapped_columns = DescribeResult(stream);
    wrapped_columns.names = columns.names;
    wrapped_columns.cast = columns.cast;
    columns = std::move(wrapped_columns);
  }

  const idx_t column_count = columns.names.size();
  std::optional<QueryResult> result;
  const int64_t max_rows = request.max_rows > 0 ? request.max_rows : 0;
  const size_t max_bytes = request.max_bytes > 0 ? static_cast<size_t>(request.max_bytes) : 0;
  std::vector<VectorReader> readers;
  readers.reserve(column_count);
  while (true) {
    ChunkHandle chunk(duckdb_fetch_chunk(*stream.get()));
    if (!chunk) {
      if (duckdb_result_error(stream.get()) != nullptr) return fail(ResultError(stream));
      break;
    }
    TRIB_RETURN_IF_ERROR(check());
    const idx_t rows = duckdb_data_chunk_get_size(chunk.get());
    // DuckDB signals the end with NULL, never with an empty chunk; skipping one (rather than
    // stopping) can never cut a result short.
    if (rows == 0) continue;
    if (!result) result.emplace(ResultColumns(columns, chunk.get()));
    readers.clear();
    for (idx_t c = 0; c < column_count; ++c) {
      readers.emplace_back(columns.types[c], duckdb_data_chunk_get_vector(chunk.get(), c));
    }
    for (idx_t row = 0; row < rows; ++row) {
      // Both limits are checked when another row is at hand, so `truncated` means that rows
      // really were left out.
      if (max_rows != 0 && static_cast<int64_t>(result->row_count()) >= max_rows) {
        result->stats().truncated = true;
        result->stats().truncated_by = "rows";
        return std::move(*result);
      }
      if (max_bytes != 0 && result->ApproxBytes() > max_bytes) {
        result->stats().truncated = true;
        result->stats().truncated_by = "bytes";
        return std::move(*result);
      }
      for (idx_t c = 0; c < column_count; ++c) readers[c].AppendTo(row, result->column(c));
    }
  }
  if (!result) result.emplace(ResultColumns(columns, nullptr));
  return std::move(*result);
}

}  // namespace tributary::duckdb_internal
