// The Elasticsearch / OpenSearch connector (registry type "elasticsearch"), over the REST API
// with the shared HttpClient (pooled keep-alive curl handles, retries on 408/429/5xx honouring
// Retry-After, deadline and cancel).
//
// Options: url (one node, or several separated by commas: tried in turn when one cannot be
// reached), user/password (HTTP basic; password secret) or api_key (secret; sent as
// `Authorization: ApiKey <key>`, the "encoded" value ES returns), index (the default index,
// alias or pattern such as `logs-*`), flavor (elasticsearch | opensearch; default: detected
// from GET / `version.distribution`), tls_verify, tls_ca_file, connect_timeout_ms,
// max_connections, page_size (rows per page, default 1000).
//
// Two query languages through Execute, told apart by the first character of the query text:
// - SQL (anything not starting with `{`): ES `POST /_sql?format=json` with query, fetch_size,
//   typed `params` for `?` placeholders, time_zone Z and request_timeout, paged with the
//   cursor (closed with POST /_sql/close when a limit stops early); OpenSearch
//   `POST /_plugins/_sql?format=jdbc` (schema + datarows, cursor, /_plugins/_sql/close; no
//   bound parameters). The SQL passes the read-only statement guard first (SHOW/DESCRIBE are
//   allowed too); ES SQL cannot write anyway.
// - Query DSL (a JSON object): {"index": "logs-*", "query": {...}, "sort": [...],
//   "_source": [...], "size": N} or with "aggs". Index from the body, else the query option
//   `index`, else the source's default. Hits are read with search_after (ES: inside a point in
//   time with the `_shard_doc` tiebreaker; OpenSearch: `_id` as tiebreaker, no point in time)
//   and flattened into `_id`, `_index` and the mapped fields with dotted names, typed from the
//   index mapping (a field holding arrays or values of another type becomes JSON). A terms /
//   histogram / date_histogram aggregation becomes one row per bucket (key, doc_count, metric
//   sub-aggregations); metric aggregations alone give one row.
// Only _search, _pit, _sql, _mapping, _cat, _tasks and GET / are ever called; an index name
// is validated (es_protocol.h) and percent-encoded, so it cannot reach another endpoint.
//
// Timeout and cancel: the server gets the remaining time (`request_timeout` / `timeout`), the
// transfer is aborted at the deadline or on cancel, and the server task is cancelled by its
// X-Opaque-Id (GET /_tasks, POST /_tasks/<id>/_cancel) on a separate connection.
// Thread-safety: see Connector.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory ElasticsearchConnectorFactory();

}  // namespace tributary
