// Unit tests of the server's pure parts: router, query body parsing, CSV streaming, helpers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/encoding.h"
#include "core/result_writer.h"
#include "core/time_util.h"
#include "server/csv_stream.h"
#include "server/http_util.h"
#include "server/query_body.h"
#include "server/router.h"

namespace tributary {
namespace {

ApiResponse Named(std::string name) {
  ApiResponse r;
  r.body = std::move(name);
  return r;
}

TEST(HttpRouter, MatchesPatternsAndDecodesParameters) {
  Router router;
  router.Add("GET", "/api/v1/sources", [](const ApiRequest&) { return Named("list"); });
  router.Add(
      "GET", "/api/v1/sources/{id}/tables/{table}",
      [](const ApiRequest&) { return Named("describe"); }, true);
  router.Add(
      "POST", "/api/v1/query", [](const ApiRequest&) { return Named("query"); }, true);

  RouteMatch m = router.Match("GET", "/api/v1/sources/my%20db/tables/a%2Fb");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.route->pattern, "/api/v1/sources/{id}/tables/{table}");
  EXPECT_TRUE(m.route->blocking);
  EXPECT_EQ(m.params.at("id"), "my db");
  EXPECT_EQ(m.params.at("table"), "a/b");

  EXPECT_EQ(router.Match("GET", "/api/v1/sources").kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(router.Match("GET", "/api/v1/sources/").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/api/v1/sources//tables/x").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/nope").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/api/v1/sources/%zz/tables/t").kind, RouteMatch::Kind::kBadPath);

  RouteMatch wrong = router.Match("GET", "/api/v1/query");
  EXPECT_EQ(wrong.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(wrong.allow, "POST");
}

TEST(HttpUtil, RequestIdsAndDecoding) {
  EXPECT_TRUE(IsValidRequestId("abc-DEF_1.2"));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("has space"));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'a')));
  std::string id = NewRequestId();
  EXPECT_EQ(id.size(), 16u);
  EXPECT_TRUE(IsValidRequestId(id));
  EXPECT_NE(id, NewRequestId());

  EXPECT_EQ(PercentDecode("a%20b%2F"), "a b/");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_FALSE(PercentDecode("%2"));
  EXPECT_FALSE(PercentDecode("%00"));
  EXPECT_FALSE(PercentDecode("%g0"));

  EXPECT_TRUE(WantsCsv("text/csv"));
  EXPECT_TRUE(WantsCsv("Text/CSV; charset=utf-8"));
  EXPECT_TRUE(WantsCsv("text/csv, application/json"));
  EXPECT_FALSE(WantsCsv("application/json, text/csv"));
  EXPECT_FALSE(WantsCsv("*/*"));
  EXPECT_FALSE(WantsCsv(""));
}

TEST(HttpUtil, ParsesListenAddresses) {
  auto a = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_TRUE(ParseListenAddress("localhost:1").ok());
  for (const char* bad :
       {"", "8080", ":8080", "host:", "host:65536", "host:-1", "::1:80", "[::1]8080", "host:80x"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
  EXPECT_NE(ParseListenAddress("nope").status().message().find("HOST:PORT"), std::string::npos);
}

TEST(HttpUtil, ErrorBodyIsJson) {
  auto v = boost::json::parse(ErrorBody("QUERY_ERROR", "bad \"sql\"", "r1"));
  EXPECT_EQ(v.at("error").at("code").as_string(), "QUERY_ERROR");
  EXPECT_EQ(v.at("error").at("message").as_string(), "bad \"sql\"");
  EXPECT_EQ(v.at("error").at("requestId").as_string(), "r1");
}

Config TwoSources() {
  Config c;
  c.sources.push_back({.id = "a", .type = "duckdb", .options = {}, .location = {}});
  c.sources.push_back({.id = "b", .type = "duckdb", .options = {}, .location = {}});
  return c;
}

Config OneSource() {
  Config c;
  c.sources.push_back({.id = "only", .type = "duckdb", .options = {}, .location = {}});
  return c;
}

std::string ErrorOf(std::string_view body, const Config& config) {
  auto r = ParseQueryBody(body, config);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << body;
  return r.status().message();
}

TEST(HttpQueryBody, ParsesAllFields) {
  auto q = ParseQueryBody(
      R"({"source":"b","sql":"SELECT $1","params":[null,true,-3,1.5,"x"],"limit":5,"timeoutMs":100})",
      TwoSources());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->source, "b");
  EXPECT_EQ(q->sql, "SELECT $1");
  ASSERT_EQ(q->params.size(), 5u);
  EXPECT_EQ(q->params[0], Value::Null());
  EXPECT_EQ(q->params[1], Value::Bool(true));
  EXPECT_EQ(q->params[2], Value::Int64(-3));
  EXPECT_EQ(q->params[3], Value::Double(1.5));
  EXPECT_EQ(q->params[4], Value::String("x"));
  EXPECT_EQ(q->limit, 5);
  EXPECT_EQ(q->timeout_ms, 100);

  auto defaults = ParseQueryBody(R"({"sql":"SELECT 1"})", OneSource());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->source, "only");
  EXPECT_FALSE(defaults->limit);
  EXPECT_FALSE(defaults->timeout_ms);
}

