// Pure helpers for setting up a DuckDB source: SQL quoting, path resolution, choosing the
// catalog alias of the attached file, the reader function for a declared file table and the
// directory a glob needs access to.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tributary::duckdb_internal {

//! 'text' as a SQL string literal (single quotes doubled).
std::string SqlLiteral(std::string_view text);
//! "name" as a quoted SQL identifier (double quotes doubled).
std::string SqlIdentifier(std::string_view name);

//! `path` made absolute against `base_dir` (the current directory when empty) and
//! lexically normalised. Glob characters are kept as they are.
std::string ResolvePath(std::string_view path, std::string_view base_dir);

//! The catalog name the attached database file gets: the source id when it is a plain
//! identifier that does not clash with DuckDB's own catalogs or the "main" schema, else "db".
std::string CatalogAliasFor(std::string_view source_id);

//! The DuckDB table function that reads a file by its extension (case-insensitive):
//! .parquet -> read_parquet; .csv, .tsv (optionally .gz) -> read_csv_auto; .json, .ndjson,
//! .jsonl (optionally .gz) -> read_json_auto. nullopt when the format is unknown.
std::optional<std::string> ReaderFunctionFor(std::string_view path);

//! True when the path contains glob characters (*, ?, [).
bool HasGlob(std::string_view path);
//! The directory (with a trailing '/') above the first path component that has a glob
//! character: "/data/logs/2024-*/x.parquet" -> "/data/logs/".
std::string GlobBaseDirectory(std::string_view pattern);

}  // namespace tributary::duckdb_internal
