-- Golden file of tests/packs/bigquery_golden_test.cpp: pack web, metric summary, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z days=7

-- part: main
-- @from = timestamp 2026-11-15T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
-- @client_pattern = string "^https://([^.]+)\\.8020rei\\.com"
WITH ga4_events AS (
  SELECT
    TIMESTAMP_MICROS(e.event_timestamp) AS event_ts,
    e.event_name AS event_name,
    e.user_pseudo_id AS user_pseudo_id,
    (SELECT p.value.string_value FROM UNNEST(e.event_params) AS p WHERE p.key = 'page_location' LIMIT 1) AS page_location
  FROM `my-project.analytics_123456.events_*` AS e
  WHERE _TABLE_SUFFIX BETWEEN FORMAT_DATE('%Y%m%d', DATE_SUB(DATE(@from), INTERVAL 1 DAY))
                          AND FORMAT_DATE('%Y%m%d', DATE_ADD(DATE(TIMESTAMP_SUB(@to, INTERVAL 1 MICROSECOND)), INTERVAL 1 DAY))
    AND TIMESTAMP_MICROS(e.event_timestamp) >= @from
    AND TIMESTAMP_MICROS(e.event_timestamp) < @to
)
SELECT
  COUNT(DISTINCT ev.user_pseudo_id) AS total_users,
  COUNT(*) AS total_events,
  COUNTIF(ev.event_name = 'page_view') AS page_views,
  COUNT(DISTINCT NULLIF(REGEXP_EXTRACT(ev.page_location, @client_pattern), '')) AS active_clients
FROM ga4_events AS ev
