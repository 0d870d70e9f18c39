-- Undo: remove the villages the batch created that no fact refers to any more.
DELETE FROM regions WHERE batch_id = $batch_id
  AND code NOT IN (SELECT DISTINCT region_code FROM facts)
