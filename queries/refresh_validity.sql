-- Recompute valid_to (the next report's period end) of the stored stock and score facts of the
-- given (region, indicator) pairs, passed as $keys of region_code || '/' || indicator_id.
UPDATE facts SET valid_to = n.next_end
FROM (
    SELECT rowid AS rid,
           lead(period_end) OVER (PARTITION BY region_code, indicator_id
                                  ORDER BY period_end, months DESC, batch_id) AS next_end
    FROM facts
    WHERE list_contains($indicators, indicator_id)
      AND list_contains($keys, region_code || '/' || indicator_id)
      AND indicator_id IN (SELECT id FROM indicators WHERE kind IN ('stock', 'score'))
) n
WHERE facts.rowid = n.rid AND facts.valid_to IS DISTINCT FROM n.next_end
