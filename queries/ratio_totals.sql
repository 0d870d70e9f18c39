-- Ratios (rates) at the end of a period: Σ numerator ÷ Σ denominator over the regions that have
-- both parts in effect (each part taken as a stock, see stock_totals.sql for $oldest, $due and
-- targets), never an average of rates. A region with only one part in effect is left out of both
-- sums and counted in excluded_units. $ratios: {ratio_id, num_id, den_id}; $indicators: the parts.
-- Columns as rollup.COLUMNS (value in %).
WITH ratios AS (SELECT unnest($ratios, recursive := true)),
parts AS (
    SELECT
        CASE WHEN $at = $depth THEN $region
         WHEN len($lifted) > 0 AND (CASE $at WHEN 4 THEN d3 WHEN 5 THEN d4 END) IN (SELECT unnest($lifted::VARCHAR[]))
         THEN CASE $at WHEN 4 THEN d3 WHEN 5 THEN d4 END   -- a target one depth up (rollup.level_rows)
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 WHEN 4 THEN d4 WHEN 5 THEN d5 END END AS target,
        f.region_code, f.indicator_id, f.value, f.period_start, f.period_end,
        f.period_end < $due AS carried
    FROM facts f
    WHERE list_contains($indicators, f.indicator_id)
      AND f.period_end <= $end AND f.period_end >= $oldest
      AND (f.valid_to IS NULL OR f.valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
),
per_region AS (
    SELECT q.ratio_id, p.target, p.region_code,
           sum(p.value) FILTER (WHERE p.indicator_id = q.num_id) AS num,
           sum(p.value) FILTER (WHERE p.indicator_id = q.den_id) AS den,
           bool_or(p.carried) AS carried,
           arg_min(p.period_start, p.period_end) AS oldest_start, min(p.period_end) AS oldest_end
    FROM parts p JOIN ratios q ON p.indicator_id = q.num_id OR p.indicator_id = q.den_id
    WHERE p.target IS NOT NULL
    GROUP BY q.ratio_id, p.target, p.region_code
),
sums AS (
    SELECT target, ratio_id,
           sum(num) FILTER (WHERE den IS NOT NULL)::DOUBLE AS numerator,
           sum(den) FILTER (WHERE num IS NOT NULL)::DOUBLE AS denominator,
           count(*) FILTER (WHERE num IS NOT NULL AND den IS NOT NULL) AS units,
           count(*) FILTER (WHERE num IS NOT NULL AND den IS NOT NULL AND carried) AS carried_units,
           count(*) FILTER (WHERE num IS NULL OR den IS NULL) AS excluded_units,
           arg_min(oldest_start, oldest_end) FILTER (WHERE num IS NOT NULL AND den IS NOT NULL) AS oldest_start,
           min(oldest_end) FILTER (WHERE num IS NOT NULL AND den IS NOT NULL) AS oldest_end
    FROM per_region
    GROUP BY target, ratio_id
)
SELECT target, ratio_id, 100.0 * numerator / nullif(denominator, 0) AS value, numerator, denominator,
       units, carried_units, excluded_units, oldest_start, oldest_end
FROM sums
