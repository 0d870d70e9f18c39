-- The newest batch id: a change means new data, so cached results must be dropped.
SELECT coalesce(max(batch_id), 0) AS last_batch FROM batches
