// Protocol-level tests of what the Prometheus connector sends: the bearer token and extra
// headers, the form body (query, time / start-end-step, timeout), against a loopback server
// that answers like Prometheus's /api/v1/query and /api/v1/query_range. The test Prometheus
// (basic authentication) cannot show which headers arrived; everything else about the
// connector is tested against it in prometheus_integration_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "connectors/registry.h"
#include "support/local_http_server.h"

namespace tributary {
namespace {

using testing::LocalHttpRequest;
using testing::LocalHttpResponse;
using testing::LocalHttpServer;

// Decodes one application/x-www-form-urlencoded value.
std::string FormValue(const std::string& body, const std::string& name) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(pos, end - pos);
    if (pair.rfind(name + "=", 0) == 0) {
      std::string raw = pair.substr(name.size() + 1), out;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
          out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += raw[i] == '+' ? ' ' : raw[i];
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return "";
}

// Answers the query text back as a string result at the asked time (instant), or as a matrix
// with one point per step (range), the way Prometheus shapes them.
LocalHttpResponse Answer(const LocalHttpRequest& request) {
  LocalHttpResponse response;
  if (request.Header("authorization") != "Bearer tok-123") {
    response.status = 401;
    response.content_type = "text/plain";
    response.body = "Unauthorized\n";
    return response;
  }
  if (request.path == "/prefix/api/v1/query") {
    response.body = R"({"status":"success","data":{"resultType":"string","result":[)" +
                    FormValue(request.body, "time") + ",\"" + FormValue(request.body, "query") +
                    "\"]}}";
    return response;
  }
  if (request.path == "/prefix/api/v1/query_range") {
    const int64_t start = std::stoll(FormValue(request.body, "start"));
    const int64_t end = std::stoll(FormValue(request.body, "end"));
    const int64_t step = std::stoll(FormValue(request.body, "step"));
    std::string values;
    for (int64_t t = start; t <= end; t += step) {
      values += (values.empty() ? "" : ",") + std::string("[") + std::to_string(t) + ",\"" +
                std::to_string(t * 2) + "\"]";
    }
    response.body = R"({"status":"success","data":{"resultType":"matrix","result":[)"
                    R"({"metric":{"tenant":")" +
                    request.Header("x-scope-orgid") + R"("},"values":[)" + values + "]}]}}";
    return response;
  }
  response.status = 404;
  response.content_type = "text/plain";
  response.body = "404 page not found\n";
  return response;
}

std::unique_ptr<Connector> Open(const std::string& url, const std::string& token) {
  const ConnectorFactory* factory = FindConnector("prometheus");
  EXPECT_NE(factory, nullptr);
  SourceContext context;
  context.id = "prom_protocol";
  context.options.Set("url", {url, {}, false});
  context.options.Set("bearer_token", {token, {}, true});
  context.options.Set("headers",
                      {std::map<std::string, std::string>{{"X-Scope-OrgID", "acme"}}, {}, true});
  auto connector = factory->create(context);
  EXPECT_TRUE(connector->Open().ok());
  return connector;
}

TEST(PrometheusProtocolTest, SendsTokenHeadersAndTheFormBody) {
  LocalHttpServer server(Answer);
  auto connector = Open(server.url() + "/prefix/", "tok-123");
  QueryRequest instant;
  instant.sql = "sum(rate(x[5m]))";
  instant.options = {{"time", "1700000000.5"}};
  instant.timeout = std::chrono::milliseconds(7000);
  auto result = connector->Execute(instant);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->row_count(), 1u);
  EXPECT_EQ(result->ValueAt(0, 1), Value::String("sum(rate(x[5m]))"));
  EXPECT_EQ(result->ValueAt(0, 0), Value::Timestamp(1'700'000'000'500'000));

  const auto sent = server.requests().back();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.Header("x-scope-orgid"), "acme");
  EXPECT_EQ(sent.Header("content-type"), "application/x-www-form-urlencoded");
  // The time left, so Prometheus stops the evaluation itself.
  const std::string timeout = FormValue(sent.body, "timeout");
  ASSERT_GE(timeout.size(), 3u) << sent.body;
  EXPECT_EQ(timeout.substr(timeout.size() - 2), "ms");
  const int64_t ms = std::stoll(timeout);
  EXPECT_GT(ms, 6000);
  EXPECT_LE(ms, 7000);

  QueryRequest range;
  range.sql = "x";
  range.options = {{"start", "100"}, {"end", "160"}, {"step", "30s"}};
  auto matrix = connector->Execute(range);
  ASSERT_TRUE(matrix.ok()) << matrix.status().ToString();
  ASSERT_EQ(matrix->row_count(), 3u);
  ASSERT_EQ(matrix->column_count(), 3u);
  EXPECT_EQ(matrix->columns()[1].name, "tenant");
  EXPECT_EQ(matrix->ValueAt(2, 1), Value::String("acme"));
  EXPECT_EQ(matrix->ValueAt(2, 2), Value::Double(320));
  EXPECT_EQ(FormValue(server.requests().back().body, "step"), "30");
}

TEST(PrometheusProtocolTest, WrongTokenAndWrongPath) {
  LocalHttpServer server(Answer);
  auto wrong_token = Open(server.url() + "/prefix", "tok-999");
  QueryRequest request;
  request.sql = "up";
  auto denied = wrong_token->Execute(request);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(denied.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(denied.status().message().find("tok-999"), std::string::npos);

  auto wrong_path = Open(server.url() + "/elsewhere", "tok-123");
  auto missing = wrong_path->Execute(request);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("HTTP 404"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("base URL"), std::string::npos);
}

TEST(PrometheusProtocolTest, ConfigErrors) {
  const ConnectorFactory* factory = FindConnector("prometheus");
  ASSERT_NE(factory, nullptr);
  auto open_with = [&](std::vector<std::pair<std::string, std::string>> values) {
    SourceContext context;
    context.id = "p";
    for (auto& [k, v] : values) context.options.Set(k, {v, {}, false});
    return factory->create(context)->Open();
  };
  EXPECT_EQ(open_with({{"url", "127.0.0.1:9090"}}).code(), ErrorCode::kConfigError);
  EXPECT_EQ(open_with({{"url", "http://u:p@127.0.0.1:9090"}}).code(), ErrorCode::kConfigError);
  EXPECT_EQ(open_with({{"url", "http://127.0.0.1:9090/api/v1"}}).code(), ErrorCode::kConfigError);
  EXPECT_EQ(open_with({{"url", "http://h:9090"}, {"user", "u"}, {"bearer_token", "t"}}).code(),
            ErrorCode::kConfigError);
  Status step = open_with({{"url", "http://h:9090"}, {"default_step", "soon"}});
  EXPECT_EQ(step.code(), ErrorCode::kConfigError);
  EXPECT_NE(step.message().find("default_step"), std::string::npos);
  EXPECT_TRUE(open_with({{"url", "http://h:9090"}}).ok());
}

}  // namespace
}  // namespace tributary
