// The MCP protocol layer in process: JSON-RPC framing, version negotiation, tools/list,
// argument validation against the input schemas, errors as tool results, resources, and the
// `mcp:` config section. The tools run as their REST routes on a real Api and a DuckDB
// runtime (no HTTP here: mcp_e2e_test.cpp covers both transports through the binary).
#include "mcp/mcp_protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <tuple>

#include "config/config.h"
#include "demo/demo_data.h"
#include "orchestrator/runtime.h"
#include "server/api.h"
#include "support/server_harness.h"

namespace tributary {
namespace {

namespace json = boost::json;

constexpr const char* kConfig = R"(
sources:
  mcpunit_db: {type: duckdb}
  mcpunit_other: {type: duckdb}
projects:
  mcpunit: {sources: [mcpunit_db]}
  mcpunit_b: {sources: [mcpunit_other]}
default_project: mcpunit
mcp: {max_result_bytes: 2048, default_row_limit: 7}
)";

class McpProtocol : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!runtime) {
      Result<Config> config = LoadConfigText(kConfig, "mcp_unit.yaml", ".");
      ASSERT_TRUE(config.ok()) << config.status().ToString();
      runtime = Runtime::Open(std::move(config).value());
    }
    ctx.runtime = runtime;
    ctx.client_address = "127.0.0.1";
    ctx.identity = "address:127.0.0.1";
    ctx.request_id = "mcp-unit";
  }

  //! The response to `message` (parsed); null JSON when there is none.
  json::value Send(const std::string& message) {
    McpReply reply = api.mcp().Handle(message, ctx);
    if (!reply.response) return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(*reply.response, ec);
    EXPECT_FALSE(ec) << *reply.response;
    return v;
  }
  json::value Request(const std::string& method, const std::string& params = "{}") {
    return Send(R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}");
  }
  //! tools/call's result object.
  json::object Call(const std::string& tool, const std::string& arguments) {
    json::value v =
        Request("tools/call", R"({"name":")" + tool + R"(","arguments":)" + arguments + "}");
    EXPECT_TRUE(v.as_object().contains("result")) << json::serialize(v);
    if (!v.as_object().contains("result")) return {};
    return v.at("result").as_object();
  }
  //! The {code, message} of an isError result ("" code when it is not one).
  static std::pair<std::string, std::string> ErrorOf(const json::object& result) {
    if (!result.contains("isError") || !result.at("isError").as_bool()) return {"", ""};
    EXPECT_FALSE(result.contains("structuredContent"));
    json::value text = json::parse(result.at("content").at(0).at("text").as_string());
    return {std::string(text.at("error").at("code").as_string()),
            std::string(text.at("error").at("message").as_string())};
  }
  static int ErrorCode(const json::value& response) {
    return static_cast<int>(response.at("error").at("code").to_number<int64_t>());
  }

  static std::shared_ptr<Runtime> runtime;
  Api api;
  McpCallContext ctx;
};

std::shared_ptr<Runtime> McpProtocol::runtime;

TEST_F(McpProtocol, InitializeNegotiatesTheVersion) {
  for (const char* asked : {"2025-11-25", "2025-06-18", "2025-03-26"}) {
    json::value v = Request("initialize",
                            std::string(R"({"protocolVersion":")") + asked +
                                R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}})");
    EXPECT_EQ(v.at("jsonrpc").as_string(), "2.0");
    EXPECT_EQ(v.at("id").as_int64(), 1);
    EXPECT_EQ(v.at("result").at("protocolVersion").as_string(), asked);
    EXPECT_EQ(v.at("result").at("serverInfo").at("name").as_string(), "tributary");
    EXPECT_TRUE(v.at("result").at("capabilities").as_object().contains("tools"));
    EXPECT_TRUE(v.at("result").at("capabilities").as_object().contains("resources"));
  }
  json::value v = Request("initialize", R"({"protocolVersion":"2024-11-05","capabilities":{}})");
  EXPECT_EQ(v.at("result").at("protocolVersion").as_string(), "2025-11-25");
  EXPECT_TRUE(IsSupportedMcpVersion("2025-06-18"));
  EXPECT_FALSE(IsSupportedMcpVersion("2024-11-05"));
}

