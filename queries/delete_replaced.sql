-- Remove the stored facts in the cells that new_facts is about to write.
DELETE FROM facts f USING new_facts n
WHERE f.region_code = n.region_code AND f.indicator_id = n.indicator_id
  AND f.period_start = n.period_start AND f.months = n.months
  AND f.indicator_id IN (SELECT DISTINCT indicator_id FROM new_facts)   -- as preview_cells.sql
  AND f.region_code IN (SELECT DISTINCT region_code FROM new_facts)
