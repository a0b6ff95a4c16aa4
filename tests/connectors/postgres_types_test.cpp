// Unit tests of the PostgreSQL text-format conversions (no server needed).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "connectors/postgres/pg_types.h"
#include "core/time_util.h"

namespace tributary::pg {
namespace {

TEST(PostgresTypes, ArrayTextToJson) {
  EXPECT_EQ(ArrayToJson("{1,2,NULL}", CellKind::kInt).value(), "[1,2,null]");
  EXPECT_EQ(ArrayToJson("{{1,2},{3,4}}", CellKind::kInt).value(), "[[1,2],[3,4]]");
  EXPECT_EQ(ArrayToJson("{}", CellKind::kInt).value(), "[]");
  EXPECT_EQ(ArrayToJson("[0:1]={7,8}", CellKind::kInt).value(), "[7,8]");
  EXPECT_EQ(ArrayToJson("{t,f,NULL}", CellKind::kBool).value(), "[true,false,null]");
  EXPECT_EQ(ArrayToJson("{1.5,NaN,-Infinity}", CellKind::kFloat).value(),
            "[1.5,\"NaN\",\"-Infinity\"]");
  EXPECT_EQ(
      ArrayToJson(R"({plain,"with, comma","quote \" and \\ slash","NULL",NULL})", CellKind::kText)
          .value(),
      R"(["plain","with, comma","quote \" and \\ slash","NULL",null])");
  EXPECT_EQ(ArrayToJson(R"({"{\"a\": 1}",NULL})", CellKind::kJson).value(), R"([{"a":1},null])");
  EXPECT_EQ(ArrayToJson("{héllo,\"tab\there\"}", CellKind::kText).value(),
            "[\"héllo\",\"tab\\there\"]");
  EXPECT_FALSE(ArrayToJson("{1,2", CellKind::kInt).ok());
  EXPECT_FALSE(ArrayToJson("{\"open}", CellKind::kText).ok());
}

TEST(PostgresTypes, TimestampsAndDates) {
  EXPECT_EQ(ParsePgTimestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(ParsePgTimestamp("1970-01-01 00:00:01.5+00"), 1'500'000);
  EXPECT_EQ(ParsePgTimestamp("1970-01-01 01:00:00+01"), 0);
  EXPECT_EQ(ParsePgTimestamp("1970-01-01 00:00:00-05:30"), 19'800'000'000);
  EXPECT_EQ(ParsePgTimestamp("2024-02-29 12:34:56.000123+00"),
            ParseTimestamp("2024-02-29T12:34:56.000123Z"));
  EXPECT_EQ(ParsePgTimestamp("infinity"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParsePgTimestamp("-infinity"), -std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParsePgTimestamp("0001-01-01 00:00:00 BC"), DaysFromCivil(0, 1, 1) * 86'400'000'000LL);
  EXPECT_FALSE(ParsePgTimestamp("2024-01-01 xx").has_value());
  EXPECT_EQ(ParsePgDate("1970-01-02"), 1);
  EXPECT_EQ(ParsePgDate("0044-03-15 BC"), DaysFromCivil(-43, 3, 15));
  EXPECT_EQ(ParsePgDate("12345-01-01"), DaysFromCivil(12345, 1, 1));
  EXPECT_FALSE(ParsePgDate("2024-13-01").has_value());
}

TEST(PostgresTypes, ByteaAndCells) {
  EXPECT_EQ(DecodeBytea("\\x00ff41"), std::string("\0\xff"
                                                  "A",
                                                  3));
  EXPECT_EQ(DecodeBytea("\\x"), std::string());
  EXPECT_FALSE(DecodeBytea("\\x0").has_value());
  EXPECT_FALSE(DecodeBytea("abc").has_value());
  TypeCache none;
  auto numeric = MapType(1700, ((20 << 16) | 6) + 4, none);
  EXPECT_EQ(numeric.type, ColumnType::kDecimal);
  EXPECT_EQ(numeric.source_type, "numeric(20,6)");
  EXPECT_EQ(ConvertCell(numeric, "-12.340000").value(), Value::Decimal("-12.340000"));
  EXPECT_TRUE(ConvertCell(numeric, "NaN").value().is_null());
  auto f8 = MapType(701, -1, none);
  EXPECT_TRUE(std::isnan(ConvertCell(f8, "NaN").value().as_double()));
  EXPECT_EQ(ConvertCell(f8, "-Infinity").value().as_double(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(ConvertCell(f8, "0.1").value().as_double(), 0.1);
  EXPECT_EQ(ConvertCell(MapType(20, -1, none), "-9223372036854775808").value(),
            Value::Int64(std::numeric_limits<int64_t>::min()));
  EXPECT_FALSE(ConvertCell(MapType(20, -1, none), "12x").ok());
  TypeCache with_array{{1007, PgType{"_int4", 'A', 23}}, {23, PgType{"int4", 'N', 0}}};
  auto arr = MapType(1007, -1, with_array);
  EXPECT_EQ(arr.type, ColumnType::kJson);
  EXPECT_EQ(arr.source_type, "int4[]");
  EXPECT_EQ(MapType(99999, -1, none).type, ColumnType::kString);
}

TEST(PostgresTypes, ParamsCarryExplicitTypes) {
  EXPECT_EQ(BindParam(Value::Int64(-5), 1)->oid, 20u);
  EXPECT_EQ(BindParam(Value::Int64(-5), 1)->data, "-5");
  EXPECT_EQ(BindParam(Value::Double(0.1), 1)->data, "0.1");
  EXPECT_EQ(BindParam(Value::Double(std::numeric_limits<double>::infinity()), 1)->data, "Infinity");
  EXPECT_EQ(BindParam(Value::Bool(true), 1)->oid, 16u);
  EXPECT_EQ(BindParam(Value::Decimal("1.50"), 1)->oid, 1700u);
  EXPECT_FALSE(BindParam(Value::Decimal("1; DROP"), 1).ok());
  EXPECT_EQ(BindParam(Value::Date(0), 1)->data, "1970-01-01");
  EXPECT_EQ(BindParam(Value::Timestamp(0), 1)->oid, 1184u);
  EXPECT_EQ(BindParam(Value::Json("{}"), 1)->oid, 3802u);
  EXPECT_TRUE(BindParam(Value::Bytes(std::string("\0a", 2)), 1)->binary);
  EXPECT_TRUE(BindParam(Value::Null(), 1)->is_null);
  EXPECT_EQ(BindParam(Value::String("x"), 1)->oid, 0u);
  EXPECT_FALSE(BindParam(Value::String(std::string("a\0b", 3)), 1).ok());
}

}  // namespace
}  // namespace tributary::pg
