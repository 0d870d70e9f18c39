-- The file's values (registered frame new_facts) far outside the history of their region and
-- indicator: over 100 times the largest stored value, or under 1/100 of the smallest positive one
-- (a 万元/元 slip). A warning, not a rejection; the file's own cell is left out of the history.
WITH history AS (
    SELECT f.region_code, f.indicator_id, max(f.value) AS max_value,
           min(f.value) FILTER (WHERE f.value > 0) AS min_positive
    FROM facts f
    SEMI JOIN new_facts n ON n.region_code = f.region_code AND n.indicator_id = f.indicator_id
    GROUP BY ALL
)
SELECT n."row", n.region_code, n.indicator_id, n.period_start, n.period_end, n.value, h.max_value, h.min_positive
FROM new_facts n
JOIN history h USING (region_code, indicator_id)
WHERE (h.max_value > 0 AND n.value > 100 * h.max_value)
   OR (n.value > 0 AND n.value * 100 < h.min_positive)
ORDER BY n."row", n.indicator_id
