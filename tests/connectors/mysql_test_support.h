// Helpers for the MySQL/MariaDB connector tests: the live test server's options (from the
// TRIB_TEST_MARIADB_* variables written by scripts/test-servers.sh), a raw owner connection to
// build fixtures with, and shortcuts to build, open and query a connector.
// Thread-safety: test-only; each helper is used by one test at a time.
#pragma once

#include <gtest/gtest.h>
#include <mysql.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/registry.h"

namespace tributary::mysql_test {

inline std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

//! The test server's settings; an empty host means the variables are missing.
struct ServerEnv {
  std::string host = Env("TRIB_TEST_MARIADB_HOST");
  std::string port = Env("TRIB_TEST_MARIADB_PORT");
  std::string user = Env("TRIB_TEST_MARIADB_USER");
  std::string password = Env("TRIB_TEST_MARIADB_PASSWORD");
  std::string database = Env("TRIB_TEST_MARIADB_DB");
  bool ok() const { return !host.empty() && !port.empty() && !user.empty(); }
};

//! Fails the current test (never skips) when the server variables are missing.
#define TRIB_REQUIRE_MARIADB()                                                            \
  do {                                                                                    \
    if (!::tributary::mysql_test::ServerEnv().ok()) {                                     \
      FAIL() << "TRIB_TEST_MARIADB_* is not set: run these tests via `make test`, which " \
                "starts the test servers (scripts/test-servers.sh)";                      \
    }                                                                                     \
  } while (false)

inline Options::Entry Entry(OptionValue value, bool secret = false) {
  return Options::Entry{std::move(value), SourceLocation{}, secret};
}

//! Options for the live server, then `overrides` applied on top.
inline Options ServerOptions(
    const std::vector<std::pair<std::string, OptionValue>>& overrides = {}) {
  ServerEnv env;
  Options options;
  options.Set("host", Entry(env.host));
  options.Set("port", Entry(int64_t{std::atoll(env.port.c_str())}));
  options.Set("user", Entry(env.user));
  options.Set("password", Entry(env.password, true));
  options.Set("database", Entry(env.database));
  for (const auto& [name, value] : overrides) options.Set(name, Entry(value));
  return options;
}

inline std::unique_ptr<Connector> MakeConnector(const Options& options,
                                                const std::string& id = "mdb") {
  const ConnectorFactory* factory = FindConnector("mysql");
  EXPECT_NE(factory, nullptr);
  if (factory == nullptr) return nullptr;
  SourceContext context{id, options, "."};
  return factory->create(context);
}

//! An opened connector to the live server.
inline std::unique_ptr<Connector> OpenConnector(
    const std::vector<std::pair<std::string, OptionValue>>& overrides = {}) {
  auto connector = MakeConnector(ServerOptions(overrides));
  if (connector) {
    Status status = connector->Open();
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
  return connector;
}

inline QueryRequest Request(std::string sql, std::vector<Value> params = {}) {
  QueryRequest request;
  request.sql = std::move(sql);
  request.params = std::move(params);
  return request;
}

//! Runs statements as the owner on a plain connection (writes allowed), for fixtures.
inline void RunOwnerSql(const std::vector<std::string>& statements) {
  ServerEnv env;
  MYSQL* h = mysql_init(nullptr);
  ASSERT_NE(h, nullptr);
  mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(h, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  ASSERT_NE(mysql_real_connect(h, env.host.c_str(), env.user.c_str(), env.password.c_str(),
                               env.database.c_str(),
                               static_cast<unsigned>(std::atoi(env.port.c_str())), nullptr, 0),
            nullptr)
      << mysql_error(h);
  for (const auto& sql : statements) {
    EXPECT_EQ(mysql_real_query(h, sql.data(), sql.size()), 0) << sql << ": " << mysql_error(h);
    if (MYSQL_RES* res = mysql_store_result(h)) mysql_free_result(res);
  }
  mysql_close(h);
}

}  // namespace tributary::mysql_test
