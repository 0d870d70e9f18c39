-- The data version: changes with every committed or undone batch, so cached results are dropped.
SELECT coalesce(max(batch_id), 0) || '.' || count(undone_at) AS version FROM batches
