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
stored AS (   -- stored parts at the file's regions and periods, except the cells it rewrites
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value
    FROM facts f
    SEMI JOIN (SELECT DISTINCT region_code, period_start, months FROM new_facts) k
      ON k.region_code = f.region_code AND k.period_start = f.period_start AND k.months = f.months
    ANTI JOIN new_facts n
      ON n.region_code = f.region_code AND n.indicator_id = f.indicator_id
     AND n.period_start = f.period_start AND n.months = f.months
    WHERE f.indicator_id IN (SELECT numerator FROM parts UNION ALL SELECT denominator FROM parts)
)
SELECT n."row", p.name_zh, p.num_name, p.den_name, n.value AS num, s.value AS den, false AS num_stored,
       n.period_start, n.period_end
FROM parts p
JOIN new_facts n ON n.indicator_id = p.numerator
JOIN stored s ON s.indicator_id = p.denominator AND s.region_code = n.region_code
             AND s.period_start = n.period_start AND s.months = n.months
WHERE n.value > s.value
UNION ALL
SELECT n."row", p.name_zh, p.num_name, p.den_name, s.value, n.value, true, n.period_start, n.period_end
FROM parts p
JOIN new_facts n ON n.indicator_id = p.denominator
JOIN stored s ON s.indicator_id = p.numerator AND s.region_code = n.region_code
             AND s.period_start = n.period_start AND s.months = n.months
WHERE s.value > n.value
ORDER BY 1
