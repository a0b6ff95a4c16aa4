#include "core/json_value.h"

#include <gtest/gtest.h>

#include <bit>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/json_out.h"

namespace tributary {
namespace {

namespace json = boost::json;

//! `[d]` with 17 significant digits: enough to name every double exactly.
std::string ArrayOf17Digits(double d) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "[%.17g]", d);
  return buffer;
}

TEST(JsonValue, ReadsTheDoubleBoostMisreadsExactly) {
  // Boost.JSON 1.81's json::parse answers 474.5938056855635 for this text.
  json::value v = ParseJson(R"({"p": 474.59380568556355})");
  EXPECT_EQ(std::bit_cast<std::uint64_t>(v.at("p").as_double()),
            std::bit_cast<std::uint64_t>(474.59380568556355));
}

TEST(JsonValue, EveryDoubleRoundTripsThroughSeventeenDigits) {
  std::mt19937_64 random(20261204);
  int mismatches = 0;
  std::string first_mismatch;
  for (int i = 0; i < 200000; ++i) {
    double d = std::bit_cast<double>(random());
    if (!std::isfinite(d)) continue;
    std::string text = ArrayOf17Digits(d);
    json::value v = ParseJson(text);
    const json::value& parsed = v.as_array().at(0);
    double got = parsed.is_double() ? parsed.as_double() : parsed.to_number<double>();
    if (std::bit_cast<std::uint64_t>(got) != std::bit_cast<std::uint64_t>(d)) {
      if (mismatches++ == 0) first_mismatch = text;
    }
  }
  EXPECT_EQ(mismatches, 0) << "first: " << first_mismatch;
}

TEST(JsonValue, KeepsBoostsNumberKinds) {
  json::value v = ParseJson(R"([1, -2, 18446744073709551615, 1.5, 1e2, -0.0, 1e999])");
  const json::array& a = v.as_array();
  EXPECT_TRUE(a[0].is_int64());
  EXPECT_TRUE(a[1].is_int64());
  EXPECT_TRUE(a[2].is_uint64());
  EXPECT_EQ(a[2].as_uint64(), UINT64_MAX);
  EXPECT_EQ(a[3].as_double(), 1.5);
  EXPECT_EQ(a[4].as_double(), 100.0);
  EXPECT_TRUE(std::signbit(a[5].as_double()));
  EXPECT_TRUE(std::isinf(a[6].as_double()));
}

TEST(JsonValue, BuildsTheSameTreeAsBoost) {
  const std::string text =
      R"({"a": [1, "two", null, true, false, {"b": {"c": []}}], "d": "é\n\"", "e": {}})";
  EXPECT_EQ(ParseJson(text), json::parse(text));
}

TEST(JsonValue, ReportsErrorsAndWhereParsingStopped) {
  boost::system::error_code ec;
  std::size_t stop = 0;
  json::value v = ParseJson(R"({"a": 1,, "b": 2})", ec, {}, &stop);
  EXPECT_TRUE(ec);
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(stop, 8u);

  ParseJson("{\"a\": 1} x", ec);
  EXPECT_EQ(ec, json::error::extra_data);
  ParseJson("  {\"a\": 1}  \n", ec);
  EXPECT_FALSE(ec);
  ParseJson("{\"a\": ", ec);
  EXPECT_EQ(ec, json::error::incomplete);
  ParseJson("", ec);
  EXPECT_TRUE(ec);
  EXPECT_THROW(ParseJson("[1,"), boost::system::system_error);
}

TEST(JsonValue, HonoursParseOptions) {
  boost::system::error_code ec;
  json::parse_options shallow;
  shallow.max_depth = 2;
  ParseJson("[[[1]]]", ec, shallow);
  EXPECT_EQ(ec, json::error::too_deep);
  json::parse_options lenient;
  lenient.allow_comments = true;
  lenient.allow_trailing_commas = true;
  json::value v = ParseJson("[1, 2, /* three */ 3.25,]", ec, lenient);
  ASSERT_FALSE(ec);
  EXPECT_EQ(v.as_array().size(), 3u);
  EXPECT_EQ(v.as_array()[2].as_double(), 3.25);
}

TEST(JsonValue, NamesKindsForErrorMessages) {
  json::value v = ParseJson(R"([null, true, 1, 18446744073709551615, 1.5, "s", [], {}])");
  std::vector<std::string> names;
  for (const json::value& item : v.as_array()) names.push_back(JsonKindName(item));
  EXPECT_EQ(names, (std::vector<std::string>{"null", "a boolean", "an integer", "an integer",
                                             "a number with a fraction", "a string", "an array",
                                             "an object"}));
}

TEST(JsonValue, WritesAValueBackAsItWasRead) {
  const std::string text =
      R"({"a":[1,-2,18446744073709551615,474.59380568556355,"x\n",null,true],"b":{"c":{}}})";
  JsonOut out;
  WriteJsonValue(out, ParseJson(text));
  const std::string written = out.Take();
  EXPECT_EQ(ParseJson(written), ParseJson(text)) << written;
  EXPECT_NE(written.find("18446744073709551615"), std::string::npos) << written;

  JsonOut infinite;
  WriteJsonValue(infinite, json::value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(infinite.Take(), "null");
}

}  // namespace
}  // namespace tributary
