-- The facts behind a flow figure of $region (flow_totals.sql for the region itself): every fact of
-- $indicator in its subtree whose period lies inside [$start, $end], with its batch. reason
-- 'covered': a coarser fact of the same region, also inside the range, contains it (a quarter
-- reported with its months counts once), so it is not counted.
-- Columns as sources.SQL_COLUMNS.
WITH flows AS (
    SELECT region_code, indicator_id, period_start, period_end, months, value, batch_id
    FROM facts
    WHERE indicator_id = $indicator
      AND period_start >= $start AND period_end <= $end
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
)
SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.value::DOUBLE AS value,
       f.batch_id, b.file_name, b.uploader, b.created_at AS committed_at, false AS carried,
       CASE WHEN EXISTS (SELECT 1 FROM flows c
                         WHERE c.region_code = f.region_code AND c.months > f.months
                           AND c.period_start <= f.period_start AND c.period_end >= f.period_end)
            THEN 'covered' END AS reason,
       NULL::DOUBLE AS weight
FROM flows f LEFT JOIN batches b USING (batch_id)
ORDER BY f.region_code, f.period_start, f.months
