-- ratio_totals.sql for a target at depth 0-2 (country, province, city; a county itself, not its
-- children), from bucket_totals: the
-- sums of the pairs in effect (regions with both parts) give numerator, denominator, units and
-- carried units; the regions with one part only are those with a part in effect, less twice the
-- pairs. $ratios: {ratio_id, num_id, den_id}; $indicators: the parts. Columns as rollup.COLUMNS.
WITH ratios AS (SELECT unnest($ratios, recursive := true)),
sums AS (
    SELECT
        CASE WHEN $by_children THEN CASE $depth WHEN 0 THEN d1 WHEN 1 THEN d2 WHEN 2 THEN d3 END
        ELSE $region END AS target,
        indicator_id, sum(value) AS num, sum(den) AS den, sum(units) AS units,
        coalesce(sum(units) FILTER (WHERE period_end < $due), 0) AS carried,
        arg_min(period_start, period_end) AS oldest_start, min(period_end) AS oldest_end
    FROM bucket_totals
    WHERE (list_contains($indicators, indicator_id)
           OR list_contains([r.ratio_id FOR r IN $ratios], indicator_id))
      AND effective <= $end AND period_end >= $oldest AND (valid_to IS NULL OR valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = $region
      AND level = $level::TINYINT   -- buckets.level: city sums for the country or a province, else county sums
    GROUP BY target, indicator_id
    HAVING target IS NOT NULL
)
SELECT t.target, q.ratio_id, 100.0 * p.num::DOUBLE / nullif(p.den::DOUBLE, 0) AS value,
       p.num::DOUBLE AS numerator, p.den::DOUBLE AS denominator, coalesce(p.units, 0) AS units,
       coalesce(p.carried, 0) AS carried_units,
       (sum(t.units) - 2 * coalesce(p.units, 0))::BIGINT AS excluded_units,
       p.oldest_start, p.oldest_end
FROM ratios q
JOIN sums t ON t.indicator_id IN (q.num_id, q.den_id)
LEFT JOIN sums p ON p.indicator_id = q.ratio_id AND p.target = t.target
GROUP BY t.target, q.ratio_id, p.num, p.den, p.units, p.carried, p.oldest_start, p.oldest_end
