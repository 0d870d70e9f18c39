-- Append the rows of the registered frame new_facts, with their regions' ancestor codes.
INSERT INTO facts
SELECT n.region_code, n.indicator_id, n.period_start, n.period_end, n.months, n.value, $batch_id,
       NULL, r.d1, r.d2, r.d3, r.d4, r.d5
FROM new_facts n JOIN regions r ON r.code = n.region_code
ORDER BY n.indicator_id, n.period_start, n.region_code
