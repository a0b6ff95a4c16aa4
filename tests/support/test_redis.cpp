#include "support/test_redis.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

namespace tributary::testing {

namespace {

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) {
    ADD_FAILURE() << name << " is not set: run the tests through scripts/run-tests.sh "
                  << "(or source the env file of scripts/test-servers.sh)";
    return {};
  }
  return value;
}

}  // namespace

RedisConfig TestRedisConfig(const std::string& suite) {
  static std::atomic<int> calls{0};
  RedisConfig config;
  config.host = RequiredEnv("TRIB_TEST_REDIS_HOST");
  const std::string port = RequiredEnv("TRIB_TEST_REDIS_PORT");
  config.port = port.empty() ? 0 : std::atoi(port.c_str());
  config.password = RequiredEnv("TRIB_TEST_REDIS_PASSWORD");
  config.key_prefix = "test:" + suite + ":" + std::to_string(::getpid()) + "-" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                      "-" + std::to_string(calls.fetch_add(1)) + ":";
  return config;
}

}  // namespace tributary::testing
