// Protocol-level tests of the Elasticsearch / OpenSearch connector against EsProtocolServer (a
// local server implementing the documented REST endpoints and computing its answers on
// DuckDB): connectors built through the registry, `tributary query` and the HTTP API.
// ElasticsearchProtocolTest: the connector; ElasticsearchProtocolEndToEnd: the CLI and the
// HTTP API; OpenSearchProtocolTest: the OpenSearch flavour.
#include "connectors/elasticsearch/es_protocol.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <set>
#include <thread>

#include "connectors/elasticsearch/es_protocol_server.h"
#include "connectors/registry.h"
#include "core/time_util.h"
#include "support/server_harness.h"

namespace tributary::es_test {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using testing::es::EsProtocolServer;
using testing::es::EsServerOptions;

constexpr const char* kPassword = "s3cret-Pw-XYZZY";
constexpr const char* kApiKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
constexpr int kNumbers = 2500;

const char* kLogsMapping = R"({
  "@timestamp": {"type": "date"},
  "level": {"type": "keyword"},
  "message": {"type": "text"},
  "bytes": {"type": "long"},
  "latency": {"type": "double"},
  "ok": {"type": "boolean"},
  "user": {"properties": {"name": {"type": "keyword"}, "id": {"type": "long"}}}
})";

Options::Entry Entry(OptionValue value, bool secret = false) {
  return Options::Entry{std::move(value), {}, secret};
}

