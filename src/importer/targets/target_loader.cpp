#include "importer/targets/target_loader.h"

#include <cctype>
#include <optional>
#include <utility>

#include "importer/targets/clickhouse_target.h"
#include "importer/targets/postgres_target.h"

namespace tributary::importer {
namespace {

//! A DuckDB type name, upper-cased, with surrounding spaces removed.
std::string Normalize(std::string_view type) {
  std::string out;
  for (char c : type) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  size_t start = out.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : out.substr(start);
}

//! DECIMAL(p,s) / NUMERIC(p,s) / DECIMAL (DuckDB's default 18,3): {p, s}; nullopt otherwise.
std::optional<std::pair<int, int>> DecimalArgs(const std::string& type) {
  std::string_view t = type;
  if (t.rfind("DECIMAL", 0) == 0) {
    t.remove_prefix(7);
  } else if (t.rfind("NUMERIC", 0) == 0) {
    t.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  if (t.empty()) return std::make_pair(18, 3);
  if (t.front() != '(' || t.back() != ')') return std::nullopt;
  t = t.substr(1, t.size() - 2);
  int p = 0, s = 0;
  bool in_scale = false, any_p = false, any_s = false;
  for (char c : t) {
    if (c == ' ') continue;
    if (c == ',' && !in_scale) {
      in_scale = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      int& v = in_scale ? s : p;
      (in_scale ? any_s : any_p) = true;
      v = v * 10 + (c - '0');
      if (v > 1000) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (!any_p || (in_scale && !any_s) || p < 1 || p > 38 || s > p) return std::nullopt;
  return std::make_pair(p, s);
}

}  // namespace

TargetLoader::~TargetLoader() = default;

std::string PostgresColumnType(std::string_view duckdb_type) {
  const std::string t = Normalize(duckdb_type);
  if (auto d = DecimalArgs(t)) {
    return "numeric(" + std::to_string(d->first) + "," + std::to_string(d->second) + ")";
  }
  if (t == "BOOLEAN" || t == "BOOL") return "boolean";
  if (t == "TINYINT" || t == "SMALLINT" || t == "UTINYINT") return "smallint";
  if (t == "INTEGER" || t == "INT" || t == "USMALLINT") return "integer";
  if (t == "BIGINT" || t == "UINTEGER") return "bigint";
  if (t == "UBIGINT") return "numeric(20,0)";
  if (t == "HUGEINT") return "numeric(39,0)";
  if (t == "FLOAT" || t == "REAL") return "real";
  if (t == "DOUBLE") return "double precision";
  if (t == "DATE") return "date";
  if (t == "TIMESTAMP" || t == "DATETIME") return "timestamp";
  if (t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMPTZ") return "timestamptz";
  if (t == "TIME") return "time";
  if (t == "INTERVAL") return "interval";
  if (t == "UUID") return "uuid";
  return "text";
}

std::string ClickHouseColumnType(std::string_view duckdb_type) {
  const std::string t = Normalize(duckdb_type);
  if (auto d = DecimalArgs(t)) {
    return "Decimal(" + std::to_string(d->first) + ", " + std::to_string(d->second) + ")";
  }
  if (t == "BOOLEAN" || t == "BOOL" || t == "UTINYINT") return "UInt8";
  if (t == "TINYINT") return "Int8";
  if (t == "SMALLINT") return "Int16";
  if (t == "USMALLINT") return "UInt16";
  if (t == "INTEGER" || t == "INT") return "Int32";
  if (t == "UINTEGER") return "UInt32";
  if (t == "BIGINT") return "Int64";
  if (t == "UBIGINT") return "UInt64";
  if (t == "FLOAT" || t == "REAL") return "Float32";
  if (t == "DOUBLE") return "Float64";
  if (t == "DATE") return "Date";
  if (t == "TIMESTAMP" || t == "DATETIME") return "DateTime('UTC')";
  return "String";
}

std::string TargetSchemaOf(const SourceConfig& source) {
  if (source.import_target && !source.import_target->schema.empty()) {
    return source.import_target->schema;
  }
  if (source.type == "postgres") return "public";
  return source.options.GetString("database");
}

std::string TargetWho(const SourceConfig& source) {
  std::string out = "import target '";
  out.append(source.id).append("'");
  if (source.import_target) out.append(" (user '").append(source.import_target->user).append("')");
  return out;
}

Result<std::unique_ptr<TargetLoader>> OpenTargetLoader(const SourceConfig& source,
                                                       const std::string& table,
                                                       const std::vector<ColumnSpec>& columns,
                                                       const CancelToken& cancel) {
  if (!source.import_target) {
    return InvalidArgument("source '" + source.id +
                           "' is not an import target: add import_target: {user, password} to "
                           "it in the config file");
  }
  if (table.empty() || table.find('\0') != std::string::npos) {
    return InvalidArgument(TargetWho(source) + ": the table name must not be empty");
  }
  if (columns.empty()) {
    return InvalidArgument(TargetWho(source) + ": table '" + table + "' has no columns");
  }
  for (const auto& c : columns) {
    if (c.name.empty() || c.name.find('\0') != std::string::npos) {
      return InvalidArgument(TargetWho(source) + ": table '" + table +
                             "' has a column without a name");
    }
  }
  if (cancel.cancelled()) {
    return Cancelled("the import was cancelled before loading into " + TargetWho(source));
  }
  if (source.type == "postgres") return OpenPostgresTarget(source, table, columns, cancel);
  if (source.type == "clickhouse") return OpenClickHouseTarget(source, table, columns, cancel);
  return InvalidArgument("source '" + source.id + "' is of type " + source.type +
                         ", which cannot be an import target (only postgres and clickhouse)");
}

void AppendTabSeparatedValue(std::string& out, const std::optional<std::string>& value) {
  if (!value) {
    out.append("\\N");
    return;
  }
  for (char c : *value) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\0':
        out.append("\\0");
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace tributary::importer
