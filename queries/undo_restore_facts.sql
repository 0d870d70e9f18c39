-- Undo, step 2: put back the values the batch had replaced, with their original batches.
INSERT INTO facts
SELECT h.region_code, h.indicator_id, h.period_start, h.period_end, h.months, h.value, h.old_batch_id,
       NULL, r.d1, r.d2, r.d3, r.d4, r.d5
FROM fact_history h JOIN regions r ON r.code = h.region_code
WHERE h.batch_id = $batch_id
