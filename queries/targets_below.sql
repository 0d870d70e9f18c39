-- The regions strictly below $region (depth $depth) with a target for $year ($quarter, NULL for
-- the year's; $indicator or all), and their parents: the red list groups them by parent.
SELECT DISTINCT t.region_code, r.parent_code
FROM targets t JOIN regions r ON r.code = t.region_code
WHERE t.year = $year AND t.quarter IS NOT DISTINCT FROM $quarter
  AND ($indicator IS NULL OR t.indicator_id = $indicator)
  AND t.region_code <> $region
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN r.d1 WHEN 2 THEN r.d2 WHEN 3 THEN r.d3
                  WHEN 4 THEN r.d4 WHEN 5 THEN r.d5 END = $region
ORDER BY r.parent_code, t.region_code
