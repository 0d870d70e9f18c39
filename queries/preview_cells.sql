-- For each new fact (registered frame new_facts) the value already stored in the same cell, if any
-- (unordered: the preview orders it for display, a commit needs no order). The facts are cut to
-- the file's indicators and regions first: zone maps then skip the other row groups (a 100,000-row
-- file into the national database: 5.5 M facts read, 305 ms, against 162 ms).
SELECT n.*, f.value AS old_value, f.batch_id AS old_batch_id
FROM new_facts n
LEFT JOIN (FROM facts WHERE indicator_id IN (SELECT DISTINCT indicator_id FROM new_facts)
                        AND region_code IN (SELECT DISTINCT region_code FROM new_facts)) f
  ON f.region_code = n.region_code AND f.indicator_id = n.indicator_id
 AND f.period_start = n.period_start AND f.months = n.months
