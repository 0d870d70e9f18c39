-- Flow indicators (funds, people served, ...) summed over each target's subtree and a date range.
-- Targets: $region itself ($at = $depth), or each region at depth $at below it (its children at
-- $depth + 1, its townships at 4, ...), found by parent link through the ancestor columns d1..d5,
-- and the regions in $lifted, one depth up (东莞市's townships at depth 3 beside the other
-- townships at 4: one statement for both). len() first: with none, DuckDB folds the test away;
-- the IN alone joined every row with the empty list (全国's townships, a year's flow: 76 → 23 ms).
-- A fact is not counted when a coarser fact of the same region and indicator, also inside the
-- range, covers it (a quarter reported with its months counts once).
-- Columns as rollup.COLUMNS (the sum is exact: values are DECIMAL).
WITH flows AS NOT MATERIALIZED (
    SELECT
        CASE WHEN $at = $depth THEN $region
         WHEN len($lifted) > 0 AND (CASE $at WHEN 4 THEN d3 WHEN 5 THEN d4 END) IN (SELECT unnest($lifted::VARCHAR[]))
         THEN CASE $at WHEN 4 THEN d3 WHEN 5 THEN d4 END   -- a target one depth up (rollup.level_rows)
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 WHEN 4 THEN d4 WHEN 5 THEN d5 END END AS target,
        region_code, indicator_id, period_start, period_end, months, value
    FROM facts
    WHERE list_contains($indicators, indicator_id)
      AND period_start >= $start AND period_end <= $end
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
)
SELECT f.target, f.indicator_id, sum(f.value)::DOUBLE AS value, NULL::DOUBLE AS numerator,
       NULL::DOUBLE AS denominator, NULL::BIGINT AS units, NULL::BIGINT AS carried_units,
       NULL::BIGINT AS excluded_units, NULL::DATE AS oldest_start, NULL::DATE AS oldest_end
FROM flows f
ANTI JOIN (SELECT region_code, indicator_id, period_start, period_end, months
           FROM flows WHERE months > 1) c
  ON c.region_code = f.region_code AND c.indicator_id = f.indicator_id AND c.months > f.months
 AND c.period_start <= f.period_start AND c.period_end >= f.period_end
WHERE f.target IS NOT NULL
GROUP BY f.target, f.indicator_id
