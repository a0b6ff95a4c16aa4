// Conversion of DuckDB result vectors into Tributary's typed columns.
//
// Vectors are read directly through the C API's vector interface (never via a VARCHAR cast of
// the whole result), so numbers stay exact and nested values become real JSON. The mapping:
// - BOOLEAN -> bool; TINYINT..BIGINT, UTINYINT..UINTEGER -> int64.
// - UBIGINT, HUGEINT, UHUGEINT, DECIMAL(p,s) -> decimal: exact digits, s digits after the point.
// - FLOAT, DOUBLE -> double. VARCHAR, ENUM -> string; VARCHAR aliased JSON -> json.
// - DATE -> date; TIMESTAMP, TIMESTAMP_S/_MS/_NS, TIMESTAMP WITH TIME ZONE -> timestamp (UTC
//   micros; nanoseconds are floored to microseconds; +-infinity saturate to the int64 limits).
// - TIME -> "HH:MM:SS[.ffffff]"; TIME WITH TIME ZONE -> "HH:MM:SS[.ffffff]+HH[:MM]"
//   (DuckDB's own text); INTERVAL -> ISO-8601 duration with per-field signs as PostgreSQL's
//   iso_8601 style ("P1Y2M3DT4H5M6.5S", "P-1M", "PT0S"); UUID -> canonical 8-4-4-4-12 hex.
// - BLOB -> bytes. BIT, BIGNUM -> string, in the text DuckDB itself produces for them.
// - LIST, ARRAY, STRUCT, MAP, UNION -> json, built by walking the child vectors: strings are
//   escaped, NULL is null, big numbers are exact number tokens, dates/timestamps/etc. are the
//   strings above, blobs base64; a MAP with VARCHAR or ENUM keys is an object, otherwise a list
//   of {"key":..,"value":..}; a UNION is its active member's value.
// A type the C API cannot describe (DuckDB 1.4 reports TIME_NS and VARIANT as INVALID) is
// reported by IsSupported() so that the caller lets DuckDB convert it instead of reading
// memory it cannot interpret (query_runner.cpp casts such columns: scalars to VARCHAR,
// nested values to JSON with to_json).
// Thread-safety: DuckType is an immutable value; a VectorReader is used by one thread.
#pragma once

#include <duckdb.h>

#include <string>
#include <vector>

#include "core/query_result.h"
#include "core/value.h"

namespace tributary::duckdb_internal {

//! A DuckDB logical type, copied out of the C API once per column.
struct DuckType {
  duckdb_type id = DUCKDB_TYPE_INVALID;
  //! e.g. "JSON" for the json extension's VARCHAR alias; empty when none.
  std::string alias;
  //! DECIMAL: width, scale and storage type (SMALLINT/INTEGER/BIGINT/HUGEINT).
  uint8_t width = 0;
  uint8_t scale = 0;
  //! DECIMAL and ENUM storage type.
  duckdb_type internal = DUCKDB_TYPE_INVALID;
  std::vector<std::string> enum_values;
  //! STRUCT field names and UNION member names, parallel to `children`.
  std::vector<std::string> names;
  //! LIST/ARRAY: the element; MAP: key then value; STRUCT/UNION: the fields.
  std::vector<DuckType> children;
  //! ARRAY: the fixed length.
  idx_t array_size = 0;

  bool is_json() const { return id == DUCKDB_TYPE_VARCHAR && alias == "JSON"; }
};

//! Copies a logical type (recursively) out of the C API. Does not take ownership.
DuckType DescribeType(duckdb_logical_type type);
//! DuckDB's own spelling of the type: "DECIMAL(18,3)", "INTEGER[]", "STRUCT(a INTEGER)",
//! "TIMESTAMP WITH TIME ZONE", the alias ("JSON") when there is one.
std::string TypeName(const DuckType& type);
//! The Tributary column type a DuckDB type converts to (see the file comment).
ColumnType MapColumnType(const DuckType& type);
//! False when the type or one of its children cannot be converted by this build.
bool IsSupported(const DuckType& type);

//! Reads the rows of one vector of a data chunk (and, for nested types, its children).
class VectorReader {
 public:
  //! `type` must outlive the reader; `vector` must be a vector of that type.
  VectorReader(const DuckType& type, duckdb_vector vector);

  bool IsValid(idx_t row) const {
    return validity_ == nullptr || (validity_[row / 64] >> (row % 64)) & 1;
  }
  //! Appends row `row` to `out`, whose type must be MapColumnType(type).
  void AppendTo(idx_t row, ColumnData& out) const;
  //! Appends the row as a JSON value (null when the row is null).
  void WriteJson(idx_t row, std::string& out) const;

 private:
  std::string ScalarText(idx_t row) const;
  std::string DecimalText(idx_t row) const;
  int64_t TimestampMicros(idx_t row) const;
  std::string_view StringAt(idx_t row) const;

  const DuckType* type_;
  const void* data_ = nullptr;
  const uint64_t* validity_ = nullptr;
  //! LIST/ARRAY: one child; MAP: key, value; STRUCT: the fields; UNION: tag then members.
  std::vector<VectorReader> children_;
};

// Text forms shared by result conversion and tests.

//! Exact decimal text of a signed 128-bit integer given as DuckDB's (lower, upper) halves.
std::string HugeintToString(uint64_t lower, int64_t upper);
//! Exact decimal text of an unsigned 128-bit integer.
std::string UhugeintToString(uint64_t lower, uint64_t upper);
//! "P1Y2M3DT4H5M6.789S"-style ISO-8601 duration with PostgreSQL's per-field signs.
std::string FormatInterval(int32_t months, int32_t days, int64_t micros);
//! "HH:MM:SS" plus a fraction of `fraction_digits` digits (trailing zeros kept) when nonzero.
std::string FormatTimeOfDay(int64_t units, int64_t units_per_second, int fraction_digits);

}  // namespace tributary::duckdb_internal
