-- Ratio parts (numerator above denominator) that the upload (registered frame new_facts; its
-- regions in temp table file_regions) would leave in some region. Numerators and denominators are
-- stocks: each holds from its period end until the region's next report of it, as the roll-up
-- takes them. A numerator and a denominator in effect together are found from either side: each
-- numerator set against the denominator in effect at its period end, and each denominator against
-- the numerator in effect at its period end (ASOF: the latest reported at or before it). A pair is
-- reported when at least one of the two comes from the file. (The parser has already checked a
-- numerator and a denominator of the same period in the file.)
WITH parts AS (
    SELECT r.name_zh, r.numerator, r.denominator, n.name_zh AS num_name, d.name_zh AS den_name
    FROM indicators r
    JOIN indicators n ON n.id = r.numerator
    JOIN indicators d ON d.id = r.denominator
    WHERE r.kind = 'ratio'
),
cells AS (    -- the parts in the file's regions after the upload; row NULL = stored
    SELECT region_code, indicator_id, period_start, period_end, months, value, "row" FROM new_facts
    WHERE indicator_id IN (SELECT numerator FROM parts UNION ALL SELECT denominator FROM parts)
    UNION ALL
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, NULL
    FROM facts f
    SEMI JOIN file_regions r ON r.code = f.region_code
    ANTI JOIN (FROM new_facts WHERE indicator_id IN (SELECT numerator FROM parts UNION ALL SELECT denominator FROM parts)) n
      ON n.region_code = f.region_code AND n.indicator_id = f.indicator_id
     AND n.period_start = f.period_start AND n.months = f.months
    WHERE f.indicator_id IN (SELECT numerator FROM parts UNION ALL SELECT denominator FROM parts)
),
num AS NOT MATERIALIZED (SELECT p.*, c.* FROM parts p JOIN cells c ON c.indicator_id = p.numerator),
den AS NOT MATERIALIZED (SELECT p.*, c.* FROM parts p JOIN cells c ON c.indicator_id = p.denominator),
stats AS (
    SELECT region_code, indicator_id, min(value) AS low, max(value) AS high,
           min(value) FILTER ("row" IS NOT NULL) AS file_low, max(value) FILTER ("row" IS NOT NULL) AS file_high
    FROM cells GROUP BY ALL
),
limits AS (   -- per ratio, region and part: the value beyond which it can be in a reported pair:
              -- a numerator above some denominator (when stored, above one of the file), a
              -- denominator below some numerator (likewise)
    SELECT p.name_zh, n.region_code, n.indicator_id, true AS is_num, d.file_low AS stored_limit, d.low AS file_limit
    FROM parts p JOIN stats n ON n.indicator_id = p.numerator
    JOIN stats d ON d.indicator_id = p.denominator AND d.region_code = n.region_code
    UNION ALL
    SELECT p.name_zh, d.region_code, d.indicator_id, false, n.file_high, n.high
    FROM parts p JOIN stats n ON n.indicator_id = p.numerator
    JOIN stats d ON d.indicator_id = p.denominator AND d.region_code = n.region_code
),
drivers AS (
    SELECT p.*, c.*, l.is_num
    FROM cells c JOIN limits l USING (region_code, indicator_id) JOIN parts p USING (name_zh)
    WHERE CASE WHEN l.is_num THEN c.value > CASE WHEN c."row" IS NULL THEN l.stored_limit ELSE l.file_limit END
               ELSE c.value < CASE WHEN c."row" IS NULL THEN l.stored_limit ELSE l.file_limit END END
),
pairs AS (    -- (the other side of each ASOF join is cut to the drivers' regions: ASOF sorts all of it)
    SELECT a.name_zh, a.num_name, a.den_name, a.value AS num, b.value AS den, a."row" AS num_row,
           b."row" AS den_row, a.period_start, a.period_end, b.period_start AS den_start, b.period_end AS den_end
    FROM (SELECT * FROM drivers WHERE is_num) a
    ASOF JOIN (FROM den SEMI JOIN drivers k ON k.is_num AND k.name_zh = den.name_zh AND k.region_code = den.region_code) b
      ON b.name_zh = a.name_zh AND b.region_code = a.region_code AND a.period_end >= b.period_end
    UNION
    SELECT b.name_zh, b.num_name, b.den_name, a.value, b.value, a."row", b."row", a.period_start,
           a.period_end, b.period_start, b.period_end
    FROM (SELECT * FROM drivers WHERE NOT is_num) b
    ASOF JOIN (FROM num SEMI JOIN drivers k ON NOT k.is_num AND k.name_zh = num.name_zh AND k.region_code = num.region_code) a
      ON a.name_zh = b.name_zh AND a.region_code = b.region_code AND b.period_end >= a.period_end
)
SELECT coalesce(num_row, den_row) AS "row", name_zh, num_name, den_name, num, den, num_row, den_row,
       period_start, period_end, den_start, den_end
FROM pairs
WHERE num > den AND (num_row IS NOT NULL OR den_row IS NOT NULL)
ORDER BY 1, period_end
