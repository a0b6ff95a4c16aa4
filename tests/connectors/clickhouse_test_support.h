// Helpers for the ClickHouse connector tests against the live test server
// (scripts/test-servers.sh): reading its TRIB_TEST_CLICKHOUSE_* variables, building a
// connector with option overrides, and running setup SQL with write access outside the
// connector.
// Thread-safety: test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/clickhouse/clickhouse_connector.h"
#include "connectors/common/http_client.h"

namespace tributary::clickhouse_test {

struct ServerEnv {
  std::string url, user, password, database;
};

inline std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

//! The live server's address; an empty url (with a test failure) when the variables are unset.
inline ServerEnv LiveServer() {
  ServerEnv env{Env("TRIB_TEST_CLICKHOUSE_URL"), Env("TRIB_TEST_CLICKHOUSE_USER"),
                Env("TRIB_TEST_CLICKHOUSE_PASSWORD"), Env("TRIB_TEST_CLICKHOUSE_DB")};
  if (env.url.empty()) {
    ADD_FAILURE() << "TRIB_TEST_CLICKHOUSE_URL is not set: run the ClickHouse tests via "
                     "`make test` (scripts/test-servers.sh start, then source its env file)";
  }
  return env;
}

inline Options::Entry Entry(OptionValue value, bool secret = false) {
  return Options::Entry{std::move(value), {}, secret};
}

//! Options for the live server, with overrides (an empty-string override removes the key).
inline Options LiveOptions(const std::vector<std::pair<std::string, OptionValue>>& overrides = {}) {
  ServerEnv env = LiveServer();
  Options o;
  o.Set("url", Entry(env.url));
  o.Set("user", Entry(env.user));
  o.Set("password", Entry(env.password, true));
  o.Set("database", Entry(env.database));
  for (const auto& [k, v] : overrides) {
    Options next;
    for (const auto& [name, entry] : o.entries()) {
      if (name != k) next.Set(name, entry);
    }
    if (!(std::holds_alternative<std::string>(v) && std::get<std::string>(v).empty())) {
      next.Set(k, Entry(v, k == "password"));
    }
    o = next;
  }
  return o;
}

inline std::unique_ptr<Connector> MakeConnector(const Options& options) {
  SourceContext context{"ch", options, "."};
  auto connector = ClickHouseConnectorFactory().create(context);
  Status opened = connector->Open();
  EXPECT_TRUE(opened.ok()) << opened.ToString();
  return connector;
}

//! Runs setup SQL with the test user's full (write) access, outside the connector.
inline void Admin(const std::string& sql) {
  ServerEnv env = LiveServer();
  if (env.url.empty()) return;
  HttpHandle http;
  HttpRequest request;
  request.url = env.url + "/?database=" + UrlEncode(env.database);
  request.body = sql;
  request.basic_user = env.user;
  request.basic_password = env.password;
  auto response = http.Perform(request, nullptr);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  ASSERT_EQ(response->status, 200) << sql << ": " << response->body;
}

}  // namespace tributary::clickhouse_test
