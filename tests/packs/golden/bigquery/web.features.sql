-- Golden file of tests/packs/bigquery_golden_test.cpp: pack web, metric features, dialect bigquery.
-- Request: asOf=2026-11-21T13:00:00.250000Z days=7

-- part: main
-- @from = timestamp 2026-11-15T00:00:00Z
-- @to = timestamp 2026-11-22T00:00:00Z
-- @features_1_match = string "/home"
-- @features_1_name = string "Home Dashboard"
-- @features_2_match = string "/buybox/deals"
-- @features_2_name = string "Buybox - Deals"
-- @features_3_match = string "/buybox"
-- @features_3_name = string "Buybox"
-- @features_4_match = string "/properties"
-- @features_4_name = string "Properties"
-- @features_5_match = string "/importer"
-- @features_5_name = string "Importer"
-- @features_6_match = string "/integrations/api-tokens"
-- @features_6_name = string "API Tokens"
-- @features_7_match = string "/integrations"
-- @features_7_name = string "Integrations"
-- @features_8_match = string "/session/login"
-- @features_8_name = string "Login"
WITH ga4_events AS (
  SELECT
    (SELECT p.value.string_value FROM UNNEST(e.event_params) AS p WHERE p.key = 'page_location' LIMIT 1) AS page_location
  FROM `my-project.analytics_123456.events_*` AS e
  WHERE _TABLE_SUFFIX BETWEEN FORMAT_DATE('%Y%m%d', DATE_SUB(DATE(@from), INTERVAL 1 DAY))
                          AND FORMAT_DATE('%Y%m%d', DATE_ADD(DATE(TIMESTAMP_SUB(@to, INTERVAL 1 MICROSECOND)), INTERVAL 1 DAY))
    AND TIMESTAMP_MICROS(e.event_timestamp) >= @from
    AND TIMESTAMP_MICROS(e.event_timestamp) < @to
    AND e.event_name = 'page_view'
),
featured AS (
  SELECT
    CASE
      WHEN FALSE THEN NULL
      WHEN REGEXP_CONTAINS(ev.page_location, @features_1_match) THEN @features_1_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_2_match) THEN @features_2_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_3_match) THEN @features_3_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_4_match) THEN @features_4_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_5_match) THEN @features_5_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_6_match) THEN @features_6_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_7_match) THEN @features_7_name
      WHEN REGEXP_CONTAINS(ev.page_location, @features_8_match) THEN @features_8_name
      ELSE NULL
    END AS feature
  FROM ga4_events AS ev
  WHERE ev.page_location IS NOT NULL
)
SELECT
  f.feature AS feature,
  COUNT(*) AS views
FROM featured AS f
WHERE f.feature IS NOT NULL
GROUP BY f.feature
ORDER BY views DESC, feature ASC
