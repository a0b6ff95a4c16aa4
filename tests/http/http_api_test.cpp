// End-to-end tests of the HTTP API against the real binary: one server, started once for the
// HttpApi and HttpQuery suites, serving a DuckDB source over a small CSV file.
#include <duckdb.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <thread>

#include "core/json_value.h"
#include "support/server_harness.h"

namespace tributary::testing {
namespace {

namespace json = boost::json;

// A recognisable option value: it must never show up in any answer.
constexpr std::string_view kMarker = "XYZZY-marker";

class SharedServer {
 public:
  static SharedServer& Get() {
    static SharedServer server;
    return server;
  }
  uint16_t port() const { return process_ ? process_->port() : 0; }
  ServerProcess* process() const { return process_.get(); }
  const std::string& error() const { return error_; }
  const std::string& csv_path() const { return csv_path_; }

 private:
  SharedServer() {
    std::string data_dir = dir_.File(std::string(kMarker));
    std::filesystem::create_directories(data_dir);
    csv_path_ = data_dir + "/events.csv";
    WriteFile(csv_path_,
              "id,name,amount,day\n"
              "1,alice,10.5,2026-01-01\n"
              "2,bob,20.25,2026-01-02\n"
              "3,carol,,2026-01-03\n");
    // A database file with a base table, so that writes reach the statement guard.
    db_path_ = data_dir + "/accounts.duckdb";
    CreateDatabase(db_path_);
    std::string config = dir_.File("tributary.yaml");
    WriteFile(config,
              "server:\n"
              "  listen: 127.0.0.1:0\n"
              "  max_body_bytes: 8192\n"
              "  max_header_bytes: 4096\n"
              "  io_threads: 2\n"
              "  worker_threads: 8\n"
              "sources:\n"
              "  local:\n"
              "    type: duckdb\n"
              "    max_connections: 8\n"
              "    path: " +
                  db_path_ +
                  "\n"
                  "    tables:\n"
                  "      events: " +
                  csv_path_ + "\n");
    process_ = ServerProcess::Start({"--config", config}, &error_);
  }

  static void CreateDatabase(const std::string& path) {
    duckdb_database db = nullptr;
    duckdb_connection con = nullptr;
    ASSERT_EQ(duckdb_open(path.c_str(), &db), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
    EXPECT_EQ(duckdb_query(con,
                           "CREATE TABLE accounts(id INTEGER, owner VARCHAR);"
                           "INSERT INTO accounts VALUES (1, 'ann'), (2, 'ben');",
                           nullptr),
              DuckDBSuccess);
    duckdb_disconnect(&con);
    duckdb_close(&db);
  }

  TempDir dir_;
  std::string db_path_;
  std::string csv_path_;
  std::string error_;
  std::unique_ptr<ServerProcess> process_;
};

class HttpApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(SharedServer::Get().port(), 0) << SharedServer::Get().error();
    port_ = SharedServer::Get().port();
  }
  HttpResponse Get(const std::string& target,
                   const std::map<std::string, std::string>& headers = {}) {
    HttpClient client(port_);
    return client.Get(target, headers);
  }
  HttpResponse Query(const std::string& body,
                     const std::map<std::string, std::string>& headers = {}) {
    return PostQuery(port_, body, headers);
  }
  static json::value Json(const HttpResponse& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << r.body;
    return v;
  }
  static std::string ErrorCode(const HttpResponse& r) {
    json::value v = Json(r);
    if (!v.is_object() || !v.as_object().contains("error")) return "(no error)";
    return std::string(v.at("error").at("code").as_string());
  }
  static std::string ErrorMessage(const HttpResponse& r) {
    json::value v = Json(r);
    if (!v.is_object() || !v.as_object().contains("error")) return "(no error)";
    return std::string(v.at("error").at("message").as_string());
  }
  uint16_t port_ = 0;
};

using HttpQuery = HttpApi;

TEST_F(HttpApi, HealthzAnswersOk) {
  HttpResponse r = Get("/healthz");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(Json(r), json::parse(R"js({"status":"ok"})js"));
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  EXPECT_EQ(r.Header("server").rfind("tributary/", 0), 0u) << r.Header("server");
}

TEST_F(HttpApi, ReadyzReportsEverySourceOk) {
  HttpResponse r = Get("/readyz");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r);
  EXPECT_EQ(v.at("status").as_string(), "ready");
  EXPECT_EQ(v.at("sources").at("local").as_string(), "ok");
  EXPECT_EQ(v.at("configVersion").as_string().size(), 12u) << r.body;
}

