-- Bring a database of an earlier version up to schema.sql (see schema_outdated.sql); the caller
-- reloads the catalog afterwards, which fills the new columns.
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS frequency VARCHAR;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS carry INTEGER;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS max_value DECIMAL(18, 6);
ALTER TABLE facts ALTER value TYPE DECIMAL(18, 6);
ALTER TABLE fact_history ALTER value TYPE DECIMAL(18, 6);
DROP TABLE IF EXISTS bucket_totals;   -- of an earlier shape; made anew and rebuilt from the facts
