-- Replace the catalog with the rows of the registered frame new_indicators.
DELETE FROM indicators;
INSERT INTO indicators BY NAME   -- an upgraded table has its columns in another order
SELECT id, name_zh, aliases, unit, kind, numerator, denominator, category, description, headline, sort_order, frequency, carry, max_value::DECIMAL(18, 6) AS max_value
FROM new_indicators;