// One server for the suite (indices are read-only after setup).
EsProtocolServer& Server() {
  static EsProtocolServer* server = [] {
    EsServerOptions options;
    options.users = {{"elastic", kPassword}, {"limited", kPassword}, {"nomonitor", kPassword}};
    options.no_monitor = {"nomonitor"};
    options.api_keys = {kApiKey};
    options.denied = {{"limited", {"secret-logs"}}};
    auto* s = new EsProtocolServer(options);
    auto must = [](const Status& st) { EXPECT_TRUE(st.ok()) << st.ToString(); };
    must(s->CreateIndex("logs-2024.01", kLogsMapping));
    must(s->CreateIndex("logs-2024.02", kLogsMapping));
    must(s->AddDocuments(
        "logs-2024.01",
        {{"a1",
          R"({"@timestamp":"2024-01-05T10:00:00Z","level":"info","message":"user logged in","bytes":120,"latency":1.5,"ok":true,"user":{"name":"ann","id":1}})"},
         {"a2",
          R"({"@timestamp":"2024-01-06T11:30:00.250Z","level":"error","message":"disk full on node","bytes":4096,"latency":12.25,"ok":false,"user":{"name":"bob","id":2}})"},
         {"a3",
          R"({"@timestamp":"2024-01-07T12:00:00Z","level":"warn","message":"slow query","bytes":512,"latency":7.0,"ok":true})"}}));
    must(s->AddDocuments(
        "logs-2024.02",
        {{"b1",
          R"({"@timestamp":"2024-02-01T00:00:00Z","level":"error","message":"Disk failure","bytes":1,"latency":30.5,"ok":false,"user":{"name":"cy","id":3}})"},
         {"b2",
          R"({"@timestamp":1707000000000,"level":"info","message":"all good","bytes":64,"latency":0.5,"ok":true,"user":{"name":"ann","id":1}})"}}));
    s->AddAlias("logs", "logs-2024.01");
    s->AddAlias("logs", "logs-2024.02");
    must(s->CreateIndex("secret-logs", kLogsMapping));
    must(s->CreateIndex(".ds-app-events-000001",
                        R"({"@timestamp": {"type": "date"}, "app": {"type": "keyword"}})"));
    must(s->AddDocument(".ds-app-events-000001", "d1",
                        R"({"@timestamp": "2024-05-01T00:00:00Z", "app": "web"})"));
    s->AddDataStream("app-events", ".ds-app-events-000001");
    must(s->CreateIndex(".internal", R"({"k": {"type": "keyword"}})"));
    must(s->CreateIndex("numbers", R"({"n": {"type": "long"}, "tag": {"type": "keyword"}})"));
    std::vector<std::pair<std::string, std::string>> docs;
    for (int n = 1; n <= kNumbers; ++n) {
      docs.emplace_back(fmt::format("n{}", n), fmt::format(R"({{"n":{},"tag":"t{}"}})", n, n % 7));
    }
    must(s->AddDocuments("numbers", docs));
    must(s->CreateIndex("slow", R"({"n": {"type": "long"}})"));
    must(s->AddDocument("slow", "s1", R"({"n": 1})"));
    s->SetSlowIndex("slow", milliseconds(60'000));
    return s;
  }();
  return *server;
}

Options BaseOptions(const std::vector<std::pair<std::string, OptionValue>>& overrides = {}) {
  Options o;
  o.Set("url", Entry(Server().url()));
  o.Set("user", Entry(std::string("elastic")));
  o.Set("password", Entry(std::string(kPassword), true));
  for (const auto& [k, v] : overrides) {
    if (std::holds_alternative<std::string>(v) && std::get<std::string>(v).empty()) {
      Options next;
      for (const auto& [name, e] : o.entries()) {
        if (name != k) next.Set(name, e);
      }
      o = next;
    } else {
      o.Set(k, Entry(v, k == "password" || k == "api_key"));
    }
  }
  return o;
}

std::unique_ptr<Connector> Make(const Options& options, const std::string& id = "es") {
  const ConnectorFactory* factory = FindConnector("elasticsearch");
  EXPECT_NE(factory, nullptr) << "elasticsearch is not registered";
  if (!factory) return nullptr;
  SourceContext context;
  context.id = id;
  context.options = options;
  auto c = factory->create(context);
  Status opened = c->Open();
  EXPECT_TRUE(opened.ok()) << opened.ToString();
  return c;
}

QueryRequest Req(std::string text, std::vector<Value> params = {}) {
  QueryRequest r;
  r.sql = std::move(text);
  r.params = std::move(params);
  r.max_rows = 0;
  r.max_bytes = 0;
  r.timeout = milliseconds(20'000);
  return r;
}

size_t Col(const QueryResult& r, const std::string& name) {
  for (size_t c = 0; c < r.column_count(); ++c) {
    if (r.columns()[c].name == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

json::object BodyOf(const testing::LocalHttpRequest& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  return !ec && v.is_object() ? v.as_object() : json::object{};
}

class ElasticsearchProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override { conn_ = Make(BaseOptions({{"page_size", int64_t{100}}})); }
  std::unique_ptr<Connector> conn_;
};

TEST_F(ElasticsearchProtocolTest, HealthNamesVersionAndDetectsFlavour) {
  auto health = conn_->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->detail, "Elasticsearch 8.11.0, cluster 'tributary-test'");
  EXPECT_GT(health->latency.count(), 0);
  EXPECT_EQ(conn_->capabilities().dialect, "elasticsearch");
  EXPECT_TRUE(conn_->capabilities().parameters);
}

TEST_F(ElasticsearchProtocolTest, SqlWithTypedParamsPagesThroughCursors) {
  const size_t before = Server().RequestsTo("/_sql").size();
  auto r = conn_->Execute(Req("SELECT n, tag FROM numbers WHERE n > ? AND tag <> ? ORDER BY n",
                              {Value::Int64(10), Value::String("it's \"x\"")}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), size_t(kNumbers - 10));
  EXPECT_EQ(r->columns()[0].type, ColumnType::kInt64);
  EXPECT_EQ(r->columns()[0].source_type, "long");
  for (size_t i = 0; i < r->row_count(); ++i) {
    ASSERT_EQ(r->ValueAt(i, 0), Value::Int64(int64_t(i) + 11)) << i;
  }
  EXPECT_EQ(r->ValueAt(0, 1), Value::String("t4"));
  EXPECT_FALSE(r->stats().truncated);
  auto sql = Server().RequestsTo("/_sql");
  // 2490 rows in pages of 100: 25 requests, the first with the query, the others the cursor.
  ASSERT_EQ(sql.size() - before, 25u);
  json::object first = BodyOf(sql[before]);
  EXPECT_EQ(first["fetch_size"], 100);
  EXPECT_EQ(first["time_zone"], "Z");
  EXPECT_TRUE(first.contains("request_timeout"));
  EXPECT_EQ(json::serialize(first["params"]),
            R"([{"type":"long","value":10},{"type":"keyword","value":"it's \"x\""}])");
  EXPECT_EQ(sql[before].Query("format"), "json");
  EXPECT_TRUE(BodyOf(sql[before + 1]).contains("cursor"));
  EXPECT_EQ(Server().open_cursors(), 0u);
}

TEST_F(ElasticsearchProtocolTest, SqlRowLimitClosesTheCursor) {
  const size_t closes = Server().RequestsTo("/_sql/close").size();
  QueryRequest q = Req("SELECT n FROM numbers ORDER BY n");
  q.max_rows = 150;
  auto r = conn_->Execute(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 150u);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().truncated_by, "rows");
  EXPECT_EQ(r->ValueAt(149, 0), Value::Int64(150));
  EXPECT_EQ(Server().RequestsTo("/_sql/close").size(), closes + 1);
  EXPECT_EQ(Server().open_cursors(), 0u);

  QueryRequest bytes = Req("SELECT n, tag FROM numbers ORDER BY n");
  bytes.max_bytes = 2000;
  auto b = conn_->Execute(bytes);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->stats().truncated);
  EXPECT_EQ(b->stats().truncated_by, "bytes");
  EXPECT_LT(b->row_count(), 200u);
  EXPECT_EQ(Server().open_cursors(), 0u);
}

TEST_F(ElasticsearchProtocolTest, SqlTypesAndIndexPatterns) {
  auto r = conn_->Execute(Req(
      "SELECT \"@timestamp\" AS ts, level, bytes, latency, ok, CAST(\"@timestamp\" AS DATE) AS day "
      "FROM \"logs-*\" ORDER BY \"@timestamp\""));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 5u);
  EXPECT_EQ(r->columns()[0].type, ColumnType::kTimestamp);
  EXPECT_EQ(r->columns()[0].source_type, "datetime");
  EXPECT_EQ(r->columns()[1].type, ColumnType::kString);
  EXPECT_EQ(r->columns()[2].type, ColumnType::kInt64);
  EXPECT_EQ(r->columns()[3].type, ColumnType::kDouble);
  EXPECT_EQ(r->columns()[4].type, ColumnType::kBool);
  EXPECT_EQ(r->columns()[5].type, ColumnType::kDate);
  EXPECT_EQ(r->ValueAt(1, 0), Value::Timestamp(*ParseTimestamp("2024-01-06T11:30:00.250Z")));
  EXPECT_EQ(r->ValueAt(1, 1), Value::String("error"));
  EXPECT_EQ(r->ValueAt(1, 2), Value::Int64(4096));
  EXPECT_EQ(r->ValueAt(1, 3), Value::Double(12.25));
  EXPECT_EQ(r->ValueAt(1, 4), Value::Bool(false));
  EXPECT_EQ(r->ValueAt(1, 5), Value::Date(*ParseDate("2024-01-06")));
  // Epoch millis in _source were indexed as a date too.
  EXPECT_EQ(r->ValueAt(4, 0), Value::Timestamp(int64_t{1707000000000} * 1000));

  auto alias = conn_->Execute(Req("SELECT count(*) AS c FROM logs WHERE level = 'error'"));
  ASSERT_TRUE(alias.ok()) << alias.status().ToString();
  EXPECT_EQ(alias->ValueAt(0, 0), Value::Int64(2));
}

TEST_F(ElasticsearchProtocolTest, SqlGuardAndEngineRefuseWrites) {
  for (const char* sql : {"DELETE FROM numbers", "INSERT INTO numbers VALUES (1)",
                          "SELECT 1; DELETE FROM numbers", "DROP TABLE numbers"}) {
    auto r = conn_->Execute(Req(sql));
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_TRUE(r.status().code() == ErrorCode::kPermissionDenied ||
                r.status().code() == ErrorCode::kQueryError)
        << r.status().ToString();
  }
  // ES SQL's catalog commands pass the guard (this test server implements only SELECT, so
  // its parser answers; the guard would have said PERMISSION_DENIED).
  auto show = conn_->Execute(Req("SHOW TABLES"));
  ASSERT_FALSE(show.ok());
  EXPECT_NE(show.status().message().find("parsing_exception"), std::string::npos)
      << show.status().ToString();
  // With the guard bypassed, ES SQL's own parser refuses it (parsing_exception).
  QueryRequest bypass = Req("DELETE FROM numbers");
  bypass.skip_statement_guard = true;
  auto r = conn_->Execute(bypass);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kQueryError) << r.status().ToString();
  EXPECT_NE(r.status().message().find("parsing_exception"), std::string::npos);
  auto count = conn_->Execute(Req("SELECT count(*) FROM numbers"));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->ValueAt(0, 0), Value::Int64(kNumbers));
}

