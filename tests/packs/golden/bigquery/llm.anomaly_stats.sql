-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric anomaly_stats, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z hours=6

-- part: main
-- @from = timestamp 2026-11-21T07:00:00.250000Z
-- @to = timestamp 2026-11-21T13:00:00.250000Z
SELECT
  COUNTIF(l.is_anomaly) AS totalAnomalies,
  COALESCE(SAFE_DIVIDE(100 * COUNTIF(l.is_anomaly), COUNT(*)), 0) AS anomalyRate
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to

-- part: topAnomalyTypes
-- @from = timestamp 2026-11-21T07:00:00.250000Z
-- @to = timestamp 2026-11-21T13:00:00.250000Z
SELECT
  COALESCE(l.anomaly_type, 'unknown') AS type,
  COUNT(*) AS `count`
FROM `my-project.gateway.llm_logs` AS l
WHERE l.is_anomaly AND l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY type
ORDER BY `count` DESC, type ASC
LIMIT 5
