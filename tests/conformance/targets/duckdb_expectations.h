// The conf_types fixture as DuckDB gives it back: shared by the targets whose queries run on
// DuckDB (the duckdb connector itself, and json_api, which loads fetched records into DuckDB).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "conformance/conformance_target.h"

namespace tributary::conformance {

//! Target::TypesQuery for a DuckDB engine.
inline std::string DuckDbTypesQuery() {
  return "SELECT id, i16, i32, i64, dec, f64, flag, txt, day, ts, tstz, doc, raw, uid, dur, "
         "arr FROM conf_types ORDER BY id";
}

//! Target::ExpectedTypeColumns for a DuckDB engine.
inline std::vector<ExpectedColumn> DuckDbExpectedTypeColumns() {
  return {
      {"id", ColumnType::kInt64},       {"i16", ColumnType::kInt64},
      {"i32", ColumnType::kInt64},      {"i64", ColumnType::kInt64},
      {"dec", ColumnType::kDecimal},    {"f64", ColumnType::kDouble},
      {"flag", ColumnType::kBool},      {"txt", ColumnType::kString},
      {"day", ColumnType::kDate},       {"ts", ColumnType::kTimestamp},
      {"tstz", ColumnType::kTimestamp}, {"doc", ColumnType::kJson},
      {"raw", ColumnType::kBytes},      {"uid", ColumnType::kString},
      {"dur", ColumnType::kString},     {"arr", ColumnType::kJson},
  };
}

//! Target::ExpectedTypeRowsJson for a DuckDB engine.
inline std::string DuckDbExpectedTypeRowsJson() {
  return "["
         "[1,12,-345,1234567890123,12.3400,2.5,true,\"hello\",\"2024-02-29\","
         "\"2024-02-29T13:14:15.123456Z\",\"2024-02-29T11:14:15Z\",{\"a\":[1,2],\"b\":\"x\"},"
         "\"AAFoaQ==\",\"550e8400-e29b-41d4-a716-446655440000\",\"P1DT2H\",[1,2,3]],"
         "[2,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null],"
         "[3,-32768,2147483647,-9223372036854775808,-99999999999999.9999,-1.5e300,false,"
         "\"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\",\"0001-01-01\","
         "\"1969-12-31T23:59:59.500000Z\",\"9999-12-31T23:59:59.999999Z\",[],\"\","
         "\"ffffffff-ffff-ffff-ffff-ffffffffffff\",\"P-1M\",[]]"
         "]";
}

}  // namespace tributary::conformance
