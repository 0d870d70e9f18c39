-- The scores behind a score figure of $region at $end (score_totals.sql for the region itself):
-- per region of the subtree its latest score of $indicator at or before $end, with its batch.
-- reason 'stale': older than $oldest, counts for nothing; 'overridden': a region between it and
-- $region (or $region itself) has a score of its own, which is used instead. weight: the share
-- of a counted score in the figure: the figure is Σ weight × value, since each region without a
-- score of its own averages its scored children (1/n for each of them, step by step down).
-- path[k]: the ancestor at depth k - 1 (path[1] the country, path[depth + 1] the region itself).
-- Columns as sources.SQL_COLUMNS.
WITH own AS (
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.value, f.batch_id,
           f.period_end < $oldest AS stale, f.period_end < $due AS carried,
           ['000000', d1, d2, d3, d4, d5] AS path,
           (d1 IS NOT NULL)::INT + (d2 IS NOT NULL)::INT + (d3 IS NOT NULL)::INT
             + (d4 IS NOT NULL)::INT + (d5 IS NOT NULL)::INT AS depth
    FROM facts f
    WHERE f.indicator_id = $indicator
      AND f.period_end <= $end AND (f.valid_to IS NULL OR f.valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
),
live AS (SELECT * FROM own WHERE NOT stale),
scored_children AS (   -- per region: how many of its children have a score (own or below)
    SELECT parent, count(DISTINCT child) AS n
    FROM (SELECT l.path[k] AS parent, l.path[k + 1] AS child
          FROM live l CROSS JOIN range(1, 6) r(k) WHERE k <= l.depth)
    GROUP BY parent
),
steps AS (             -- per counted score: the regions from $region down to its parent
    SELECT l.region_code, l.path[k] AS step
    FROM live l CROSS JOIN range(1, 6) r(k) WHERE k > $depth AND k <= l.depth
),
shares AS (
    SELECT s.region_code, product(1.0 / n.n) AS weight, bool_or(a.region_code IS NOT NULL) AS overridden
    FROM steps s JOIN scored_children n ON n.parent = s.step
    LEFT JOIN live a ON a.region_code = s.step
    GROUP BY s.region_code
)
SELECT o.region_code, o.indicator_id, o.period_start, o.period_end, o.value::DOUBLE AS value,
       o.batch_id, b.file_name, b.uploader, b.created_at AS committed_at,
       o.carried AND NOT o.stale AS carried,
       CASE WHEN o.stale THEN 'stale' WHEN s.overridden THEN 'overridden' END AS reason,
       CASE WHEN NOT o.stale AND NOT coalesce(s.overridden, false) THEN coalesce(s.weight, 1.0) END AS weight
FROM own o LEFT JOIN shares s USING (region_code) LEFT JOIN batches b USING (batch_id)
ORDER BY o.depth, o.region_code
