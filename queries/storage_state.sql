-- What 整理存储 (compact) would put back in order (build.storage_state): how many facts there are,
-- and how many rows imports wrote since the last compact, each import after the rows before it.
-- The first import of a database never compacted is not counted: its rows were written in order.
-- compacted_batch: the last batch when compact ran (meta, written by it); compacted_at: when
-- (the audit log).
WITH since AS (
    SELECT coalesce((SELECT value::INTEGER FROM meta WHERE key = 'compacted_batch'),
                    (SELECT min(batch_id) FROM batches WHERE kind = 'facts')) AS batch_id
)
SELECT (SELECT count(*) FROM facts) AS facts,
       coalesce(sum(b.inserted + b.replaced), 0)::BIGINT AS written,
       count(b.batch_id) AS batches,
       (SELECT max(logged_at) FROM audit WHERE action = 'compact' AND ok) AS compacted_at
FROM batches b, since s
WHERE b.kind = 'facts' AND b.batch_id > s.batch_id
