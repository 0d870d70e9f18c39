-- Whether the database was made by an earlier version of schema.sql: outdated, when values are
-- stored as DOUBLE (sums then depend on row order), the catalog lacks reporting frequency,
-- carry-forward or maximum value, or the county and city sums (bucket_totals) are missing; unbuilt,
-- when bucket_totals has not been filled from the facts yet (meta key buckets_built) or lacks the
-- ratios' lone parts (column lone) or the macro held_sums, or the units' reports (unit_reports and its view
-- indicator_bits) are missing: buckets.rebuild makes them anew;
-- untargeted, when the targets tables or the batches' kind are missing (upgrade_targets.sql);
-- unaccounted, when the users, sessions and audit tables are missing (schema.sql adds them).
SELECT NOT EXISTS (SELECT 1 FROM duckdb_columns() WHERE table_name = 'bucket_totals' AND column_name = 'level')
    OR (SELECT count(*) FROM duckdb_columns()
        WHERE table_name = 'indicators' AND column_name IN ('frequency', 'max_value')) < 2
    OR EXISTS (SELECT 1 FROM duckdb_columns()
               WHERE table_name IN ('facts', 'fact_history') AND column_name = 'value'
                 AND data_type <> 'DECIMAL(18,6)') AS outdated,
       NOT EXISTS (SELECT 1 FROM meta WHERE key = 'buckets_built')
    OR NOT EXISTS (SELECT 1 FROM duckdb_columns() WHERE table_name = 'bucket_totals' AND column_name = 'lone')
    OR NOT EXISTS (SELECT 1 FROM duckdb_functions() WHERE function_name = 'held_sums')
    OR NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'unit_reports')
    OR NOT EXISTS (SELECT 1 FROM duckdb_views() WHERE view_name = 'indicator_bits') AS unbuilt,
       NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'target_history')
    OR NOT EXISTS (SELECT 1 FROM duckdb_columns() WHERE table_name = 'batches' AND column_name = 'kind') AS untargeted,
       NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'audit') AS unaccounted
