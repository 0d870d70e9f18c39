-- Stock indicators (how many exist) at the end of a period: per region the latest value reported
-- at or before $end, summed over each target's subtree (see flow_totals.sql for targets).
-- `reported` counts the regions whose value is included. Also gives the parts of ratios.
SELECT
    CASE WHEN $by_children THEN
        CASE $depth WHEN 0 THEN d1 WHEN 1 THEN d2 WHEN 2 THEN d3 WHEN 3 THEN d4 WHEN 4 THEN d5 END
    ELSE $region END AS target,
    indicator_id, sum(value) AS value, count(*) AS reported
FROM facts
WHERE list_contains($indicators, indicator_id)
  AND period_end <= $end AND (valid_to IS NULL OR valid_to > $end)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                  WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
GROUP BY target, indicator_id
HAVING target IS NOT NULL
