-- Stored facts of a unit above or below a region of the upload (registered frame new_facts; its
-- regions with their ancestors in temp table file_regions, new villages included; those facts in
-- temp table subtotal_stored, made by subtotal_stored.sql) for the same
-- indicator (scores excepted: a unit's own score is no subtotal) and an overlapping period:
-- summed with the file's number they would count twice. Flows overlap when they share a month
-- (overlapping calendar months, quarters and years lie in one year); stocks when their values are
-- in effect at a common month end: a value holds from its period end until the unit's next report
-- of the indicator, after the upload. Such a pair is found from either side as the other unit's
-- value in effect at one's period end (ASOF). Pairs of two file facts are the parser's. One row
-- per file cell and direction (above: the stored unit is above the file's), with one example.
WITH nf AS NOT MATERIALIZED (
    SELECT n."row", n.region_code, n.indicator_id, n.period_start, n.period_end, n.months,
           i.kind = 'flow' AS flow
    FROM new_facts n JOIN indicators i ON i.id = n.indicator_id
    WHERE i.kind <> 'score'
),
stored AS (FROM subtotal_stored),   -- subtotal_stored.sql
units AS (SELECT DISTINCT region_code AS code, path FROM stored),
links AS (    -- a file region and a unit with stored facts above (true) or below (false) it
    SELECT u.file_code, u.other, true AS above
    FROM (SELECT code AS file_code, unnest(list_slice([d1, d2, d3, d4], 1, depth - 1)) AS other
          FROM file_regions) u
    SEMI JOIN units ON units.code = u.other
    UNION ALL
    SELECT d.up, d.code, false
    FROM (SELECT code, unnest(list_filter(path, lambda x: x <> code)) AS up FROM units) d
    SEMI JOIN file_regions f ON f.code = d.up
),
flow_pairs AS (
    SELECT nf."row", nf.indicator_id, nf.flow, nf.period_start, nf.period_end, l.other, l.above,
           s.period_start AS other_start, s.period_end AS other_end
    FROM nf
    JOIN links l ON l.file_code = nf.region_code
    JOIN stored s ON s.region_code = l.other AND s.indicator_id = nf.indicator_id
                 AND year(s.period_end) = year(nf.period_end)
    WHERE nf.flow AND s.period_start <= nf.period_end AND nf.period_start <= s.period_end
),
stock_links AS (SELECT DISTINCT l.*, nf.indicator_id FROM links l JOIN nf ON nf.region_code = l.file_code WHERE NOT nf.flow),
series_keys AS (
    SELECT file_code AS code, indicator_id FROM stock_links UNION SELECT other, indicator_id FROM stock_links
),
linked AS MATERIALIZED (   -- the linked units' stored stocks: found first (DuckDB otherwise
                          -- joined all facts with the file before it kept the linked units')
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, f.months
    FROM facts f
    SEMI JOIN series_keys k ON k.code = f.region_code AND k.indicator_id = f.indicator_id
),
series AS (   -- the stocks of the linked units after the upload: stored ("row" NULL) and the file's
    SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, NULL::BIGINT AS "row"
    FROM linked f
    ANTI JOIN new_facts n ON n.region_code = f.region_code AND n.indicator_id = f.indicator_id
                         AND n.period_start = f.period_start AND n.months = f.months
    UNION ALL
    SELECT n.region_code, n.indicator_id, n.period_start, n.period_end, n."row"
    FROM new_facts n SEMI JOIN series_keys k ON k.code = n.region_code AND k.indicator_id = n.indicator_id
),
stock_pairs AS (
    SELECT a."row", a.indicator_id, false AS flow, a.period_start, a.period_end, l.other, l.above,
           b.period_start AS other_start, b.period_end AS other_end
    FROM series a
    JOIN stock_links l ON l.file_code = a.region_code AND l.indicator_id = a.indicator_id
    ASOF JOIN series b ON b.region_code = l.other AND b.indicator_id = a.indicator_id AND b.period_end <= a.period_end
    WHERE a."row" IS NOT NULL AND b."row" IS NULL
    UNION ALL
    SELECT b."row", a.indicator_id, false, b.period_start, b.period_end, l.other, l.above,
           a.period_start, a.period_end
    FROM series a
    JOIN stock_links l ON l.other = a.region_code AND l.indicator_id = a.indicator_id
    ASOF JOIN series b ON b.region_code = l.file_code AND b.indicator_id = a.indicator_id AND b.period_end <= a.period_end
    WHERE a."row" IS NULL AND b."row" IS NOT NULL
)
SELECT p."row", i.name_zh, p.flow, p.period_start, p.period_end, p.above,
       min({'name': o.name, 'start': p.other_start, 'end': p.other_end}) AS example,
       count(DISTINCT p.other) AS units,
       min(p.other_start) <> max(p.other_start) OR min(p.other_end) <> max(p.other_end) AS several
FROM (SELECT * FROM flow_pairs UNION SELECT * FROM stock_pairs) p
JOIN regions o ON o.code = p.other
JOIN indicators i ON i.id = p.indicator_id
GROUP BY ALL
ORDER BY 1, 2
