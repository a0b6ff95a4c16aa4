// Schema-checked reading of a parsed YAML config document (internal to src/config).
//
// YamlReader turns yaml-cpp nodes into typed values and every mistake into a CONFIG_ERROR
// "file:line:col: dotted.path: what is wrong; how to fix". Scalars are read only through it,
// so `${VAR}` substitution happens in exactly one place, after YAML parsing and before the
// value is converted to its expected type (which is why `port: ${PORT}` can be an integer).
// Mapping entries come back in document order with duplicate keys rejected, because
// yaml-cpp keeps duplicates and would otherwise silently let the first one win.
// Thread-safety: a YamlReader is immutable after construction; its methods are const and do
// not touch shared state, but yaml-cpp nodes must not be shared between threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "config/options.h"

namespace tributary::config_internal {

//! A node together with the dotted path and location its error messages use.
struct Value {
  YAML::Node node;
  std::string path;
  SourceLocation location;
};

//! One entry of a YAML mapping.
struct Field {
  std::string key;
  SourceLocation key_location;
  Value value;
};

//! "a.b" from "a" and "b"; just "b" when the parent path is empty (the document root).
std::string JoinPath(std::string_view parent, std::string_view key);
//! "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);
//! The candidate closest to `given` when it is an obvious typo (case-insensitive edit
//! distance, counting a swap of neighbours as one: at most 2, or 1 for words under 6
//! characters); empty when nothing is close.
std::string ClosestName(std::string_view given, const std::vector<std::string>& candidates);
//! "did you mean 'x'? " for an obvious typo, else "".
std::string DidYouMean(std::string_view given, const std::vector<std::string>& candidates);
//! Whether `id` is a valid source or project id: [A-Za-z0-9_-]{1,64}.
bool IsValidId(std::string_view id);

class YamlReader {
 public:
  //! `file` names the document in every error; `env` resolves `${VAR}` in scalars.
  YamlReader(std::string file, EnvLookup env) : file_(std::move(file)), env_(std::move(env)) {}

  const std::string& file() const { return file_; }

  //! The 1-based location of a node; line 0 when yaml-cpp has no mark for it.
  SourceLocation Locate(const YAML::Node& node) const;
  //! The document root as a Value with an empty path.
  Value Root(const YAML::Node& node) const;

  //! CONFIG_ERROR "location: path: problem" (the path part is left out when empty).
  Status Error(const SourceLocation& location, std::string_view path,
               std::string_view problem) const;
  Status Error(const Value& value, std::string_view problem) const {
    return Error(value.location, value.path, problem);
  }
  //! The error for a key that is not in `allowed`, with a typo suggestion. `allowed_label`
  //! introduces the list, e.g. "allowed keys" or "duckdb options".
  Status UnknownKey(const Field& field, const std::vector<std::string>& allowed,
                    std::string_view allowed_label, std::string_view what = "key") const;
  //! The error for a required key missing from the mapping `parent`.
  Status MissingKey(const SourceLocation& parent_location, std::string_view parent_path,
                    std::string_view key, std::string_view fix) const;

  //! The entries of a mapping, in document order. Non-mappings, keys that are not plain
  //! strings, and repeated keys are errors; `key_kind` names a key in the duplicate message
  //! ("key", "source id", ...).
  Result<std::vector<Field>> Mapping(const Value& value, std::string_view key_kind = "key") const;
  //! The items of a sequence; non-sequences are errors.
  Result<std::vector<Value>> Sequence(const Value& value) const;

  //! A scalar after `${VAR}` substitution. When `secret`, errors never echo the value.
  Result<std::string> String(const Value& value, bool secret = false) const;
  //! A whole number within [min, max].
  Result<int64_t> Int(const Value& value, int64_t min, int64_t max, bool secret = false) const;
  //! `true` or `false` only: YAML 1.1 spellings such as `yes` or `on` are rejected as they
  //! are too easy to write by accident (a country code `no`, a mode `on`).
  Result<bool> Bool(const Value& value, bool secret = false) const;
  Result<double> Double(const Value& value, bool secret = false) const;
  Result<std::vector<std::string>> StringList(const Value& value, bool secret = false) const;
  Result<std::map<std::string, std::string>> StringMap(const Value& value,
                                                       bool secret = false) const;

 private:
  //! Describes what was found instead of the expected type, e.g. "a list" or "'abc'".
  std::string Describe(const YAML::Node& node, const std::string* substituted, bool secret) const;
  Status WrongType(const Value& value, std::string_view expected, std::string_view fix,
                   const std::string* substituted = nullptr, bool secret = false) const;

  std::string file_;
  EnvLookup env_;
};

}  // namespace tributary::config_internal
