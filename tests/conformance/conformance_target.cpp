// The target registry and the small option helpers the conformance targets share.
// Thread-safety: RegisterTarget runs during static initialisation, before main; everything
// else is called from the test thread.
#include "conformance/conformance_target.h"

#include <cstdlib>
#include <utility>

namespace tributary::conformance {

std::vector<std::function<std::unique_ptr<Target>()>>& RegisteredTargets() {
  // A function-local static, so registration from any translation unit's static
  // initialisers finds it constructed whatever the link order.
  static std::vector<std::function<std::unique_ptr<Target>()>> targets;
  return targets;
}

bool RegisterTarget(std::function<std::unique_ptr<Target>()> make) {
  RegisteredTargets().push_back(std::move(make));
  return true;
}

Options MakeOptions(const std::vector<std::pair<std::string, OptionValue>>& values) {
  return WithOverrides(Options{}, values);
}

Options WithOverrides(Options base,
                      const std::vector<std::pair<std::string, OptionValue>>& values) {
  for (const auto& [name, value] : values) {
    // The config loader marks secrets from the connector's schema; tests mark the obvious
    // ones so that anything that renders Options redacts them too.
    const bool secret = name.find("password") != std::string::npos;
    base.Set(name, Options::Entry{value, {}, secret});
  }
  return base;
}

std::string TestEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? value : "";
}

}  // namespace tributary::conformance
