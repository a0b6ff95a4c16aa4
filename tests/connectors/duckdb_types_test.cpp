// Value conversion of the DuckDB connector: every DuckDB type, nulls, unicode, exact big
// numbers, nested values as exact JSON, and the JSON document the API writes.
#include "connectors/duckdb/duckdb_types.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "connectors/duckdb_test_support.h"
#include "core/result_writer.h"
#include "core/time_util.h"

namespace tributary {
namespace {

using duckdb_test::MustQuery;
using duckdb_test::OpenConnector;
using duckdb_test::QueryValue;
using duckdb_test::SourceSpec;

class DuckDbTypes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { connector_ = OpenConnector(SourceSpec{}).release(); }
  static void TearDownTestSuite() {
    delete connector_;
    connector_ = nullptr;
  }

  // The type, source type and value of `SELECT <expr>`.
  static QueryResult One(const std::string& expr) {
    return MustQuery(*connector_, "SELECT " + expr + " AS v");
  }
  static void ExpectCell(const std::string& expr, ColumnType type, const std::string& source_type,
                         const Value& value) {
    QueryResult r = One(expr);
    ASSERT_EQ(r.column_count(), 1u) << expr;
    ASSERT_EQ(r.row_count(), 1u) << expr;
    EXPECT_EQ(r.columns()[0].type, type) << expr;
    EXPECT_EQ(r.columns()[0].source_type, source_type) << expr;
    EXPECT_EQ(r.ValueAt(0, 0), value) << expr << " -> " << CellToJson(r, 0, 0);
  }
  static std::string Json(const std::string& expr) {
    QueryResult r = One(expr);
    if (r.row_count() != 1) return "<no row>";
    return CellToJson(r, 0, 0);
  }

  static Connector* connector_;
};

Connector* DuckDbTypes::connector_ = nullptr;

TEST_F(DuckDbTypes, BooleansAndSmallIntegers) {
  ExpectCell("true", ColumnType::kBool, "BOOLEAN", Value::Bool(true));
  ExpectCell("false", ColumnType::kBool, "BOOLEAN", Value::Bool(false));
  ExpectCell("(-128)::TINYINT", ColumnType::kInt64, "TINYINT", Value::Int64(-128));
  ExpectCell("(-32768)::SMALLINT", ColumnType::kInt64, "SMALLINT", Value::Int64(-32768));
  ExpectCell("2147483647::INTEGER", ColumnType::kInt64, "INTEGER", Value::Int64(2147483647));
  ExpectCell("(-9223372036854775808)::BIGINT", ColumnType::kInt64, "BIGINT",
             Value::Int64(std::numeric_limits<int64_t>::min()));
  ExpectCell("9223372036854775807::BIGINT", ColumnType::kInt64, "BIGINT",
             Value::Int64(std::numeric_limits<int64_t>::max()));
  ExpectCell("255::UTINYINT", ColumnType::kInt64, "UTINYINT", Value::Int64(255));
  ExpectCell("65535::USMALLINT", ColumnType::kInt64, "USMALLINT", Value::Int64(65535));
  ExpectCell("4294967295::UINTEGER", ColumnType::kInt64, "UINTEGER", Value::Int64(4294967295));
}

TEST_F(DuckDbTypes, BigIntegersAreExactDecimals) {
  ExpectCell("18446744073709551615::UBIGINT", ColumnType::kDecimal, "UBIGINT",
             Value::Decimal("18446744073709551615"));
  ExpectCell("170141183460469231731687303715884105727::HUGEINT", ColumnType::kDecimal, "HUGEINT",
             Value::Decimal("170141183460469231731687303715884105727"));
  ExpectCell("(-170141183460469231731687303715884105728)::HUGEINT", ColumnType::kDecimal, "HUGEINT",
             Value::Decimal("-170141183460469231731687303715884105728"));
  ExpectCell("(-1)::HUGEINT", ColumnType::kDecimal, "HUGEINT", Value::Decimal("-1"));
  ExpectCell("0::HUGEINT", ColumnType::kDecimal, "HUGEINT", Value::Decimal("0"));
  ExpectCell("340282366920938463463374607431768211455::UHUGEINT", ColumnType::kDecimal, "UHUGEINT",
             Value::Decimal("340282366920938463463374607431768211455"));
  // A JSON number token with every digit.
  EXPECT_EQ(Json("170141183460469231731687303715884105727::HUGEINT"),
            "170141183460469231731687303715884105727");
}

TEST_F(DuckDbTypes, SumOfBigintIsAnExactHugeint) {
  QueryResult r = MustQuery(*connector_,
                            "SELECT sum(x) AS s FROM (VALUES (9223372036854775807::BIGINT), "
                            "(9223372036854775807::BIGINT), (3::BIGINT)) t(x)");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.columns()[0].source_type, "HUGEINT");
  EXPECT_EQ(r.columns()[0].type, ColumnType::kDecimal);
  EXPECT_EQ(r.ValueAt(0, 0), Value::Decimal("18446744073709551617"));
}

