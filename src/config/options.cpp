#include "config/options.h"

namespace tributary {

std::string SourceLocation::ToString() const {
  std::string out = file.empty() ? "<config>" : file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  return out;
}

std::string_view OptionTypeName(OptionType type) {
  switch (type) {
    case OptionType::kString:
      return "string";
    case OptionType::kInt:
      return "integer";
    case OptionType::kBool:
      return "boolean";
    case OptionType::kDouble:
      return "number";
    case OptionType::kStringList:
      return "list of strings";
    case OptionType::kStringMap:
      return "mapping of strings";
  }
  return "string";
}

namespace {
template <typename T>
const T* Find(const std::map<std::string, Options::Entry>& entries, const std::string& name) {
  auto it = entries.find(name);
  if (it == entries.end()) return nullptr;
  return std::get_if<T>(&it->second.value);
}
}  // namespace

std::string Options::GetString(const std::string& name, std::string fallback) const {
  const auto* v = Find<std::string>(entries_, name);
  return v ? *v : fallback;
}

int64_t Options::GetInt(const std::string& name, int64_t fallback) const {
  const auto* v = Find<int64_t>(entries_, name);
  return v ? *v : fallback;
}

bool Options::GetBool(const std::string& name, bool fallback) const {
  const auto* v = Find<bool>(entries_, name);
  return v ? *v : fallback;
}

double Options::GetDouble(const std::string& name, double fallback) const {
  if (const auto* v = Find<double>(entries_, name)) return *v;
  if (const auto* i = Find<int64_t>(entries_, name)) return static_cast<double>(*i);
  return fallback;
}

std::vector<std::string> Options::GetStringList(const std::string& name) const {
  const auto* v = Find<std::vector<std::string>>(entries_, name);
  return v ? *v : std::vector<std::string>{};
}

std::map<std::string, std::string> Options::GetStringMap(const std::string& name) const {
  const auto* v = Find<std::map<std::string, std::string>>(entries_, name);
  return v ? *v : std::map<std::string, std::string>{};
}

SourceLocation Options::LocationOf(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? SourceLocation{} : it->second.location;
}

}  // namespace tributary
