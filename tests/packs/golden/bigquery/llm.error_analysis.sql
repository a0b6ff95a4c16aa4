-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric error_analysis, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21

-- part: main
-- @from = timestamp 2026-11-01T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
SELECT
  COALESCE(l.error_type, 'unknown') AS errorType,
  COUNT(*) AS `count`,
  COALESCE(SAFE_DIVIDE(100 * COUNT(*), SUM(COUNT(*)) OVER ()), 0) AS percentage,
  COUNT(DISTINCT l.tenant_id) AS affectedTenants,
  MAX(l.`timestamp`) AS lastOccurrence
FROM `my-project.gateway.llm_logs` AS l
WHERE l.status = 'error' AND l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY errorType
ORDER BY `count` DESC, errorType ASC
