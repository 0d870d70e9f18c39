-- For the stock and score cells that new_facts touches: every stored (rid) and new (rid NULL)
-- report with the period end of the next report of the same region and indicator.
CREATE OR REPLACE TEMP TABLE validity_window AS
WITH touched AS (
    SELECT DISTINCT region_code, indicator_id FROM new_facts
    WHERE indicator_id IN (SELECT id FROM indicators WHERE kind IN ('stock', 'score'))
),
reports AS (
    SELECT f.rowid AS rid, f.region_code, f.indicator_id, f.period_start, f.period_end, f.months,
           f.batch_id
    FROM facts f JOIN touched t ON t.region_code = f.region_code AND t.indicator_id = f.indicator_id
    UNION ALL
    SELECT NULL, n.region_code, n.indicator_id, n.period_start, n.period_end, n.months, n.batch_id
    FROM new_facts n JOIN touched t ON t.region_code = n.region_code AND t.indicator_id = n.indicator_id
)
SELECT *, lead(period_end) OVER (PARTITION BY region_code, indicator_id
                                 ORDER BY period_end, months DESC, batch_id) AS next_end
FROM reports
