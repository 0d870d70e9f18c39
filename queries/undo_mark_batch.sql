-- Undo: mark the batch undone.
UPDATE batches SET undone_at = current_timestamp WHERE batch_id = $batch_id
