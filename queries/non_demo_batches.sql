-- What a database holds beyond the generated demo data: batches after the demo's own (meta key
-- demo_last_batch; every batch when the database is not a demo), undone ones too, and accounts
-- that are not demo logins.
SELECT (SELECT count(*) FROM batches
        WHERE batch_id > coalesce((SELECT value::INTEGER FROM meta WHERE key = 'demo_last_batch'), -1)) AS batches,
       (SELECT count(*) FROM users WHERE NOT demo) AS users
