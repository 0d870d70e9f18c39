-- Recompute the rows of bucket_totals (see schema.sql) of the marked buckets and indicators
-- (bucket_keys_mark.sql): the county rows (level 3) from the facts, then their cities' rows
-- (level 2) from the county rows; buckets.refresh then clears the marks. Runs inside the
-- transaction that changed the facts, after the change.
DELETE FROM bucket_totals t USING (SELECT DISTINCT bucket, indicator_id FROM bucket_keys) k
WHERE t.level = 3 AND t.bucket = k.bucket AND t.indicator_id = k.indicator_id
  AND t.indicator_id IN (SELECT indicator_id FROM bucket_keys);   -- zone maps skip the other indicators

INSERT INTO bucket_totals
WITH keys AS (SELECT DISTINCT bucket, indicator_id FROM bucket_keys),
f AS (
    SELECT coalesce(f.d3, f.d2, f.d1, f.region_code) AS bucket, f.*, i.kind
    FROM facts f JOIN indicators i ON i.id = f.indicator_id AND i.kind IN ('flow', 'stock')
    WHERE f.indicator_id IN (SELECT indicator_id FROM keys)
      AND (f.d1 IN (SELECT d1 FROM bucket_keys) OR f.d1 IS NULL)
),
fk AS (FROM f SEMI JOIN keys k ON k.bucket = f.bucket AND k.indicator_id = f.indicator_id),
covers AS (   -- the smallest coarser flow containing a flow; most often there is none
    SELECT n.region_code, n.indicator_id, n.period_start, n.months,
           arg_min(c.period_start, c.months) AS cover_start, arg_min(c.period_end, c.months) AS cover_end
    FROM fk n JOIN (FROM fk WHERE kind = 'flow' AND months > 1) c
      ON c.region_code = n.region_code AND c.indicator_id = n.indicator_id AND c.months > n.months
     AND c.period_start <= n.period_start AND c.period_end >= n.period_end
    GROUP BY ALL
),
flows AS (
    SELECT f.bucket, f.d1, f.d2, f.d3, f.indicator_id, f.period_start, f.period_end,
           NULL::DATE AS effective, NULL::DATE AS valid_to, c.cover_start, c.cover_end,
           sum(f.value) AS value, NULL::DECIMAL(38, 6) AS den, count(*) AS units, NULL::BIGINT AS lone
    FROM fk f LEFT JOIN covers c USING (region_code, indicator_id, period_start, months)
    WHERE f.kind = 'flow'
    GROUP BY ALL
),
stocks AS (
    SELECT bucket, d1, d2, d3, indicator_id, period_start, period_end, period_end, valid_to,
           NULL::DATE, NULL::DATE, sum(value), NULL::DECIMAL(38, 6), count(*), NULL::BIGINT
    FROM fk WHERE kind = 'stock'
    GROUP BY ALL
),
-- The parts' facts of each ratio to refresh, set apart before pairing: left to the optimizer, the
-- pairing joined all facts of a region with each other first (200 M rows for the demo data).
ratio_parts AS MATERIALIZED (
    SELECT k.indicator_id AS ratio_id, q.numerator = f.indicator_id AS is_num, f.*
    FROM keys k JOIN indicators q ON q.id = k.indicator_id AND q.kind = 'ratio'
    JOIN fk f ON f.bucket = k.bucket AND f.indicator_id IN (q.numerator, q.denominator)
),
pairs AS (    -- per region, a numerator and a denominator report in effect at the same time
    SELECT n.bucket, n.d1, n.d2, n.d3, n.ratio_id,
           CASE WHEN n.period_end <= d.period_end THEN n.period_start ELSE d.period_start END AS period_start,
           least(n.period_end, d.period_end) AS period_end, greatest(n.period_end, d.period_end) AS effective,
           least(n.valid_to, d.valid_to) AS valid_to, n.value AS value, d.value AS den, 1 AS units, -2 AS lone
    FROM ratio_parts n JOIN ratio_parts d
      ON d.region_code = n.region_code AND d.ratio_id = n.ratio_id AND n.is_num AND NOT d.is_num
     AND greatest(n.period_end, d.period_end)
         < least(coalesce(n.valid_to, DATE '9999-12-31'), coalesce(d.valid_to, DATE '9999-12-31'))
),
ratio_rows AS (   -- the pairs, and each part counted while in effect (see lone in schema.sql)
    SELECT bucket, d1, d2, d3, ratio_id, period_start, period_end, effective, valid_to, NULL::DATE, NULL::DATE,
           sum(value), sum(den), sum(units), sum(lone)
    FROM (FROM pairs
          UNION ALL
          SELECT bucket, d1, d2, d3, ratio_id, period_start, period_end, period_end, valid_to, 0, NULL, 0, 1
          FROM ratio_parts)
    GROUP BY ALL
)
SELECT *, 3 FROM (FROM flows UNION ALL FROM stocks UNION ALL FROM ratio_rows)
ORDER BY indicator_id, period_start, bucket;

DELETE FROM bucket_totals t USING (SELECT DISTINCT city, indicator_id FROM bucket_keys) k
WHERE t.level = 2 AND t.bucket = k.city AND t.indicator_id = k.indicator_id;

INSERT INTO bucket_totals
SELECT coalesce(d2, d1, '000000') AS city, d1, d2, NULL, indicator_id, period_start, period_end,
       effective, valid_to, cover_start, cover_end, sum(value), sum(den), sum(units), sum(lone), 2
FROM bucket_totals
WHERE level = 3 AND (coalesce(d2, d1, '000000'), indicator_id) IN (SELECT city, indicator_id FROM bucket_keys)
  AND indicator_id IN (SELECT indicator_id FROM bucket_keys)   -- zone maps skip the other indicators
GROUP BY ALL
ORDER BY indicator_id, period_start, city;