TEST_F(ElasticsearchProtocolTest, SqlErrorsAreMapped) {
  auto column = conn_->Execute(Req("SELECT nope FROM numbers"));
  ASSERT_FALSE(column.ok());
  EXPECT_EQ(column.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(column.status().message().find("verification_exception"), std::string::npos);
  EXPECT_NE(column.status().message().find("Unknown column [nope]"), std::string::npos)
      << column.status().message();
  EXPECT_NE(column.status().message().find("source 'es' (POST /_sql)"), std::string::npos);

  auto index = conn_->Execute(Req("SELECT * FROM \"nosuch-*\""));
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(index.status().message().find("Unknown index"), std::string::npos);

  auto params = conn_->Execute(Req("SELECT ? + ?", {Value::Int64(1)}));
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), ErrorCode::kQueryError) << params.status().ToString();

  auto json_param = conn_->Execute(Req("SELECT ?", {Value::Json("{}")}));
  ASSERT_FALSE(json_param.ok());
  EXPECT_EQ(json_param.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ElasticsearchProtocolTest, DslSearchAfterPagesInsideAPointInTime) {
  const size_t searches = Server().RequestsTo("/_search").size();
  auto r = conn_->Execute(Req(
      R"({"index": "numbers", "query": {"range": {"n": {"gt": 2000}}}, "sort": [{"n": "desc"}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 500u);
  EXPECT_EQ(r->columns()[0].name, "_id");
  EXPECT_EQ(r->columns()[1].name, "_index");
  const size_t n = Col(*r, "n");
  EXPECT_EQ(r->columns()[n].type, ColumnType::kInt64);
  for (size_t i = 0; i < 500; ++i) ASSERT_EQ(r->ValueAt(i, n), Value::Int64(kNumbers - int64_t(i)));
  EXPECT_EQ(r->ValueAt(0, 0), Value::String("n2500"));
  EXPECT_EQ(r->ValueAt(0, 1), Value::String("numbers"));
  auto bodies = Server().RequestsTo("/_search");
  // 500 hits in pages of 100: 5 full pages and one that comes back short (empty).
  ASSERT_EQ(bodies.size() - searches, 6u);
  json::object first = BodyOf(bodies[searches]);
  EXPECT_TRUE(first.contains("pit"));
  EXPECT_EQ(json::serialize(first["sort"]), R"([{"n":"desc"},{"_shard_doc":"asc"}])");
  EXPECT_FALSE(first.contains("search_after"));
  EXPECT_TRUE(first.contains("timeout"));
  json::object second = BodyOf(bodies[searches + 1]);
  ASSERT_TRUE(second.contains("search_after"));
  EXPECT_EQ(second["search_after"].as_array()[0], 2401);
  EXPECT_EQ(Server().open_pits(), 0u);
}

TEST_F(ElasticsearchProtocolTest, DslFlattensSourceWithDottedNamesAndFilters) {
  auto r = conn_->Execute(Req(R"({"index": "logs-*",
      "query": {"bool": {"filter": [{"term": {"level": "error"}}],
                         "must_not": [{"match": {"message": "failure"}}]}},
      "_source": ["level", "user.*", "@timestamp"], "sort": ["@timestamp"]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 1u);
  std::vector<std::string> names;
  for (const auto& c : r->columns()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"_id", "_index", "@timestamp", "level", "user.name",
                                             "user.id"}));
  EXPECT_EQ(r->ValueAt(0, 0), Value::String("a2"));
  EXPECT_EQ(r->ValueAt(0, 1), Value::String("logs-2024.01"));
  EXPECT_EQ(r->ValueAt(0, Col(*r, "@timestamp")),
            Value::Timestamp(*ParseTimestamp("2024-01-06T11:30:00.250Z")));
  EXPECT_EQ(r->ValueAt(0, Col(*r, "user.name")), Value::String("bob"));
  EXPECT_EQ(r->ValueAt(0, Col(*r, "user.id")), Value::Int64(2));
  EXPECT_EQ(r->columns()[Col(*r, "user.id")].source_type, "long");

  // match, terms, exists and a range on dates; a document without `user` gives nulls.
  auto m = conn_->Execute(Req(R"({"index": "logs", "sort": [{"bytes": "asc"}],
      "query": {"bool": {"should": [{"match": {"message": "disk"}}, {"terms": {"level": ["warn"]}}],
                         "filter": {"range": {"@timestamp": {"gte": "2024-01-01", "lt": "2024-03-01"}}}}}})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // should is optional next to a filter (scoring only): every document in range.
  EXPECT_EQ(m->row_count(), 5u);
  auto s = conn_->Execute(Req(R"({"index": "logs", "sort": [{"bytes": "asc"}],
      "query": {"bool": {"should": [{"match": {"message": "disk"}}, {"terms": {"level": ["warn"]}}]}}})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->row_count(), 3u);
  EXPECT_EQ(s->ValueAt(0, 0), Value::String("b1"));
  EXPECT_EQ(s->ValueAt(1, 0), Value::String("a3"));
  EXPECT_TRUE(s->column(Col(*s, "user.name")).is_null(1));
  auto e = conn_->Execute(
      Req(R"({"index": "logs", "query": {"exists": {"field": "user.id"}}, "size": 2})"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->row_count(), 2u);  // `size` caps the rows like LIMIT
  EXPECT_FALSE(e->stats().truncated);
}

TEST_F(ElasticsearchProtocolTest, DslIndexFromOptionsOrDefaultAndLimits) {
  QueryRequest with_option = Req(R"({"query": {"term": {"tag": "t3"}}})");
  with_option.options["index"] = "numbers";
  auto r = conn_->Execute(with_option);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), size_t(kNumbers / 7 + (kNumbers % 7 >= 3 ? 1 : 0)));

  auto no_index = conn_->Execute(Req(R"({"query": {"match_all": {}}})"));
  ASSERT_FALSE(no_index.ok());
  EXPECT_EQ(no_index.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(no_index.status().message().find("no index"), std::string::npos);

  auto with_default = Make(BaseOptions({{"index", std::string("numbers")}}));
  QueryRequest limited = Req(R"({"query": {"match_all": {}}})");
  limited.max_rows = 5;
  auto l = with_default->Execute(limited);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->row_count(), 5u);
  EXPECT_TRUE(l->stats().truncated);
  EXPECT_EQ(l->stats().truncated_by, "rows");

  QueryRequest bytes = Req(R"({"query": {"match_all": {}}})");
  bytes.max_bytes = 1000;
  auto b = with_default->Execute(bytes);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->stats().truncated);
  EXPECT_EQ(b->stats().truncated_by, "bytes");
  EXPECT_EQ(Server().open_pits(), 0u);

  QueryRequest unknown = Req(R"({"query": {"match_all": {}}})");
  unknown.options["step"] = "1m";
  auto u = with_default->Execute(unknown);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(u.status().message().find("accepts: index"), std::string::npos);
}

