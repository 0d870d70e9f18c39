-- All keys of the meta table.
SELECT key, value FROM meta
