-- Undo: remove the facts a batch wrote.
DELETE FROM facts WHERE batch_id = $batch_id
