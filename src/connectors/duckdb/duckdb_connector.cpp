// Placeholder until the DuckDB connector lands.
#include "connectors/duckdb/duckdb_connector.h"

namespace tributary {

ConnectorFactory DuckDbConnectorFactory() {
  ConnectorFactory f;
  f.type = "duckdb";
  f.description = "Embedded DuckDB: a database file and/or Parquet, CSV and JSON files";
  f.create = [](const SourceContext&) -> std::unique_ptr<Connector> { return nullptr; };
  return f;
}

}  // namespace tributary
