-- The facts behind a ratio figure of $region at $end (ratio_totals.sql for the region itself):
-- per region of the subtree its latest $num and $den values at or before $end (each a stock, see
-- sources_stock.sql for $oldest, $due, 'stale' and carried), with their batches. reason
-- 'one_part': the region has only this part in effect, so it is left out of both sums.
-- Columns as sources.SQL_COLUMNS.
WITH parts AS (
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.value, f.batch_id,
           f.period_end < $oldest AS stale, f.period_end < $due AS carried
    FROM facts f
    WHERE (f.indicator_id = $num OR f.indicator_id = $den)
      AND f.period_end <= $end AND (f.valid_to IS NULL OR f.valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
),
complete AS (
    SELECT region_code FROM parts WHERE NOT stale
    GROUP BY region_code HAVING count(DISTINCT indicator_id) = 2
)
SELECT p.region_code, p.indicator_id, p.period_start, p.period_end, p.value::DOUBLE AS value,
       p.batch_id, b.file_name, b.uploader, b.created_at AS committed_at,
       p.carried AND NOT p.stale AS carried,
       CASE WHEN p.stale THEN 'stale' WHEN c.region_code IS NULL THEN 'one_part' END AS reason,
       NULL::DOUBLE AS weight
FROM parts p LEFT JOIN complete c USING (region_code) LEFT JOIN batches b USING (batch_id)
ORDER BY p.region_code, p.indicator_id = $den, p.period_start
