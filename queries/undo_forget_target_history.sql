-- Undo a targets batch: drop the copies of the targets it replaced (read beforehand by
-- target_batch_replaced.sql to be put back).
DELETE FROM target_history WHERE batch_id = $batch_id
