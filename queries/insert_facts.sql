-- Append the rows of the registered frame new_facts (each with its batch_id), with their regions' ancestor codes and, for
-- stocks and scores, valid_to (the next report's period end among stored and new facts). Stored
-- facts' valid_to is set beforehand by validity_before_insert.sql: rows inserted in a
-- transaction are never updated in it (DuckDB 2.0 crashes now and then when they are). Rows go in
-- by indicator, then by region code (division codes share their ancestors' leading digits, so a
-- subtree's rows lie together), cheaper to sort than the ancestor columns: zone maps then skip all
-- but a region's own row groups.
INSERT INTO facts
SELECT n.region_code, n.indicator_id, n.period_start, n.period_end, n.months, n.value, n.batch_id,
       v.next_end, r.d1, r.d2, r.d3, r.d4, r.d5
FROM new_facts n JOIN regions r ON r.code = n.region_code
LEFT JOIN (SELECT * FROM validity_window WHERE rid IS NULL) v
  ON v.region_code = n.region_code AND v.indicator_id = n.indicator_id
 AND v.period_start = n.period_start AND v.months = n.months
ORDER BY n.indicator_id, n.region_code, n.period_start