TEST_F(HttpApi, SourcesListShowsHealthAndCapabilitiesButNoOptions) {
  HttpResponse r = Get("/api/v1/sources");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r);
  const json::array& sources = v.at("sources").as_array();
  ASSERT_EQ(sources.size(), 1u);
  const json::value& s = sources[0];
  EXPECT_EQ(s.at("id").as_string(), "local");
  EXPECT_EQ(s.at("type").as_string(), "duckdb");
  EXPECT_EQ(s.at("status").as_string(), "ok");
  EXPECT_TRUE(s.at("latencyMs").is_number());
  EXPECT_TRUE(s.at("checkedAt").is_string());
  EXPECT_TRUE(s.at("error").is_null());
  EXPECT_EQ(s.at("capabilities").at("dialect").as_string(), "duckdb");
  EXPECT_TRUE(s.at("capabilities").at("schemaIntrospection").is_bool());
  EXPECT_TRUE(s.at("capabilities").at("costEstimate").is_bool());
  EXPECT_EQ(r.body.find(kMarker), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("events.csv"), std::string::npos) << r.body;

  // Nothing else reveals the option values either.
  for (const char* target : {"/readyz", "/api/v1/sources/local/tables",
                             "/api/v1/sources/local/tables/events", "/metrics"}) {
    HttpResponse other = Get(target);
    EXPECT_EQ(other.body.find(kMarker), std::string::npos) << target << ": " << other.body;
  }
}

TEST_F(HttpApi, ListsAndDescribesTables) {
  HttpResponse list = Get("/api/v1/sources/local/tables");
  ASSERT_EQ(list.status, 200) << list.body;
  json::value v = Json(list);
  EXPECT_EQ(v.at("source").as_string(), "local");
  bool found = false;
  for (const auto& t : v.at("tables").as_array()) {
    if (t.at("name").as_string() == "events") {
      found = true;
      EXPECT_TRUE(t.at("schema").is_string());
      EXPECT_TRUE(t.at("kind").is_string());
    }
  }
  EXPECT_TRUE(found) << list.body;

  HttpResponse describe = Get("/api/v1/sources/local/tables/events");
  ASSERT_EQ(describe.status, 200) << describe.body;
  json::value d = Json(describe);
  EXPECT_EQ(d.at("source").as_string(), "local");
  EXPECT_EQ(d.at("table").at("name").as_string(), "events");
  const json::array& columns = d.at("columns").as_array();
  ASSERT_EQ(columns.size(), 4u) << describe.body;
  EXPECT_EQ(columns[0].at("name").as_string(), "id");
  EXPECT_EQ(columns[0].at("type").as_string(), "int64");
  EXPECT_TRUE(columns[0].at("sourceType").is_string());
  EXPECT_TRUE(columns[0].at("nullable").is_bool());
  EXPECT_EQ(columns[1].at("name").as_string(), "name");
  EXPECT_EQ(columns[1].at("type").as_string(), "string");
  EXPECT_EQ(columns[3].at("type").as_string(), "date");

  // Percent-encoded path segments are decoded.
  EXPECT_EQ(Get("/api/v1/sources/lo%63al/tables/ev%65nts").status, 200);
}

TEST_F(HttpApi, UnknownSourceAndTableAre404) {
  HttpResponse source = Get("/api/v1/sources/nope/tables");
  EXPECT_EQ(source.status, 404) << source.body;
  EXPECT_EQ(ErrorCode(source), "NOT_FOUND");
  EXPECT_NE(ErrorMessage(source).find("local"), std::string::npos) << source.body;

  HttpResponse describe_source = Get("/api/v1/sources/nope/tables/events");
  EXPECT_EQ(describe_source.status, 404) << describe_source.body;

  HttpResponse table = Get("/api/v1/sources/local/tables/no_such_table");
  EXPECT_EQ(table.status, 404) << table.body;
  EXPECT_EQ(ErrorCode(table), "NOT_FOUND");
}

