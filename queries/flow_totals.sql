-- Flow indicators (funds, people served, ...) summed over each target's subtree and a date range.
-- $by_children: targets are the children of $region (by parent link), else $region itself.
-- A fact is not counted when a coarser fact of the same region and indicator, also inside the
-- range, covers it (a quarter reported as well as its months counts once).
WITH scoped AS (
    SELECT
        CASE WHEN $by_children THEN
            CASE $depth WHEN 0 THEN d1 WHEN 1 THEN d2 WHEN 2 THEN d3 WHEN 3 THEN d4 WHEN 4 THEN d5 END
        ELSE $region END AS target,
        region_code, indicator_id, period_start, period_end, months, value
    FROM facts
    WHERE list_contains($indicators, indicator_id)
      AND period_start >= $start AND period_end <= $end
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
)
SELECT s.target, s.indicator_id, sum(s.value) AS value, count(DISTINCT s.region_code) AS reported
FROM scoped s
WHERE s.target IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM scoped c
      WHERE c.months > 1 AND c.months > s.months
        AND c.region_code = s.region_code AND c.indicator_id = s.indicator_id
        AND c.period_start <= s.period_start AND c.period_end >= s.period_end)
GROUP BY s.target, s.indicator_id
