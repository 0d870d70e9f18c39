-- First and last month with any fact, and the newest batch (cache key for query results).
SELECT min(period_start) AS first_start, max(period_end) AS last_end,
       (SELECT coalesce(max(batch_id), 0) FROM batches) AS last_batch
FROM facts