TEST_F(DuckDbTypes, DecimalsOfEveryWidth) {
  ExpectCell("(-12.34)::DECIMAL(4,2)", ColumnType::kDecimal, "DECIMAL(4,2)",
             Value::Decimal("-12.34"));
  ExpectCell("0.05::DECIMAL(4,2)", ColumnType::kDecimal, "DECIMAL(4,2)", Value::Decimal("0.05"));
  ExpectCell("(-0.0012)::DECIMAL(9,4)", ColumnType::kDecimal, "DECIMAL(9,4)",
             Value::Decimal("-0.0012"));
  ExpectCell("123456789012345.678::DECIMAL(18,3)", ColumnType::kDecimal, "DECIMAL(18,3)",
             Value::Decimal("123456789012345.678"));
  ExpectCell("'-1234567890123456789012345678.0123456789'::DECIMAL(38,10)", ColumnType::kDecimal,
             "DECIMAL(38,10)", Value::Decimal("-1234567890123456789012345678.0123456789"));
  ExpectCell("'-0.0000000001'::DECIMAL(38,10)", ColumnType::kDecimal, "DECIMAL(38,10)",
             Value::Decimal("-0.0000000001"));
  ExpectCell("12345::DECIMAL(5,0)", ColumnType::kDecimal, "DECIMAL(5,0)", Value::Decimal("12345"));
  ExpectCell("1.50::DECIMAL(10,2)", ColumnType::kDecimal, "DECIMAL(10,2)", Value::Decimal("1.50"));
  ExpectCell("'99999999999999999999999999999999999999'::DECIMAL(38,0)", ColumnType::kDecimal,
             "DECIMAL(38,0)", Value::Decimal("99999999999999999999999999999999999999"));
  EXPECT_EQ(Json("(-12.34)::DECIMAL(4,2)"), "-12.34");
}

TEST_F(DuckDbTypes, FloatingPoint) {
  ExpectCell("1.5::DOUBLE", ColumnType::kDouble, "DOUBLE", Value::Double(1.5));
  // A FLOAT keeps its shortest decimal form rather than the widened binary value.
  ExpectCell("0.1::FLOAT", ColumnType::kDouble, "FLOAT", Value::Double(0.1));
  EXPECT_EQ(Json("'NaN'::DOUBLE"), "\"NaN\"");
  EXPECT_EQ(Json("'inf'::DOUBLE"), "\"Infinity\"");
  EXPECT_EQ(Json("'-inf'::FLOAT"), "\"-Infinity\"");
  EXPECT_EQ(Json("[1.5::DOUBLE, 'NaN'::DOUBLE, NULL]"), "[1.5,\"NaN\",null]");
  EXPECT_EQ(Json("[0.1::FLOAT, '-inf'::FLOAT]"), "[0.1,\"-Infinity\"]");
}

