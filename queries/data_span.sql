-- First and last month with any fact between $earliest and $latest (a plausible reporting
-- window), and how many facts lie outside it (e.g. year 0001 from an old import), with their batches.
-- First and last as top-1 queries: DuckDB reads the row groups in order and skips the rest by their
-- zone maps, as it skips every row group inside the window for the count (min/max scanned 23 M rows).
SELECT (SELECT period_start FROM facts WHERE period_start >= $earliest AND period_end <= $latest
        ORDER BY period_start LIMIT 1) AS first_start,
       (SELECT period_end FROM facts WHERE period_start >= $earliest AND period_end <= $latest
        ORDER BY period_end DESC LIMIT 1) AS last_end,
       count(*) AS odd_facts,
       coalesce(list(DISTINCT batch_id ORDER BY batch_id), []) AS odd_batches
FROM facts WHERE period_start < $earliest OR period_end > $latest
