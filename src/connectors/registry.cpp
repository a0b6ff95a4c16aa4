#include "connectors/registry.h"

#include <algorithm>

#include "connectors/bigquery/bigquery_connector.h"
#include "connectors/clickhouse/clickhouse_connector.h"
#include "connectors/duckdb/duckdb_connector.h"
#include "connectors/elasticsearch/es_connector.h"
#include "connectors/json_api/json_api_connector.h"
#include "connectors/mysql/mysql_connector.h"
#include "connectors/postgres/pg_connector.h"
#include "connectors/prometheus/prometheus_connector.h"
#include "connectors/sqlite/sqlite_connector.h"

namespace tributary {

const std::vector<ConnectorFactory>& AllConnectors() {
  static const std::vector<ConnectorFactory> factories = [] {
    std::vector<ConnectorFactory> all = {
        BigQueryConnectorFactory(),      ClickHouseConnectorFactory(), DuckDbConnectorFactory(),
        ElasticsearchConnectorFactory(), JsonApiConnectorFactory(),    MySqlConnectorFactory(),
        PostgresConnectorFactory(),      PrometheusConnectorFactory(), SqliteConnectorFactory(),
    };
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.type < b.type; });
    return all;
  }();
  return factories;
}

const ConnectorFactory* FindConnector(std::string_view type) {
  for (const auto& f : AllConnectors()) {
    if (f.type == type) return &f;
  }
  return nullptr;
}

}  // namespace tributary
