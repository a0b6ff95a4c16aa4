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

ProbeQuery Target::OneRowQuery() const {
  ProbeQuery probe;
  probe.request.sql = "SELECT 1";
  probe.column = 0;
  probe.column_count = 1;
  return probe;
}

ProbeQuery Target::NumberedRowsQuery() const {
  ProbeQuery probe;
  probe.request.sql = "SELECT n FROM conf_numbers ORDER BY n";
  return probe;
}

ProbeQuery Target::SlowRequest(int seconds) const {
  ProbeQuery probe;
  probe.request.sql = SlowQuery(seconds);
  return probe;
}

ProbeQuery Target::EchoQuery(const Value& value) const {
  ProbeQuery probe;
  if (value.type == ColumnType::kInt64) {
    probe.request.sql = "SELECT " + std::to_string(value.as_int()) + " AS v";
  } else {
    std::string literal;
    for (char c : value.as_string()) {
      literal += c;
      if (c == '\'') literal += c;
    }
    probe.request.sql = "SELECT '" + literal + "' AS v";
  }
  probe.column_count = 1;
  return probe;
}

SchemaExpectation Target::ExpectedSchema() const {
  SchemaExpectation schema;
  schema.listed = {"conf_types", "conf_numbers"};
  schema.kind = "table";
  schema.described = "conf_types";
  for (const auto& column : ExpectedTypeColumns()) schema.described_columns.push_back(column.name);
  schema.missing = "conf_no_such_table";
  return schema;
}

std::string TestEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? value : "";
}

}  // namespace tributary::conformance
