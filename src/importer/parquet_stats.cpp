#include "importer/parquet_stats.h"

#include <duckdb.h>

#include <filesystem>
#include <system_error>

#include "connectors/duckdb/duckdb_handles.h"
#include "connectors/duckdb/duckdb_setup.h"

namespace tributary::importer {

namespace {

using duckdb_internal::ChunkHandle;
using duckdb_internal::ConfigHandle;
using duckdb_internal::ConnectionHandle;
using duckdb_internal::DatabaseHandle;
using duckdb_internal::ResultHandle;
using duckdb_internal::SqlLiteral;

}  // namespace

Result<std::pair<uint64_t, uint64_t>> ParquetSizeAndRows(const std::vector<std::string>& files) {
  if (files.empty()) return std::pair<uint64_t, uint64_t>{0, 0};
  uint64_t bytes = 0;
  std::string list = "[";
  for (const std::string& file : files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) {
      std::string msg = "Parquet file ";
      msg.append(file).append(": ").append(ec.message());
      msg.append("; the imported file was removed or moved: import it again");
      return NotFound(std::move(msg));
    }
    bytes += size;
    if (list.size() > 1) list.append(", ");
    list.append(SqlLiteral(file));
  }
  list.push_back(']');

  ConfigHandle config;
  if (duckdb_create_config(config.out()) == DuckDBError) {
    return Internal("cannot create a DuckDB configuration to read Parquet footers");
  }
  // Only the built-in Parquet reader: nothing is downloaded or loaded.
  duckdb_set_config(config.get(), "autoinstall_known_extensions", "false");
  duckdb_set_config(config.get(), "autoload_known_extensions", "false");
  duckdb_set_config(config.get(), "threads", "1");
  DatabaseHandle db;
  char* open_error = nullptr;
  if (duckdb_open_ext(nullptr, db.out(), config.get(), &open_error) == DuckDBError) {
    std::string msg = "cannot start DuckDB to read Parquet footers: ";
    msg.append(open_error ? open_error : "unknown error");
    if (open_error) duckdb_free(open_error);
    return Internal(std::move(msg));
  }
  ConnectionHandle conn;
  if (duckdb_connect(db.get(), conn.out()) == DuckDBError) {
    return Internal("cannot connect to DuckDB to read Parquet footers");
  }
  std::string sql = "SELECT CAST(coalesce(sum(num_rows), 0) AS BIGINT) FROM parquet_file_metadata(";
  sql.append(list).append(")");
  ResultHandle result;
  if (duckdb_query(conn.get(), sql.c_str(), result.out()) == DuckDBError) {
    const char* error = duckdb_result_error(result.get());
    std::string msg = "cannot read the row count of ";
    msg.append(files.size() == 1 ? files.front() : list)
        .append(": ")
        .append(error ? error : "unknown error")
        .append("; the file is not a complete Parquet file: import it again");
    return InvalidArgument(std::move(msg));
  }
  ChunkHandle chunk(duckdb_fetch_chunk(*result.get()));
  if (!chunk || duckdb_data_chunk_get_size(chunk.get()) == 0) {
    return std::pair<uint64_t, uint64_t>{bytes, 0};
  }
  const auto* rows =
      static_cast<int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk.get(), 0)));
  return std::pair<uint64_t, uint64_t>{bytes, static_cast<uint64_t>(rows[0])};
}

}  // namespace tributary::importer
