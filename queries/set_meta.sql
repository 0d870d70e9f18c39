-- Set one key of the meta table.
INSERT OR REPLACE INTO meta VALUES ($key, $value)
