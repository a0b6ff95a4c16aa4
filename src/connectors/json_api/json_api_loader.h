// Loading the pages of one json_api table into a DuckDB table: each page is parsed with
// simdjson On-Demand in a single pass over every record (the columns' JSON Pointers are merged
// into a trie, so each field is visited once), each value is converted to its column's
// declared type, and the rows go in through a DuckDB appender (no SQL per row).
//
// Conversion rules (a missing field or JSON null gives NULL; anything else that does not fit
// is a QUERY_ERROR naming the table, the record, the column, its pointer and the expected
// type):
// - string: a JSON string; a number or boolean as its JSON text; objects/arrays are errors.
// - int64: an integer, or a string holding one ("42"); double: a number or numeric string.
// - bool: true/false. date: "YYYY-MM-DD". timestamp: ISO-8601 text (an offset is converted
//   to UTC; none means UTC) or a number of seconds since the epoch.
// - decimal(p,s): a number or numeric string, converted exactly (never through a double).
// - json: any value, as its JSON text. bytes: a base64 string.
// Thread-safety: a TableLoader is used by one thread (it owns a DuckDB appender).
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "connectors/json_api/json_api_spec.h"

namespace tributary::json_api {

//! What one page said besides its records.
struct PageInfo {
  //! Records in the page.
  int64_t records = 0;
  //! kNextLink: the next page's URL; kCursor: the next cursor. Empty when the body has none
  //! (missing, null or "").
  std::string next;
};

class TableLoader {
 public:
  //! Appends into `schema`.`table` on `connection`, whose columns must be `spec.columns` in
  //! order. `where` names the source in errors ("source crm").
  static Result<std::unique_ptr<TableLoader>> Create(const TableSpec& spec,
                                                     duckdb_connection connection,
                                                     const std::string& schema,
                                                     const std::string& table);
  ~TableLoader();
  TableLoader(const TableLoader&) = delete;
  TableLoader& operator=(const TableLoader&) = delete;

  //! Parses one page and appends its records. `page` (1-based) and `shown_path` (the URL's
  //! path, never its query) place errors.
  Result<PageInfo> AddPage(std::string_view body, int64_t page, const std::string& shown_path);
  //! Flushes the appender; the rows are visible to every connection afterwards.
  Status Finish();
  int64_t rows() const;

 private:
  struct Impl;
  explicit TableLoader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! The DuckDB CREATE TABLE column list for a table's columns: ("id" BIGINT, "email" VARCHAR).
std::string ColumnDefinitions(const TableSpec& spec);

//! The URL of the "next" relation of an RFC 8288 Link header, or empty.
std::string NextFromLinkHeader(std::string_view header);

}  // namespace tributary::json_api
