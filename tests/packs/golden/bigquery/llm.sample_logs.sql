-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric sample_logs, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z limit=50 offset=10

-- part: main
-- @tenant = NULL
-- @model = NULL
-- @status = NULL
-- @errorType = NULL
-- @anomaly = NULL
-- @search = NULL
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
WHERE (@tenant IS NULL OR l.tenant_id = @tenant)
AND (@model IS NULL OR l.model = @model)
AND (@status IS NULL OR l.status = @status)
AND (@errorType IS NULL OR l.error_type = @errorType)
AND (@anomaly IS NULL OR l.is_anomaly = (@anomaly = 'true'))
AND (@search IS NULL
     OR STRPOS(TRANSLATE(l.request_id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), TRANSLATE(@search, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) > 0
     OR STRPOS(TRANSLATE(l.user_id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), TRANSLATE(@search, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) > 0)
ORDER BY l.`timestamp` DESC, l.request_id ASC
LIMIT @limit OFFSET @offset
