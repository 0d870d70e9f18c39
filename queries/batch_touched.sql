-- Regions and indicators a batch wrote, for recomputing stock validity after undo.
SELECT DISTINCT region_code, indicator_id FROM facts WHERE batch_id = $batch_id
