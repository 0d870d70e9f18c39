-- Record a batch of facts.
INSERT INTO batches (batch_id, file_name, sha256, uploader, inserted, replaced, skipped, villages)
VALUES ($batch_id, $file_name, $sha256, $uploader, $inserted, $replaced, $skipped, $villages)
