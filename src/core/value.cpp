#include "core/value.h"

#include <array>
#include <utility>

namespace tributary {

namespace {
constexpr std::array<std::pair<ColumnType, std::string_view>, 10> kTypeNames = {{
    {ColumnType::kNull, "null"},
    {ColumnType::kBool, "bool"},
    {ColumnType::kInt64, "int64"},
    {ColumnType::kDouble, "double"},
    {ColumnType::kDecimal, "decimal"},
    {ColumnType::kString, "string"},
    {ColumnType::kDate, "date"},
    {ColumnType::kTimestamp, "timestamp"},
    {ColumnType::kJson, "json"},
    {ColumnType::kBytes, "bytes"},
}};
}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "null";
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

}  // namespace tributary
