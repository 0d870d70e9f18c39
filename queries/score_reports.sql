-- Each region's own latest score at or before $end, for every region in the subtree of $region.
SELECT f.region_code, r.parent_code, r.depth, f.value
FROM facts f JOIN regions r ON r.code = f.region_code
WHERE f.indicator_id = $indicator
  AND f.period_end <= $end AND (f.valid_to IS NULL OR f.valid_to > $end)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN f.d1 WHEN 2 THEN f.d2 WHEN 3 THEN f.d3
                  WHEN 4 THEN f.d4 WHEN 5 THEN f.d5 END = $region
