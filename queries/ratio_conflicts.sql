-- Ratio parts that the upload (registered frame new_facts) would leave with a numerator above its
-- denominator for the same region and period, one of the two from the file and the other stored.
-- (Both from the file is the parser's check.)
WITH parts AS (
    SELECT r.name_zh, r.numerator, r.denominator, n.name_zh AS num_name, d.name_zh AS den_name
    FROM indicators r
    JOIN indicators n ON n.id = r.numerator
    JOIN indicators d ON d.id = r.denominator
    WHERE r.kind = 'ratio'
),
cells AS (   -- the parts' values after the upload, in the regions it touches; row NULL = stored
    SELECT region_code, indicator_id, period_start, period_end, months, value, "row"
    FROM new_facts
    WHERE indicator_id IN (SELECT numerator FROM parts UNION SELECT denominator FROM parts)
    UNION ALL
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, NULL
    FROM facts f
    WHERE f.indicator_id IN (SELECT numerator FROM parts UNION SELECT denominator FROM parts)
      AND f.region_code IN (SELECT region_code FROM new_facts)
      AND NOT EXISTS (SELECT 1 FROM new_facts n
                      WHERE n.region_code = f.region_code AND n.indicator_id = f.indicator_id
                        AND n.period_start = f.period_start AND n.months = f.months)
)
SELECT coalesce(a."row", b."row") AS "row", p.name_zh, p.num_name, p.den_name,
       a.value AS num, b.value AS den, a."row" IS NULL AS num_stored, a.period_start, a.period_end
FROM parts p
JOIN cells a ON a.indicator_id = p.numerator
JOIN cells b ON b.indicator_id = p.denominator AND b.region_code = a.region_code
            AND b.period_start = a.period_start AND b.months = a.months
WHERE a.value > b.value AND (a."row" IS NULL) <> (b."row" IS NULL)
ORDER BY 1
