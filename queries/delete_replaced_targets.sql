-- Remove the stored targets that new_targets is about to write.
DELETE FROM targets t USING new_targets n
WHERE t.region_code = n.region_code AND t.indicator_id = n.indicator_id
  AND t.year = n.year AND t.quarter IS NOT DISTINCT FROM n.quarter
