// PostgreSQL text-format values -> Tributary's common types, and query parameters -> libpq's
// typed text/binary parameters.
//
// Every result column arrives in text format (sessions run with TimeZone=UTC, DateStyle=ISO
// and IntervalStyle=iso_8601, so the text is unambiguous). Mapping by type OID:
//   int2/int4/int8/oid -> kInt64; numeric -> kDecimal (exact text; NaN and +/-Infinity have no
//   decimal form and become NULL); float4/float8 -> kDouble (NaN, +/-Infinity kept);
//   bool -> kBool; date -> kDate; timestamp (assumed UTC) and timestamptz -> kTimestamp
//   ('infinity' -> INT64_MAX, '-infinity' -> -INT64_MAX, BC years supported);
//   json/jsonb -> kJson; any array -> kJson (nested lists; numbers and booleans typed, NULL as
//   null, json elements embedded, everything else strings); bytea -> kBytes (hex decoded);
//   time/timetz/interval (ISO 8601, e.g. "P1Y2M3DT4H5M6S")/uuid/text/money/inet/unknown ->
//   kString.
// Thread-safety: pure functions; TypeCache is immutable after loading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "core/value.h"

namespace tributary::pg {

using TypeOid = unsigned int;

//! One row of pg_type, as much as the mapping needs.
struct PgType {
  std::string name;     //!< typname, e.g. "int4", "_int4", "citext"
  char category = 0;    //!< typcategory: 'A' array, 'N' numeric, 'B' boolean, ...
  TypeOid element = 0;  //!< typelem for arrays
};

//! pg_type of one database, loaded once per connection (types never change OID).
using TypeCache = std::unordered_map<TypeOid, PgType>;

//! How the cells of a column are converted.
enum class CellKind {
  kInt,
  kNumeric,
  kFloat,
  kBool,
  kText,
  kDate,
  kTimestamp,
  kJson,
  kArray,
  kBytes
};

struct ColumnMapping {
  ColumnType type = ColumnType::kString;
  CellKind kind = CellKind::kText;
  //! For arrays: how elements are written into JSON.
  CellKind element = CellKind::kText;
  std::string source_type;
};

//! The mapping for a result column of type `oid` with modifier `typmod` (-1 when none).
ColumnMapping MapType(TypeOid oid, int typmod, const TypeCache& types);

//! Converts one non-null text cell. QUERY_ERROR when the text is not what the type promises.
Result<Value> ConvertCell(const ColumnMapping& mapping, std::string_view text);

//! A PostgreSQL array literal ("{1,NULL,{2,3}}", "[0:1]={a,b}") as a JSON document.
Result<std::string> ArrayToJson(std::string_view text, CellKind element);

//! "2024-01-02", "0044-03-15 BC", "infinity" -> days since the epoch.
std::optional<int64_t> ParsePgDate(std::string_view text);
//! "2024-01-02 03:04:05.123456[+00[:00]][ BC]" -> UTC micros (no offset means UTC).
std::optional<int64_t> ParsePgTimestamp(std::string_view text);
//! "\x0102ff" -> raw bytes.
std::optional<std::string> DecodeBytea(std::string_view text);

//! One parameter ready for PQexecParams.
struct BoundParam {
  TypeOid oid = 0;  //!< 0 lets the server infer (strings, nulls)
  bool is_null = false;
  bool binary = false;
  std::string data;
};

//! Converts a parameter: explicit OIDs for int8/float8/bool/numeric/date/timestamptz/jsonb,
//! bytea in binary format, strings as unknown-typed text (so `uuid_col = $1` works).
Result<BoundParam> BindParam(const Value& value, int index);

}  // namespace tributary::pg
