-- Whether the database holds the generated demo data.
SELECT count(*) > 0 AS demo FROM meta WHERE key = 'demo' AND value = '1'