TEST_F(DuckDbTypes, UnicodeStringsAndEnums) {
  ExpectCell("'héllo wörld'", ColumnType::kString, "VARCHAR", Value::String("héllo wörld"));
  ExpectCell("'日本語のテキスト'", ColumnType::kString, "VARCHAR",
             Value::String("日本語のテキスト"));
  ExpectCell("'🦆 duck 🦆'", ColumnType::kString, "VARCHAR", Value::String("🦆 duck 🦆"));
  ExpectCell("''", ColumnType::kString, "VARCHAR", Value::String(""));
  ExpectCell("'a long string that is not inlined in the vector'", ColumnType::kString, "VARCHAR",
             Value::String("a long string that is not inlined in the vector"));
  ExpectCell("'quote\" back\\ nl' || chr(10)", ColumnType::kString, "VARCHAR",
             Value::String("quote\" back\\ nl\n"));
  ExpectCell("'b'::ENUM('a', 'b', 'it''s')", ColumnType::kString, "ENUM('a', 'b', 'it''s')",
             Value::String("b"));
  EXPECT_EQ(Json("['🦆', 'say \"hi\"', chr(1)]"), "[\"🦆\",\"say \\\"hi\\\"\",\"\\u0001\"]");
}

TEST_F(DuckDbTypes, DatesAndTimestamps) {
  ExpectCell("DATE '2024-02-29'", ColumnType::kDate, "DATE", Value::Date(*ParseDate("2024-02-29")));
  ExpectCell("DATE '1969-12-31'", ColumnType::kDate, "DATE", Value::Date(-1));
  const int64_t micros = *ParseTimestamp("2024-01-02T03:04:05.123456Z");
  ExpectCell("TIMESTAMP '2024-01-02 03:04:05.123456'", ColumnType::kTimestamp, "TIMESTAMP",
             Value::Timestamp(micros));
  ExpectCell("TIMESTAMP_S '2024-01-02 03:04:05'", ColumnType::kTimestamp, "TIMESTAMP_S",
             Value::Timestamp(*ParseTimestamp("2024-01-02T03:04:05Z")));
  ExpectCell("TIMESTAMP_MS '2024-01-02 03:04:05.123'", ColumnType::kTimestamp, "TIMESTAMP_MS",
             Value::Timestamp(*ParseTimestamp("2024-01-02T03:04:05.123Z")));
  // Nanoseconds are floored to microseconds, also before the epoch.
  ExpectCell("TIMESTAMP_NS '2024-01-02 03:04:05.123456789'", ColumnType::kTimestamp, "TIMESTAMP_NS",
             Value::Timestamp(micros));
  ExpectCell("TIMESTAMP_NS '1969-12-31 23:59:59.999999999'", ColumnType::kTimestamp, "TIMESTAMP_NS",
             Value::Timestamp(-1));
  // A zone other than UTC in the literal: stored and returned as the UTC instant.
  ExpectCell("TIMESTAMPTZ '2024-01-01 12:00:00+05:30'", ColumnType::kTimestamp,
             "TIMESTAMP WITH TIME ZONE", Value::Timestamp(*ParseTimestamp("2024-01-01T06:30:00Z")));
  EXPECT_EQ(Json("TIMESTAMPTZ '2024-01-01 12:00:00-08:00'"), "\"2024-01-01T20:00:00Z\"");
  EXPECT_EQ(Json("DATE '2024-02-29'"), "\"2024-02-29\"");
  // Infinities saturate instead of wrapping.
  ExpectCell("'infinity'::TIMESTAMP", ColumnType::kTimestamp, "TIMESTAMP",
             Value::Timestamp(std::numeric_limits<int64_t>::max()));
  ExpectCell("'infinity'::TIMESTAMP_S", ColumnType::kTimestamp, "TIMESTAMP_S",
             Value::Timestamp(std::numeric_limits<int64_t>::max()));
  QueryResult neg = One("'-infinity'::TIMESTAMP_NS");
  ASSERT_EQ(neg.row_count(), 1u);
  EXPECT_LT(neg.column(0).int_at(0), *ParseTimestamp("0001-01-01T00:00:00Z"));
  EXPECT_FALSE(CellToJson(neg, 0, 0).empty());
}

