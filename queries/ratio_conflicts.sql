-- Ratio parts that the upload (registered frame new_facts, its ratio parts only) would leave
-- with a numerator above its denominator for the same region and period, one of the two from the
-- file and the other stored. (Both from the file is the parser's check.)
WITH parts AS (
    SELECT r.name_zh, r.numerator, r.denominator, n.name_zh AS num_name, d.name_zh AS den_name
    FROM indicators r
    JOIN indicators n ON n.id = r.numerator
    JOIN indicators d ON d.id = r.denominator
    WHERE r.kind = 'ratio'
),
stored AS (   -- stored parts in the file's regions, except the cells the file rewrites
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value
    FROM facts f
    SEMI JOIN (SELECT DISTINCT region_code FROM new_facts) r ON r.region_code = f.region_code
    ANTI JOIN new_facts n
      ON n.region_code = f.region_code AND n.indicator_id = f.indicator_id
     AND n.period_start = f.period_start AND n.months = f.months
    WHERE f.indicator_id IN (SELECT numerator FROM parts UNION ALL SELECT denominator FROM parts)
),
cells AS (    -- row NULL: stored
    SELECT region_code, indicator_id, period_start, period_end, months, value, "row" FROM new_facts
    UNION ALL
    SELECT *, NULL FROM stored
),
num AS (SELECT p.*, c.* FROM parts p JOIN cells c ON c.indicator_id = p.numerator),
den AS (SELECT p.name_zh AS ratio, c.* FROM parts p JOIN cells c ON c.indicator_id = p.denominator)
SELECT coalesce(a."row", b."row") AS "row", a.name_zh, a.num_name, a.den_name,
       a.value AS num, b.value AS den, a."row" IS NULL AS num_stored, a.period_start, a.period_end
FROM num a
JOIN den b ON b.ratio = a.name_zh AND b.region_code = a.region_code
          AND b.period_start = a.period_start AND b.months = a.months
WHERE a.value > b.value AND (a."row" IS NULL) <> (b."row" IS NULL)
ORDER BY 1
