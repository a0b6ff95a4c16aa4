// The DuckDB connector: a database file (attached read-only) and/or Parquet, CSV and JSON
// files or globs declared as tables, queried through DuckDB's C API.
// Thread-safety: see Connector.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory DuckDbConnectorFactory();

}  // namespace tributary
