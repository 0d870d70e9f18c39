-- The id for a new batch.
SELECT coalesce(max(batch_id), 0) + 1 AS batch_id FROM batches
