-- Stored facts of a unit above or below a region of the file (registered frame new_facts) for the
-- same indicator and period (scores excepted: a unit's own score is no subtotal): summed with the
-- file's number they would count twice. One row per file cell and direction, with one example.
WITH nf AS (
    SELECT "row", region_code, indicator_id, period_start, period_end, months FROM new_facts
    WHERE indicator_id NOT IN (SELECT id FROM indicators WHERE kind = 'score')
),
file_regions AS (
    SELECT r.code, r.depth, r.d1, r.d2, r.d3, r.d4
    FROM regions r SEMI JOIN (SELECT DISTINCT region_code FROM nf) n ON n.region_code = r.code
),
above AS (SELECT DISTINCT unnest(list_slice([d1, d2, d3, d4], 1, depth - 1)) AS code FROM file_regions),
stored AS (   -- stored facts of units above the file's regions or below them
    SELECT f.region_code, f.indicator_id, f.period_start, f.months, f.d1, f.d2, f.d3, f.d4, f.d5
    FROM facts f
    WHERE f.indicator_id IN (SELECT DISTINCT indicator_id FROM nf)
      AND f.region_code NOT IN (SELECT code FROM file_regions)
      AND (f.region_code IN (SELECT code FROM above)
           OR f.d1 IN (SELECT code FROM file_regions WHERE depth = 1)
           OR f.d2 IN (SELECT code FROM file_regions WHERE depth = 2)
           OR f.d3 IN (SELECT code FROM file_regions WHERE depth = 3)
           OR f.d4 IN (SELECT code FROM file_regions WHERE depth = 4))
),
pairs AS (
    SELECT nf.*, s.region_code AS other, s.region_code IN (r.d1, r.d2, r.d3, r.d4) AS above
    FROM nf
    JOIN stored s ON s.indicator_id = nf.indicator_id AND s.period_start = nf.period_start
                 AND s.months = nf.months
    JOIN regions r ON r.code = nf.region_code
    WHERE s.region_code IN (r.d1, r.d2, r.d3, r.d4)
       OR nf.region_code IN (s.d1, s.d2, s.d3, s.d4, s.d5)
)
SELECT p."row", i.name_zh, p.period_start, p.period_end, p.above, min(o.name) AS example, count(*) AS n
FROM pairs p
JOIN regions o ON o.code = p.other
JOIN indicators i ON i.id = p.indicator_id
GROUP BY ALL
ORDER BY 1, 2
