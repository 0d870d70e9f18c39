-- Recompute valid_to (the next report's period end) for the stock and score facts of the given
-- indicators, of the given regions ($regions NULL: all regions).
UPDATE facts SET valid_to = n.next_end
FROM (
    SELECT rowid AS rid,
           lead(period_end) OVER (PARTITION BY region_code, indicator_id
                                  ORDER BY period_end, months DESC, batch_id) AS next_end
    FROM facts
    WHERE list_contains($indicators, indicator_id)
      AND ($regions IS NULL OR list_contains($regions, region_code))
      AND indicator_id IN (SELECT id FROM indicators WHERE kind IN ('stock', 'score'))
) n
WHERE facts.rowid = n.rid AND facts.valid_to IS DISTINCT FROM n.next_end
