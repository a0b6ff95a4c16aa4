-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric tenant_usage, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21

-- part: main
-- @from = timestamp 2026-11-01T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
SELECT
  l.tenant_id AS tenantId,
  COUNT(*) AS requests,
  SUM(l.prompt_tokens + l.completion_tokens) AS totalTokens,
  SUM(l.cost_usd) AS totalCost,
  AVG(l.latency_ms) AS avgLatencyMs,
  COALESCE(SAFE_DIVIDE(100 * COUNTIF(l.status = 'error'), COUNT(*)), 0) AS errorRate,
  COUNT(DISTINCT l.user_id) AS uniqueUsers
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY tenantId
ORDER BY requests DESC, tenantId ASC
