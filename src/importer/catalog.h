// ImportCatalog: the persisted list of imported sources (docs/import.md).
//
// One SQLite file (`<imports.dir>/catalog.sqlite`, WAL mode) holds an entry per import: who
// owns it, what it is, where its files or target table are, its size, rows, columns and
// status. It survives restarts: Open() marks entries still `importing` (the process died
// mid-import) as `error` ("interrupted by a restart") and deletes their files, and deletes
// folders under `imports.dir` that no entry owns, so nothing half-made stays behind.
// Thread-safety: every method is safe from any thread (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct sqlite3;

namespace tributary::importer {

struct CatalogColumn {
  std::string name;
  //! The DuckDB type name the column was imported as.
  std::string type;
};

struct CatalogTable {
  std::string name;
  //! Local imports: the Parquet file. Target imports: "schema.table" in the target source.
  std::string location;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::vector<CatalogColumn> columns;
};

struct CatalogEntry {
  //! "imp_" + 16 hex digits; also the name of the entry's folder under imports.dir.
  std::string id;
  //! The owning project: the entry is invisible to every other project.
  std::string project;
  //! The source id the import is queried by (unique among the config's sources and imports).
  std::string name;
  //! "parquet" (local files), "postgres" or "clickhouse" (rows loaded into a target source).
  std::string kind;
  //! The uploaded file's format ("csv", "tsv", "json", "ndjson", "xlsx", "parquet").
  std::string format;
  //! The client's file name.
  std::string filename;
  //! Target imports: the target source's id; empty for local ones.
  std::string target_source;
  std::vector<CatalogTable> tables;
  //! Sum over the tables.
  uint64_t size_bytes = 0;
  uint64_t row_count = 0;
  //! "importing", "ready" or "error".
  std::string status;
  //! Why the status is "error"; empty otherwise.
  std::string error;
  //! Milliseconds since the Unix epoch.
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t last_accessed_ms = 0;
  //! Local imports: the pack datasets of the project the import is bound to (its first table
  //! serves them next to the project's own sources).
  std::vector<std::string> datasets;
};

class ImportCatalog {
 public:
  //! Opens (creating when missing) the catalog in `dir`, which is created too, and recovers
  //! from an interrupted run as described above. UNAVAILABLE naming the path and the reason
  //! when the folder or file cannot be created or read.
  static Result<std::unique_ptr<ImportCatalog>> Open(const std::string& dir);
  ~ImportCatalog();
  ImportCatalog(const ImportCatalog&) = delete;
  ImportCatalog& operator=(const ImportCatalog&) = delete;

  //! The folder the catalog and the imports' folders live in.
  const std::string& dir() const { return dir_; }
  //! `<dir>/<id>`: the folder of an entry's files.
  std::string EntryDir(std::string_view id) const;

  //! Inserts or replaces the entry with the same id.
  Status Put(const CatalogEntry& entry);
  //! nullopt when there is no such entry.
  Result<std::optional<CatalogEntry>> Get(std::string_view id) const;
  //! The entry named `name` (source id), if any.
  Result<std::optional<CatalogEntry>> FindByName(std::string_view name) const;
  //! Every entry, or the project's only, oldest first.
  Result<std::vector<CatalogEntry>> List(std::optional<std::string_view> project = {}) const;
  //! Deletes the entry and its folder. NOT_FOUND when there is none.
  Status Remove(std::string_view id);
  //! Records a read of the entry (last_accessed_ms); cheap, and a missing entry is ignored.
  Status Touch(std::string_view id, int64_t when_ms);
  //! Increases on every change (Put, Remove); lets callers notice that sources changed.
  uint64_t generation() const;

 private:
  ImportCatalog(std::string dir, sqlite3* db);
  std::string dir_;
  mutable std::mutex mu_;
  sqlite3* db_;
  uint64_t generation_ = 0;
};

//! A new random entry id ("imp_" + 16 hex digits).
std::string NewImportId();

}  // namespace tributary::importer
