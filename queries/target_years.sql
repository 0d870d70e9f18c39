-- The years that have any target, oldest first.
SELECT DISTINCT year FROM targets ORDER BY year
