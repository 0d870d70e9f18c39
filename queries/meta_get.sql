-- One key of the meta table (no row when unset).
SELECT value FROM meta WHERE key = $key
