-- For each new fact (registered frame new_facts) the value already stored in the same cell, if any
-- (unordered: the preview orders it for display, a commit needs no order).
SELECT n.*, f.value AS old_value, f.batch_id AS old_batch_id
FROM new_facts n
LEFT JOIN facts f
  ON f.region_code = n.region_code AND f.indicator_id = n.indicator_id
 AND f.period_start = n.period_start AND f.months = n.months
