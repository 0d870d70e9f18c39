-- Undo, step 3: the replaced values are back in facts; drop their copies.
DELETE FROM fact_history WHERE batch_id = $batch_id
