-- ratio_totals.sql for targets at depth 0-3 (country, province, city, county; buckets.serves),
-- from the ratios' own rows of bucket_totals: the pairs in effect (regions with both parts) give
-- numerator, denominator, units and carried units; lone, summed over the rows in effect, counts
-- the regions with one part only. $indicators: the ratios. Columns as rollup.COLUMNS.
SELECT
    CASE WHEN $at = $depth THEN $region
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END END AS target,
    indicator_id,
    100.0 * (sum(value) FILTER (units > 0))::DOUBLE / nullif((sum(den) FILTER (units > 0))::DOUBLE, 0) AS value,
    (sum(value) FILTER (units > 0))::DOUBLE AS numerator,
    (sum(den) FILTER (units > 0))::DOUBLE AS denominator,
    sum(units)::BIGINT AS units,
    coalesce(sum(units) FILTER (period_end < $due), 0)::BIGINT AS carried_units,
    sum(lone)::BIGINT AS excluded_units,
    arg_min(period_start, period_end) FILTER (units > 0) AS oldest_start,
    min(period_end) FILTER (units > 0) AS oldest_end
FROM held_sums($indicators, $end, $oldest, $region, $depth, $level)   -- schema.sql
GROUP BY target, indicator_id
HAVING target IS NOT NULL
