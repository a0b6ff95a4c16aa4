// The json_api connector end to end: a config file with a json_api source (a secret from the
// environment) used by the real `tributary query` binary, and the real HTTP stack
// (POST /api/v1/query and the schema routes) over a Runtime, against the local CRM server.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "connectors/common/http_client.h"
#include "connectors/json_api/json_api_test_support.h"
#include "orchestrator/runtime.h"
#include "support/in_process_server.h"

namespace tributary::json_api_test {
namespace {

constexpr const char* kToken = "e2e-t0ken-value";

std::string ConfigYaml(const std::string& url) {
  return "sources:\n"
         "  crm:\n"
         "    type: json_api\n"
         "    base_url: " +
         url +
         "\n"
         "    auth:\n"
         "      type: bearer\n"
         "      token: ${TRIB_E2E_CRM_TOKEN}\n"
         "    tables:\n"
         "      customers:\n"
         "        path: /next/customers?status={status}\n"
         "        defaults: {status: active}\n"
         "        records: /data\n"
         "        pagination: {type: next_link, pointer: /links/next}\n"
         "        columns:\n"
         "          id: {pointer: /id, type: int64}\n"
         "          email: {pointer: /contact/email, type: string}\n"
         "          balance: {pointer: /balance, type: 'decimal(12,2)'}\n"
         "projects:\n"
         "  p:\n"
         "    sources: [crm]\n";
}

int64_t ActiveCount(const CrmServer& server) {
  int64_t n = 0;
  for (const auto& c : server.customers()) n += c.status == "active";
  return n;
}

TEST(JsonApiEndToEnd, TributaryQueryCommand) {
  CrmServer server(MakeCustomers(23));
  server.RequireAuthorization(std::string("Bearer ") + kToken);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tributary-json-api-e2e-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "config.yaml").string();
  std::ofstream(config) << ConfigYaml(server.url());

  const std::string command = std::string("TRIB_E2E_CRM_TOKEN=") + kToken + " " + TRIBUTARY_BINARY +
                              " query --config " + config +
                              " --source crm --format json "
                              "\"SELECT count(*) AS n, max(id) AS top FROM customers\" 2>&1";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  int64_t top = 0;
  for (const auto& c : server.customers()) {
    if (c.status == "active") top = std::max(top, c.id);
  }
  EXPECT_NE(out.find("[[" + std::to_string(ActiveCount(server)) + "," + std::to_string(top) + "]]"),
            std::string::npos)
      << out;
  EXPECT_GE(server.request_count(), 2u);
  EXPECT_EQ(server.requests().front().Query("status"), "active");
}

// One HTTP exchange with the in-process server.
HttpResponse Call(uint16_t port, const std::string& target, const std::string& body = "") {
  HttpHandle http;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + target;
  request.post = !body.empty();
  request.body = body;
  request.headers = {"Content-Type: application/json"};
  auto response = http.Perform(request, nullptr);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? std::move(response).value() : HttpResponse{};
}

TEST(JsonApiEndToEnd, HttpQueryAndSchemaRoutes) {
  CrmServer server(MakeCustomers(23));
  server.RequireAuthorization(std::string("Bearer ") + kToken);
  auto config = LoadConfigText(ConfigYaml(server.url()), "cfg.yaml", "/tmp",
                               testing::FakeEnv({{"TRIB_E2E_CRM_TOKEN", kToken}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto runtime = Runtime::Open(std::move(config).value());
  std::string error;
  auto http = testing::InProcessServer::Start(runtime, &error);
  ASSERT_NE(http, nullptr) << error;

  HttpResponse query =
      Call(http->port(), "/api/v1/query",
           "{\"source\":\"crm\",\"sql\":\"SELECT id, email, balance FROM customers "
           "WHERE id > $1 ORDER BY id LIMIT 2\",\"params\":[10]}");
  EXPECT_EQ(query.status, 200) << query.body;
  std::vector<const Customer*> expected;
  for (const auto& c : server.customers()) {
    if (c.status == "active" && c.id > 10 && expected.size() < 2) expected.push_back(&c);
  }
  ASSERT_EQ(expected.size(), 2u);
  const std::string first_row = "[" + std::to_string(expected[0]->id) + ",\"" + expected[0]->email +
                                "\"," + expected[0]->balance + "]";
  EXPECT_NE(query.body.find("\"rows\":[" + first_row), std::string::npos) << query.body;
  EXPECT_NE(query.body.find("\"type\":\"decimal\""), std::string::npos) << query.body;

  HttpResponse tables = Call(http->port(), "/api/v1/sources/crm/tables");
  EXPECT_EQ(tables.status, 200);
  EXPECT_NE(tables.body.find("{\"schema\":\"main\",\"name\":\"customers\",\"kind\":\"table\"}"),
            std::string::npos)
      << tables.body;
  HttpResponse described = Call(http->port(), "/api/v1/sources/crm/tables/customers");
  EXPECT_EQ(described.status, 200);
  EXPECT_NE(described.body.find("\"sourceType\":\"json:/contact/email string\""), std::string::npos)
      << described.body;
  HttpResponse missing = Call(http->port(), "/api/v1/sources/crm/tables/orders");
  EXPECT_EQ(missing.status, 404) << missing.body;

  HttpResponse write =
      Call(http->port(), "/api/v1/query", "{\"source\":\"crm\",\"sql\":\"DELETE FROM customers\"}");
  // Refused by the guard (403) or, for a view, already by DuckDB's binder (400).
  EXPECT_TRUE(write.status == 403 || write.status == 400) << write.body;
  HttpResponse create = Call(http->port(), "/api/v1/query",
                             "{\"source\":\"crm\",\"sql\":\"CREATE TABLE evil AS SELECT 1\"}");
  EXPECT_EQ(create.status, 403) << create.body;
  // The token never appears in an answer.
  for (const auto* r : {&query, &tables, &described, &missing, &write}) {
    EXPECT_EQ(r->body.find(kToken), std::string::npos) << r->body;
  }
}

}  // namespace
}  // namespace tributary::json_api_test