TEST_F(DuckDbTypes, TimesIntervalsAndUuids) {
  ExpectCell("TIME '12:34:56.5'", ColumnType::kString, "TIME", Value::String("12:34:56.500000"));
  ExpectCell("TIME '00:00:00'", ColumnType::kString, "TIME", Value::String("00:00:00"));
  ExpectCell("TIMETZ '12:34:56+05:30'", ColumnType::kString, "TIME WITH TIME ZONE",
             Value::String("12:34:56+05:30"));
  ExpectCell("TIMETZ '12:34:56.123-08'", ColumnType::kString, "TIME WITH TIME ZONE",
             Value::String("12:34:56.123000-08"));
  ExpectCell("INTERVAL '1 year 2 months 3 days 04:05:06.789'", ColumnType::kString, "INTERVAL",
             Value::String("P1Y2M3DT4H5M6.789S"));
  ExpectCell("-INTERVAL '1 year 2 months 3 days 04:05:06.789'", ColumnType::kString, "INTERVAL",
             Value::String("P-1Y-2M-3DT-4H-5M-6.789S"));
  ExpectCell("INTERVAL '0 seconds'", ColumnType::kString, "INTERVAL", Value::String("PT0S"));
  ExpectCell("INTERVAL '-1 month'", ColumnType::kString, "INTERVAL", Value::String("P-1M"));
  ExpectCell("INTERVAL '-0.5 seconds'", ColumnType::kString, "INTERVAL", Value::String("PT-0.5S"));
  ExpectCell("INTERVAL '36 hours'", ColumnType::kString, "INTERVAL", Value::String("PT36H"));
  ExpectCell("'550e8400-e29b-41d4-a716-446655440000'::UUID", ColumnType::kString, "UUID",
             Value::String("550e8400-e29b-41d4-a716-446655440000"));
  ExpectCell("'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID", ColumnType::kString, "UUID",
             Value::String("ffffffff-ffff-ffff-ffff-ffffffffffff"));
  ExpectCell("'00000000-0000-0000-0000-000000000001'::UUID", ColumnType::kString, "UUID",
             Value::String("00000000-0000-0000-0000-000000000001"));
}

TEST_F(DuckDbTypes, BlobsAreBytesAndBase64) {
  QueryResult r = One("'\\x00\\x01\\xFFabc'::BLOB");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.columns()[0].type, ColumnType::kBytes);
  EXPECT_EQ(r.columns()[0].source_type, "BLOB");
  EXPECT_EQ(r.ValueAt(0, 0), Value::Bytes(std::string("\x00\x01\xff"
                                                      "abc",
                                                      6)));
  EXPECT_EQ(CellToJson(r, 0, 0), "\"AAH/YWJj\"");
  EXPECT_EQ(Json("['\\x00'::BLOB, ''::BLOB]"), "[\"AA==\",\"\"]");
}

TEST_F(DuckDbTypes, BitsAndBignumsMatchDuckDbsText) {
  for (const char* bits : {"0101", "101010101", "1", "0000000011111111"}) {
    ExpectCell(std::string("'") + bits + "'::BIT", ColumnType::kString, "BIT", Value::String(bits));
  }
  for (const char* n : {"0", "1", "-1", "255", "256", "-256", "18446744073709551616",
                        "-123456789012345678901234567890123456789012",
                        "99999999999999999999999999999999999999999999999999"}) {
    QueryResult r = MustQuery(*connector_, std::string("SELECT '") + n + "'::BIGNUM AS v, '" + n +
                                               "'::BIGNUM::VARCHAR AS t");
    ASSERT_EQ(r.row_count(), 1u) << n;
    EXPECT_EQ(r.columns()[0].source_type, "BIGNUM");
    EXPECT_EQ(r.ValueAt(0, 0), Value::String(n));
    EXPECT_EQ(r.ValueAt(0, 0), r.ValueAt(0, 1));
  }
}

