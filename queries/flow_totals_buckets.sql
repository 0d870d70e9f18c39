-- flow_totals.sql for targets at depth 0-3 (country, province, city, county; buckets.serves),
-- from the sums in bucket_totals (buckets.py): a sum whose cover (a coarser report of the same
-- regions) lies inside the range is not counted, as flow_totals.sql does per fact. Columns as rollup.COLUMNS.
SELECT
    CASE WHEN $at = $depth THEN $region
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END END AS target,
    indicator_id, sum(value)::DOUBLE AS value, NULL::DOUBLE AS numerator,
    NULL::DOUBLE AS denominator, NULL::BIGINT AS units, NULL::BIGINT AS carried_units,
    NULL::BIGINT AS excluded_units, NULL::DATE AS oldest_start, NULL::DATE AS oldest_end
FROM bucket_totals
WHERE list_contains($indicators, indicator_id)
  AND period_start >= $start AND period_end <= $end
  AND NOT coalesce(cover_start >= $start AND cover_end <= $end, false)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = $region
  AND level = $level::TINYINT   -- buckets.level: city sums for the country or a province, else county sums
GROUP BY target, indicator_id
HAVING target IS NOT NULL
