-- The end of the newest period with any fact in the subtree of $region (NULL when it has none):
-- a period in progress is cut there, so that it is compared with the same months a year before.
SELECT max(period_end) AS last_end
FROM facts
WHERE CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
               WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
