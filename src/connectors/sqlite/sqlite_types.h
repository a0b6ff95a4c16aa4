// How SQLite's dynamically typed values become Tributary's ColumnTypes.
//
// A column's type comes from its declared type (sqlite3_column_decltype, upper-cased), first
// by convention, then by SQLite's own affinity rules (https://sqlite.org/datatype3.html §3.1):
//   1. starts with BOOL                          -> kBool   (0/1; text 'true'/'false' too)
//   2. DATE                                      -> kDate   ('YYYY-MM-DD' text)
//   3. DATETIME, or starts with TIMESTAMP        -> kTimestamp ('YYYY-MM-DD HH:MM:SS[.ffffff]'
//                                                   text, also with T and Z or ±HH:MM; no
//                                                   zone means UTC)
//   4. JSON                                      -> kJson   (text, checked to be JSON)
//   5. starts with DECIMAL or NUMERIC            -> kDecimal (the stored value as text: SQLite
//                                                   keeps at most 15 significant digits of a
//                                                   non-integer, so that is what is exact)
//   6. contains INT                              -> kInt64
//   7. contains CHAR, CLOB or TEXT               -> kString
//   8. contains BLOB                             -> kBytes
//   9. contains REAL, FLOA or DOUB               -> kDouble
//  10. anything else, or no declared type (an expression, or a column declared without a
//      type): decided by the storage classes of the first sampled rows (up to kSampleRows,
//      fewer when the row limit is smaller): only INTEGER -> kInt64; INTEGER and REAL ->
//      kDouble; only TEXT -> kString; only BLOB -> kBytes; any other mix -> kString; only
//      NULLs -> kNull when the sample is the whole result, else kString.
// Values are then converted per column type; a value that cannot be converted is a
// QUERY_ERROR naming the column and the 1-based row, never a crash or a silent change:
//   kInt64: INTEGER; a REAL with an integral value in range. kDouble: INTEGER or REAL.
//   kBool: INTEGER/REAL (non-zero is true); text 'true'/'false'/'t'/'f'/'1'/'0' (any case).
//   kDecimal: INTEGER or REAL (as SQLite renders it), or text that is a decimal number.
//   kString: any value as SQLite renders it as text (a BLOB's raw bytes).
//   kDate/kTimestamp: text only, parsed as above ("column day row 3: 'not a date' is not a
//   YYYY-MM-DD date"). kJson: text that parses as JSON. kBytes: any value's bytes.
// Thread-safety: pure functions and plain values.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/query_result.h"

namespace tributary::sqlite_internal {

//! Rows read before the types of columns without a usable declared type are decided.
constexpr size_t kSampleRows = 1024;

//! The type a declared type maps to; kNull when the storage classes must decide (rule 10).
ColumnType TypeForDeclaredType(std::string_view decltype_text);

//! One cell as SQLite stored it.
struct RawCell {
  int storage = SQLITE_NULL;  //!< SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, NULL
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  //!< text or blob bytes; for numbers SQLite's text rendering
};

//! Reads column `index` of the current row of `stmt`.
void ReadCell(sqlite3_stmt* stmt, int index, RawCell& cell);

//! The type for a column without a usable declared type, from its sampled cells (rule 10).
ColumnType TypeFromSample(const std::vector<std::vector<RawCell>>& rows, size_t column,
                          bool sample_is_everything);

//! The name of a storage class: "INTEGER", "REAL", "TEXT", "BLOB", "NULL".
std::string_view StorageClassName(int storage);

//! Appends `cell` to a column of type `type`, or QUERY_ERROR naming column and row (1-based).
Status AppendCell(const RawCell& cell, ColumnType type, const std::string& column_name,
                  size_t row_number, ColumnData& out);

//! The text form a kTimestamp parameter is bound as: "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
std::string TimestampParameterText(int64_t micros);

}  // namespace tributary::sqlite_internal
