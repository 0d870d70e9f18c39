-- Record a batch of targets (目标值); sha256 is NULL for a target entered on the page.
INSERT INTO batches (batch_id, file_name, sha256, uploader, inserted, replaced, skipped, villages, kind)
VALUES ($batch_id, $file_name, $sha256, $uploader, $inserted, $replaced, $skipped, 0, 'targets')
