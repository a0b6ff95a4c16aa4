// The test Redis of scripts/test-servers.sh (TRIB_TEST_REDIS_HOST/PORT/PASSWORD) as a
// RedisConfig, with a key prefix no other test, process or run uses.
// Thread-safety: call from the test's thread.
#pragma once

#include <string>

#include "config/config.h"

namespace tributary::testing {

//! Fails the calling test (and returns a config that cannot connect) when a variable is
//! missing: a test that needs Redis never passes without it. `suite` starts the key prefix.
RedisConfig TestRedisConfig(const std::string& suite);

}  // namespace tributary::testing