TEST_F(DuckDbTypes, JsonValuesAreEmbedded) {
  QueryResult r = One("'{\"a\": [1, 2], \"b\": \"x\"}'::JSON");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.columns()[0].type, ColumnType::kJson);
  EXPECT_EQ(r.columns()[0].source_type, "JSON");
  EXPECT_EQ(r.ValueAt(0, 0), Value::Json("{\"a\": [1, 2], \"b\": \"x\"}"));
  EXPECT_EQ(Json("['{\"k\":1}'::JSON, NULL]"), "[{\"k\":1},null]");
}

TEST_F(DuckDbTypes, NestedValuesAreExactJson) {
  EXPECT_EQ(Json("[1, NULL, 3]"), "[1,null,3]");
  EXPECT_EQ(Json("[]::INTEGER[]"), "[]");
  EXPECT_EQ(Json("[{'a': 1, 'b': 'x'}, NULL, {'a': NULL, 'b': 'y\"z'}]"),
            "[{\"a\":1,\"b\":\"x\"},null,{\"a\":null,\"b\":\"y\\\"z\"}]");
  EXPECT_EQ(Json("[[1, 2], [], NULL, [NULL]]"), "[[1,2],[],null,[null]]");
  EXPECT_EQ(Json("{'d': DATE '2024-01-02', 'ts': TIMESTAMP '2024-01-02 03:04:05', "
                 "'dec': 12.50::DECIMAL(5,2), 'big': 170141183460469231731687303715884105727::"
                 "HUGEINT, 'blob': '\\xFF'::BLOB, 'u': '550e8400-e29b-41d4-a716-446655440000'::"
                 "UUID, 'i': INTERVAL '1 day', 't': TIME '01:02:03', 'b': true}"),
            "{\"d\":\"2024-01-02\",\"ts\":\"2024-01-02T03:04:05Z\",\"dec\":12.50,"
            "\"big\":170141183460469231731687303715884105727,\"blob\":\"/w==\","
            "\"u\":\"550e8400-e29b-41d4-a716-446655440000\",\"i\":\"P1D\",\"t\":\"01:02:03\","
            "\"b\":true}");
  EXPECT_EQ(Json("{'select': 1, 'with space': [1]}"), "{\"select\":1,\"with space\":[1]}");
  EXPECT_EQ(Json("MAP {'k1': 1, 'k2': NULL}"), "{\"k1\":1,\"k2\":null}");
  EXPECT_EQ(Json("MAP {1: 'a', 2: 'b'}"),
            "[{\"key\":1,\"value\":\"a\"},{\"key\":2,\"value\":\"b\"}]");
  EXPECT_EQ(Json("[1, 2, 3]::INTEGER[3]"), "[1,2,3]");
  EXPECT_EQ(Json("[[1, 2], [3, 4]]::INTEGER[2][2]"), "[[1,2],[3,4]]");
  EXPECT_EQ(Json("union_value(str := 'x')::UNION(num INTEGER, str VARCHAR)"), "\"x\"");
  EXPECT_EQ(Json("union_value(num := 7)::UNION(num INTEGER, str VARCHAR)"), "7");
  EXPECT_EQ(Json("[TIMETZ '01:02:03+01', NULL]"), "[\"01:02:03+01\",null]");
  EXPECT_EQ(Json("['a'::ENUM('a', 'b')]"), "[\"a\"]");
  EXPECT_EQ(Json("['0101'::BIT]"), "[\"0101\"]");

  QueryResult r = One("[{'a': 1}]");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.columns()[0].type, ColumnType::kJson);
  EXPECT_EQ(r.columns()[0].source_type, "STRUCT(a INTEGER)[]");
}

