-- Undo a targets batch: remove the targets it wrote.
DELETE FROM targets WHERE batch_id = $batch_id
