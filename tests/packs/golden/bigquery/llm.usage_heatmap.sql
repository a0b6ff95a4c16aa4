-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric usage_heatmap, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z days=7

-- part: main
-- @from = timestamp 2026-11-15T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
SELECT
  EXTRACT(DAYOFWEEK FROM l.`timestamp`) - 1 AS dayOfWeek,
  EXTRACT(HOUR FROM l.`timestamp`) AS `hour`,
  COUNT(*) AS requests
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY dayOfWeek, `hour`
ORDER BY dayOfWeek ASC, `hour` ASC
