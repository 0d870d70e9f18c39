-- Ratio parts (numerator above denominator) that the upload (registered frame new_facts) would
-- leave in some region. Numerators and denominators are stocks: each holds from its period end
-- until the region's next report of it, as the roll-up takes them. A numerator and a denominator
-- in effect together are found from either side: each numerator set against the denominator in
-- effect at its period end, and each denominator against the numerator in effect at its period
-- end (ASOF: the latest reported at or before it). A pair is reported when at least one of the two
-- comes from the file. (The parser has already checked a numerator and a denominator of the same
-- period in the file.)
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
bounds AS (   -- per ratio and region: the smallest denominator and largest numerator, in all cells and in the file
    SELECT p.name_zh AS ratio, c.region_code,
           min(c.value) FILTER (c.indicator_id = p.denominator) AS low,
           min(c.value) FILTER (c.indicator_id = p.denominator AND c."row" IS NOT NULL) AS file_low,
           max(c.value) FILTER (c.indicator_id = p.numerator) AS high,
           max(c.value) FILTER (c.indicator_id = p.numerator AND c."row" IS NOT NULL) AS file_high
    FROM parts p JOIN cells c ON c.indicator_id IN (p.numerator, p.denominator)
    GROUP BY ALL
),
num AS (      -- the numerators, and whether one can be in a reported pair: above some denominator,
              -- and when stored, above one of the file
    SELECT p.*, c.*, c.value > CASE WHEN c."row" IS NULL THEN b.file_low ELSE b.low END AS driver
    FROM parts p JOIN cells c ON c.indicator_id = p.numerator
    JOIN bounds b ON b.ratio = p.name_zh AND b.region_code = c.region_code
),
den AS (      -- the same for denominators: below some numerator, and when stored, below one of the file
    SELECT p.name_zh AS ratio, c.*, c.value < CASE WHEN c."row" IS NULL THEN b.file_high ELSE b.high END AS driver
    FROM parts p JOIN cells c ON c.indicator_id = p.denominator
    JOIN bounds b ON b.ratio = p.name_zh AND b.region_code = c.region_code
),
pairs AS (
    SELECT a.name_zh, a.num_name, a.den_name, a.value AS num, b.value AS den, a."row" AS num_row,
           b."row" AS den_row, a.period_start, a.period_end, b.period_start AS den_start, b.period_end AS den_end
    FROM (SELECT * FROM num WHERE driver) a
    ASOF JOIN den b ON b.ratio = a.name_zh AND b.region_code = a.region_code AND a.period_end >= b.period_end
    UNION
    SELECT a.name_zh, a.num_name, a.den_name, a.value, b.value, a."row", b."row", a.period_start,
           a.period_end, b.period_start, b.period_end
    FROM (SELECT * FROM den WHERE driver) b
    ASOF JOIN num a ON a.name_zh = b.ratio AND a.region_code = b.region_code AND b.period_end >= a.period_end
)
SELECT coalesce(num_row, den_row) AS "row", name_zh, num_name, den_name, num, den, num_row, den_row,
       period_start, period_end, den_start, den_end
FROM pairs
WHERE num > den AND (num_row IS NOT NULL OR den_row IS NOT NULL)
ORDER BY 1, period_end