TEST_F(HttpApi, UnknownRouteIs404AndWrongMethodIs405) {
  HttpResponse r = Get("/api/v2/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "NOT_FOUND");
  EXPECT_EQ(r.body.find(kMarker), std::string::npos);

  HttpClient client(port_);
  HttpResponse get_query = client.Get("/api/v1/query");
  EXPECT_EQ(get_query.status, 405);
  EXPECT_EQ(get_query.Header("allow"), "POST");
  EXPECT_EQ(ErrorCode(get_query), "METHOD_NOT_ALLOWED");

  HttpResponse post_sources = client.Post("/api/v1/sources", "{}");
  EXPECT_EQ(post_sources.status, 405);
  EXPECT_EQ(post_sources.Header("allow"), "GET");

  HttpResponse del = client.Request("DELETE", "/healthz", "");
  EXPECT_EQ(del.status, 405);
  // Errors do not cost the connection.
  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpApi, EchoesValidRequestIdsAndGeneratesOthers) {
  HttpResponse echoed = Get("/healthz", {{"X-Request-Id", "client-id_1.2"}});
  EXPECT_EQ(echoed.Header("x-request-id"), "client-id_1.2");

  HttpResponse generated = Get("/healthz");
  EXPECT_TRUE(std::regex_match(generated.Header("x-request-id"), std::regex("[0-9a-f]{16}")))
      << generated.Header("x-request-id");

  HttpResponse replaced = Get("/api/nowhere", {{"X-Request-Id", "not valid!"}});
  std::string id = replaced.Header("x-request-id");
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{16}"))) << id;
  EXPECT_EQ(Json(replaced).at("error").at("requestId").as_string(), id);

  HttpResponse in_error = Get("/api/nowhere", {{"X-Request-Id", "abc123"}});
  EXPECT_EQ(Json(in_error).at("error").at("requestId").as_string(), "abc123");
}

TEST_F(HttpApi, RejectsOversizedBodiesAndHeaders) {
  std::string big_sql = "SELECT '" + std::string(10000, 'x') + "'";
  HttpResponse body = Query(R"js({"sql":")js" + big_sql + R"js("})js");
  EXPECT_EQ(body.status, 413) << body.error << body.body;
  EXPECT_EQ(ErrorCode(body), "PAYLOAD_TOO_LARGE");

  std::string raw =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(8000, 'p') + "\r\n\r\n";
  HttpResponse header = RawExchange(port_, raw);
  EXPECT_EQ(header.status, 431) << header.error << header.body;

  // The server is still fine.
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpApi, MalformedHttpIs400) {
  HttpResponse r = RawExchange(port_, "GARBAGE\r\n\r\n");
  EXPECT_EQ(r.status, 400) << r.error;
}

TEST_F(HttpApi, MetricsCountRequestsByRouteAndQueriesBySource) {
  ASSERT_EQ(Query(R"js({"sql":"SELECT 1 AS one"})js").status, 200);
  ASSERT_EQ(Get("/api/v1/sources/local/tables/events").status, 200);
  // A request is counted once its response is written, which may be just after the client has
  // read it (and sent the next request on another connection): poll briefly.
  HttpResponse r;
  for (int attempt = 0; attempt < 50; ++attempt) {
    r = Get("/metrics");
    ASSERT_EQ(r.status, 200);
    if (r.body.find("route=\"/api/v1/sources/{id}/tables/{table}\"") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(r.Header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(r.body.find("tributary_http_requests_total{"), std::string::npos);
  EXPECT_NE(r.body.find("route=\"/api/v1/query\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("route=\"/api/v1/sources/{id}/tables/{table}\""), std::string::npos);
  EXPECT_EQ(r.body.find("route=\"/api/v1/sources/local/tables/events\""), std::string::npos);
  EXPECT_NE(r.body.find("tributary_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find("tributary_http_requests_in_flight"), std::string::npos);
  std::regex source_ok(R"re(tributary_source_queries_total\{[^}]*source="local"[^}]*\} [1-9])re");
  EXPECT_TRUE(std::regex_search(r.body, source_ok)) << r.body;
  EXPECT_NE(r.body.find("tributary_source_query_duration_seconds"), std::string::npos);
}

TEST_F(HttpApi, WritesJsonAccessLogLines) {
  ASSERT_EQ(Get("/healthz", {{"X-Request-Id", "access-log-probe"}}).status, 200);
  ServerProcess* p = SharedServer::Get().process();
  ASSERT_TRUE(p->WaitForStderr("access-log-probe", 10s));
  std::string err = p->Stderr();
  size_t at = err.find("access-log-probe");
  size_t start = err.rfind('\n', at) + 1;
  std::string line = err.substr(start, err.find('\n', at) - start);
  json::value v = json::parse(line);
  EXPECT_EQ(v.at("method").as_string(), "GET");
  EXPECT_EQ(v.at("path").as_string(), "/healthz");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_TRUE(v.at("ts").is_string());
  EXPECT_TRUE(v.at("bytes").is_number());
  EXPECT_TRUE(v.at("durationMs").is_number());
  EXPECT_TRUE(v.at("remote").is_string());
}

TEST_F(HttpApi, ServesManyConcurrentKeepAliveClients) {
  constexpr int kClients = 64;
  constexpr int kRequestsEach = 8;
  std::atomic<int> ok{0};
  std::atomic<int> reused{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(port_);
      for (int i = 0; i < kRequestsEach; ++i) {
        HttpResponse r;
        switch (i % 3) {
          case 0:
            r = client.Get("/healthz");
            break;
          case 1:
            r = client.Get("/api/v1/sources");
            break;
          default:
            r = client.Post("/api/v1/query",
                            fmt::format(R"js({{"sql":"SELECT count(*) AS n )js"
                                        R"js(FROM events WHERE id > $1","params":[{}]}})js",
                                        i % 3));
            break;
        }
        if (r.status == 200) {
          ++ok;
        } else {
          failures[c] = "request " + std::to_string(i) + ": " + std::to_string(r.status) + " " +
                        r.error + " " + r.body;
        }
      }
      if (client.connections_opened() == 1) ++reused;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_TRUE(f.empty()) << f;
  EXPECT_EQ(ok.load(), kClients * kRequestsEach);
  EXPECT_EQ(reused.load(), kClients);
}

TEST_F(HttpApi, AnswersPipelinedRequestsInOrder) {
  std::string raw =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
      "GET /api/nowhere HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\nConnection: close\r\n\r\n";
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  boost::asio::write(socket, boost::asio::buffer(raw));
  std::string all;
  boost::system::error_code ec;
  char buf[4096];
  while (!ec) {
    size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    all.append(buf, n);
  }
  size_t first = all.find("X-Request-Id: first");
  size_t second = all.find("X-Request-Id: second");
  ASSERT_NE(first, std::string::npos) << all;
  ASSERT_NE(second, std::string::npos) << all;
  EXPECT_LT(first, second);
  EXPECT_NE(all.find("HTTP/1.1 404"), std::string::npos);
}

// ---- POST /api/v1/query ----

TEST_F(HttpQuery, ReturnsExactColumnsAndRows) {
  HttpResponse r = Query(R"js({"sql":"SELECT id, name FROM events ORDER BY id"})js");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r);
  EXPECT_EQ(v.at("columns"), json::parse(R"([{"name":"id","type":"int64","sourceType":"BIGINT"},
                                              {"name":"name","type":"string","sourceType":"VARCHAR"}])"))
      << r.body;
  EXPECT_EQ(v.at("rows"), json::parse(R"([[1,"alice"],[2,"bob"],[3,"carol"]])"));
  EXPECT_EQ(v.at("stats").at("rows").as_int64(), 3);
  EXPECT_EQ(v.at("stats").at("truncated").as_bool(), false);
  EXPECT_TRUE(v.at("stats").at("elapsedMs").is_number());

  // With the source named explicitly, and nulls.
  HttpResponse named = Query(
      R"js({"source":"local","sql":"SELECT amount FROM events ORDER BY id","limit":100,"timeoutMs":5000})js");
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(Json(named).at("rows"), json::parse("[[10.5],[20.25],[null]]"));
}

TEST_F(HttpQuery, StreamsCsvWhenAccepted) {
  HttpResponse r = Query(R"js({"sql":"SELECT id, name, amount FROM events ORDER BY id"})js",
                         {{"Accept", "text/csv"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(r.body, "id,name,amount\r\n1,alice,10.5\r\n2,bob,20.25\r\n3,carol,\r\n");

  // Large enough for several chunks.
  HttpResponse big =
      Query(R"js({"sql":"SELECT range AS n, 'row,' || range AS s FROM range(20000)","limit":20000
})js",
            {{"Accept", "text/csv"}});
  ASSERT_EQ(big.status, 200) << big.body;
  EXPECT_EQ(big.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(std::count(big.body.begin(), big.body.end(), '\n'), 20001);
  EXPECT_NE(big.body.find("19999,\"row,19999\"\r\n"), std::string::npos);
}

TEST_F(HttpQuery, BindsTypedParameters) {
  HttpResponse r = Query(R"js({"sql":"SELECT $1 + 1 AS d, $2 AS n, $3 AS s, $4 AS b, $5 AS x",
      "params":[{"type":"date","value":"2026-01-01"}, 5, "text", true, {"type":"decimal","value":"1.25"}]})js");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r);
  const json::array& row = v.at("rows").as_array().at(0).as_array();
  EXPECT_EQ(row.at(0).as_string(), "2026-01-02") << r.body;
  EXPECT_EQ(row.at(1).as_int64(), 5);
  EXPECT_EQ(row.at(2).as_string(), "text");
  EXPECT_EQ(row.at(3).as_bool(), true);
  EXPECT_DOUBLE_EQ(row.at(4).to_number<double>(), 1.25);

  HttpResponse filtered = Query(
      R"js({"sql":"SELECT count(*) AS n FROM events WHERE day >= $1","params":[{"type":"date","value":"2026-01-02"}]})js");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(Json(filtered).at("rows"), json::parse("[[2]]"));

  HttpResponse bad =
      Query(R"js({"sql":"SELECT $1","params":[{"type":"date","value":"yesterday"}]})js");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(ErrorMessage(bad).find("params[0]"), std::string::npos) << bad.body;
}

TEST_F(HttpQuery, ADoubleParameterKeepsItsLastBit) {
  // Boost.JSON 1.81's own parser reads this as 474.5938056855635.
  HttpResponse r = Query(
      R"js({"sql":"SELECT $1 = 474.59380568556355::DOUBLE AS same, $1 AS p","params":[474.59380568556355]})js");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value row = ParseJson(r.body).at("rows").at(0);
  EXPECT_TRUE(row.at(0).as_bool()) << r.body;
  // Written back with 17 digits that name the same double.
  EXPECT_EQ(std::bit_cast<std::uint64_t>(row.at(1).as_double()),
            std::bit_cast<std::uint64_t>(474.59380568556355))
      << r.body;
}

TEST_F(HttpQuery, FlagsTruncationAtTheLimit) {
  HttpResponse r = Query(R"js({"sql":"SELECT * FROM range(100)","limit":10})js");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Json(r);
  EXPECT_EQ(v.at("rows").as_array().size(), 10u);
  EXPECT_EQ(v.at("stats").at("rows").as_int64(), 10);
  EXPECT_EQ(v.at("stats").at("truncated").as_bool(), true);
  EXPECT_EQ(v.at("stats").at("truncatedBy").as_string(), "rows");
}

TEST_F(HttpQuery, AppliesTheDefaultRowLimit) {
  HttpResponse r = Query(R"js({"sql":"SELECT * FROM range(10005)"})js");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  json::value v = Json(r);
  EXPECT_EQ(v.at("rows").as_array().size(), 10000u);
  EXPECT_EQ(v.at("stats").at("truncated").as_bool(), true);
}

TEST_F(HttpQuery, RejectsMalformedBodiesWith400) {
  HttpResponse malformed = Query("{\"sql\": \"SELECT 1\",}");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(ErrorCode(malformed), "INVALID_ARGUMENT");
  EXPECT_NE(ErrorMessage(malformed).find("line 1, column 20"), std::string::npos) << malformed.body;

  HttpResponse unknown = Query(R"js({"sql":"SELECT 1","rows":5})js");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(ErrorMessage(unknown).find("unknown field 'rows'"), std::string::npos);
  EXPECT_NE(ErrorMessage(unknown).find("allowed fields"), std::string::npos);

  HttpResponse missing = Query(R"js({"params":[]})js");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(ErrorMessage(missing).find("'sql' is required"), std::string::npos);

  HttpResponse wrong_type = Query(R"js({"sql":"SELECT 1","limit":"10"})js");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(ErrorMessage(wrong_type).find("'limit' must be an integer"), std::string::npos);

  HttpResponse too_many = Query(R"js({"sql":"SELECT 1","limit":0})js");
  EXPECT_EQ(too_many.status, 400);

  HttpResponse unknown_source = Query(R"js({"source":"nope","sql":"SELECT 1"})js");
  EXPECT_EQ(unknown_source.status, 404);
  EXPECT_NE(ErrorMessage(unknown_source).find("local"), std::string::npos);
}

TEST_F(HttpQuery, RefusesWritesFilesAndMultipleStatements) {
  HttpResponse del = Query(R"js({"sql":"DELETE FROM accounts"})js");
  EXPECT_EQ(del.status, 403) << del.body;
  EXPECT_EQ(ErrorCode(del), "PERMISSION_DENIED");
  HttpResponse still = Query(R"js({"sql":"SELECT count(*) FROM accounts"})js");
  EXPECT_EQ(Json(still).at("rows"), json::parse("[[2]]")) << still.body;

  HttpResponse passwd = Query(R"js({"sql":"SELECT * FROM read_csv('/etc/passwd')"
})js");
  EXPECT_TRUE(passwd.status == 400 || passwd.status == 403) << passwd.body;
  EXPECT_EQ(passwd.body.find("root:"), std::string::npos);

  HttpResponse multi = Query(R"js({"sql":"SELECT 1; SELECT 2"})js");
  EXPECT_EQ(multi.status, 400) << multi.body;
  EXPECT_EQ(ErrorCode(multi), "QUERY_ERROR");

  HttpResponse syntax = Query(R"js({"sql":"SELEC 1"})js");
  EXPECT_EQ(syntax.status, 400) << syntax.body;
  EXPECT_EQ(ErrorCode(syntax), "QUERY_ERROR");
}

// Slow enough to outlast any timeout used here on any machine.
constexpr std::string_view kSlowSql =
    "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b";

TEST_F(HttpQuery, StopsQueriesAtTheirTimeout) {
  HttpResponse r = Query(R"js({"sql":")js" + std::string(kSlowSql) + R"js(","timeoutMs":300})js");
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(ErrorCode(r), "DEADLINE_EXCEEDED");
}

TEST_F(HttpQuery, CancelsTheQueryWhenTheClientDisconnects) {
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    std::string body = R"js({"sql":")js" + std::string(kSlowSql) + R"js(","timeoutMs":60000})js";
    std::string raw =
        "POST /api/v1/query HTTP/1.1\r\nHost: x\r\nX-Request-Id: walks-away\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    boost::asio::write(socket, boost::asio::buffer(raw));
    std::this_thread::sleep_for(300ms);
  }  // closes the socket mid-query
  ServerProcess* p = SharedServer::Get().process();
  ASSERT_TRUE(p->WaitForStderr("\"requestId\":\"walks-away\"", 20s)) << p->Stderr();
  std::string err = p->Stderr();
  size_t at = err.find("\"requestId\":\"walks-away\"");
  std::string line = err.substr(err.rfind('\n', at) + 1);
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find("\"status\":499"), std::string::npos) << line;
  // The engine stopped: the source recorded a cancelled query.
  HttpResponse metrics = Get("/metrics");
  EXPECT_NE(metrics.body.find("outcome=\"CANCELLED\""), std::string::npos);
}

}  // namespace
}  // namespace tributary::testing
