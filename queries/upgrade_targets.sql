-- Bring a database made before targets up to schema.sql: batches say whether they hold facts or
-- targets (every earlier batch held facts); the caller then runs schema.sql, which adds the
-- targets tables. Cheap: no fact is read.
ALTER TABLE batches ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'facts';
UPDATE batches SET kind = 'facts' WHERE kind IS NULL;
