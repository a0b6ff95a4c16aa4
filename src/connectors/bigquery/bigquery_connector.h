// The BigQuery connector (registry type "bigquery"), over the BigQuery REST API v2 with
// libcurl (the shared HttpClient: pooled keep-alive connections, retries of 429/5xx with
// jittered backoff honouring Retry-After, cancellation).
//
// Auth (bigquery_auth.h): a service-account key from `credentials_file` (a path, relative to
// the config file) or `credentials_json` (the whole JSON, a secret, e.g.
// ${GOOGLE_APPLICATION_CREDENTIALS_JSON}), signed into an RS256 JWT and exchanged at the key's
// token_uri (option `token_uri` overrides it); without either, Application Default Credentials
// from the metadata server (`metadata_url`, default http://metadata.google.internal).
// `endpoint` (default https://bigquery.googleapis.com) is the API's base URL.
//
// Queries: jobs.query (POST projects/{p}/queries) with useLegacySql=false, named (@name, when
// the request has param_names) or positional (?) query parameters, `location`, `labels`,
// `maximum_bytes_billed` and timeoutMs; while jobComplete is false, jobs.getQueryResults
// (GET projects/{p}/queries/{jobId}) is polled; further pages follow pageToken until the result
// is complete or a row/byte limit is reached (then fetching stops and stats.truncated is set).
// On timeout or cancel the transfer is cut and the job is stopped with jobs.cancel (POST
// projects/{p}/jobs/{jobId}/cancel). User SQL passes the read-only guard (MySQL lexing, which
// matches GoogleSQL's backticks, # comments and backslash escapes) unless skip_statement_guard.
//
// Cost control: before each query a dry run (dryRun=true) gives totalBytesProcessed. Above the
// request's cost_warn_bytes the result carries a COST_WARNING (stats.warnings, shown in
// meta.warnings); above cost_deny_bytes the query is refused with COST_LIMIT naming the
// estimate in bytes and USD (on-demand price `price_per_tib_usd`, default 6.25) and the limit's
// config key. Types: see bigquery_types.h. Schema: datasets.list x tables.list; DescribeTable
// takes "dataset.table" (or "project.dataset.table"). Health: a dry run of SELECT 1.
// Thread-safety: see Connector.
#pragma once

#include "connectors/connector.h"

namespace tributary {

ConnectorFactory BigQueryConnectorFactory();

}  // namespace tributary
