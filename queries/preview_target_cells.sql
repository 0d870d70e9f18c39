-- For each new target (registered frame new_targets: region_code, indicator_id, year, quarter,
-- value, row, ...) the target already stored for the same region, indicator, year and quarter,
-- if any, and whether it is the same value (unordered).
SELECT n.*, t.value AS old_value, t.batch_id AS old_batch_id,
       t.value IS NOT DISTINCT FROM n.value::DECIMAL(18, 6) AS same
FROM new_targets n
LEFT JOIN targets t
  ON t.region_code = n.region_code AND t.indicator_id = n.indicator_id
 AND t.year = n.year AND t.quarter IS NOT DISTINCT FROM n.quarter
