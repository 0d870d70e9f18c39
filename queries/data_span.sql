-- First and last month with any fact between $earliest and $latest (a plausible reporting
-- window), and how many facts lie outside it (e.g. year 0001 from an old import), with their batches.
SELECT min(period_start) FILTER (WHERE inside) AS first_start,
       max(period_end) FILTER (WHERE inside) AS last_end,
       count(*) FILTER (WHERE NOT inside) AS odd_facts,
       coalesce(list(DISTINCT batch_id ORDER BY batch_id) FILTER (WHERE NOT inside), []) AS odd_batches
FROM (SELECT period_start, period_end, batch_id,
             period_start >= $earliest AND period_end <= $latest AS inside
      FROM facts)
