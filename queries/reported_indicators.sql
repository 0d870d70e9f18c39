-- The indicators that have any fact at all (one nobody has ever reported is not due anywhere).
SELECT DISTINCT indicator_id FROM facts
