-- Batches still in effect that replaced targets written by $batch_id (undo those first).
SELECT DISTINCT h.batch_id FROM target_history h JOIN batches b ON b.batch_id = h.batch_id
WHERE h.old_batch_id = $batch_id AND b.undone_at IS NULL
ORDER BY h.batch_id