TEST_F(DuckDbTypes, NestedValuesAcrossManyRows) {
  // Lists whose children span chunk boundaries and rows with null lists.
  QueryResult r = MustQuery(*connector_,
                            "SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE "
                            "[i, i + 1] END AS l, {'i': i, 's': 'r' || i} AS s FROM "
                            "range(5000) t(i) ORDER BY i");
  ASSERT_EQ(r.row_count(), 5000u);
  for (size_t i : {0u, 1u, 2047u, 2048u, 2049u, 4999u}) {
    if (i % 5 == 0) {
      EXPECT_TRUE(r.column(0).is_null(i));
    } else {
      EXPECT_EQ(r.column(0).string_at(i), fmt::format("[{},{}]", i, i + 1));
    }
    EXPECT_EQ(r.column(1).string_at(i), fmt::format("{{\"i\":{},\"s\":\"r{}\"}}", i, i));
  }
}

// TIME_NS and VARIANT are types DuckDB 1.4's C API reports as INVALID: DuckDB itself converts
// them (scalars to VARCHAR, nested values to JSON) and names them via typeof().
TEST_F(DuckDbTypes, TypesTheCApiCannotDescribeAreCastByDuckDb) {
  ExpectCell("'12:00:00.123456789'::TIME_NS", ColumnType::kString, "TIME_NS",
             Value::String("12:00:00.123456789"));
  ExpectCell("42::VARIANT", ColumnType::kString, "VARIANT", Value::String("42"));
  ExpectCell("[('12:00:01.5'::TIME_NS), NULL]", ColumnType::kJson, "TIME_NS[]",
             Value::Json("[\"12:00:01.5\",null]"));
  // Order, parameters, other columns and names survive the wrapping.
  QueryResult r = MustQuery(*connector_,
                            "SELECT i, ('00:00:0' || i)::TIME_NS AS t, $1 AS p FROM range(3) x(i) "
                            "ORDER BY i DESC",
                            {Value::String("param")});
  ASSERT_EQ(r.row_count(), 3u);
  ASSERT_EQ(r.column_count(), 3u);
  EXPECT_EQ(r.columns()[1].name, "t");
  EXPECT_EQ(r.columns()[1].source_type, "TIME_NS");
  EXPECT_EQ(r.ValueAt(0, 0), Value::Int64(2));
  EXPECT_EQ(r.ValueAt(0, 1), Value::String("00:00:02"));
  EXPECT_EQ(r.ValueAt(2, 2), Value::String("param"));
  // Without rows the type name is unknown but the column is still there.
  QueryResult empty = MustQuery(*connector_, "SELECT '12:00'::TIME_NS AS t WHERE false");
  ASSERT_EQ(empty.column_count(), 1u);
  EXPECT_EQ(empty.columns()[0].source_type, "UNKNOWN");
  // A NULL of such a type.
  ExpectCell("NULL::TIME_NS", ColumnType::kString, "TIME_NS", Value::Null());
}