TEST_F(ElasticsearchProtocolTest, IndexNamesCannotReachOtherEndpoints) {
  const size_t before = Server().http().request_count();
  for (const char* index : {"../_cluster/settings", "logs/_doc/1", "_all", "logs?pretty", "logs#x",
                            "a b", "logs,", ".."}) {
    QueryRequest q = Req(R"({"query": {"match_all": {}}})");
    q.options["index"] = index;
    auto r = conn_->Execute(q);
    ASSERT_FALSE(r.ok()) << index;
    EXPECT_EQ(r.status().code(), ErrorCode::kQueryError) << r.status().ToString();
    auto d = conn_->DescribeTable(index);
    EXPECT_FALSE(d.ok()) << index;
  }
  EXPECT_EQ(Server().http().request_count(), before) << "a bad index name reached the server";
  auto unknown_key = conn_->Execute(Req(R"({"index": "logs", "script_fields": {}})"));
  ASSERT_FALSE(unknown_key.ok());
  EXPECT_EQ(unknown_key.status().code(), ErrorCode::kQueryError);
}

TEST_F(ElasticsearchProtocolTest, DslErrorsAreMapped) {
  auto missing = conn_->Execute(Req(R"({"index": "nosuch", "query": {"match_all": {}}})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("'nosuch'"), std::string::npos);

  auto parse = conn_->Execute(Req(R"({"index": "numbers", "query": {"frobnicate": {}}})"));
  ASSERT_FALSE(parse.ok());
  EXPECT_EQ(parse.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(parse.status().message().find("parsing_exception: unknown query [frobnicate]"),
            std::string::npos)
      << parse.status().message();

  auto sort = conn_->Execute(Req(R"({"index": "numbers", "sort": ["nofield"]})"));
  ASSERT_FALSE(sort.ok());
  EXPECT_EQ(sort.status().code(), ErrorCode::kQueryError);
  EXPECT_NE(sort.status().message().find("No mapping found for [nofield]"), std::string::npos);

  auto bad_json = conn_->Execute(Req(R"({"index": "numbers", )"));
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.status().code(), ErrorCode::kQueryError);
  EXPECT_EQ(Server().open_pits(), 0u);
}

TEST_F(ElasticsearchProtocolTest, AggregationBecomesATable) {
  auto r = conn_->Execute(Req(R"({"index": "logs-*",
      "aggs": {"by_level": {"terms": {"field": "level"},
                            "aggs": {"avg_latency": {"avg": {"field": "latency"}},
                                     "max_bytes": {"max": {"field": "bytes"}}}}}})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 3u);
  std::vector<std::string> names;
  for (const auto& c : r->columns()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"by_level", "doc_count", "avg_latency", "max_bytes"}));
  // doc_count desc, then key: error (2), info (2), warn (1).
  EXPECT_EQ(r->ValueAt(0, 0), Value::String("error"));
  EXPECT_EQ(r->ValueAt(0, 1), Value::Int64(2));
  EXPECT_EQ(r->ValueAt(0, 2), Value::Double((12.25 + 30.5) / 2));
  EXPECT_EQ(r->ValueAt(0, 3), Value::Double(4096));
  EXPECT_EQ(r->ValueAt(2, 0), Value::String("warn"));

  auto metrics = conn_->Execute(Req(
      R"({"index": "numbers", "aggs": {"total": {"sum": {"field": "n"}}, "top": {"max": {"field": "n"}}}})"));
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  ASSERT_EQ(metrics->row_count(), 1u);
  EXPECT_EQ(metrics->ValueAt(0, Col(*metrics, "total")),
            Value::Double(kNumbers * (kNumbers + 1) / 2));
  EXPECT_EQ(metrics->ValueAt(0, Col(*metrics, "top")), Value::Double(kNumbers));
}

