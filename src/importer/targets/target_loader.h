// Import targets: loading an import's rows into a table of a PostgreSQL or ClickHouse source
// configured with `import_target:` (docs/import.md, "Import targets"), instead of converting
// them to local Parquet.
//
// OpenTargetLoader creates the table (its column types mapped from the import's DuckDB type
// names) with the import_target's *write* credentials on the source's own host, port and
// database, and opens the load; the caller then hands it the rows batch by batch (Write, e.g.
// as importer::StreamRows's sink) and ends with Commit (the rows are kept) or Abort (nothing
// is left behind):
//   PostgreSQL: one transaction, CREATE TABLE + COPY ... FROM STDIN (text format); Commit ends
//               the COPY and commits, Abort rolls back. Nothing is visible before Commit.
//   ClickHouse: CREATE TABLE ... ENGINE = MergeTree ORDER BY tuple(), then one
//               `INSERT ... FORMAT TabSeparated` per batch over HTTP; Abort drops the table.
//               (ClickHouse has no transactions: rows are visible in the target as they are
//               written, though no Tributary source points at the table before Commit.)
// A table that exists already is ALREADY_EXISTS and is left untouched. The cancel token is
// checked before each batch and before Commit: CANCELLED, after the load was aborted. Any
// error from Write or Commit aborts the load too, so a failed import never leaves a table;
// Abort afterwards (and the destructor of a loader that was not committed) is harmless.
// Errors name the source, the table, the user (never the password), the batch and row where
// the server says, and how to fix them (e.g. the GRANT the user lacks).
//
// Thread-safety: a loader is used by one thread at a time; the cancel token may fire from any
// thread. OpenTargetLoader may be called concurrently (each loader has its own connection).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "config/config.h"
#include "importer/importer.h"

namespace tributary::importer {

//! Where a target load writes: the PostgreSQL schema or ClickHouse database, and the table.
struct TargetTable {
  //! import_target.schema, or the default: "public" for PostgreSQL, the source's database
  //! (or the writer's default database) for ClickHouse.
  std::string schema;
  std::string table;

  //! "schema.table", as recorded in the catalog (CatalogTable::location).
  std::string location() const {
    std::string out = schema;
    out.append(".").append(table);
    return out;
  }
};

//! One running load into one new table of an import target.
class TargetLoader {
 public:
  virtual ~TargetLoader();

  //! Appends `batch` (rows of ColumnSpec-ordered text values, RowBatch's conventions: ISO
  //! dates and timestamps, '.' decimals, "true"/"false", nullopt for NULL). CANCELLED when
  //! the cancel token fired; INVALID_ARGUMENT for a row of the wrong width or a value the
  //! target type cannot hold (naming batch, row and column). Every error aborts the load.
  virtual Status Write(const RowBatch& batch) = 0;
  //! Finishes the load and keeps the table; returns the rows written. PostgreSQL reports a
  //! row the server refused here at the latest (COPY errors arrive at its end), with its row
  //! number; the transaction is then rolled back.
  virtual Result<uint64_t> Commit() = 0;
  //! Stops the load and removes the table (rollback / DROP TABLE). Idempotent; best effort
  //! when the server is gone (PostgreSQL then rolls back by itself).
  virtual void Abort() = 0;
  //! "schema.table".
  virtual std::string location() const = 0;
  //! Rows handed to Write so far.
  virtual uint64_t rows_written() const = 0;
};

//! Creates `table` in the import target `source` (which must have import_target set and be of
//! type postgres or clickhouse) with `columns` (names as given, types mapped from their
//! DuckDB names: see PostgresColumnType / ClickHouseColumnType) and opens the load.
//! ALREADY_EXISTS when the table exists (it is left untouched; choose another name);
//! PERMISSION_DENIED when the writer may not create it (saying which grant is missing);
//! NOT_FOUND for a missing schema / database; UNAVAILABLE when the server cannot be reached
//! or refuses the credentials (naming source and user); CANCELLED when `cancel` fired.
Result<std::unique_ptr<TargetLoader>> OpenTargetLoader(const SourceConfig& source,
                                                       const std::string& table,
                                                       const std::vector<ColumnSpec>& columns,
                                                       const CancelToken& cancel);

//! The schema (PostgreSQL) or database (ClickHouse) new tables of `source` go to; for
//! ClickHouse an empty string means "the writer's default database" (asked at load time).
std::string TargetSchemaOf(const SourceConfig& source);

//! The PostgreSQL column type for a DuckDB type name: BIGINT -> bigint, DOUBLE -> double
//! precision, DECIMAL(p,s) -> numeric(p,s), BOOLEAN -> boolean, DATE -> date, TIMESTAMP ->
//! timestamp, TIME -> time, VARCHAR -> text (the smaller integers, FLOAT, TIMESTAMPTZ,
//! INTERVAL, UUID have their PostgreSQL twins; anything else -> text).
std::string PostgresColumnType(std::string_view duckdb_type);

//! The ClickHouse type (without Nullable) for a DuckDB type name: BIGINT -> Int64, DOUBLE ->
//! Float64, DECIMAL(p,s) -> Decimal(p,s), BOOLEAN -> UInt8, DATE -> Date, TIMESTAMP ->
//! DateTime('UTC') (whole seconds in 18.16: fractions are dropped), VARCHAR -> String (the smaller
//! integers and FLOAT have their twins; TIME, TIMESTAMPTZ, INTERVAL and anything else ->
//! String).
std::string ClickHouseColumnType(std::string_view duckdb_type);

//! Appends `value` as one field of PostgreSQL's COPY text format, which is also ClickHouse's
//! TabSeparated: backslash, tab, newline, carriage return and NUL escaped (\\, \t, \n, \r,
//! \0); nullopt is \N. (PostgreSQL cannot take a NUL byte: its loader refuses one first.)
void AppendTabSeparatedValue(std::string& out, const std::optional<std::string>& value);

//! The message prefix of every target error: "import target 'warehouse' (user 'loader')".
std::string TargetWho(const SourceConfig& source);

}  // namespace tributary::importer
