#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "config/config_render.h"
#include "core/text.h"

namespace tributary::config_internal {

namespace {

// Long values are cut in messages so one wrong value cannot flood a terminal.
constexpr size_t kMaxEchoedChars = 60;

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, so that
// "paht" is one edit from "path" like any other single slip of the fingers.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string RangeHint(int64_t min, int64_t max) {
  const bool has_min = min != std::numeric_limits<int64_t>::min();
  const bool has_max = max != std::numeric_limits<int64_t>::max();
  if (has_min && has_max) {
    return "use a value from " + std::to_string(min) + " to " + std::to_string(max);
  }
  if (has_min) return "use a value >= " + std::to_string(min);
  if (has_max) return "use a value <= " + std::to_string(max);
  return "use a whole number that fits in 64 bits";
}

// std::from_chars rejects a leading '+', which people do write ("+5"); "+-5" stays invalid.
std::string_view WithoutPlusSign(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  return text;
}

}  // namespace

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "(none)" : out;
}

std::string ClosestName(std::string_view given, const std::vector<std::string>& candidates) {
  const std::string lowered = AsciiLower(given);
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& candidate : candidates) {
    size_t distance = EditDistance(lowered, AsciiLower(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // Two edits make a short word into almost any other ("port" -> "host"), so short words
  // get one.
  const size_t max_distance = given.size() >= 6 ? 2 : 1;
  if (best_distance <= max_distance) return best;
  return {};
}

std::string DidYouMean(std::string_view given, const std::vector<std::string>& candidates) {
  std::string closest = ClosestName(given, candidates);
  return closest.empty() ? std::string() : "did you mean '" + closest + "'? ";
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

SourceLocation YamlReader::Locate(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

Value YamlReader::Root(const YAML::Node& node) const {
  SourceLocation location = Locate(node);
  if (location.line == 0) location = {file_, 1, 1};
  return {node, "", location};
}

Status YamlReader::Error(const SourceLocation& location, std::string_view path,
                         std::string_view problem) const {
  std::string message = location.ToString() + ": ";
  if (!path.empty()) {
    message += path;
    message += ": ";
  }
  message += problem;
  return ConfigError(std::move(message));
}

Status YamlReader::UnknownKey(const Field& field, const std::vector<std::string>& allowed,
                              std::string_view allowed_label, std::string_view what) const {
  std::string problem = "unknown ";
  problem += what;
  problem += "; ";
  problem += DidYouMean(field.key, allowed);
  problem += allowed_label;
  problem += ": ";
  problem += JoinNames(allowed);
  return Error(field.key_location, field.value.path, problem);
}

Status YamlReader::MissingKey(const SourceLocation& parent_location, std::string_view parent_path,
                              std::string_view key, std::string_view fix) const {
  std::string problem = "missing required key '";
  problem += key;
  problem += "'; ";
  problem += fix;
  return Error(parent_location, parent_path, problem);
}

std::string YamlReader::Describe(const YAML::Node& node, const std::string* substituted,
                                 bool secret) const {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Null:
      return "an empty value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  if (secret) return "a value that is not shown because the option is secret";
  // A non-secret option can still hold a URL with a password (or a secret in the wrong
  // place); the echo must not leak it.
  std::string text = RedactCredentials(substituted ? *substituted : node.Scalar());
  if (text.size() > kMaxEchoedChars) text = text.substr(0, kMaxEchoedChars) + "...";
  return "'" + text + "'";
}

Status YamlReader::WrongType(const Value& value, std::string_view expected, std::string_view fix,
                             const std::string* substituted, bool secret) const {
  std::string problem = "expected ";
  problem += expected;
  problem += ", got ";
  problem += Describe(value.node, substituted, secret);
  problem += "; ";
  problem += fix;
  return Error(value, problem);
}

Result<std::vector<Field>> YamlReader::Mapping(const Value& value,
                                               std::string_view key_kind) const {
  if (!value.node.IsMap()) {
    return WrongType(value, "a mapping", "write key: value pairs under it");
  }
  std::vector<Field> fields;
  std::map<std::string, SourceLocation> first_seen;
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    // Copies: `it->` returns a proxy, so a reference to its members would dangle.
    const YAML::Node key_node = it->first;
    const YAML::Node value_node = it->second;
    SourceLocation key_location = Locate(key_node);
    if (key_location.line == 0) key_location = value.location;
    if (!key_node.IsScalar()) {
      return Error(key_location, value.path,
                   "expected a plain string key, got " + Describe(key_node, nullptr, false) +
                       "; write keys as plain names");
    }
    Field field;
    field.key = key_node.Scalar();
    field.key_location = key_location;
    field.value.node = value_node;
    field.value.path = JoinPath(value.path, field.key);
    // yaml-cpp marks an empty value at the next token, often on the following line, so an
    // empty value is reported at its key instead.
    field.value.location = value_node.IsNull() ? key_location : Locate(value_node);
    if (field.value.location.line == 0) field.value.location = key_location;

    auto [seen, inserted] = first_seen.emplace(field.key, key_location);
    if (!inserted) {
      std::string problem = "duplicate ";
      problem += key_kind;
      problem += " '" + field.key + "' (first defined at " + seen->second.ToString() + "); ";
      problem += key_kind == "key" ? "keep only one" : "rename or remove one of them";
      return Error(key_location, field.value.path, problem);
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

Result<std::vector<Value>> YamlReader::Sequence(const Value& value) const {
  if (!value.node.IsSequence()) {
    return WrongType(value, "a list", "write a list such as [a, b] or one '- item' per line");
  }
  std::vector<Value> items;
  size_t index = 0;
  for (YAML::const_iterator it = value.node.begin(); it != value.node.end(); ++it) {
    const YAML::Node item = *it;
    Value entry;
    entry.node = item;
    entry.path = value.path + "[" + std::to_string(index++) + "]";
    entry.location = item.IsNull() ? value.location : Locate(item);
    if (entry.location.line == 0) entry.location = value.location;
    items.push_back(std::move(entry));
  }
  return items;
}

Result<std::string> YamlReader::String(const Value& value, bool secret) const {
  if (!value.node.IsScalar()) {
    return WrongType(value, "a string", "write a single value", nullptr, secret);
  }
  Result<std::string> substituted = SubstituteEnv(value.node.Scalar(), env_);
  if (!substituted.ok()) return Error(value, substituted.status().message());
  return substituted;
}

Result<int64_t> YamlReader::Int(const Value& value, int64_t min, int64_t max, bool secret) const {
  if (!value.node.IsScalar()) {
    return WrongType(value, "an integer", "write a whole number", nullptr, secret);
  }
  TRIB_ASSIGN_OR_RETURN(std::string text, String(value, secret));
  std::string_view digits = WithoutPlusSign(text);
  int64_t parsed = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
  if (digits.empty() || end != digits.data() + digits.size() ||
      error == std::errc::invalid_argument) {
    return WrongType(value, "an integer", "write a whole number without units", &text, secret);
  }
  if (error == std::errc::result_out_of_range) {
    return Error(value, (secret ? std::string("the value") : text) + " is out of range; " +
                            RangeHint(min, max));
  }
  if (parsed < min || parsed > max) {
    std::string shown = secret ? std::string("the value") : std::to_string(parsed);
    return Error(value, shown + (parsed < min ? " is too small; " : " is too large; ") +
                            RangeHint(min, max));
  }
  return parsed;
}

Result<bool> YamlReader::Bool(const Value& value, bool secret) const {
  if (!value.node.IsScalar()) {
    return WrongType(value, "a boolean", "write true or false", nullptr, secret);
  }
  TRIB_ASSIGN_OR_RETURN(std::string text, String(value, secret));
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return WrongType(value, "a boolean", "write true or false", &text, secret);
}

Result<double> YamlReader::Double(const Value& value, bool secret) const {
  if (!value.node.IsScalar()) {
    return WrongType(value, "a number", "write a number such as 0.5", nullptr, secret);
  }
  TRIB_ASSIGN_OR_RETURN(std::string text, String(value, secret));
  std::string_view digits = WithoutPlusSign(text);
  double parsed = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      !std::isfinite(parsed)) {
    return WrongType(value, "a number", "write a finite number such as 0.5", &text, secret);
  }
  return parsed;
}

Result<std::vector<std::string>> YamlReader::StringList(const Value& value, bool secret) const {
  if (!value.node.IsSequence()) {
    return WrongType(value, "a list of strings", "write a list such as [a, b]", nullptr, secret);
  }
  TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, Sequence(value));
  std::vector<std::string> out;
  for (const auto& item : items) {
    TRIB_ASSIGN_OR_RETURN(std::string text, String(item, secret));
    out.push_back(std::move(text));
  }
  return out;
}

Result<std::map<std::string, std::string>> YamlReader::StringMap(const Value& value,
                                                                 bool secret) const {
  if (!value.node.IsMap()) {
    return WrongType(value, "a mapping of strings", "write name: value pairs under it", nullptr,
                     secret);
  }
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, Mapping(value));
  std::map<std::string, std::string> out;
  for (const auto& field : fields) {
    TRIB_ASSIGN_OR_RETURN(std::string text, String(field.value, secret));
    out.emplace(field.key, std::move(text));
  }
  return out;
}

}  // namespace tributary::config_internal