TEST_F(McpProtocol, PingNotificationsAndStringIds) {
  json::value v = Send(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})");
  EXPECT_EQ(v.at("id").as_string(), "abc");
  EXPECT_TRUE(v.at("result").as_object().empty());
  EXPECT_TRUE(Send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").is_null());
  // A response from the client (the server asks nothing, but it must not answer one).
  EXPECT_TRUE(Send(R"({"jsonrpc":"2.0","id":5,"result":{}})").is_null());
}

TEST_F(McpProtocol, ProtocolErrors) {
  McpReply bad = api.mcp().Handle("{not json", ctx);
  ASSERT_TRUE(bad.response);
  EXPECT_TRUE(bad.malformed);
  json::value v = json::parse(*bad.response);
  EXPECT_EQ(ErrorCode(v), -32700);
  EXPECT_TRUE(v.at("id").is_null());
  EXPECT_EQ(ErrorCode(Send(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])")), -32600);
  EXPECT_EQ(ErrorCode(Send(R"({"jsonrpc":"1.0","id":1,"method":"ping"})")), -32600);
  EXPECT_EQ(ErrorCode(Send(R"({"jsonrpc":"2.0","id":null,"method":"ping"})")), -32600);
  EXPECT_EQ(ErrorCode(Request("no/such/method")), -32601);
  json::value unknown = Request("tools/call", R"({"name":"drop_everything","arguments":{}})");
  EXPECT_EQ(ErrorCode(unknown), -32602);
  EXPECT_NE(std::string(unknown.at("error").at("message").as_string()).find("drop_everything"),
            std::string::npos);
  EXPECT_EQ(ErrorCode(Request("tools/call", R"({"arguments":{}})")), -32602);
  EXPECT_EQ(ErrorCode(Request("resources/read", "{}")), -32602);
}

TEST_F(McpProtocol, ToolsListHasEveryToolWithSchemas) {
  json::value v = Request("tools/list");
  const json::array& tools = v.at("result").at("tools").as_array();
  std::set<std::string> names;
  for (const auto& t : tools) {
    names.insert(std::string(t.at("name").as_string()));
    EXPECT_FALSE(t.at("description").as_string().empty());
    EXPECT_EQ(t.at("inputSchema").at("type").as_string(), "object");
    EXPECT_FALSE(t.at("inputSchema").at("additionalProperties").as_bool()) << t.at("name");
    EXPECT_EQ(t.at("outputSchema").at("type").as_string(), "object");
  }
  EXPECT_EQ(names, (std::set<std::string>{"list_sources", "describe_source", "run_query",
                                          "list_metrics", "get_metric", "investigate"}));
}

TEST_F(McpProtocol, SchemaInvalidArgumentsAreToolErrorsNamingTheArgument) {
  std::string code, message;
  std::tie(code, message) = ErrorOf(Call("run_query", R"({"sql":"SELECT 1","limit":"ten"})"));
  EXPECT_EQ(code, "INVALID_ARGUMENT");
  EXPECT_NE(message.find("'limit'"), std::string::npos) << message;
  std::tie(code, message) = ErrorOf(Call("run_query", R"({"limit":3})"));
  EXPECT_EQ(code, "INVALID_ARGUMENT");
  EXPECT_NE(message.find("'sql'"), std::string::npos) << message;
  std::tie(code, message) = ErrorOf(Call("run_query", R"({"sql":"SELECT 1","limt":3})"));
  EXPECT_EQ(code, "INVALID_ARGUMENT");
  EXPECT_NE(message.find("'limt'"), std::string::npos) << message;
  std::tie(code, message) = ErrorOf(Call("run_query", R"({"sql":"SELECT 1","limit":0})"));
  EXPECT_EQ(code, "INVALID_ARGUMENT");
  std::tie(code, message) =
      ErrorOf(Call("get_metric", R"({"pack":"llm","metric":"x","params":{"days":{"a":1}}})"));
  EXPECT_EQ(code, "INVALID_ARGUMENT");
  EXPECT_NE(message.find("'params.days'"), std::string::npos) << message;
  std::tie(code, message) = ErrorOf(Call("investigate", R"({"context":{}})"));
  EXPECT_EQ(code, "INVALID_ARGUMENT");
  EXPECT_NE(message.find("'context.time_range'"), std::string::npos) << message;
}

TEST_F(McpProtocol, RunQueryAnswersRowsAndDefaultsItsLimit) {
  json::object r = Call("run_query", R"j({"sql":"SELECT range AS n, 'x' AS s FROM range(20)"})j");
  ASSERT_FALSE(r.at("isError").as_bool()) << json::serialize(r);
  const json::object& s = r.at("structuredContent").as_object();
  EXPECT_EQ(s.at("rows").as_array().size(), 7u);  // mcp.default_row_limit
  EXPECT_EQ(s.at("rowCount").as_int64(), 7);
  EXPECT_TRUE(s.at("truncated").as_bool());
  EXPECT_EQ(s.at("columns").at(0).at("name").as_string(), "n");
  EXPECT_EQ(s.at("rows").at(3).at(0).to_number<int64_t>(), 3);
  // The text content is the same object.
  EXPECT_EQ(json::parse(r.at("content").at(0).at("text").as_string()), r.at("structuredContent"));
  json::object two = Call("run_query", R"({"sql":"SELECT 1 AS a","limit":2})");
  EXPECT_FALSE(two.at("structuredContent").at("truncated").as_bool());
}

TEST_F(McpProtocol, RunQueryRefusesWritesWithTheRestCode) {
  json::object r = Call("run_query", R"({"sql":"CREATE TABLE mcpunit_t AS SELECT 1"})");
  auto [code, message] = ErrorOf(r);
  // The statement guard's answer over REST (403 PERMISSION_DENIED).
  EXPECT_EQ(code, "PERMISSION_DENIED") << message;
  EXPECT_NE(message.find("read-only"), std::string::npos) << message;
}

TEST_F(McpProtocol, ResultsAreCutToMaxResultBytes) {
  json::object r =
      Call("run_query",
           R"j({"sql":"SELECT range AS n, repeat('y', 100) AS s FROM range(500)","limit":500})j");
  ASSERT_FALSE(r.at("isError").as_bool()) << json::serialize(r);
  const json::object& s = r.at("structuredContent").as_object();
  EXPECT_TRUE(s.at("truncated").as_bool());
  const size_t rows = s.at("rows").as_array().size();
  EXPECT_GT(rows, 0u);
  EXPECT_LT(rows, 500u);
  EXPECT_EQ(s.at("rowCount").to_number<int64_t>(), static_cast<int64_t>(rows));
  EXPECT_LE(r.at("content").at(0).at("text").as_string().size(), 2048u);
  // Rows are dropped from the end: the first ones are kept in order.
  EXPECT_EQ(s.at("rows").at(rows - 1).at(0).to_number<int64_t>(), static_cast<int64_t>(rows - 1));
}

TEST_F(McpProtocol, ListAndDescribeSources) {
  json::object r = Call("list_sources", "{}");
  ASSERT_FALSE(r.at("isError").as_bool()) << json::serialize(r);
  EXPECT_EQ(r.at("structuredContent").at("sources").as_array().size(), 2u);
  json::object one = Call("list_sources", R"({"project":"mcpunit_b"})");
  ASSERT_EQ(one.at("structuredContent").at("sources").as_array().size(), 1u);
  EXPECT_EQ(one.at("structuredContent").at("sources").at(0).at("id").as_string(), "mcpunit_other");
  EXPECT_EQ(ErrorOf(Call("list_sources", R"({"project":"nope"})")).first, "NOT_FOUND");
  json::object d = Call("describe_source", R"({"source":"mcpunit_db"})");
  ASSERT_FALSE(d.at("isError").as_bool()) << json::serialize(d);
  EXPECT_EQ(d.at("structuredContent").at("source").as_string(), "mcpunit_db");
  EXPECT_FALSE(d.at("structuredContent").at("truncated").as_bool());
  EXPECT_EQ(ErrorOf(Call("describe_source", R"({"source":"missing_db"})")).first, "NOT_FOUND");
}

TEST_F(McpProtocol, MetricsToolsRunAsTheirRoutes) {
  json::object r = Call("list_metrics", "{}");
  ASSERT_FALSE(r.at("isError").as_bool()) << json::serialize(r);
  EXPECT_FALSE(r.at("structuredContent").at("packs").as_array().empty());
  json::object llm = Call("list_metrics", R"({"pack":"llm"})");
  ASSERT_EQ(llm.at("structuredContent").at("packs").as_array().size(), 1u);
  EXPECT_EQ(ErrorOf(Call("list_metrics", R"({"pack":"nope"})")).first, "NOT_FOUND");
  // The project binds no dataset: no pack has a metric it could compute.
  json::object none = Call("list_metrics", R"({"project":"mcpunit"})");
  ASSERT_FALSE(none.at("isError").as_bool()) << json::serialize(none);
  EXPECT_TRUE(none.at("structuredContent").at("packs").as_array().empty());
  // The project binds no llm dataset: the metric route's own error, as a tool error.
  auto [code, message] = ErrorOf(Call("get_metric", R"({"pack":"llm","metric":"daily_traffic"})"));
  EXPECT_FALSE(code.empty());
  EXPECT_FALSE(message.empty());
}

TEST_F(McpProtocol, InvestigateIsListedAndRunsAsItsRoute) {
  json::object r =
      Call("investigate",
           R"({"context":{"time_range":{"start":"now-1h","end":"now"}},"question":"why?"})");
  // Until POST /api/v1/investigate exists this is its 404; afterwards its answer or error.
  EXPECT_TRUE(r.contains("isError"));
  if (r.at("isError").as_bool()) {
    EXPECT_FALSE(ErrorOf(r).first.empty());
  }
}

TEST_F(McpProtocol, Resources) {
  json::value list = Request("resources/list");
  const json::array& resources = list.at("result").at("resources").as_array();
  ASSERT_EQ(resources.size(), 2u);
  EXPECT_EQ(resources.at(0).at("uri").as_string(), "tributary://sources/mcpunit_db/schema");
  json::value templates = Request("resources/templates/list");
  EXPECT_EQ(templates.at("result").at("resourceTemplates").at(0).at("uriTemplate").as_string(),
            "tributary://sources/{source}/schema");
  json::value read =
      Request("resources/read", R"({"uri":"tributary://sources/mcpunit_db/schema"})");
  const json::value& content = read.at("result").at("contents").at(0);
  EXPECT_EQ(content.at("mimeType").as_string(), "application/json");
  EXPECT_EQ(json::parse(content.at("text").as_string()).at("source").as_string(), "mcpunit_db");
  EXPECT_EQ(ErrorCode(Request("resources/read", R"({"uri":"tributary://sources/nope/schema"})")),
            -32002);
  EXPECT_EQ(ErrorCode(Request("resources/read", R"({"uri":"file:///etc/passwd"})")), -32002);
}

//! get_metric on the built-in demo config (a small demo database): the metric route's answer,
//! with the params object as its query string, and `data` cut to mcp.max_result_bytes.
TEST(McpGetMetric, AnswersTheMetricRouteAndCutsItsRows) {
  testing::TempDir dir;
  DemoDataOptions demo;
  demo.path = dir.File("demo.duckdb");
  demo.rows = 3000;
  demo.days = 10;
  ASSERT_TRUE(GenerateDemoData(demo).ok());
  Config config = BuiltinConfig(dir.path());
  config.mcp.max_result_bytes = 4096;
  std::shared_ptr<Runtime> runtime = Runtime::Open(std::move(config));
  Api api;
  McpCallContext ctx;
  ctx.runtime = runtime;
  ctx.client_address = "127.0.0.1";
  ctx.identity = "address:127.0.0.1";
  ctx.request_id = "mcp-metric";
  auto call = [&](const std::string& arguments) {
    McpReply reply = api.mcp().Handle(
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_metric","arguments":)" +
            arguments + "}}",
        ctx);
    return json::parse(*reply.response).at("result").as_object();
  };
  // The same answer as GET /api/v1/projects/demo/metrics/llm/daily_traffic?days=3.
  json::object traffic = call(R"({"pack":"llm","metric":"daily_traffic","params":{"days":3}})");
  ASSERT_FALSE(traffic.at("isError").as_bool()) << json::serialize(traffic);
  ApiRequest req;
  req.method = "GET";
  req.path = "/api/v1/projects/demo/metrics/llm/daily_traffic";
  req.query = "days=3";
  req.runtime = runtime;
  RouteMatch match = api.router().Match(req.method, req.path);
  ASSERT_EQ(match.kind, RouteMatch::Kind::kFound);
  req.path_params = match.params;
  ApiResponse rest = match.route->handler(req);
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(traffic.at("structuredContent").at("data"), json::parse(rest.body).at("data"));
  EXPECT_FALSE(traffic.at("structuredContent").at("truncated").as_bool());
  // 200 log rows do not fit in 4 KiB: rows dropped from the end, truncated.
  json::object logs =
      call(R"({"pack":"llm","metric":"sample_logs","params":{"limit":200,"status":"success"}})");
  ASSERT_FALSE(logs.at("isError").as_bool()) << json::serialize(logs);
  const json::object& s = logs.at("structuredContent").as_object();
  EXPECT_TRUE(s.at("truncated").as_bool());
  EXPECT_GT(s.at("data").as_array().size(), 0u);
  EXPECT_LT(s.at("data").as_array().size(), 200u);
  EXPECT_LE(logs.at("content").at(0).at("text").as_string().size(), 4096u);
  // A parameter the metric does not take: the route's INVALID_ARGUMENT, as a tool error.
  json::object bad = call(R"({"pack":"llm","metric":"daily_traffic","params":{"dayz":3}})");
  EXPECT_TRUE(bad.at("isError").as_bool());
  EXPECT_NE(std::string(bad.at("content").at(0).at("text").as_string()).find("INVALID_ARGUMENT"),
            std::string::npos)
      << json::serialize(bad);
}

TEST(McpConfig, ParsesRendersAndRejectsUnknownKeys) {
  Result<Config> config = LoadConfigText(
      "sources: {a: {type: duckdb}}\nmcp: {enabled: false, max_result_bytes: 4096, "
      "default_row_limit: 9}\n",
      "mcp.yaml", ".");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->mcp.enabled);
  EXPECT_EQ(config->mcp.max_result_bytes, 4096);
  EXPECT_EQ(config->mcp.default_row_limit, 9);
  std::string rendered = RenderConfig(*config);
  EXPECT_NE(rendered.find("default_row_limit: 9"), std::string::npos) << rendered;
  Result<Config> bad =
      LoadConfigText("sources: {a: {type: duckdb}}\nmcp:\n  max_rows: 5\n", "mcp.yaml", ".");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mcp.yaml:3:3"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("default_row_limit"), std::string::npos);
}

}  // namespace
}  // namespace tributary
