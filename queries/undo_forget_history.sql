-- Undo: drop the copies of the values the batch replaced (read beforehand to be put back).
DELETE FROM fact_history WHERE batch_id = $batch_id
