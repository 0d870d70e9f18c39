-- Keep the targets that new_targets is about to replace, for undo.
INSERT INTO target_history
SELECT $batch_id, t.region_code, t.indicator_id, t.year, t.quarter, t.value, t.batch_id
FROM targets t JOIN new_targets n
  ON t.region_code = n.region_code AND t.indicator_id = n.indicator_id
 AND t.year = n.year AND t.quarter IS NOT DISTINCT FROM n.quarter