TEST_F(ElasticsearchProtocolTest, DateHistogramBucketsAreTimestampedRows) {
  auto r = conn_->Execute(Req(R"({"index": "logs", "query": {"range": {"bytes": {"gt": 10}}},
      "aggs": {"per_day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day"},
                           "aggs": {"volume": {"sum": {"field": "bytes"}}}}}})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // 2024-01-05 .. 2024-02-03, with the empty days in between (min_doc_count 0).
  ASSERT_EQ(r->row_count(), 30u);
  EXPECT_EQ(r->columns()[0].name, "per_day");
  EXPECT_EQ(r->columns()[0].type, ColumnType::kTimestamp);
  EXPECT_EQ(r->ValueAt(0, 0), Value::Timestamp(*ParseTimestamp("2024-01-05T00:00:00Z")));
  EXPECT_EQ(r->ValueAt(0, 1), Value::Int64(1));
  EXPECT_EQ(r->ValueAt(0, 2), Value::Double(120));
  EXPECT_EQ(r->ValueAt(3, 1), Value::Int64(0));
  EXPECT_TRUE(r->column(2).is_null(3));
  EXPECT_EQ(r->ValueAt(29, 0), Value::Timestamp(*ParseTimestamp("2024-02-03T00:00:00Z")));
  EXPECT_EQ(r->ValueAt(29, 2), Value::Double(64));
}

TEST_F(ElasticsearchProtocolTest, SchemaListsIndicesAliasesAndMergesMappings) {
  auto tables = conn_->ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  std::map<std::string, std::string> kinds;
  for (const auto& t : *tables) kinds[t.name] = t.kind;
  EXPECT_EQ(kinds["logs-2024.01"], "table");
  EXPECT_EQ(kinds["numbers"], "table");
  EXPECT_EQ(kinds["logs"], "view");
  EXPECT_EQ(kinds.count(".internal"), 0u) << "hidden indices are listed";
  EXPECT_EQ(kinds.count(".ds-app-events-000001"), 0u);
  EXPECT_EQ(kinds["app-events"], "table") << "data streams are not listed";
  auto stream = conn_->Execute(Req(R"({"index": "app-events", "_source": ["app"]})"));
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  ASSERT_EQ(stream->row_count(), 1u);
  EXPECT_EQ(stream->ValueAt(0, 1), Value::String(".ds-app-events-000001"));
  EXPECT_EQ(stream->ValueAt(0, 2), Value::String("web"));

  auto schema = conn_->DescribeTable("logs-*");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  std::map<std::string, std::pair<ColumnType, std::string>> columns;
  for (const auto& c : schema->columns) columns[c.name] = {c.type, c.source_type};
  EXPECT_EQ(columns.size(), 8u);
  EXPECT_EQ(columns["user.name"], std::make_pair(ColumnType::kString, std::string("keyword")));
  EXPECT_EQ(columns["user.id"], std::make_pair(ColumnType::kInt64, std::string("long")));
  EXPECT_EQ(columns["@timestamp"], std::make_pair(ColumnType::kTimestamp, std::string("date")));
  EXPECT_EQ(columns["message"], std::make_pair(ColumnType::kString, std::string("text")));
  EXPECT_EQ(schema->table.kind, "view");

  auto missing = conn_->DescribeTable("nosuch");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().ToString();
  auto empty_pattern = conn_->DescribeTable("nosuch-*");
  ASSERT_FALSE(empty_pattern.ok());
  EXPECT_EQ(empty_pattern.status().code(), ErrorCode::kNotFound);
}

