#include "config/options.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "config/yaml_reader.h"

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
    case OptionType::kTree:
      return "mapping";
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

const OptionTree* Options::GetTree(const std::string& name) const {
  return Find<OptionTree>(entries_, name);
}

SourceLocation Options::LocationOf(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? SourceLocation{} : it->second.location;
}

OptionTree OptionTree::Scalar(std::string text) {
  OptionTree node;
  node.kind = Kind::kScalar;
  node.scalar = std::move(text);
  return node;
}

OptionTree OptionTree::List(std::vector<OptionTree> items) {
  OptionTree node;
  node.kind = Kind::kList;
  node.items = std::move(items);
  return node;
}

OptionTree OptionTree::Map(std::vector<std::pair<std::string, OptionTree>> fields) {
  OptionTree node;
  node.kind = Kind::kMap;
  node.fields = std::move(fields);
  return node;
}

const OptionTree* OptionTree::Find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [name, value] : fields) {
    if (name == key) return &value;
  }
  return nullptr;
}

void OptionTree::AssignPaths(const std::string& own_path) {
  path = own_path;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].AssignPaths(own_path + "[" + std::to_string(i) + "]");
  }
  for (auto& [name, value] : fields) value.AssignPaths(config_internal::JoinPath(own_path, name));
}

namespace {

std::string DescribeTree(const OptionTree& node, bool secret) {
  switch (node.kind) {
    case OptionTree::Kind::kNull:
      return "an empty value";
    case OptionTree::Kind::kList:
      return "a list";
    case OptionTree::Kind::kMap:
      return "a mapping";
    case OptionTree::Kind::kScalar:
      break;
  }
  if (secret || node.from_env) return "a value that is not shown (it may be a secret)";
  std::string text = node.scalar;
  if (text.size() > 60) text = text.substr(0, 60) + "...";
  return "'" + text + "'";
}

Status WrongTreeType(const OptionTree& node, std::string_view expected, std::string_view fix,
                     bool secret) {
  std::string problem = "expected ";
  problem += expected;
  problem += ", got ";
  problem += DescribeTree(node, secret);
  problem += "; ";
  problem += fix;
  return TreeError(node, problem);
}

}  // namespace

Status TreeError(const OptionTree& node, std::string_view problem, bool at_key) {
  const SourceLocation& where =
      at_key && node.key_location.line > 0 ? node.key_location : node.location;
  std::string message = where.ToString() + ": ";
  if (!node.path.empty()) {
    message += node.path;
    message += ": ";
  }
  message += problem;
  return ConfigError(std::move(message));
}

Status CheckTreeKeys(const OptionTree& node, const std::vector<std::string>& allowed,
                     const std::vector<std::string>& required) {
  if (!node.is_map()) {
    return WrongTreeType(node, "a mapping", "write key: value pairs under it", false);
  }
  for (const auto& [key, value] : node.fields) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string problem = "unknown key; ";
    problem += config_internal::DidYouMean(key, allowed);
    problem += "allowed keys: " + config_internal::JoinNames(allowed);
    return TreeError(value, problem, /*at_key=*/true);
  }
  for (const auto& key : required) {
    if (node.Find(key) != nullptr) continue;
    return TreeError(node, "missing required key '" + key + "'; add " + key + ": under it",
                     /*at_key=*/true);
  }
  return Status::Ok();
}

Result<std::string> TreeString(const OptionTree& node, bool secret) {
  if (node.kind != OptionTree::Kind::kScalar) {
    return WrongTreeType(node, "a string", "write a single value", secret);
  }
  return node.scalar;
}

Result<int64_t> TreeInt(const OptionTree& node, int64_t min, int64_t max, bool secret) {
  if (node.kind != OptionTree::Kind::kScalar) {
    return WrongTreeType(node, "an integer", "write a whole number", secret);
  }
  std::string_view digits = node.scalar;
  if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-') digits.remove_prefix(1);
  int64_t parsed = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return WrongTreeType(node, "an integer", "write a whole number without units", secret);
  }
  if (parsed < min || parsed > max) {
    std::string range = "use a value";
    if (min != std::numeric_limits<int64_t>::min()) range += " >= " + std::to_string(min);
    if (max != std::numeric_limits<int64_t>::max()) {
      if (min != std::numeric_limits<int64_t>::min()) range += " and";
      range += " <= " + std::to_string(max);
    }
    return TreeError(node, (secret ? std::string("the value") : std::to_string(parsed)) +
                               " is out of range; " + range);
  }
  return parsed;
}

Result<bool> TreeBool(const OptionTree& node, bool secret) {
  if (node.kind == OptionTree::Kind::kScalar) {
    const std::string& t = node.scalar;
    if (t == "true" || t == "True" || t == "TRUE") return true;
    if (t == "false" || t == "False" || t == "FALSE") return false;
  }
  return WrongTreeType(node, "a boolean", "write true or false", secret);
}

Result<std::map<std::string, std::string>> TreeStringMap(const OptionTree& node, bool secret) {
  if (!node.is_map()) {
    return WrongTreeType(node, "a mapping of strings", "write name: value pairs under it", secret);
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : node.fields) {
    TRIB_ASSIGN_OR_RETURN(std::string text, TreeString(value, secret));
    out.emplace(key, std::move(text));
  }
  return out;
}

}  // namespace tributary
