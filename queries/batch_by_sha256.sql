-- A batch still in effect that imported a file with this sha256.
SELECT batch_id, file_name, created_at FROM batches
WHERE sha256 = $sha256 AND undone_at IS NULL
ORDER BY batch_id LIMIT 1
