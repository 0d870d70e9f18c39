-- The bit of each indicator in unit_reports.mask (schema.sql): its position by id, from 0. Same
-- rule as in unit_reports_refresh.sql; the catalog only changes together with a rebuild.
SELECT id AS indicator_id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS bit FROM indicators
