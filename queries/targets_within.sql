-- The targets of $region (depth $depth) and of every region below it for $year ($quarter, NULL
-- for the year's; $indicator or all), with each region's depth and cut: the red list judges a
-- region's own targets at its own newest data, and those below beside their siblings, at their
-- parent's (cut: the region whose newest data cuts the period).
SELECT t.region_code, t.indicator_id, t.value, r.depth,
       CASE WHEN t.region_code = $region THEN $region ELSE r.parent_code END AS cut
FROM targets t JOIN regions r ON r.code = t.region_code
WHERE t.year = $year AND t.quarter IS NOT DISTINCT FROM $quarter
  AND ($indicator IS NULL OR t.indicator_id = $indicator)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN r.d1 WHEN 2 THEN r.d2 WHEN 3 THEN r.d3
                  WHEN 4 THEN r.d4 WHEN 5 THEN r.d5 END = $region
ORDER BY r.parent_code, t.region_code, t.indicator_id
