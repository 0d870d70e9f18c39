-- ratio_totals.sql for targets at depth 0-3 (country, province, city, county; buckets.serves),
-- from bucket_totals, in one pass: the sums of the pairs in effect (regions with both parts,
-- rows of the ratio itself) give numerator, denominator, units and carried units; the
-- regions with one part only are those with a part in effect, less twice the pairs.
-- $ratios: {ratio_id, num_id, den_id}; $indicators: the parts. Columns as rollup.COLUMNS.
WITH ratios AS (SELECT unnest($ratios, recursive := true)),
sums AS (
    SELECT
        CASE WHEN $at = $depth THEN $region
         ELSE CASE $at WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END END AS target,
        indicator_id, value, den, units, period_start, period_end
    FROM bucket_totals
    WHERE list_contains(list_concat($indicators, [r.ratio_id FOR r IN $ratios]), indicator_id)
      AND effective <= $end AND period_end >= $oldest AND (valid_to IS NULL OR valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = $region
      AND level = $level::TINYINT   -- buckets.level: city sums for the country or a province, else county sums
)
SELECT s.target, q.ratio_id,
       100.0 * (sum(s.value) FILTER (s.indicator_id = q.ratio_id))::DOUBLE
             / nullif((sum(s.den) FILTER (s.indicator_id = q.ratio_id))::DOUBLE, 0) AS value,
       (sum(s.value) FILTER (s.indicator_id = q.ratio_id))::DOUBLE AS numerator,
       (sum(s.den) FILTER (s.indicator_id = q.ratio_id))::DOUBLE AS denominator,
       coalesce(sum(s.units) FILTER (s.indicator_id = q.ratio_id), 0) AS units,
       coalesce(sum(s.units) FILTER (s.indicator_id = q.ratio_id AND s.period_end < $due), 0) AS carried_units,
       (coalesce(sum(s.units) FILTER (s.indicator_id <> q.ratio_id), 0)
        - 2 * coalesce(sum(s.units) FILTER (s.indicator_id = q.ratio_id), 0))::BIGINT AS excluded_units,
       arg_min(s.period_start, s.period_end) FILTER (s.indicator_id = q.ratio_id) AS oldest_start,
       min(s.period_end) FILTER (s.indicator_id = q.ratio_id) AS oldest_end
FROM sums s JOIN ratios q ON s.indicator_id IN (q.ratio_id, q.num_id, q.den_id)
WHERE s.target IS NOT NULL
GROUP BY s.target, q.ratio_id
