// Unit tests of the ClickHouse connector's text helpers: literal rendering (the one place where
// parameter values reach SQL text), placeholder binding, FORMAT clause detection, error mapping,
// type mapping and the streaming TSV reader. No server needed.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "connectors/clickhouse/clickhouse_sql.h"
#include "connectors/clickhouse/clickhouse_tsv.h"
#include "connectors/clickhouse/clickhouse_types.h"
#include "connectors/common/http_client.h"
#include "core/result_writer.h"

namespace tributary::clickhouse {
namespace {

std::string Lit(const Value& v) {
  auto r = RenderClickHouseLiteral(v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(ClickHouseLiteral, Scalars) {
  EXPECT_EQ(Lit(Value::Null()), "NULL");
  EXPECT_EQ(Lit(Value::Bool(true)), "1");
  EXPECT_EQ(Lit(Value::Bool(false)), "0");
  EXPECT_EQ(Lit(Value::Int64(-42)), "toInt64(-42)");
  EXPECT_EQ(Lit(Value::Int64(std::numeric_limits<int64_t>::min())),
            "toInt64(-9223372036854775808)");
  EXPECT_EQ(Lit(Value::Double(1.5)), "1.5");
  EXPECT_EQ(Lit(Value::Double(5)), "5.0");
  EXPECT_EQ(Lit(Value::Double(1e300)), "1e+300");
  EXPECT_EQ(Lit(Value::Double(std::nan(""))), "nan");
  EXPECT_EQ(Lit(Value::Double(-INFINITY)), "-inf");
  EXPECT_EQ(Lit(Value::Decimal("-12.340")), "toDecimal128('-12.340', 3)");
  EXPECT_EQ(Lit(Value::Decimal("7")), "toDecimal128('7', 0)");
  EXPECT_EQ(Lit(Value::Date(18262)), "toDate('2020-01-01')");
  EXPECT_EQ(Lit(Value::Timestamp(1577836800LL * 1000000)), "toDateTime(1577836800, 'UTC')");
  // Fractional seconds and times before 1970 do not fit DateTime: exact UTC text instead.
  EXPECT_EQ(Lit(Value::Timestamp(1577836800LL * 1000000 + 123456)), "'2020-01-01 00:00:00.123456'");
  EXPECT_EQ(Lit(Value::Timestamp(-1000000)), "'1969-12-31 23:59:59'");
}

TEST(ClickHouseLiteral, StringsAreStrictlyEscaped) {
  EXPECT_EQ(Lit(Value::String("plain")), "'plain'");
  EXPECT_EQ(Lit(Value::String("it's")), "'it\\'s'");
  EXPECT_EQ(Lit(Value::String("back\\slash")), "'back\\\\slash'");
  EXPECT_EQ(Lit(Value::String("a\\' OR 1=1 --")), "'a\\\\\\' OR 1=1 --'");
  EXPECT_EQ(Lit(Value::String(std::string("nul\0tab\tnl\n", 11))), "'nul\\x00tab\\x09nl\\x0A'");
  EXPECT_EQ(Lit(Value::String("ünï 😀")), "'ünï 😀'");
  EXPECT_EQ(Lit(Value::Bytes(std::string("\x01\xff", 2))), "'\\x01\xff'");
  EXPECT_EQ(Lit(Value::Json("{\"a\":\"b'c\"}")), "'{\"a\":\"b\\'c\"}'");
}

TEST(ClickHouseLiteral, RejectsValuesClickHouseCannotHold) {
  EXPECT_EQ(RenderClickHouseLiteral(Value::Decimal("1; DROP")).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RenderClickHouseLiteral(Value::Decimal("1.")).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RenderClickHouseLiteral(Value::Decimal("')")).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RenderClickHouseLiteral(Value::Decimal(std::string(39, '9'))).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RenderClickHouseLiteral(Value::Date(-1)).status().code(), ErrorCode::kInvalidArgument);
}

TEST(ClickHouseBind, ReplacesOnlyCodePlaceholders) {
  auto r = BindClickHouseParameters(
      "SELECT ?, '?', \"?\", `?` -- ?\n, /* ? */ ? FROM t WHERE s = '\\'?'",
      {Value::Int64(1), Value::String("x'y")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r,
            "SELECT toInt64(1), '?', \"?\", `?` -- ?\n, /* ? */ 'x\\'y' FROM t WHERE s = '\\'?'");
}

TEST(ClickHouseBind, CountMismatchAndUnterminated) {
  EXPECT_EQ(BindClickHouseParameters("SELECT ?, ?", {Value::Int64(1)}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(BindClickHouseParameters("SELECT 1", {Value::Int64(1)}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(BindClickHouseParameters("SELECT 'abc", {}).status().code(), ErrorCode::kQueryError);
  auto bad = BindClickHouseParameters("SELECT ?", {Value::Date(-1)});
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("parameter 1"), std::string::npos);
}

TEST(ClickHouseFormatClause, Detected) {
  EXPECT_TRUE(HasFormatClause("SELECT 1 FORMAT JSON"));
  EXPECT_TRUE(HasFormatClause("select 1 format TabSeparated ;"));
  EXPECT_TRUE(HasFormatClause("SELECT 1 FORMAT CSV -- trailing"));
  EXPECT_FALSE(HasFormatClause("SELECT 1"));
  EXPECT_FALSE(HasFormatClause("SELECT format FROM t"));
  EXPECT_FALSE(HasFormatClause("SELECT 'FORMAT JSON'"));
  EXPECT_FALSE(HasFormatClause("SELECT 1 -- FORMAT JSON"));
}

TEST(ClickHouseErrors, Mapping) {
  auto map = [](int code) {
    return MapClickHouseError(500, "Code: " + std::to_string(code) +
                                       ", e.displayText() = DB::Exception: boom, e.what() = "
                                       "DB::Exception\n");
  };
  EXPECT_EQ(map(62).code(), ErrorCode::kQueryError);
  EXPECT_EQ(map(60).code(), ErrorCode::kQueryError);
  EXPECT_EQ(map(60).message(), "ClickHouse error 60: boom");
  EXPECT_EQ(map(193).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(map(193).message(), "authentication failed (check user and password)");
  EXPECT_EQ(map(192).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(map(516).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(map(81).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(map(164).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(map(159).code(), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(map(394).code(), ErrorCode::kCancelled);
  EXPECT_EQ(MapClickHouseError(502, "bad gateway").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ClickHouseErrorCode("nothing"), -1);
}

TEST(ClickHouseHttp, UrlEncode) {
  EXPECT_EQ(UrlEncode("abc-_.~XYZ09"), "abc-_.~XYZ09");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

TEST(ClickHouseTypes, Mapping) {
  auto type = [](const char* name) { return MapClickHouseType(name).type; };
  for (const char* t : {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32"}) {
    EXPECT_EQ(type(t), ColumnType::kInt64) << t;
  }
  EXPECT_EQ(type("UInt64"), ColumnType::kDecimal);
  EXPECT_EQ(type("Decimal(20, 6)"), ColumnType::kDecimal);
  EXPECT_EQ(type("Float32"), ColumnType::kDouble);
  EXPECT_EQ(type("String"), ColumnType::kString);
  EXPECT_EQ(type("FixedString(3)"), ColumnType::kString);
  EXPECT_EQ(type("Enum8('a' = 1)"), ColumnType::kString);
  EXPECT_EQ(type("UUID"), ColumnType::kString);
  EXPECT_EQ(type("Date"), ColumnType::kDate);
  EXPECT_EQ(type("DateTime"), ColumnType::kTimestamp);
  EXPECT_EQ(type("DateTime('UTC')"), ColumnType::kTimestamp);
  EXPECT_EQ(type("DateTime('Asia/Tokyo')"), ColumnType::kString);
  EXPECT_EQ(type("Array(Int32)"), ColumnType::kJson);
  EXPECT_EQ(type("Tuple(UInt8, String)"), ColumnType::kJson);
  EXPECT_EQ(type("Nothing"), ColumnType::kNull);
  auto n = MapClickHouseType("LowCardinality(Nullable(String))");
  EXPECT_EQ(n.type, ColumnType::kString);
  EXPECT_TRUE(n.nullable);
  auto m = MapClickHouseType("Nullable(Int32)");
  EXPECT_EQ(m.type, ColumnType::kInt64);
  EXPECT_TRUE(m.nullable);
  EXPECT_EQ(m.base, "Int32");
  EXPECT_FALSE(MapClickHouseType("Int32").nullable);
}

TEST(ClickHouseTypes, TsvUnescape) {
  EXPECT_EQ(TsvUnescape("a\\tb\\nc\\\\d\\'e"), "a\tb\nc\\d'e");
  EXPECT_EQ(TsvUnescape("x\\0y"), std::string("x\0y", 3));
  EXPECT_EQ(TsvUnescape("\\x41\\b"), "A\b");
}

TEST(ClickHouseTypes, ArraysAndTuplesToJson) {
  EXPECT_EQ(*ClickHouseTextToJson("[1,2,3]"), "[1,2,3]");
  EXPECT_EQ(*ClickHouseTextToJson("[]"), "[]");
  EXPECT_EQ(*ClickHouseTextToJson("['a\\'b','c\\\\d',NULL]"), "[\"a'b\",\"c\\\\d\",null]");
  EXPECT_EQ(*ClickHouseTextToJson("(1,'x')"), "[1,\"x\"]");
  EXPECT_EQ(*ClickHouseTextToJson("[[1,2],[3]]"), "[[1,2],[3]]");
  EXPECT_EQ(*ClickHouseTextToJson("[1.5,nan,-inf]"), "[1.5,null,null]");
  EXPECT_EQ(*ClickHouseTextToJson("['tab\\there\"']"), "[\"tab\\there\\\"\"]");
  EXPECT_FALSE(ClickHouseTextToJson("[1,2").has_value());
  EXPECT_FALSE(ClickHouseTextToJson("['open").has_value());
  EXPECT_FALSE(ClickHouseTextToJson("[bogus]").has_value());
}

constexpr char kHeader[] =
    "n\ts\td\tts\tarr\nUInt64\tNullable(String)\tDate\tDateTime\tArray(Int32)\n";

TEST(ClickHouseTsvReader, ParsesAcrossChunkBoundaries) {
  std::string body = std::string(kHeader) +
                     "18446744073709551615\ta\\tb\t2020-01-01\t2020-01-01 00:00:01\t[1,2]\n"
                     "0\t\\N\t0000-00-00\t0000-00-00 00:00:00\t[]\n";
  TsvResultReader reader(0, 0);
  for (char c : body) ASSERT_TRUE(reader.Feed(std::string_view(&c, 1)));
  ASSERT_TRUE(reader.Finish().ok());
  QueryResult result = reader.TakeResult();
  ASSERT_EQ(result.row_count(), 2u);
  EXPECT_EQ(result.columns()[0].type, ColumnType::kDecimal);
  EXPECT_EQ(result.columns()[1].source_type, "Nullable(String)");
  EXPECT_EQ(ResultToJson(result).find("\"rows\":[[18446744073709551615,\"a\\tb\",\"2020-01-01\","
                                      "\"2020-01-01T00:00:01Z\",[1,2]],[0,null,\"1970-01-01\","
                                      "\"1970-01-01T00:00:00Z\",[]]]") != std::string::npos,
            true)
      << ResultToJson(result);
}

TEST(ClickHouseTsvReader, RowLimitStopsEarly) {
  TsvResultReader reader(2, 0);
  ASSERT_TRUE(reader.Feed("x\nInt32\n1\n2\n"));
  EXPECT_FALSE(reader.Feed("3\n4\n"));
  EXPECT_TRUE(reader.truncated());
  QueryResult result = reader.TakeResult();
  EXPECT_EQ(result.row_count(), 2u);
  EXPECT_EQ(result.stats().truncated_by, "rows");
}

TEST(ClickHouseTsvReader, ExactLimitIsNotTruncated) {
  TsvResultReader reader(2, 0);
  ASSERT_TRUE(reader.Feed("x\nInt32\n1\n2\n"));
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_FALSE(reader.truncated());
}

TEST(ClickHouseTsvReader, ByteLimit) {
  TsvResultReader reader(0, 10);
  ASSERT_TRUE(reader.Feed("s\nString\n12345678\n"));
  EXPECT_FALSE(reader.Feed("abcdefgh\n"));
  QueryResult result = reader.TakeResult();
  EXPECT_EQ(result.row_count(), 1u);
  EXPECT_EQ(result.stats().truncated_by, "bytes");
}

TEST(ClickHouseTsvReader, MidStreamErrorIsAnError) {
  TsvResultReader reader(0, 0);
  ASSERT_TRUE(reader.Feed("x\nString\nfine\n"));
  EXPECT_FALSE(
      reader.Feed("Code: 159, e.displayText() = DB::Exception: Timeout exceeded: "
                  "elapsed 1.0 seconds, e.what() = DB::Exception\n"));
  EXPECT_EQ(reader.status().code(), ErrorCode::kDeadlineExceeded);
}

TEST(ClickHouseTsvReader, BadCellsAndShapes) {
  {
    TsvResultReader reader(0, 0);
    EXPECT_FALSE(reader.Feed("x\nInt32\nnot-a-number\n"));
    EXPECT_EQ(reader.status().code(), ErrorCode::kQueryError);
  }
  {
    TsvResultReader reader(0, 0);
    EXPECT_FALSE(reader.Feed("x\ty\nInt32\tInt32\n1\n"));
    EXPECT_EQ(reader.status().code(), ErrorCode::kQueryError);
  }
  {
    TsvResultReader reader(0, 0);
    ASSERT_TRUE(reader.Feed("x\n"));
    EXPECT_EQ(reader.Finish().code(), ErrorCode::kQueryError);
  }
}

}  // namespace
}  // namespace tributary::clickhouse
