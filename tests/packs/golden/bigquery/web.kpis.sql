-- Golden file of tests/packs/bigquery_golden_test.cpp: pack web, metric kpis, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21 currency=USD

-- part: main
-- @from = timestamp 2026-11-01T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
-- @currency = string "USD"
WITH ga4_events AS (
  SELECT
    TIMESTAMP_MICROS(e.event_timestamp) AS event_ts,
    e.event_name AS event_name,
    COALESCE(e.user_id, e.user_pseudo_id) AS unified_user_id,
    (SELECT COALESCE(p.value.int_value, SAFE_CAST(p.value.string_value AS INT64))
       FROM UNNEST(e.event_params) AS p WHERE p.key = 'ga_session_id' LIMIT 1) AS ga_session_id,
    e.ecommerce.purchase_revenue AS purchase_revenue,
    (SELECT p.value.string_value FROM UNNEST(e.event_params) AS p WHERE p.key = 'currency' LIMIT 1) AS currency
  FROM `my-project.analytics_123456.events_*` AS e
  WHERE _TABLE_SUFFIX BETWEEN FORMAT_DATE('%Y%m%d', DATE_SUB(DATE(@from), INTERVAL 1 DAY))
                          AND FORMAT_DATE('%Y%m%d', DATE_ADD(DATE(TIMESTAMP_SUB(@to, INTERVAL 1 MICROSECOND)), INTERVAL 1 DAY))
    AND TIMESTAMP_MICROS(e.event_timestamp) >= @from
    AND TIMESTAMP_MICROS(e.event_timestamp) < @to
)
SELECT
  DATE(ev.event_ts) AS `date`,
  COUNT(DISTINCT ev.unified_user_id) AS users,
  COUNT(DISTINCT CONCAT(ev.unified_user_id, '|', CAST(ev.ga_session_id AS STRING))) AS sessions,
  COUNT(*) AS events,
  COUNTIF(ev.event_name = 'purchase') AS conversions,
  COALESCE(SUM(IF(@currency IS NULL OR ev.currency = @currency, ev.purchase_revenue, NULL)), 0) AS revenue
FROM ga4_events AS ev
GROUP BY `date`
ORDER BY `date` ASC
