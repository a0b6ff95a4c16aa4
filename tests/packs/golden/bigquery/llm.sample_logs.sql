-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric sample_logs, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z limit=50 offset=10

-- part: main
-- @limit = int64 50
-- @offset = int64 10
SELECT
  l.`timestamp` AS `timestamp`,
  l.request_id AS requestId,
  l.tenant_id AS tenantId,
  l.user_id AS userId,
  l.model AS model,
  l.status AS status,
  l.error_type AS errorType,
  l.latency_ms AS latencyMs,
  l.prompt_tokens AS promptTokens,
  l.completion_tokens AS completionTokens,
  l.cost_usd AS costUsd,
  l.query_category AS queryCategory,
  l.is_anomaly AS isAnomaly,
  l.anomaly_type AS anomalyType
FROM `my-project.gateway.llm_logs` AS l
ORDER BY l.`timestamp` DESC, l.request_id ASC
LIMIT @limit OFFSET @offset
