-- region_last_end.sql for many regions at once, each at depth 1-3 inside the subtree of $region:
-- the end of the newest period with any fact in its subtree (NULL when it has none). Flows and stocks from bucket_totals at
-- $level (2, the city sums, when no region is deeper than a city; else 3, the county sums: both
-- hold every such fact), scores ($scores: not in bucket_totals) from the facts. One grouping set
-- per depth; grouping() names the depth a row was grouped at (a province's own facts have no d2).
WITH ends AS (
    SELECT d1, d2, d3, period_end FROM bucket_totals
    WHERE level = $level::TINYINT
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = $region
    UNION ALL
    SELECT d1, d2, d3, period_end FROM facts
    WHERE list_contains($scores, indicator_id)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3 END = $region
),
grouped AS (
    SELECT CASE grouping(d2, d3) WHEN 3 THEN d1 WHEN 1 THEN d2 ELSE d3 END AS code,
           max(period_end) AS last_end
    FROM ends
    GROUP BY GROUPING SETS ((d1), (d1, d2), (d1, d2, d3))
)
SELECT code, last_end FROM grouped WHERE list_contains($codes, code)
