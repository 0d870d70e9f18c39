-- After a rebuild: the flow and stock facts that the county sums (level 3) and the city sums
-- (level 2) each account for, against the facts themselves; three equal numbers. A check on the
-- engine as much as on the SQL: a rebuild once inserted rows that then could not be read.
SELECT (SELECT count(*) FROM facts f JOIN indicators i ON i.id = f.indicator_id AND i.kind IN ('flow', 'stock')) AS facts,
       (SELECT coalesce(sum(t.units), 0) FROM bucket_totals t JOIN indicators i ON i.id = t.indicator_id
        WHERE t.level = 3 AND i.kind IN ('flow', 'stock')) AS county_sums,
       (SELECT coalesce(sum(t.units), 0) FROM bucket_totals t JOIN indicators i ON i.id = t.indicator_id
        WHERE t.level = 2 AND i.kind IN ('flow', 'stock')) AS city_sums
