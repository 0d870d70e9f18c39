-- One batch.
SELECT batch_id, file_name, undone_at, kind, uploader FROM batches WHERE batch_id = $batch_id
