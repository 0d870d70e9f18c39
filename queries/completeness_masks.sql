-- The township-level units (乡镇/街道, level 4) in the subtree of $region (above township level,
-- at tree depth $depth), in code order, each with group_code (the direct child of $region that
-- holds it) and mask: the bits (completeness_bits.sql) of the indicators it reported inside the
-- period [$start, $end], itself or its villages (unit_reports; 0 when nothing).
WITH reported AS (
    SELECT unit, bit_or(mask) AS mask
    FROM unit_reports
    WHERE period_start >= $start AND period_end <= $end
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = $region
    GROUP BY unit
)
SELECT r.code AS unit_code,
       CASE $depth WHEN 0 THEN r.d1 WHEN 1 THEN r.d2 WHEN 2 THEN r.d3 WHEN 3 THEN r.d4 END AS group_code,
       coalesce(m.mask, 0)::UBIGINT AS mask
FROM regions r LEFT JOIN reported m ON m.unit = r.code
WHERE r.level = 4
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN r.d1 WHEN 2 THEN r.d2 WHEN 3 THEN r.d3 END = $region
ORDER BY r.code
