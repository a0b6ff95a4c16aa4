-- Golden file of tests/packs/bigquery_golden_test.cpp: pack web, metric funnel, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z start=2026-11-01 end=2026-11-21

-- part: main
-- @from = timestamp 2026-11-01T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
-- @steps_1 = string "page_view"
-- @steps_2 = string "add_to_cart"
-- @steps_3 = string "begin_checkout"
-- @steps_4 = string "purchase"
WITH ga4_events AS (
  SELECT
    e.event_name AS event_name,
    COALESCE(e.user_id, e.user_pseudo_id) AS unified_user_id
  FROM `my-project.analytics_123456.events_*` AS e
  WHERE _TABLE_SUFFIX BETWEEN FORMAT_DATE('%Y%m%d', DATE_SUB(DATE(@from), INTERVAL 1 DAY))
                          AND FORMAT_DATE('%Y%m%d', DATE_ADD(DATE(TIMESTAMP_SUB(@to, INTERVAL 1 MICROSECOND)), INTERVAL 1 DAY))
    AND TIMESTAMP_MICROS(e.event_timestamp) >= @from
    AND TIMESTAMP_MICROS(e.event_timestamp) < @to
),
flags AS (
  SELECT
    ev.unified_user_id AS unified_user_id,
    LOGICAL_OR(ev.event_name = @steps_1) AS f1,
    LOGICAL_OR(ev.event_name = @steps_2) AS f2,
    LOGICAL_OR(ev.event_name = @steps_3) AS f3,
    LOGICAL_OR(ev.event_name = @steps_4) AS f4
  FROM ga4_events AS ev
  GROUP BY unified_user_id
),
counts AS (
  SELECT 1 AS k, @steps_1 AS step, COUNTIF(TRUE AND f1) AS users FROM flags
  UNION ALL
  SELECT 2 AS k, @steps_2 AS step, COUNTIF(TRUE AND f1 AND f2) AS users FROM flags
  UNION ALL
  SELECT 3 AS k, @steps_3 AS step, COUNTIF(TRUE AND f1 AND f2 AND f3) AS users FROM flags
  UNION ALL
  SELECT 4 AS k, @steps_4 AS step, COUNTIF(TRUE AND f1 AND f2 AND f3 AND f4) AS users FROM flags
),
with_previous AS (
  SELECT c.k AS k, c.step AS step, c.users AS users, LAG(c.users) OVER (ORDER BY c.k) AS previous_users
  FROM counts AS c
)
SELECT
  w.step AS step,
  w.users AS users,
  CASE WHEN w.k = 1 THEN 100 ELSE COALESCE(SAFE_DIVIDE(100 * w.users, w.previous_users), 0) END AS conversionRate,
  CASE WHEN w.k = 1 THEN 0 ELSE w.previous_users - w.users END AS dropOff
FROM with_previous AS w
WHERE EXISTS (SELECT 1 FROM flags)
ORDER BY w.k ASC
