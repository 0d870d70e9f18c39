-- Stored facts of a region and indicator of the upload (registered frame new_facts) for a period
-- of another length that overlaps the file's: flows sharing a month (2026Q3 and 2026-08), stocks
-- and scores with the same period end (2026Q2 and 2026-06). The roll-up would count both or drop
-- one, so a unit reports an indicator in one granularity. One row per file cell, with one example
-- (the earliest). The file's regions are in temp table file_regions (file_regions.sql).
WITH lengths AS (   -- per indicator, the period lengths in the file
    SELECT indicator_id, list(DISTINCT months) AS months FROM new_facts GROUP BY ALL
),
stored AS (         -- stored facts of the file's regions with a length the file may lack there
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months, f.value, f.batch_id
    FROM facts f
    JOIN lengths l ON l.indicator_id = f.indicator_id AND l.months <> [f.months]
    SEMI JOIN file_regions r ON r.code = f.region_code
)
SELECT n."row", i.name_zh, i.unit, i.kind = 'flow' AS flow, n.period_start, n.period_end,
       min({'start': s.period_start, 'end': s.period_end, 'value': s.value, 'batch_id': s.batch_id}) AS example,
       count(*) AS n
FROM stored s
JOIN (FROM new_facts WHERE indicator_id IN (SELECT indicator_id FROM stored)) n   -- most often none
  ON n.region_code = s.region_code AND n.indicator_id = s.indicator_id AND n.months <> s.months
JOIN indicators i ON i.id = n.indicator_id
WHERE CASE WHEN i.kind = 'flow' THEN s.period_start <= n.period_end AND n.period_start <= s.period_end
           ELSE s.period_end = n.period_end END
GROUP BY ALL
ORDER BY 1, 2
