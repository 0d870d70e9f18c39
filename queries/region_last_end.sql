-- The end of the newest period with any fact in the subtree of $region (NULL when it has none):
-- a period in progress is cut there, so that it is compared with the same months a year before.
-- Top-1 rather than max(): DuckDB stops at the first row group that holds it (1-3 ms against up
-- to 700 ms for a township at national scale, bench/RESULTS.md).
SELECT (SELECT period_end FROM facts
        WHERE CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                          WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
        ORDER BY period_end DESC LIMIT 1) AS last_end
