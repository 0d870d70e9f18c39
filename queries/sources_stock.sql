-- The facts behind a stock figure of $region at $end (stock_totals.sql for the region itself):
-- per region of the subtree its latest value of $indicator at or before $end, with its batch.
-- reason 'stale': it ends before $oldest (older than the catalog's carry-forward allows) and is
-- not counted; carried: counted, but ends before $due (the latest reporting period over by $end).
-- Columns as sources.SQL_COLUMNS.
SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.value::DOUBLE AS value,
       f.batch_id, b.file_name, b.uploader, b.created_at AS committed_at,
       f.period_end >= $oldest AND f.period_end < $due AS carried,
       CASE WHEN f.period_end < $oldest THEN 'stale' END AS reason,
       NULL::DOUBLE AS weight
FROM facts f LEFT JOIN batches b USING (batch_id)
WHERE f.indicator_id = $indicator
  AND f.period_end <= $end AND (f.valid_to IS NULL OR f.valid_to > $end)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                  WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
ORDER BY f.region_code, f.period_start