TEST_F(DuckDbTypes, NullsInEveryType) {
  const std::vector<std::pair<std::string, ColumnType>> types = {
      {"BOOLEAN", ColumnType::kBool},
      {"TINYINT", ColumnType::kInt64},
      {"INTEGER", ColumnType::kInt64},
      {"BIGINT", ColumnType::kInt64},
      {"UBIGINT", ColumnType::kDecimal},
      {"HUGEINT", ColumnType::kDecimal},
      {"UHUGEINT", ColumnType::kDecimal},
      {"DECIMAL(38,10)", ColumnType::kDecimal},
      {"DECIMAL(4,1)", ColumnType::kDecimal},
      {"FLOAT", ColumnType::kDouble},
      {"DOUBLE", ColumnType::kDouble},
      {"VARCHAR", ColumnType::kString},
      {"JSON", ColumnType::kJson},
      {"BLOB", ColumnType::kBytes},
      {"DATE", ColumnType::kDate},
      {"TIME", ColumnType::kString},
      {"TIMETZ", ColumnType::kString},
      {"TIMESTAMP", ColumnType::kTimestamp},
      {"TIMESTAMP_NS", ColumnType::kTimestamp},
      {"TIMESTAMPTZ", ColumnType::kTimestamp},
      {"INTERVAL", ColumnType::kString},
      {"UUID", ColumnType::kString},
      {"BIT", ColumnType::kString},
      {"BIGNUM", ColumnType::kString},
      {"INTEGER[]", ColumnType::kJson},
      {"STRUCT(a INTEGER)", ColumnType::kJson},
      {"MAP(VARCHAR, INTEGER)", ColumnType::kJson},
      {"INTEGER[2]", ColumnType::kJson},
      {"UNION(a INTEGER, b VARCHAR)", ColumnType::kJson},
  };
  for (const auto& [name, type] : types) {
    // Two rows, so the null sits in a vector that also holds a value.
    QueryResult r =
        MustQuery(*connector_, "SELECT CASE WHEN i = 0 THEN NULL ELSE NULL END::" + name +
                                   " AS v FROM range(2) t(i)");
    ASSERT_EQ(r.row_count(), 2u) << name;
    EXPECT_EQ(r.columns()[0].type, type) << name;
    EXPECT_TRUE(r.column(0).is_null(0)) << name;
    EXPECT_TRUE(r.column(0).is_null(1)) << name;
    EXPECT_EQ(CellToJson(r, 0, 0), "null") << name;
  }
  // NULL next to values in one vector.
  QueryResult mixed = MustQuery(*connector_,
                                "SELECT CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS v, "
                                "CASE WHEN i % 3 = 0 THEN NULL ELSE 'x' || i END AS s "
                                "FROM range(100) t(i) ORDER BY i");
  ASSERT_EQ(mixed.row_count(), 100u);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(mixed.column(0).is_null(i), i % 2 == 0);
    EXPECT_EQ(mixed.column(1).is_null(i), i % 3 == 0);
    if (i % 2) {
      EXPECT_EQ(mixed.column(0).int_at(i), static_cast<int64_t>(i));
    }
  }
  // A bare NULL literal is typed INTEGER by DuckDB.
  QueryResult bare = One("NULL");
  ASSERT_EQ(bare.row_count(), 1u);
  EXPECT_TRUE(bare.column(0).is_null(0));
}

TEST_F(DuckDbTypes, SourceTypesMatchDuckDbsTypeof) {
  for (const char* expr : {"1",
                           "1::BIGINT",
                           "1.5",
                           "[1]",
                           "[{'a': 1, 'b c': 'x'}]",
                           "MAP {'a': 1}",
                           "[1, 2]::INTEGER[2]",
                           "union_value(num := 2)",
                           "'a'::ENUM('a', 'b')",
                           "TIMESTAMPTZ '2020-01-01 00:00:00+00'",
                           "TIMETZ '12:00:00+01'",
                           "12.5::DECIMAL(4,1)",
                           "'{}'::JSON",
                           "['{}'::JSON]",
                           "1::BIGNUM",
                           "'01'::BIT",
                           "TIMESTAMP_S '2020-01-01'",
                           "'12:00'::TIME_NS",
                           "[1::VARIANT]",
                           "{'Ab': 1, '1a': 2, 'x\"y': 3}",
                           "gen_random_uuid()",
                           "'x'::BLOB",
                           "INTERVAL 1 DAY",
                           "1::UHUGEINT",
                           "MAP {1: [1.5::DOUBLE]}",
                           "[[DATE '2020-01-01']]"}) {
    QueryResult r =
        MustQuery(*connector_, std::string("SELECT ") + expr + " AS v, typeof(" + expr + ") AS t");
    ASSERT_EQ(r.row_count(), 1u) << expr;
    EXPECT_EQ(r.columns()[0].source_type, r.column(1).string_at(0)) << expr;
  }
}

TEST_F(DuckDbTypes, ConstantColumnsAcrossChunks) {
  QueryResult r =
      MustQuery(*connector_, "SELECT 42 AS c, 'k' AS s, [1, 2] AS l, range AS i FROM range(5000)");
  ASSERT_EQ(r.row_count(), 5000u);
  for (size_t i : {0u, 2047u, 2048u, 4999u}) {
    EXPECT_EQ(r.column(0).int_at(i), 42);
    EXPECT_EQ(r.column(1).string_at(i), "k");
    EXPECT_EQ(r.column(2).string_at(i), "[1,2]");
  }
}

