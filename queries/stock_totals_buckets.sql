-- stock_totals.sql for targets at depth 0-3 (country, province, city, county; buckets.serves),
-- from the sums in bucket_totals in effect (units: the facts each sum holds). Columns as rollup.COLUMNS.
SELECT
    CASE WHEN $at = $depth THEN $region
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END END AS target,
    indicator_id, sum(value)::DOUBLE AS value, NULL::DOUBLE AS numerator,
    NULL::DOUBLE AS denominator, sum(units)::BIGINT AS units,
    coalesce(sum(units) FILTER (WHERE period_end < $due), 0)::BIGINT AS carried_units,
    NULL::BIGINT AS excluded_units,
    arg_min(period_start, period_end) AS oldest_start, min(period_end) AS oldest_end
FROM held_sums($indicators, $end, $oldest, $region, $depth, $level)   -- schema.sql
GROUP BY target, indicator_id
HAVING target IS NOT NULL
