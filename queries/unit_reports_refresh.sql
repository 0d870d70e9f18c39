-- Recompute the rows of unit_reports (see schema.sql) of the units in the marked buckets
-- (bucket_keys_mark.sql), every indicator, from the facts. Runs inside the transaction that
-- changed the facts, after the change. A unit's unit code is its ancestor at the depth where level
-- 4 sits; facts of regions above township level count for no unit.
DELETE FROM unit_reports WHERE d3 IN (SELECT bucket FROM bucket_keys);

INSERT INTO unit_reports
WITH f AS (
    SELECT CASE r.depth - (r.level - 4) WHEN 1 THEN f.d1 WHEN 2 THEN f.d2 WHEN 3 THEN f.d3
                                         WHEN 4 THEN f.d4 WHEN 5 THEN f.d5 END AS unit,
           f.d1, f.d2, f.d3, f.period_start, f.period_end, b.bit
    FROM facts f JOIN regions r ON r.code = f.region_code JOIN indicator_bits b ON b.indicator_id = f.indicator_id
    WHERE r.level >= 4
      AND f.d1 IN (SELECT d1 FROM bucket_keys)
      AND f.d3 IN (SELECT bucket FROM bucket_keys)
)
SELECT unit, d1, d2, d3, period_start, period_end, bit_or(1::UBIGINT << bit) AS mask
FROM f
GROUP BY ALL
ORDER BY d1, d2, d3, unit, period_start, period_end
