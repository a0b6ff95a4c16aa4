// Encodes a QueryResult as the API's JSON document or as CSV.
// Thread-safety: pure functions over a const result.
#pragma once

#include <string>

#include "core/query_result.h"

namespace tributary {

//! {"columns":[{"name","type","sourceType"}],"rows":[[...]],"stats":{"rows","elapsedMs","truncated"}}
std::string ResultToJson(const QueryResult& result);
//! RFC 4180 CSV with a header line; nulls are empty fields, JSON and bytes as their text.
std::string ResultToCsv(const QueryResult& result);
//! Appends the CSV header record (column names) of ResultToCsv.
void AppendCsvHeader(const QueryResult& result, std::string& out);
//! Appends one CSV record of ResultToCsv, so a response can be streamed in chunks.
void AppendCsvRow(const QueryResult& result, size_t row, std::string& out);
//! Encodes one cell as a JSON value (used by the JSON writer and the CLI's table output).
std::string CellToJson(const QueryResult& result, size_t row, size_t col);
//! Encodes one cell as plain text (CSV and the CLI table): no quotes, nulls as "".
std::string CellToText(const QueryResult& result, size_t row, size_t col);

}  // namespace tributary
