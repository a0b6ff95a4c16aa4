// Placeholder until the DuckDB connector lands; the option schema is final.
#include "connectors/duckdb/duckdb_connector.h"

namespace tributary {

ConnectorFactory DuckDbConnectorFactory() {
  ConnectorFactory f;
  f.type = "duckdb";
  f.description = "Embedded DuckDB: a database file and/or Parquet, CSV and JSON files";
  f.schema = {
      {.name = "path",
       .type = OptionType::kString,
       .description = "DuckDB database file, attached read-only; omit for in-memory"},
      {.name = "tables",
       .type = OptionType::kStringMap,
       .description = "table name -> Parquet/CSV/JSON file or glob, exposed as a view"},
      {.name = "max_connections",
       .type = OptionType::kInt,
       .description = "concurrent queries (connection pool size)",
       .min = 1,
       .max = 256},
      {.name = "threads",
       .type = OptionType::kInt,
       .description = "DuckDB worker threads (default: cores)",
       .min = 1,
       .max = 1024},
      {.name = "memory_limit",
       .type = OptionType::kString,
       .description = "DuckDB memory_limit, e.g. \"2GB\""},
  };
  f.create = [](const SourceContext&) -> std::unique_ptr<Connector> { return nullptr; };
  return f;
}

}  // namespace tributary