TEST_F(DuckDbTypes, LargeResult) {
  QueryResult r = MustQuery(*connector_,
                            "SELECT range AS i, 'row ' || range AS s, range * 0.5 AS d "
                            "FROM range(10000) ORDER BY range");
  ASSERT_EQ(r.row_count(), 10000u);
  EXPECT_FALSE(r.stats().truncated);
  int64_t sum = 0;
  for (size_t i = 0; i < r.row_count(); ++i) {
    ASSERT_EQ(r.column(0).int_at(i), static_cast<int64_t>(i));
    sum += r.column(0).int_at(i);
  }
  EXPECT_EQ(sum, 9999 * 10000 / 2);
  EXPECT_EQ(r.column(1).string_at(9999), "row 9999");
  EXPECT_EQ(r.ValueAt(9999, 2), Value::Decimal("4999.5"));
}

TEST_F(DuckDbTypes, ResultToJsonExactly) {
  QueryResult r =
      MustQuery(*connector_,
                "SELECT 1 AS a, 'x\"y' AS b, NULL::INTEGER AS c, 1.5::DECIMAL(3,1) AS d, "
                "DATE '2024-01-02' AS e, [1, NULL] AS f, '\\x00'::BLOB AS g "
                "UNION ALL SELECT 2, '日本', 3, -0.5, NULL, [], NULL ORDER BY a");
  r.stats().elapsed_us = 0;
  EXPECT_EQ(ResultToJson(r),
            "{\"columns\":["
            "{\"name\":\"a\",\"type\":\"int64\",\"sourceType\":\"INTEGER\"},"
            "{\"name\":\"b\",\"type\":\"string\",\"sourceType\":\"VARCHAR\"},"
            "{\"name\":\"c\",\"type\":\"int64\",\"sourceType\":\"INTEGER\"},"
            "{\"name\":\"d\",\"type\":\"decimal\",\"sourceType\":\"DECIMAL(3,1)\"},"
            "{\"name\":\"e\",\"type\":\"date\",\"sourceType\":\"DATE\"},"
            "{\"name\":\"f\",\"type\":\"json\",\"sourceType\":\"INTEGER[]\"},"
            "{\"name\":\"g\",\"type\":\"bytes\",\"sourceType\":\"BLOB\"}],"
            "\"rows\":["
            "[1,\"x\\\"y\",null,1.5,\"2024-01-02\",[1,null],\"AA==\"],"
            "[2,\"日本\",3,-0.5,null,[],null]],"
            "\"stats\":{\"rows\":2,\"elapsedMs\":0.0,\"truncated\":false}}");
}

TEST(DuckDbTypeText, HelpersFormatExactly) {
  using namespace duckdb_internal;
  EXPECT_EQ(HugeintToString(0, 0), "0");
  EXPECT_EQ(HugeintToString(~uint64_t{0}, -1), "-1");
  EXPECT_EQ(HugeintToString(0, std::numeric_limits<int64_t>::min()),
            "-170141183460469231731687303715884105728");
  EXPECT_EQ(UhugeintToString(~uint64_t{0}, ~uint64_t{0}),
            "340282366920938463463374607431768211455");
  EXPECT_EQ(FormatInterval(0, 0, 0), "PT0S");
  EXPECT_EQ(FormatInterval(14, 3, 0), "P1Y2M3D");
  EXPECT_EQ(FormatInterval(0, 0, 3'600'000'000 + 1'500'000), "PT1H1.5S");
  EXPECT_EQ(FormatInterval(-12, 0, -61'000'001), "P-1YT-1M-1.000001S");
  EXPECT_EQ(FormatTimeOfDay(86'400'000'000, 1'000'000, 6), "24:00:00");
  EXPECT_EQ(FormatTimeOfDay(1, 1'000'000'000, 9), "00:00:00.000000001");
}

}  // namespace
}  // namespace tributary
