-- Score of each target (the region itself, or the regions at the depths $ats below it): a region's
-- own latest score at or before $end if it has one, else the mean over its direct children
-- that have a score, recursively (units: 1 for an own score, else the number of scored children). Bottom-up by
-- depth; a region's parent is the previous ancestor column, so no join with regions is needed.
-- A score whose period ends before $oldest has expired (the catalog's carry-forward) and counts
-- for nothing; one that ends before $due is carried forward. carried_units: the scores carried
-- forward among those the value rests on (at any depth); oldest_*: the oldest of them.
-- Means are exact sums divided once and kept as decimals: the same figure whatever order the
-- rows are added in (avg over doubles differed in the last digits from run to run).
-- Columns as rollup.COLUMNS.
WITH own AS (
    SELECT region_code AS code, d1, d2, d3, d4, value::DECIMAL(38, 12) AS value,
           (period_end < $due)::INT AS c, period_start AS os, period_end AS oe,
           (d1 IS NOT NULL)::INT + (d2 IS NOT NULL)::INT + (d3 IS NOT NULL)::INT
             + (d4 IS NOT NULL)::INT + (d5 IS NOT NULL)::INT AS depth
    FROM facts
    WHERE indicator_id = $indicator
      AND period_end <= $end AND period_end >= $oldest AND (valid_to IS NULL OR valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
),
s4 AS (SELECT d1, d2, d3, d4, value, 1 AS n, c, os, oe FROM own WHERE depth = 4
       UNION ALL
       SELECT d1, d2, d3, d4, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe) FROM own x
       WHERE depth = 5 AND NOT EXISTS (SELECT 1 FROM own o WHERE o.depth = 4 AND o.code = x.d4)
       GROUP BY d1, d2, d3, d4),
s3 AS (SELECT d1, d2, d3, value, 1 AS n, c, os, oe FROM own WHERE depth = 3
       UNION ALL
       SELECT d1, d2, d3, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe) FROM s4 x
       WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.depth = 3 AND o.code = x.d3)
       GROUP BY d1, d2, d3),
s2 AS (SELECT d1, d2, value, 1 AS n, c, os, oe FROM own WHERE depth = 2
       UNION ALL
       SELECT d1, d2, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe) FROM s3 x
       WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.depth = 2 AND o.code = x.d2)
       GROUP BY d1, d2),
s1 AS (SELECT d1, value, 1 AS n, c, os, oe FROM own WHERE depth = 1
       UNION ALL
       SELECT d1, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe) FROM s2 x
       WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.depth = 1 AND o.code = x.d1)
       GROUP BY d1),
s0 AS (SELECT value, 1 AS n, c, os, oe FROM own WHERE depth = 0
       UNION ALL
       SELECT (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe) FROM s1
       WHERE NOT EXISTS (SELECT 1 FROM own WHERE depth = 0) HAVING count(*) > 0),
scored AS (
    SELECT 5 AS depth, code, value, 1 AS n, c, os, oe FROM own WHERE depth = 5
    UNION ALL SELECT 4, d4, value, n, c, os, oe FROM s4
    UNION ALL SELECT 3, d3, value, n, c, os, oe FROM s3
    UNION ALL SELECT 2, d2, value, n, c, os, oe FROM s2
    UNION ALL SELECT 1, d1, value, n, c, os, oe FROM s1
    UNION ALL SELECT 0, '000000', value, n, c, os, oe FROM s0
)
SELECT code AS target, $indicator AS indicator_id, value::DOUBLE AS value, NULL::DOUBLE AS numerator,
       NULL::DOUBLE AS denominator, n AS units, c AS carried_units, NULL::BIGINT AS excluded_units,
       os AS oldest_start, oe AS oldest_end
FROM scored
WHERE list_contains($ats, depth) AND (depth > $depth OR code = $region)
