// Helpers shared by the config tests: an injected environment and a loader that fails the
// test with the message when a config that should load does not.
// Thread-safety: test-only, single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config.h"

namespace tributary::testing {

//! An EnvLookup over a fixed map, so tests never depend on the real environment.
inline EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

//! The error message of loading `text` as "cfg.yaml"; "(loaded)" when it loads.
inline std::string LoadError(const std::string& text,
                             std::map<std::string, std::string> vars = {}) {
  Result<Config> config = LoadConfigText(text, "cfg.yaml", "/etc/trib", FakeEnv(std::move(vars)));
  if (config.ok()) return "(loaded)";
  EXPECT_EQ(config.status().code(), ErrorCode::kConfigError);
  return config.status().message();
}

}  // namespace tributary::testing
