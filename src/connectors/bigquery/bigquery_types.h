// BigQuery REST API v2 wire formats: the table schema, query result pages (parsed with
// simdjson On-Demand, since a page can be tens of megabytes), the conversion of BigQuery's JSON
// cells into Tributary's column types, query parameters, and error bodies.
//
// Type mapping (BigQuery's JSON conventions, all cells arrive as strings or null):
//   INT64/INTEGER -> int64; FLOAT64/FLOAT -> double ("NaN", "Infinity" too);
//   NUMERIC/BIGNUMERIC -> decimal (the text as sent, never through a double);
//   BOOL/BOOLEAN -> bool; STRING -> string; BYTES (base64) -> bytes; DATE -> date;
//   DATETIME -> timestamp (the civil time read as UTC); TIME -> string "HH:MM:SS[.ffffff]";
//   TIMESTAMP (epoch seconds as a decimal string, "1.7E9" forms included, converted exactly)
//   -> timestamp micros; JSON -> json; GEOGRAPHY, INTERVAL, RANGE -> string;
//   a REPEATED field or a RECORD/STRUCT -> json text, objects keyed by the schema's names.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/query_result.h"
#include "core/value.h"

namespace tributary::bigquery {

//! One field of a BigQuery table or result schema.
struct FieldSchema {
  std::string name;
  //! Upper case as sent: "INTEGER", "INT64", "RECORD", ...
  std::string type;
  //! "NULLABLE", "REQUIRED" or "REPEATED" (empty means NULLABLE).
  std::string mode;
  std::vector<FieldSchema> fields;
};

//! The Tributary type of a field's cells.
ColumnType MapFieldType(const FieldSchema& field);
//! GoogleSQL's spelling of a field's type: "INT64", "ARRAY<STRING>", "STRUCT<a INT64, ...>".
std::string SourceTypeName(const FieldSchema& field);

//! TIMESTAMP cells: epoch seconds as decimal text ("1700000000", "1.7000000001234E9") to UTC
//! microseconds, exactly (rounded half away from zero below a microsecond); nullopt when
//! malformed or out of range.
std::optional<int64_t> ParseEpochSecondsToMicros(std::string_view text);

//! One answer of jobs.query or jobs.getQueryResults.
struct QueryPage {
  bool job_complete = false;
  std::string job_id;
  std::string location;
  std::string page_token;
  //! Present in the first page (and usually every page).
  std::optional<std::vector<FieldSchema>> schema;
  //! totalBytesProcessed; -1 when absent.
  int64_t total_bytes_processed = -1;
  //! The raw JSON array of rows (empty when the page has none).
  std::string rows_json;
};

//! Parses a page; QUERY_ERROR when the body is not the documented shape.
Result<QueryPage> ParseQueryPage(std::string_view body);

//! The columns of a result with this schema.
std::vector<ColumnInfo> ColumnsOf(const std::vector<FieldSchema>& schema);

//! Appends the rows of `rows_json` (a page's `rows`) to `result`, stopping once `max_rows`
//! (0: none) rows are held or the cells exceed `max_bytes` (0: none): then stats.truncated
//! and truncated_by are set and true is returned in `*stopped`.
Status AppendRows(std::string_view rows_json, const std::vector<FieldSchema>& schema,
                  int64_t max_rows, int64_t max_bytes, QueryResult& result, bool* stopped);

//! Parses a schema's `fields` array given as JSON text (tables.get's schema.fields).
Result<std::vector<FieldSchema>> ParseSchemaFieldsJson(std::string_view fields_json);

//! A query parameter (JSON text of one QueryParameter object); `name` empty for positional.
std::string QueryParameterJson(const Value& value, const std::string& name);

//! Maps an error answer {"error": {"code", "message", "errors": [{"reason"}], "status"}}:
//! invalidQuery and other 400s -> QUERY_ERROR, notFound -> NOT_FOUND, accessDenied and 403s
//! -> PERMISSION_DENIED, quotaExceeded/rateLimitExceeded/429 -> RESOURCE_EXHAUSTED,
//! 401 -> UNAVAILABLE "authentication failed", 5xx -> UNAVAILABLE. `where` prefixes the
//! message ("source 'bq': jobs.query").
Status MapBigQueryError(long http_status, std::string_view body, const std::string& where);
//! The first errors[].reason of an error body, or empty.
std::string ErrorReason(std::string_view body);

}  // namespace tributary::bigquery
