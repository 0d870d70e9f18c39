-- Every batch, newest first.
SELECT batch_id, file_name, uploader, created_at, inserted, replaced, skipped, villages, undone_at, sha256, kind
FROM batches ORDER BY batch_id DESC
