-- The indicators of facts_unsorted (see facts_resort.sql).
SELECT DISTINCT indicator_id FROM facts_unsorted ORDER BY 1
