-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric realtime_kpi, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z

-- part: main
-- @from = timestamp 2026-11-20T13:00:00.250000Z
-- @to = timestamp 2026-11-21T13:00:00.250000Z
SELECT
  COUNT(*) AS totalRequests,
  COALESCE(SAFE_DIVIDE(100 * COUNTIF(l.status = 'success'), COUNT(*)), 0) AS successRate,
  COALESCE(AVG(l.latency_ms), 0) AS avgResponseTime,
  COALESCE(SUM(l.prompt_tokens + l.completion_tokens), 0) AS totalTokens,
  COUNT(DISTINCT l.user_id) AS activeUsers,
  COUNTIF(l.status = 'error') AS errorCount
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to
