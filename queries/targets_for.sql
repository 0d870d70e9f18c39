-- The targets of $regions for $year: the year's own when $quarter is NULL, else that quarter's;
-- all indicators, or only $indicator. Targets are never facts: nothing else reads this table.
SELECT region_code, indicator_id, value FROM targets
WHERE list_contains($regions, region_code) AND year = $year
  AND quarter IS NOT DISTINCT FROM $quarter
  AND ($indicator IS NULL OR indicator_id = $indicator)
ORDER BY region_code, indicator_id