TEST(HttpQueryBody, ParsesTypedParameters) {
  auto q = ParseQueryBody(R"({"sql":"x","params":[
      {"type":"date","value":"2026-11-01"},
      {"type":"timestamp","value":"2026-11-01T00:00:01Z"},
      {"type":"decimal","value":"-12.50"},
      {"type":"decimal","value":7},
      {"type":"json","value":{"a":[1,2]}},
      {"type":"bytes","value":"aGk="},
      {"type":"string","value":"s"},
      {"type":"int64","value":9007199254740993},
      {"type":"double","value":2},
      {"type":"bool","value":false},
      {"type":"date","value":null}]})",
                          OneSource());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->params.size(), 11u);
  EXPECT_EQ(q->params[0], Value::Date(*ParseDate("2026-11-01")));
  EXPECT_EQ(q->params[1], Value::Timestamp(*ParseTimestamp("2026-11-01T00:00:01Z")));
  EXPECT_EQ(q->params[2], Value::Decimal("-12.50"));
  EXPECT_EQ(q->params[3], Value::Decimal("7"));
  EXPECT_EQ(q->params[4], Value::Json(R"({"a":[1,2]})"));
  EXPECT_EQ(q->params[5], Value::Bytes("hi"));
  EXPECT_EQ(q->params[6], Value::String("s"));
  EXPECT_EQ(q->params[7], Value::Int64(9007199254740993));
  EXPECT_EQ(q->params[8], Value::Double(2.0));
  EXPECT_EQ(q->params[9], Value::Bool(false));
  EXPECT_EQ(q->params[10], Value::Null());
}

TEST(HttpQueryBody, RejectsBadBodiesNamingTheProblem) {
  Config one = OneSource();
  EXPECT_NE(ErrorOf("", one).find("empty"), std::string::npos);
  std::string malformed = ErrorOf("{\"sql\":\n  \"x\",,}", one);
  EXPECT_NE(malformed.find("malformed JSON"), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("line 2, column 7"), std::string::npos) << malformed;
  EXPECT_NE(ErrorOf(R"({"sql":"x"} trailing)", one).find("malformed JSON"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x")", one).find("malformed JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[1]", one).find("must be a JSON object"), std::string::npos);
  std::string unknown = ErrorOf(R"({"sql":"x","limt":3})", one);
  EXPECT_NE(unknown.find("unknown field 'limt'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("source, sql, params, limit, timeoutMs"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"source":"a"})", one).find("'sql' is required"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":1})", one).find("'sql' must be a string"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","limit":"5"})", one).find("'limit' must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","limit":1.5})", one).find("'limit' must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","timeoutMs":true})", one).find("'timeoutMs' must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":{}})", one).find("'params' must be an array"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[1,[2]]})", one).find("params[1]"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[{"type":"date","value":"2026-13-01"}]})", one)
                .find("params[0]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[1,{"type":"uuid","value":"x"}]})", one)
                .find("unknown parameter type 'uuid'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[{"type":"int64","value":"1"}]})", one)
                .find("must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[{"type":"bytes","value":"@@"}]})", one).find("base64"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(R"({"sql":"x","params":[{"type":"decimal","value":"1e"}]})", one).find("decimal"),
      std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[{"type":"string","value":"a","x":1}]})", one)
                .find("unknown field 'x'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"sql":"x","params":[18446744073709551615]})", one).find("params[0]"),
            std::string::npos);
  std::string no_source = ErrorOf(R"({"sql":"x"})", TwoSources());
  EXPECT_NE(no_source.find("'source' is required"), std::string::npos);
  // The ids are not listed: with API keys a caller may only learn its own projects' sources.
  EXPECT_EQ(no_source.find("a, b"), std::string::npos);
  EXPECT_NE(no_source.find("GET /api/v1/sources"), std::string::npos);
}

TEST(HttpQueryBody, Base64RoundTrips) {
  for (std::string raw : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                          std::string("\0\xff\x10 binary", 10)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(raw)), raw);
  }
  EXPECT_FALSE(Base64Decode("a"));
  EXPECT_FALSE(Base64Decode("ab c"));
  // Base64url: RFC 4648's test vectors, no padding, '-' and '_' for '+' and '/'.
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(Base64UrlDecode("Zm9vYg"), std::string("foob"));
  EXPECT_FALSE(Base64UrlDecode("+/8"));
}

TEST(HttpCsvStream, ChunksConcatenateToResultToCsv) {
  QueryResult r({{"id", ColumnType::kInt64, "BIGINT"},
                 {"na,me", ColumnType::kString, "VARCHAR"},
                 {"d", ColumnType::kDate, "DATE"}});
  for (int i = 0; i < 500; ++i) {
    r.AppendRow({Value::Int64(i),
                 i % 7 == 0 ? Value::Null() : Value::String("a\"b,\nc" + std::to_string(i)),
                 Value::Date(i)});
  }
  auto shared = std::make_shared<const QueryResult>(std::move(r));
  CsvChunker chunker(shared);
  std::string all;
  std::string piece;
  int chunks = 0;
  while (chunker.Next(piece, 1000)) {
    all += piece;
    ++chunks;
  }
  EXPECT_GT(chunks, 5);
  EXPECT_EQ(all, ResultToCsv(*shared));
  EXPECT_FALSE(chunker.Next(piece, 1000));

  auto empty = std::make_shared<const QueryResult>(
      std::vector<ColumnInfo>{{"x", ColumnType::kInt64, "BIGINT"}});
  CsvChunker header_only(empty);
  ASSERT_TRUE(header_only.Next(piece, 1000));
  EXPECT_EQ(piece, "x\r\n");
  EXPECT_FALSE(header_only.Next(piece, 1000));
}

}  // namespace
}  // namespace tributary
