-- The bit of each indicator in unit_reports.mask (view indicator_bits, schema.sql); the catalog
-- only changes together with a rebuild.
SELECT indicator_id, bit FROM indicator_bits
