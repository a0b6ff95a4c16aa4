// Typed connector options and the schema that validates them.
//
// Each connector declares an OptionSchema; the config loader checks a source's YAML mapping
// against it (unknown keys, wrong types, missing required keys, out-of-range integers are
// errors with file:line:col) and hands the connector an Options object it can read without
// further checks. Options flagged `secret` are redacted in every rendering.
// Thread-safety: immutable after loading; safe to read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace tributary {

//! Where a config value came from, for error messages: "file:line:col".
struct SourceLocation {
  std::string file;
  int line = 0;    //!< 1-based; 0 when unknown
  int column = 0;  //!< 1-based
  std::string ToString() const;
};

//! kTree is a nested value (mappings, lists and scalars, any depth) that a connector checks
//! with its own sub-schema through OptionSpec::validate (e.g. json_api's `tables`).
enum class OptionType { kString, kInt, kBool, kDouble, kStringList, kStringMap, kTree };

//! "string", "integer", "boolean", "number", "list of strings", "mapping of strings",
//! "mapping".
std::string_view OptionTypeName(OptionType type);

//! A nested option value as written in the config: every node keeps its dotted path and
//! location, so a connector's own checks report "file:line:col: path: problem; fix" like the
//! config loader does. Scalars are kept as text after `${VAR}` substitution; a scalar that came
//! from the environment is flagged and rendered redacted (it may be a secret).
struct OptionTree {
  enum class Kind { kNull, kScalar, kList, kMap };
  Kind kind = Kind::kNull;
  //! kScalar: the text after `${VAR}` substitution.
  std::string scalar;
  //! kScalar: the written text used `${VAR}` (check-config shows it redacted).
  bool from_env = false;
  //! kList: the items.
  std::vector<OptionTree> items;
  //! kMap: the entries in document order (keys are unique).
  std::vector<std::pair<std::string, OptionTree>> fields;
  //! Dotted path for messages, e.g. "sources.crm.tables.customers.path".
  std::string path;
  //! Where the value starts; for a map entry, `key_location` is where its key is.
  SourceLocation location;
  SourceLocation key_location;

  //! Builders for code and tests that make options without a config file.
  static OptionTree Scalar(std::string text);
  static OptionTree List(std::vector<OptionTree> items);
  static OptionTree Map(std::vector<std::pair<std::string, OptionTree>> fields);

  bool is_map() const { return kind == Kind::kMap; }
  //! The entry `key` of a mapping, or null (also for non-mappings).
  const OptionTree* Find(std::string_view key) const;
  //! Sets paths below this node from its own path ("a" -> "a.b", "a[0]"); for built trees.
  void AssignPaths(const std::string& own_path);
};

// Checking helpers over OptionTree, shared by connectors that take nested options. Every error
// is a CONFIG_ERROR "location: path: problem"; with `secret` a value is never echoed.

//! CONFIG_ERROR "location: path: problem" at `node` (at its key when `at_key`).
Status TreeError(const OptionTree& node, std::string_view problem, bool at_key = false);
//! `node` must be a mapping whose keys are all in `allowed` (an unknown key gets a "did you
//! mean" hint and the allowed list) and which has every key of `required`.
Status CheckTreeKeys(const OptionTree& node, const std::vector<std::string>& allowed,
                     const std::vector<std::string>& required);
//! A scalar as text; a mapping, list or empty value is an error.
Result<std::string> TreeString(const OptionTree& node, bool secret = false);
//! A whole number within [min, max].
Result<int64_t> TreeInt(const OptionTree& node, int64_t min, int64_t max, bool secret = false);
//! `true` or `false`.
Result<bool> TreeBool(const OptionTree& node, bool secret = false);
//! A mapping of scalars.
Result<std::map<std::string, std::string>> TreeStringMap(const OptionTree& node,
                                                         bool secret = false);

class Options;

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kString;
  bool required = false;
  //! Redacted in check-config output, /api/v1/sources and logs.
  bool secret = false;
  std::string description;
  //! Inclusive bounds for kInt.
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
  //! kTree: the connector's own check of the value (unknown keys, types, required keys),
  //! run by the config loader once every option of the source is read (`options`), so
  //! mistakes surface in check-config with their file:line:col. Null: no check.
  std::function<Status(const OptionTree& value, const Options& options)> validate = nullptr;
};

using OptionSchema = std::vector<OptionSpec>;

using OptionValue = std::variant<std::string, int64_t, bool, double, std::vector<std::string>,
                                 std::map<std::string, std::string>, OptionTree>;

class Options {
 public:
  struct Entry {
    OptionValue value;
    SourceLocation location;
    bool secret = false;
  };

  void Set(std::string name, Entry entry) { entries_[std::move(name)] = std::move(entry); }
  bool Has(const std::string& name) const { return entries_.count(name) != 0; }

  std::string GetString(const std::string& name, std::string fallback = {}) const;
  int64_t GetInt(const std::string& name, int64_t fallback) const;
  bool GetBool(const std::string& name, bool fallback) const;
  double GetDouble(const std::string& name, double fallback) const;
  std::vector<std::string> GetStringList(const std::string& name) const;
  std::map<std::string, std::string> GetStringMap(const std::string& name) const;
  //! A kTree option, or null when it was not given.
  const OptionTree* GetTree(const std::string& name) const;
  //! Location of an option, or an empty location when it was not given.
  SourceLocation LocationOf(const std::string& name) const;

  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace tributary
