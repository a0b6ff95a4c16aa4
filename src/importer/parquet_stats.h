// Size on disk and row count of an import's Parquet files, for the catalog's sizeBytes and
// rowCount (refreshed when the files change, see orchestrator/source_watcher.h).
// Thread-safety: safe to call concurrently; each call opens its own in-memory DuckDB.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tributary::importer {

//! The total size in bytes and the total row count of `files` (Parquet files; no globs). The
//! rows come from each file's footer (DuckDB's parquet_file_metadata()), so no data is read.
//! An empty list is {0, 0}. NOT_FOUND naming the file when one is missing; INVALID_ARGUMENT
//! naming it when it is not a readable Parquet file.
Result<std::pair<uint64_t, uint64_t>> ParquetSizeAndRows(const std::vector<std::string>& files);

}  // namespace tributary::importer
