-- Keep the values that the new facts (new_facts) are about to replace, for undo.
INSERT INTO fact_history
SELECT $batch_id, f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, f.batch_id
FROM (FROM facts WHERE indicator_id IN (SELECT DISTINCT indicator_id FROM new_facts)   -- as preview_cells.sql
                  AND region_code IN (SELECT DISTINCT region_code FROM new_facts)) f
JOIN new_facts n
  ON f.region_code = n.region_code AND f.indicator_id = n.indicator_id
 AND f.period_start = n.period_start AND f.months = n.months
