-- The targets a batch replaced, with the batches that had written them, for undo to put back.
SELECT region_code, indicator_id, year, quarter, value, old_batch_id AS batch_id
FROM target_history WHERE batch_id = $batch_id
