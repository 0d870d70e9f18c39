-- Replace the catalog with the rows of the registered frame new_indicators.
DELETE FROM indicators;
INSERT INTO indicators
SELECT id, name_zh, aliases, unit, kind, numerator, denominator, category, description, headline, sort_order, frequency, carry
FROM new_indicators;
