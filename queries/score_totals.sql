-- Score of each target (the region itself, or the regions at the depths $ats below it): a region's
-- own latest score at or before $end if it has one, else the mean over its direct children
-- that have a score, recursively (units: 1 for an own score, else the number of scored children). Bottom-up by
-- depth; a region's parent is the previous ancestor column, so no join with regions is needed.
-- A fact's depth shows in its ancestor columns (d1..dk set, the rest NULL; dk is the region
-- itself): tested as such, which DuckDB filters faster than a depth column worked out per row.
-- A score whose period ends before $oldest has expired (the catalog's carry-forward) and counts
-- for nothing; one that ends before $due is carried forward. carried_units: the scores carried
-- forward among those the value rests on (at any depth); oldest_*: the oldest of them.
-- Means are exact sums divided once and kept as decimals: the same figure whatever order the
-- rows are added in (avg over doubles differed in the last digits from run to run).
-- Columns as rollup.COLUMNS.
WITH own AS (
    SELECT d1, d2, d3, d4, d5, value::DECIMAL(38, 12) AS value,
           (period_end < $due)::INT AS c, period_start AS os, period_end AS oe
    FROM facts
    WHERE indicator_id = $indicator
      AND period_end <= $end AND period_end >= $oldest AND (valid_to IS NULL OR valid_to > $end)
      AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                      WHEN 4 THEN d4 WHEN 5 THEN d5 END = $region
),
s4 AS (SELECT d1, d2, d3, d4, value, 1 AS n, c, os, oe FROM own WHERE d4 IS NOT NULL AND d5 IS NULL
       UNION ALL
       SELECT d1, d2, d3, d4, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe)
       FROM own x ANTI JOIN (SELECT d4 FROM own WHERE d4 IS NOT NULL AND d5 IS NULL) o ON o.d4 = x.d4
       WHERE x.d5 IS NOT NULL
       GROUP BY d1, d2, d3, d4),
s3 AS (SELECT d1, d2, d3, value, 1 AS n, c, os, oe FROM own WHERE d3 IS NOT NULL AND d4 IS NULL
       UNION ALL
       SELECT d1, d2, d3, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe)
       FROM s4 x ANTI JOIN (SELECT d3 FROM own WHERE d3 IS NOT NULL AND d4 IS NULL) o ON o.d3 = x.d3
       GROUP BY d1, d2, d3),
s2 AS (SELECT d1, d2, value, 1 AS n, c, os, oe FROM own WHERE d2 IS NOT NULL AND d3 IS NULL
       UNION ALL
       SELECT d1, d2, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe)
       FROM s3 x ANTI JOIN (SELECT d2 FROM own WHERE d2 IS NOT NULL AND d3 IS NULL) o ON o.d2 = x.d2
       GROUP BY d1, d2),
s1 AS (SELECT d1, value, 1 AS n, c, os, oe FROM own WHERE d1 IS NOT NULL AND d2 IS NULL
       UNION ALL
       SELECT d1, (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe)
       FROM s2 x ANTI JOIN (SELECT d1 FROM own WHERE d1 IS NOT NULL AND d2 IS NULL) o ON o.d1 = x.d1
       GROUP BY d1),
s0 AS (SELECT value, 1 AS n, c, os, oe FROM own WHERE d1 IS NULL
       UNION ALL
       SELECT (sum(value) / count(*))::DECIMAL(38, 12), count(*), sum(c), arg_min(os, oe), min(oe) FROM s1
       WHERE NOT EXISTS (SELECT 1 FROM own WHERE d1 IS NULL) HAVING count(*) > 0),
scored AS (
    SELECT 5 AS depth, d5 AS code, value, 1 AS n, c, os, oe FROM own WHERE d5 IS NOT NULL
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
