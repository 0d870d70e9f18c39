-- Keep the values that the new facts (new_facts) are about to replace, for undo.
INSERT INTO fact_history
SELECT $batch_id, f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, f.batch_id
FROM facts f JOIN new_facts n
  ON f.region_code = n.region_code AND f.indicator_id = n.indicator_id
 AND f.period_start = n.period_start AND f.months = n.months
