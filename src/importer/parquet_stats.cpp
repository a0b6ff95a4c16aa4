#include "importer/parquet_stats.h"

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "connectors/duckdb/duckdb_setup.h"
#include "importer/duckdb_session.h"

namespace tributary::importer {

using duckdb_internal::SqlLiteral;

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

  // A session without a spill folder: reading footers never spills.
  TRIB_ASSIGN_OR_RETURN(std::unique_ptr<DuckSession> session, DuckSession::Open(""));
  std::string sql = "SELECT CAST(coalesce(sum(num_rows), 0) AS BIGINT) FROM parquet_file_metadata(";
  sql.append(list).append(")");
  DuckError error;
  Result<TextTable> rows = session->Query(sql, &error);
  if (!rows.ok()) {
    std::string msg = "cannot read the row count of ";
    msg.append(files.size() == 1 ? files.front() : list)
        .append(": ")
        .append(error.message)
        .append("; the file is not a complete Parquet file: import it again");
    return InvalidArgument(std::move(msg));
  }
  uint64_t count = 0;
  if (!rows->rows.empty() && rows->rows[0][0]) count = std::stoull(*rows->rows[0][0]);
  return std::pair<uint64_t, uint64_t>{bytes, count};
}

}  // namespace tributary::importer
