-- Ratio parts (numerator above denominator) that the upload (registered frame new_facts) would
-- leave in some region: each numerator, stored or from the file, is set
-- against the denominator in effect at its period end (the latest reported at or before it, as the
-- roll-up takes it), and a pair is reported when at least one of the two comes from the file.
-- (The parser has already checked a numerator and a denominator of the same period in the file.)
WITH parts AS (
    SELECT r.name_zh, r.numerator, r.denominator, n.name_zh AS num_name, d.name_zh AS den_name
    FROM indicators r
    JOIN indicators n ON n.id = r.numerator
    JOIN indicators d ON d.id = r.denominator
    WHERE r.kind = 'ratio'
),
cells AS (    -- the parts in the file's regions after the upload; row NULL = stored
    SELECT region_code, indicator_id, period_start, period_end, months, value, "row" FROM new_facts
    UNION ALL
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, NULL
    FROM facts f
    SEMI JOIN (SELECT DISTINCT region_code FROM new_facts) r ON r.region_code = f.region_code
    ANTI JOIN new_facts n
      ON n.region_code = f.region_code AND n.indicator_id = f.indicator_id
     AND n.period_start = f.period_start AND n.months = f.months
    WHERE f.indicator_id IN (SELECT numerator FROM parts UNION ALL SELECT denominator FROM parts)
),
low AS (      -- the smallest denominator in the file, per ratio and region
    SELECT p.name_zh AS ratio, n.region_code, min(n.value) AS value
    FROM parts p JOIN new_facts n ON n.indicator_id = p.denominator
    GROUP BY ALL
),
num AS (      -- numerators that can be in a reported pair: from the file, or above a file denominator
    SELECT p.*, c.*
    FROM parts p JOIN cells c ON c.indicator_id = p.numerator
    LEFT JOIN low ON low.ratio = p.name_zh AND low.region_code = c.region_code
    WHERE c."row" IS NOT NULL OR c.value > low.value
),
den AS (      -- denominators where there are such numerators
    SELECT p.name_zh AS ratio, c.*
    FROM parts p JOIN cells c ON c.indicator_id = p.denominator
    SEMI JOIN (SELECT DISTINCT name_zh, region_code FROM num) k
      ON k.name_zh = p.name_zh AND k.region_code = c.region_code
)
SELECT coalesce(a."row", b."row") AS "row", a.name_zh, a.num_name, a.den_name, a.value AS num,
       b.value AS den, a."row" AS num_row, b."row" AS den_row,
       a.period_start, a.period_end, b.period_start AS den_start, b.period_end AS den_end
FROM num a
ASOF JOIN den b ON b.ratio = a.name_zh AND b.region_code = a.region_code AND a.period_end >= b.period_end
WHERE a.value > b.value AND (a."row" IS NOT NULL OR b."row" IS NOT NULL)
ORDER BY 1
