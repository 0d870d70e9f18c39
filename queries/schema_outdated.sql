-- Whether the database was made by an earlier version of schema.sql: values stored as DOUBLE
-- (sums then depend on row order) or a catalog without reporting frequency, carry-forward or
-- maximum value.
SELECT (SELECT count(*) FROM duckdb_columns()
        WHERE table_name = 'indicators' AND column_name IN ('frequency', 'max_value')) < 2
    OR EXISTS (SELECT 1 FROM duckdb_columns()
               WHERE table_name IN ('facts', 'fact_history') AND column_name = 'value'
                 AND data_type <> 'DECIMAL(18,6)') AS outdated
