// Placeholder until the config loader lands (issue 2, config part).
#include "config/config.h"

#include <cstdlib>

namespace tributary {

const SourceConfig* Config::FindSource(std::string_view id) const {
  for (const auto& s : sources) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const ProjectConfig* Config::FindProject(std::string_view id) const {
  for (const auto& p : projects) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup&) {
  return Internal("config loading is not implemented yet: " + path);
}
Result<Config> LoadConfigText(const std::string&, const std::string& name, const std::string&,
                              const EnvLookup&) {
  return Internal("config loading is not implemented yet: " + name);
}
Config BuiltinConfig(const std::string&) {
  return {};
}
std::string RenderConfig(const Config&) {
  return {};
}
Result<std::string> SubstituteEnv(const std::string& text, const EnvLookup&) {
  return text;
}

}  // namespace tributary