TEST_F(ElasticsearchProtocolTest, AuthenticationFailuresNeverShowSecrets) {
  auto bad = Make(BaseOptions({{"password", std::string("wrong-Pw-PLUGH")}}));
  auto health = bad->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("authentication failed for user 'elastic'"),
            std::string::npos)
      << health.status().message();
  auto query = bad->Execute(Req("SELECT 1"));
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), ErrorCode::kUnavailable);
  for (const Status* s : {&health.status(), &query.status()}) {
    EXPECT_EQ(s->message().find("PLUGH"), std::string::npos);
    EXPECT_EQ(s->message().find(kPassword), std::string::npos);
  }

  auto keyed = Make(BaseOptions(
      {{"user", std::string()}, {"password", std::string()}, {"api_key", std::string(kApiKey)}}));
  const size_t before = Server().http().request_count();
  auto ok = keyed->Execute(Req("SELECT 1 AS one"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->ValueAt(0, 0), Value::Int64(1));
  auto requests = Server().http().requests();
  ASSERT_GT(requests.size(), before);
  EXPECT_EQ(requests.back().Header("authorization"), std::string("ApiKey ") + kApiKey);

  auto bad_key = Make(BaseOptions({{"user", std::string()},
                                   {"password", std::string()},
                                   {"api_key", std::string("bm9wZTpub3Bl")}}));
  auto refused = bad_key->Execute(Req("SELECT 1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("the API key"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("bm9wZTpub3Bl"), std::string::npos);
}

TEST_F(ElasticsearchProtocolTest, ForbiddenIndexIsPermissionDenied) {
  auto limited = Make(BaseOptions({{"user", std::string("limited")}}));
  auto sql = limited->Execute(Req("SELECT count(*) FROM \"secret-logs\""));
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(sql.status().code(), ErrorCode::kPermissionDenied) << sql.status().ToString();
  EXPECT_NE(sql.status().message().find("security_exception"), std::string::npos);
  auto dsl = limited->Execute(Req(R"({"index": "secret-logs"})"));
  ASSERT_FALSE(dsl.ok());
  EXPECT_EQ(dsl.status().code(), ErrorCode::kPermissionDenied) << dsl.status().ToString();
  auto fine = limited->Execute(Req("SELECT count(*) FROM numbers"));
  EXPECT_TRUE(fine.ok()) << fine.status().ToString();
}

TEST_F(ElasticsearchProtocolTest, WithoutMonitorPrivilegeTheFlavorMustBeConfigured) {
  auto detecting = Make(BaseOptions({{"user", std::string("nomonitor")}}));
  auto refused = detecting->Execute(Req("SELECT count(*) FROM numbers"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("set the source's flavor option"), std::string::npos)
      << refused.status().message();
  auto configured = Make(
      BaseOptions({{"user", std::string("nomonitor")}, {"flavor", std::string("elasticsearch")}}));
  auto counted = configured->Execute(Req("SELECT count(*) FROM numbers"));
  ASSERT_TRUE(counted.ok()) << counted.status().ToString();
  EXPECT_EQ(counted->ValueAt(0, 0), Value::Int64(kNumbers));
}

TEST_F(ElasticsearchProtocolTest, RetriesRejectedRequestsThenGivesUp) {
  Server().RejectNext(2, "0");
  auto r = conn_->Execute(Req("SELECT count(*) FROM numbers"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(kNumbers));

  Server().RejectNext(100, "0");
  auto refused = conn_->Execute(Req("SELECT count(*) FROM numbers"));
  Server().RejectNext(0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("es_rejected_execution_exception"), std::string::npos);
}

TEST_F(ElasticsearchProtocolTest, TimeoutAbortsAndTellsTheServerItsTime) {
  for (const char* text : {"SELECT n FROM slow", R"({"index": "slow"})"}) {
    QueryRequest q = Req(text);
    q.timeout = milliseconds(400);
    const auto start = std::chrono::steady_clock::now();
    auto r = conn_->Execute(q);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
    EXPECT_EQ(r.status().message(), "query exceeded its timeout of 400 ms");
    EXPECT_LT(took, milliseconds(3000));
  }
  // The server was told the time it had (and stops on its own then), and every query carries
  // the X-Opaque-Id its task can be cancelled by.
  auto time_left = [](const json::value& v) {
    return v.is_string() ? std::atoll(std::string(v.as_string()).c_str()) : -1;
  };
  auto sql = Server().RequestsTo("/_sql");
  ASSERT_FALSE(sql.empty());
  EXPECT_FALSE(sql.back().Header("x-opaque-id").empty());
  const auto sql_timeout = time_left(BodyOf(sql.back())["request_timeout"]);
  EXPECT_GT(sql_timeout, 0);
  EXPECT_LE(sql_timeout, 400);
  auto search = Server().RequestsTo("/_search");
  ASSERT_FALSE(search.empty());
  const auto search_timeout = time_left(BodyOf(search.back())["timeout"]);
  EXPECT_GT(search_timeout, 0);
  EXPECT_LE(search_timeout, 400);
  EXPECT_TRUE(
      testing::WaitUntil([&] { return Server().running_tasks() == 0; }, milliseconds(5000)));
  EXPECT_EQ(Server().open_pits(), 0u);
}

TEST_F(ElasticsearchProtocolTest, CancelStopsTheQueryAndTheServerTask) {
  const int cancelled = Server().cancelled_tasks();
  QueryRequest q = Req("SELECT n FROM slow");
  CancelToken token = q.cancel;
  std::thread canceller([token] {
    std::this_thread::sleep_for(milliseconds(300));
    token.Cancel("client went away");
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = conn_->Execute(q);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "client went away");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  EXPECT_TRUE(testing::WaitUntil([&] { return Server().cancelled_tasks() > cancelled; },
                                 milliseconds(5000)))
      << "the server task was not cancelled";
  EXPECT_TRUE(
      testing::WaitUntil([&] { return Server().running_tasks() == 0; }, milliseconds(5000)));
  auto after = conn_->Execute(Req("SELECT 1"));
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

TEST_F(ElasticsearchProtocolTest, SeveralNodesFailOverToOneThatAnswers) {
  auto multi = Make(BaseOptions({{"url", "http://127.0.0.1:1, " + Server().url()}}));
  for (int i = 0; i < 4; ++i) {
    auto r = multi->Execute(Req("SELECT count(*) FROM numbers"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  auto down = Make(BaseOptions({{"url", std::string("http://127.0.0.1:1")}}));
  auto health = down->HealthCheck();
  ASSERT_FALSE(health.ok());
  EXPECT_EQ(health.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(health.status().message().find("127.0.0.1:1"), std::string::npos);
}

TEST_F(ElasticsearchProtocolTest, ConfigErrors) {
  const ConnectorFactory* factory = FindConnector("elasticsearch");
  ASSERT_NE(factory, nullptr);
  auto open = [&](const Options& o) {
    SourceContext context;
    context.id = "bad";
    context.options = o;
    return factory->create(context)->Open();
  };
  EXPECT_EQ(open(BaseOptions({{"api_key", std::string("k")}})).code(), ErrorCode::kConfigError);
  EXPECT_EQ(open(BaseOptions({{"url", std::string("ftp://x")}})).code(), ErrorCode::kConfigError);
  EXPECT_EQ(open(BaseOptions({{"url", std::string("http://u:p@x:9200")}})).code(),
            ErrorCode::kConfigError);
  EXPECT_EQ(open(BaseOptions({{"flavor", std::string("solr")}})).code(), ErrorCode::kConfigError);
  EXPECT_EQ(open(BaseOptions({{"index", std::string("a/b")}})).code(), ErrorCode::kConfigError);
  for (const auto& spec : factory->schema) {
    if (spec.name == "password" || spec.name == "api_key") {
      EXPECT_TRUE(spec.secret) << spec.name;
    }
  }
}

TEST(ElasticsearchProtocolUnit, ErrorBodiesAndTypes) {
  using namespace tributary::es;  // NOLINT
  const std::string body =
      R"({"error":{"root_cause":[{"type":"parsing_exception","reason":"line 1:9: bad"}],)"
      R"("type":"search_phase_execution_exception","reason":"all shards failed"},"status":400})";
  Status s = MapErrorResponse(400, body, "source 'x' (POST /_search)", "user 'u'");
  EXPECT_EQ(s.code(), ErrorCode::kQueryError);
  EXPECT_EQ(s.message(), "source 'x' (POST /_search): parsing_exception: line 1:9: bad");
  EXPECT_EQ(MapErrorResponse(503, "{}", "w", "u").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(MapErrorResponse(429, "{}", "w", "u").code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(
      MapErrorResponse(
          404,
          R"({"error":{"type":"index_not_found_exception","reason":"no such index [a]","index":"a"},"status":404})",
          "w", "u")
          .code(),
      ErrorCode::kNotFound);
  EXPECT_EQ(
      MapErrorResponse(
          400,
          R"({"error":{"reason":"Invalid SQL query","details":"no field x","type":"SemanticCheckException"},"status":400})",
          "w", "u")
          .message(),
      "w: SemanticCheckException: Invalid SQL query: no field x");
  EXPECT_EQ(MapSqlType("long"), ColumnType::kInt64);
  EXPECT_EQ(MapSqlType("half_float"), ColumnType::kDouble);
  EXPECT_EQ(MapSqlType("ip"), ColumnType::kString);
  EXPECT_EQ(MapSqlType("datetime"), ColumnType::kTimestamp);
  EXPECT_EQ(MapSqlType("date"), ColumnType::kDate);
  EXPECT_EQ(MapFieldType("date"), ColumnType::kTimestamp);
  EXPECT_EQ(MapSqlType("nested"), ColumnType::kJson);
  EXPECT_EQ(MapSqlType("object"), ColumnType::kJson);
  // Cells: epoch millis and ISO text as timestamps, ES SQL's NaN text, a mismatch is nullopt
  // (the column then becomes JSON).
  RawCell millis;
  millis.kind = JsonKind::kInt;
  millis.integer = 1707000000000;
  EXPECT_EQ(ConvertCell(millis, ColumnType::kTimestamp), Value::Timestamp(1707000000000000));
  RawCell text;
  text.kind = JsonKind::kString;
  text.text = "2024-02-29T13:14:15.5Z";
  EXPECT_EQ(ConvertCell(text, ColumnType::kTimestamp),
            Value::Timestamp(*ParseTimestamp("2024-02-29T13:14:15.5Z")));
  text.text = "2024-02-29";
  EXPECT_EQ(ConvertCell(text, ColumnType::kDate), Value::Date(*ParseDate("2024-02-29")));
  text.text = "NaN";
  auto nan = ConvertCell(text, ColumnType::kDouble);
  ASSERT_TRUE(nan.has_value());
  EXPECT_TRUE(std::isnan(nan->as_double()));
  RawCell array;
  array.kind = JsonKind::kArray;
  array.text = "[1,2]";
  EXPECT_FALSE(ConvertCell(array, ColumnType::kInt64).has_value());
  EXPECT_EQ(ConvertCell(array, ColumnType::kJson), Value::Json("[1,2]"));
  EXPECT_EQ(CellAsJson(text), "\"NaN\"");
  auto merged = FlattenMapping(
      R"({"a":{"mappings":{"properties":{"x":{"type":"long"},"o":{"properties":{"y":{"type":"keyword"}}}}}},)"
      R"("b":{"mappings":{"properties":{"x":{"type":"keyword"},"n":{"type":"nested"}}}}})");
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].name, "x");
  EXPECT_EQ((*merged)[0].type, "long|keyword");  // mapped differently: read as JSON
  EXPECT_EQ(MapFieldType((*merged)[0].type), ColumnType::kJson);
  EXPECT_EQ((*merged)[1].name, "o.y");
  EXPECT_EQ((*merged)[2].type, "nested");
  EXPECT_TRUE(ValidateIndexExpression("logs-*,-logs-old,metrics.2024+x").ok());
  EXPECT_FALSE(ValidateIndexExpression("logs/_search").ok());
  EXPECT_FALSE(ValidateIndexExpression("_cat").ok());
  EXPECT_FALSE(ValidateIndexExpression("a,,b").ok());
}

// ---- OpenSearch ----

EsProtocolServer& OpenSearchServer() {
  static EsProtocolServer* server = [] {
    EsServerOptions options;
    options.flavor = "opensearch";
    options.users = {{"admin", kPassword}};
    auto* s = new EsProtocolServer(options);
    EXPECT_TRUE(
        s->CreateIndex(
             "events",
             R"({"id": {"type": "long"}, "seen": {"type": "date"}, "kind": {"type": "keyword"}})")
            .ok());
    std::vector<std::pair<std::string, std::string>> docs;
    for (int i = 1; i <= 250; ++i) {
      docs.emplace_back(fmt::format("e{}", i),
                        fmt::format(R"({{"id":{},"seen":"2024-03-01T00:00:{:02}Z","kind":"k{}"}})",
                                    i, i % 60, i % 3));
    }
    EXPECT_TRUE(s->AddDocuments("events", docs).ok());
    return s;
  }();
  return *server;
}

Options OpenSearchOptions() {
  Options o;
  o.Set("url", Entry(OpenSearchServer().url()));
  o.Set("user", Entry(std::string("admin")));
  o.Set("password", Entry(std::string(kPassword), true));
  o.Set("page_size", Entry(int64_t{100}));
  return o;
}

TEST(OpenSearchProtocolTest, DetectsOpenSearchAndPagesThroughPluginSql) {
  auto conn = Make(OpenSearchOptions(), "os");
  auto health = conn->HealthCheck();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->detail, "OpenSearch 2.11.0, cluster 'tributary-test'");
  EXPECT_FALSE(conn->capabilities().parameters);
  auto r = conn->Execute(Req("SELECT id, seen, kind FROM events WHERE id > 5 ORDER BY id"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->row_count(), 245u);
  EXPECT_EQ(r->columns()[1].type, ColumnType::kTimestamp);
  EXPECT_EQ(r->columns()[1].source_type, "timestamp");
  EXPECT_EQ(r->ValueAt(0, 0), Value::Int64(6));
  EXPECT_EQ(r->ValueAt(0, 1), Value::Timestamp(*ParseTimestamp("2024-03-01T00:00:06Z")));
  auto sql = OpenSearchServer().RequestsTo("/_plugins/_sql");
  ASSERT_EQ(sql.size(), 3u);
  EXPECT_EQ(sql[0].Query("format"), "jdbc");
  EXPECT_TRUE(OpenSearchServer().RequestsTo("/_sql").empty());

  QueryRequest limited = Req("SELECT id FROM events ORDER BY id");
  limited.max_rows = 150;
  auto cut = conn->Execute(limited);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_EQ(cut->row_count(), 150u);
  EXPECT_TRUE(cut->stats().truncated);
  EXPECT_EQ(OpenSearchServer().RequestsTo("/_plugins/_sql/close").size(), 1u);
  EXPECT_EQ(OpenSearchServer().open_cursors(), 0u);

  auto params = conn->Execute(Req("SELECT id FROM events WHERE id = ?", {Value::Int64(1)}));
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), ErrorCode::kInvalidArgument);

  auto bad = conn->Execute(Req("SELECT nope FROM events"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kQueryError);
}

TEST(OpenSearchProtocolTest, DslPagesWithIdTiebreakerAndNoPointInTime) {
  auto conn = Make(OpenSearchOptions(), "os");
  const size_t before = OpenSearchServer().RequestsTo("/events/_search").size();
  auto r = conn->Execute(
      Req(R"({"index": "events", "query": {"term": {"kind": "k1"}}, "sort": [{"seen": "asc"}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->row_count(), 84u);
  auto searches = OpenSearchServer().RequestsTo("/events/_search");
  ASSERT_GE(searches.size() - before, 1u);
  EXPECT_EQ(json::serialize(BodyOf(searches[before])["sort"]), R"([{"seen":"asc"},{"_id":"asc"}])");
  EXPECT_TRUE(OpenSearchServer().RequestsTo("/_pit").empty());
  // All 250 in three pages, many sharing a timestamp across page boundaries: ordered by `seen`,
  // then `_id` (text order), none lost or repeated by search_after.
  const size_t pages = OpenSearchServer().RequestsTo("/events/_search").size();
  auto all = conn->Execute(Req(R"({"index": "events", "sort": [{"seen": "asc"}]})"));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->row_count(), 250u);
  EXPECT_EQ(OpenSearchServer().RequestsTo("/events/_search").size() - pages, 3u);
  std::set<std::string> ids;
  for (size_t i = 0; i < all->row_count(); ++i) {
    ids.insert(all->ValueAt(i, 0).as_string());
    if (i == 0) continue;
    const auto a = all->ValueAt(i - 1, Col(*all, "seen")).as_int();
    const auto b = all->ValueAt(i, Col(*all, "seen")).as_int();
    ASSERT_TRUE(a < b ||
                (a == b && all->ValueAt(i - 1, 0).as_string() < all->ValueAt(i, 0).as_string()))
        << i;
  }
  EXPECT_EQ(ids.size(), 250u);
}

// ---- End to end: config -> tributary query, /api/v1/query and the schema routes ----

class ElasticsearchProtocolEndToEnd : public ::testing::Test {
 protected:
  std::string WriteConfig() {
    const std::string path = dir_.File("tributary.yaml");
    testing::WriteFile(path,
                       "server:\n"
                       "  listen: 127.0.0.1:0\n"
                       "sources:\n"
                       "  logs:\n"
                       "    type: elasticsearch\n"
                       "    url: " +
                           Server().url() +
                           "\n"
                           "    user: elastic\n"
                           "    password: " +
                           std::string(kPassword) +
                           "\n"
                           "    index: logs-*\n"
                           "    page_size: 2\n");
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(ElasticsearchProtocolEndToEnd, CliQueryRunsSqlAndDsl) {
  const std::string config = WriteConfig();
  auto sql = testing::RunTributary({"query", "--config", config, "--format", "csv", "--param", "2",
                                    "SELECT \"user.name\" AS name, bytes FROM \"logs-*\" WHERE "
                                    "bytes > 100 AND \"user.id\" <= ? ORDER BY bytes"});
  EXPECT_EQ(sql.exit_code, 0) << sql.err;
  EXPECT_EQ(sql.out, "name,bytes\r\nann,120\r\nbob,4096\r\n");
  auto dsl = testing::RunTributary(
      {"query", "--config", config, "--format", "csv",
       R"({"query": {"term": {"level": "error"}}, "_source": ["level"], "sort": ["@timestamp"]})"});
  EXPECT_EQ(dsl.exit_code, 0) << dsl.err;
  EXPECT_EQ(dsl.out, "_id,_index,level\r\na2,logs-2024.01,error\r\nb1,logs-2024.02,error\r\n");
  auto bad = testing::RunTributary({"query", "--config", config, "DELETE FROM numbers"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.err.find(kPassword), std::string::npos);
}

TEST_F(ElasticsearchProtocolEndToEnd, HttpQueryAndSchemaRoutes) {
  std::string error;
  auto server = testing::ServerProcess::Start({"--config", WriteConfig()}, &error);
  ASSERT_NE(server, nullptr) << error;
  auto q = testing::PostQuery(
      server->port(),
      R"({"source": "logs", "sql": "SELECT level, count(*) AS c FROM \"logs-*\" WHERE latency > ? GROUP BY level ORDER BY level", "params": [1]})");
  ASSERT_EQ(q.status, 200) << q.body;
  json::value body = json::parse(q.body);
  EXPECT_EQ(json::serialize(body.at("rows")), R"([["error",2],["info",1],["warn",1]])");

  auto dsl = testing::PostQuery(
      server->port(),
      json::serialize(json::object{
          {"source", "logs"},
          {"sql",
           R"({"query": {"range": {"bytes": {"gte": 512}}}, "sort": [{"bytes": "desc"}], "_source": ["bytes"]})"}}));
  ASSERT_EQ(dsl.status, 200) << dsl.body;
  json::value hits = json::parse(dsl.body);
  EXPECT_EQ(json::serialize(hits.at("rows")),
            R"([["a2","logs-2024.01",4096],["a3","logs-2024.01",512]])");

  testing::HttpClient client(server->port());
  auto tables = client.Get("/api/v1/sources/logs/tables");
  ASSERT_EQ(tables.status, 200) << tables.body;
  EXPECT_NE(tables.body.find("\"logs-2024.02\""), std::string::npos);
  EXPECT_EQ(tables.body.find(".internal"), std::string::npos);
  auto described = client.Get("/api/v1/sources/logs/tables/logs-2024.01");
  ASSERT_EQ(described.status, 200) << described.body;
  EXPECT_NE(described.body.find("\"user.name\""), std::string::npos);
  EXPECT_NE(described.body.find("\"keyword\""), std::string::npos);
  auto missing = client.Get("/api/v1/sources/logs/tables/nosuch");
  EXPECT_EQ(missing.status, 404) << missing.body;
  auto sources = client.Get("/api/v1/sources");
  EXPECT_EQ(sources.body.find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace tributary::es_test
