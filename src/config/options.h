// Typed connector options and the schema that validates them.
//
// Each connector declares an OptionSchema; the config loader checks a source's YAML mapping
// against it (unknown keys, wrong types, missing required keys, out-of-range integers are
// errors with file:line:col) and hands the connector an Options object it can read without
// further checks. Options flagged `secret` are redacted in every rendering.
// Thread-safety: immutable after loading; safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tributary {

//! Where a config value came from, for error messages: "file:line:col".
struct SourceLocation {
  std::string file;
  int line = 0;    //!< 1-based; 0 when unknown
  int column = 0;  //!< 1-based
  std::string ToString() const;
};

enum class OptionType { kString, kInt, kBool, kDouble, kStringList, kStringMap };

//! "string", "integer", "boolean", "number", "list of strings", "mapping of strings".
std::string_view OptionTypeName(OptionType type);

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
};

using OptionSchema = std::vector<OptionSpec>;

using OptionValue = std::variant<std::string, int64_t, bool, double, std::vector<std::string>,
                                 std::map<std::string, std::string>>;

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
  //! Location of an option, or an empty location when it was not given.
  SourceLocation LocationOf(const std::string& name) const;

  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace tributary
