// The PostgreSQL import target: one libpq session with the import_target's credentials on the
// source's host, port and database (the source's url, host, port, database, sslmode,
// connect_timeout_ms and application_name options are read as the connector reads them; the
// source's user and password are not used), running one transaction:
//   BEGIN; CREATE TABLE "schema"."table" (...); GRANT SELECT ON it TO <the source's user>;
//   COPY "schema"."table" (...) FROM STDIN;
//   <the batches as COPY text-format data>; end of COPY; COMMIT.
// Abort (or any error) rolls the transaction back, so nothing is left. The session runs with
// TimeZone UTC and DateStyle ISO so the ISO texts of RowBatch are read as they are written.
// A row the server refuses is reported when the COPY ends (libpq reports COPY errors then),
// with its row number, batch and column from the server's "COPY t, line N, column c" context.
// Thread-safety: see TargetLoader.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "importer/targets/target_loader.h"

namespace tributary::importer {

//! Opens a PostgreSQL load (see OpenTargetLoader; `source.type` is "postgres").
Result<std::unique_ptr<TargetLoader>> OpenPostgresTarget(const SourceConfig& source,
                                                         const std::string& table,
                                                         const std::vector<ColumnSpec>& columns,
                                                         const CancelToken& cancel);

//! `name` as a PostgreSQL quoted identifier: "name" with '"' doubled.
std::string QuotePostgresIdentifier(std::string_view name);

}  // namespace tributary::importer
