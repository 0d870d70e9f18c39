-- Append the targets of the registered frame new_targets (region_code, indicator_id, year,
-- quarter, value, batch_id: the batch that wrote each).
INSERT INTO targets
SELECT region_code, indicator_id, year, quarter, value, batch_id FROM new_targets
