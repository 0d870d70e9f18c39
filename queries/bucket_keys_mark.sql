-- Mark the county buckets (bucket_totals), and their cities, whose facts of an indicator change: the regions and
-- indicators of the registered frame changed_keys, mapped to their bucket; a changed part of a
-- ratio marks the ratio and both its parts. Run before a region is deleted (undo of a batch that
-- created villages); buckets_refresh.sql consumes the marks.
CREATE TEMP TABLE IF NOT EXISTS bucket_keys (bucket VARCHAR, city VARCHAR, d1 VARCHAR, indicator_id VARCHAR);
INSERT INTO bucket_keys
WITH k AS (
    SELECT DISTINCT coalesce(r.d3, r.d2, r.d1, r.code) AS bucket, coalesce(r.d2, r.d1, r.code) AS city,
                    r.d1, c.indicator_id
    FROM changed_keys c JOIN regions r ON r.code = c.region_code
)
SELECT bucket, city, d1, indicator_id FROM k
UNION
SELECT k.bucket, k.city, k.d1, x.id
FROM k JOIN indicators i ON i.kind = 'ratio' AND k.indicator_id IN (i.numerator, i.denominator),
     LATERAL (VALUES (i.id), (i.numerator), (i.denominator)) x(id);
