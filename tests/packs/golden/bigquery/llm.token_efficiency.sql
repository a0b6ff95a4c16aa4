-- Golden file of tests/packs/bigquery_golden_test.cpp: pack llm, metric token_efficiency, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21

-- part: main
-- @from = timestamp 2026-11-01T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
SELECT
  l.tenant_id AS tenantId,
  AVG(l.prompt_tokens) AS avgPromptTokens,
  AVG(l.completion_tokens) AS avgCompletionTokens,
  COALESCE(SAFE_DIVIDE(SUM(l.completion_tokens), SUM(l.prompt_tokens)), 0) AS completionRatio,
  COALESCE(SAFE_DIVIDE(1000 * SUM(l.cost_usd), SUM(l.prompt_tokens + l.completion_tokens)), 0) AS costPer1kTokens
FROM `my-project.gateway.llm_logs` AS l
WHERE l.`timestamp` >= @from AND l.`timestamp` < @to
GROUP BY tenantId
ORDER BY tenantId ASC
