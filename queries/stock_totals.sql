-- Stock indicators (how many exist) at the end of a period: per region the latest value reported
-- at or before $end, summed over each target's subtree (see flow_totals.sql for targets).
-- $indicators share one rule (rollup.rules): a value whose period ends before $oldest has expired
-- (older than the catalog's carry-forward allows) and does not count; one that ends before $due
-- (the latest reporting period over by $end) is carried forward.
-- Columns as rollup.COLUMNS: units = regions whose value is included, carried_units = those
-- carried forward, oldest_start/oldest_end = the period of the oldest value included.
SELECT
    CASE WHEN $at = $depth THEN $region
         WHEN len($lifted) > 0 AND (CASE $at WHEN 4 THEN d3 WHEN 5 THEN d4 END) IN (SELECT unnest($lifted::VARCHAR[]))
         THEN CASE $at WHEN 4 THEN d3 WHEN 5 THEN d4 END   -- a target one depth up (rollup.level_rows)
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 WHEN 4 THEN d4 WHEN 5 THEN d5 END END AS target,
    f.indicator_id, sum(f.value)::DOUBLE AS value, NULL::DOUBLE AS numerator,
    NULL::DOUBLE AS denominator, count(*) AS units,
    count(*) FILTER (WHERE f.period_end < $due) AS carried_units, NULL::BIGINT AS excluded_units,
    arg_min(f.period_start, f.period_end) AS oldest_start, min(f.period_end) AS oldest_end
FROM facts f
WHERE list_contains($indicators, f.indicator_id)
  AND f.period_end <= $end AND f.period_end >= $oldest
  AND (f.valid_to IS NULL OR f.valid_to > $end)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                  WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
GROUP BY target, f.indicator_id
HAVING target IS NOT NULL
