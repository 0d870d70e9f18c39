-- The values a batch replaced, with the batches that had written them, for undo to put back.
SELECT region_code, indicator_id, period_start, period_end, months, value, old_batch_id AS batch_id
FROM fact_history WHERE batch_id = $batch_id
