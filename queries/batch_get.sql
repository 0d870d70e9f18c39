-- One batch.
SELECT batch_id, file_name, undone_at, kind FROM batches WHERE batch_id = $batch_id
