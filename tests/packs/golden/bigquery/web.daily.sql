-- Golden file of tests/packs/bigquery_golden_test.cpp: pack web, metric daily, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z days=7

-- part: main
-- @from = timestamp 2026-11-15T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
WITH ga4_events AS (
  SELECT
    TIMESTAMP_MICROS(e.event_timestamp) AS event_ts,
    e.user_pseudo_id AS user_pseudo_id
  FROM `my-project.analytics_123456.events_*` AS e
  WHERE _TABLE_SUFFIX BETWEEN FORMAT_DATE('%Y%m%d', DATE_SUB(DATE(@from), INTERVAL 1 DAY))
                          AND FORMAT_DATE('%Y%m%d', DATE_ADD(DATE(TIMESTAMP_SUB(@to, INTERVAL 1 MICROSECOND)), INTERVAL 1 DAY))
    AND TIMESTAMP_MICROS(e.event_timestamp) >= @from
    AND TIMESTAMP_MICROS(e.event_timestamp) < @to
)
SELECT
  DATE(ev.event_ts) AS `date`,
  COUNT(DISTINCT ev.user_pseudo_id) AS users,
  COUNT(*) AS events
FROM ga4_events AS ev
GROUP BY `date`
ORDER BY `date` ASC
