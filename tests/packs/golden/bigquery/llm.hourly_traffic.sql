-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric hourly_traffic, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21

-- part: main
-- @from = timestamp 2026-11-01T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
SELECT
  TIMESTAMP_TRUNC(l.`timestamp`, HOUR) AS `hour`,
  COUNT(*) AS requests,
  COUNTIF(l.status = 'error') AS errors,
  AVG(l.latency_ms) AS avgLatencyMs,
  SUM(l.prompt_tokens + l.completion_tokens) AS totalTokens
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY `hour`
ORDER BY `hour` ASC
