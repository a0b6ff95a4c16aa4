-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric daily_traffic, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z days=7

-- part: main
-- @from = timestamp 2026-11-15T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
SELECT
  DATE(l.`timestamp`) AS `date`,
  COUNT(*) AS requests,
  COUNTIF(l.status = 'error') AS errors,
  COUNT(DISTINCT l.user_id) AS uniqueUsers,
  SUM(l.prompt_tokens + l.completion_tokens) AS totalTokens,
  AVG(l.latency_ms) AS avgLatencyMs
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY `date`
ORDER BY `date` ASC
