-- Golden file of tests/packs/bigquery_golden_test.cpp: pack web, metric session_trends, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21

-- part: main
-- @prev_from = timestamp 2026-10-11T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
-- @from = timestamp 2026-11-01T00:00:00Z
WITH ga4_events AS (
  SELECT
    TIMESTAMP_MICROS(e.event_timestamp) AS event_ts,
    COALESCE(e.user_id, e.user_pseudo_id) AS unified_user_id,
    (SELECT COALESCE(p.value.int_value, SAFE_CAST(p.value.string_value AS INT64))
       FROM UNNEST(e.event_params) AS p WHERE p.key = 'ga_session_id' LIMIT 1) AS ga_session_id
  FROM `my-project.analytics_123456.events_*` AS e
  WHERE _TABLE_SUFFIX BETWEEN FORMAT_DATE('%Y%m%d', DATE_SUB(DATE(@prev_from), INTERVAL 1 DAY))
                          AND FORMAT_DATE('%Y%m%d', DATE_ADD(DATE(TIMESTAMP_SUB(@to, INTERVAL 1 MICROSECOND)), INTERVAL 1 DAY))
    AND TIMESTAMP_MICROS(e.event_timestamp) >= @prev_from
    AND TIMESTAMP_MICROS(e.event_timestamp) < @to
),
totals AS (
  SELECT
    COUNT(DISTINCT IF(ev.event_ts >= @from, CONCAT(ev.unified_user_id, '|', CAST(ev.ga_session_id AS STRING)), NULL)) AS current_sessions,
    COUNT(DISTINCT IF(ev.event_ts >= @from, ev.unified_user_id, NULL)) AS current_users,
    COUNT(DISTINCT IF(ev.event_ts < @from, CONCAT(ev.unified_user_id, '|', CAST(ev.ga_session_id AS STRING)), NULL)) AS previous_sessions,
    COUNT(DISTINCT IF(ev.event_ts < @from, ev.unified_user_id, NULL)) AS previous_users
  FROM ga4_events AS ev
)
SELECT
  t.current_sessions AS current_sessions,
  t.current_users AS current_users,
  t.previous_sessions AS previous_sessions,
  t.previous_users AS previous_users,
  COALESCE(SAFE_DIVIDE(100 * (t.current_sessions - t.previous_sessions), t.previous_sessions), 0) AS sessionsGrowth,
  COALESCE(SAFE_DIVIDE(100 * (t.current_users - t.previous_users), t.previous_users), 0) AS usersGrowth
FROM totals AS t
