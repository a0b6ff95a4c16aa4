// The json_api conformance target ("json_api_protocol"): a JSON API served by a LocalHttpServer
// started lazily by PrepareFixtures, with bearer auth checked on every request:
// - /v1/types: conf_types (3 records, 2 per page, page-number pagination), each value in the
//   JSON form an API would use (decimals as strings or numbers, bytes base64, timestamps ISO);
// - /v1/numbers: conf_numbers, n = 1..100000, 10000 per page with cursor pagination;
// - /v1/slow: a page that takes a minute (the slow query for timeout, cancel and pool tests);
// - /health.
// Pages are computed from the data on each request. The source caches fetched tables for
// five minutes (cache_ttl_seconds), which is how a real deployment runs it and what makes the
// 320 queries of ConcurrentUse cheap: they still run on DuckDB, over the loaded pages.
// engine_read_only: the connector's scratch DuckDB is shared by every query, so the connector
// keeps its read-only check even for callers that skip the guard (the writes are refused).
// The server cannot be restarted on the same port: not restartable.
// Thread-safety: used by the suite's test thread; the server handler runs on its own threads.
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "conformance/conformance_target.h"
#include "conformance/targets/duckdb_expectations.h"
#include "support/local_http_server.h"

namespace tributary::conformance {
namespace {

constexpr const char* kToken = "conf-bearer-t0ken";
constexpr int64_t kNumbers = 100000;
constexpr int64_t kNumbersPage = 10000;

// conf_types as an API would send it: row 2 has only its id (the rest is missing or null).
const std::vector<std::string> kTypeRecords = {
    "{\"id\":1,\"i16\":12,\"i32\":-345,\"i64\":1234567890123,\"dec\":\"12.34\",\"f64\":2.5,"
    "\"flag\":true,\"txt\":\"hello\",\"day\":\"2024-02-29\",\"ts\":\"2024-02-29T13:14:15.123456\","
    "\"tstz\":\"2024-02-29T13:14:15+02:00\",\"doc\":{\"a\":[1,2],\"b\":\"x\"},\"raw\":\"AAFoaQ==\","
    "\"uid\":\"550e8400-e29b-41d4-a716-446655440000\",\"dur\":\"P1DT2H\",\"arr\":[1,2,3]}",
    "{\"id\":2,\"i16\":null,\"txt\":null,\"doc\":null}",
    "{\"id\":3,\"i16\":-32768,\"i32\":2147483647,\"i64\":-9223372036854775808,"
    "\"dec\":-99999999999999.9999,\"f64\":-1.5e300,\"flag\":false,"
    "\"txt\":\"Gr\u00fc\u00dfe e\u0301 \u6f22\u5b57 \U0001F600\",\"day\":\"0001-01-01\","
    "\"ts\":\"1969-12-31T23:59:59.5\",\"tstz\":\"9999-12-31T23:59:59.999999Z\",\"doc\":[],"
    "\"raw\":\"\",\"uid\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\",\"dur\":\"P-1M\",\"arr\":[]}",
};

testing::LocalHttpResponse Serve(const testing::LocalHttpRequest& request,
                                 const testing::LocalHttpServer* server) {
  testing::LocalHttpResponse response;
  if (request.Header("authorization") != std::string("Bearer ") + kToken) {
    response.status = 401;
    response.body = "{\"error\":\"unauthorized\"}";
    return response;
  }
  if (request.path == "/health") {
    response.body = "{\"status\":\"ok\"}";
  } else if (request.path == "/v1/types") {
    const int64_t page = std::stoll(request.Query("page", "1"));
    std::string records;
    for (int64_t i = (page - 1) * 2; i < page * 2 && i < 3; ++i) {
      if (!records.empty()) records += ',';
      records += kTypeRecords[i];
    }
    response.body = "{\"items\":[" + records + "]}";
  } else if (request.path == "/v1/numbers") {
    const std::string cursor = request.Query("after", "0");
    const int64_t from = std::stoll(cursor);
    const int64_t to = std::min(kNumbers, from + kNumbersPage);
    std::string body = "{\"result\":{\"rows\":[";
    for (int64_t n = from + 1; n <= to; ++n) {
      if (n > from + 1) body += ',';
      body += "{\"n\":";
      body += std::to_string(n);
      body += '}';
    }
    body += "]},\"next\":";
    if (to < kNumbers) {
      body += '"';
      body += std::to_string(to);
      body += '"';
    } else {
      body += "null";
    }
    body += '}';
    response.body = std::move(body);
  } else if (request.path == "/v1/slow") {
    server->WaitFor(std::chrono::milliseconds(60'000));
    response.body = "{\"items\":[]}";
  } else {
    response.status = 404;
    response.body = "{\"error\":\"not found\"}";
  }
  return response;
}

class JsonApiTarget final : public Target {
 public:
  ~JsonApiTarget() override {
    if (server_) server_->Stop();
  }

  std::string name() const override { return "json_api_protocol"; }
  std::string connector_type() const override { return "json_api"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.engine_read_only = true;  // see the file comment
    c.credentials = true;       // bearer token checked by the server
    c.restartable = false;
    return c;
  }

  Status PrepareFixtures() override {
    if (server_) return Status::Ok();
    server_ = std::make_unique<testing::LocalHttpServer>(
        [this](const testing::LocalHttpRequest& request) { return Serve(request, server_.get()); });
    return Status::Ok();
  }

  Options BaseOptions() const override { return OptionsFor(server_ ? server_->url() : "", kToken); }
  Options BadCredentialOptions() const override {
    return OptionsFor(server_ ? server_->url() : "", "not-the-token");
  }
  Options UnreachableOptions() const override { return OptionsFor("http://127.0.0.1:1", kToken); }

  std::string TypesQuery() const override { return DuckDbTypesQuery(); }
  std::vector<ExpectedColumn> ExpectedTypeColumns() const override {
    return DuckDbExpectedTypeColumns();
  }
  std::string ExpectedTypeRowsJson() const override { return DuckDbExpectedTypeRowsJson(); }

  std::string Placeholder(int i) const override {
    std::string placeholder = "$";
    placeholder += std::to_string(i);
    return placeholder;
  }

  //! A page that takes a minute to arrive, aborted by the timeout or cancel.
  std::string SlowQuery(int seconds) const override {
    (void)seconds;
    return "SELECT count(*) FROM conf_slow";
  }

  std::vector<std::string> EngineWrites() const override {
    return {"INSERT INTO conf_numbers VALUES (0)",
            "DELETE FROM conf_numbers",
            "UPDATE conf_types SET txt = 'x'",
            "DROP VIEW conf_numbers",
            "CREATE TABLE conf_evil (a INTEGER)",
            "COPY conf_numbers TO '/tmp/trib_conf_json_api_copy.csv'"};
  }

  Status RestartServer() override {
    return InvalidArgument("the JSON API test server lives in the test process: not restartable");
  }

 private:
  // The source as a config file would declare it, loaded through the config loader.
  static Options OptionsFor(const std::string& url, const std::string& token) {
    const std::string yaml =
        "sources:\n"
        "  api:\n"
        "    type: json_api\n"
        "    base_url: " +
        (url.empty() ? std::string("http://127.0.0.1:1") : url) +
        "\n"
        "    auth: {type: bearer, token: \"${CONF_API_TOKEN}\"}\n"
        "    health_path: /health\n"
        "    cache_ttl_seconds: 300\n"
        "    max_pages: 50\n"
        "    connect_timeout_ms: 3000\n"
        "    tables:\n"
        "      conf_types:\n"
        "        path: /v1/types\n"
        "        records: /items\n"
        "        pagination: {type: page, param: page, size: 2}\n"
        "        columns:\n"
        "          id: {pointer: /id, type: int64}\n"
        "          i16: {pointer: /i16, type: int64}\n"
        "          i32: {pointer: /i32, type: int64}\n"
        "          i64: {pointer: /i64, type: int64}\n"
        "          dec: {pointer: /dec, type: 'decimal(18,4)'}\n"
        "          f64: {pointer: /f64, type: double}\n"
        "          flag: {pointer: /flag, type: bool}\n"
        "          txt: {pointer: /txt, type: string}\n"
        "          day: {pointer: /day, type: date}\n"
        "          ts: {pointer: /ts, type: timestamp}\n"
        "          tstz: {pointer: /tstz, type: timestamp}\n"
        "          doc: {pointer: /doc, type: json}\n"
        "          raw: {pointer: /raw, type: bytes}\n"
        "          uid: {pointer: /uid, type: string}\n"
        "          dur: {pointer: /dur, type: string}\n"
        "          arr: {pointer: /arr, type: json}\n"
        "      conf_numbers:\n"
        "        path: /v1/numbers\n"
        "        records: /result/rows\n"
        "        pagination: {type: cursor, pointer: /next, param: after}\n"
        "        columns:\n"
        "          n: {pointer: /n, type: int64}\n"
        "      conf_slow:\n"
        "        path: /v1/slow\n"
        "        records: /items\n"
        "        columns:\n"
        "          x: {pointer: /x, type: int64}\n";
    auto config = LoadConfigText(yaml, "json_api_target.yaml", "/tmp",
                                 [token](const std::string& name) -> std::optional<std::string> {
                                   if (name == "CONF_API_TOKEN") return token;
                                   return std::nullopt;
                                 });
    if (!config.ok() || config->sources.empty()) {
      // Surfaces as a failure of every case (the connector refuses to open without tables).
      return MakeOptions({{"base_url", std::string("http://127.0.0.1:1")}});
    }
    return config->sources.front().options;
  }

  std::unique_ptr<testing::LocalHttpServer> server_;
};

const bool kRegistered = RegisterTarget([] { return std::make_unique<JsonApiTarget>(); });

}  // namespace
}  // namespace tributary::conformance
