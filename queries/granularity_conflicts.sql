-- Stored facts of a region and indicator of the upload (registered frame new_facts) for a period
-- of another length that overlaps the file's: flows sharing a month (2026Q3 and 2026-08), stocks
-- and scores with the same period end (2026Q2 and 2026-06). The roll-up would count both or drop
-- one, so a unit reports an indicator in one granularity. Overlapping periods (calendar months,
-- quarters, years) lie in one year. One row per file cell, with one example (the earliest).
WITH nf AS (
    SELECT n."row", n.region_code, n.indicator_id, n.period_start, n.period_end, n.months,
           i.kind = 'flow' AS flow
    FROM new_facts n JOIN indicators i ON i.id = n.indicator_id
),
lengths AS (  -- per region, indicator and year: the period lengths in the file
    SELECT region_code, indicator_id, year(period_end) AS y, list(DISTINCT months) AS months
    FROM nf GROUP BY ALL
),
stored AS (   -- stored facts of a length other than the file's in the same year
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, f.batch_id
    FROM facts f
    JOIN lengths l ON l.region_code = f.region_code AND l.indicator_id = f.indicator_id
                  AND l.y = year(f.period_end)
    WHERE f.indicator_id IN (SELECT DISTINCT indicator_id FROM nf) AND l.months <> [f.months]
)
SELECT nf."row", i.name_zh, nf.flow, nf.period_start, nf.period_end,
       min({'start': s.period_start, 'end': s.period_end, 'value': s.value, 'batch_id': s.batch_id}) AS example,
       count(*) AS n
FROM nf
JOIN stored s ON s.region_code = nf.region_code AND s.indicator_id = nf.indicator_id
JOIN indicators i ON i.id = nf.indicator_id
WHERE s.months <> nf.months
  AND CASE WHEN nf.flow THEN s.period_start <= nf.period_end AND nf.period_start <= s.period_end
           ELSE s.period_end = nf.period_end END
GROUP BY ALL
ORDER BY 1, 2
