-- Rewrite bucket_totals in order after a rebuild, which wrote it a province at a time: city rows
-- (level 2) by indicator and period, for the country and the provinces, which ask for periods;
-- county rows (level 3) by indicator and county, for a city or a county, which ask for its own
-- rows. Zone maps then skip the rest (全国 KPIs read every row group of the unsorted table).
CREATE TEMP TABLE bucket_totals_sorted AS
FROM bucket_totals ORDER BY level, indicator_id, CASE WHEN level = 3 THEN bucket END, period_start, bucket;
DELETE FROM bucket_totals;
INSERT INTO bucket_totals FROM bucket_totals_sorted;
DROP TABLE bucket_totals_sorted;
