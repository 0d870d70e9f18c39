-- The stored facts that subtotal_conflicts.sql sets against the upload (registered frame
-- new_facts; its regions with their ancestors in temp table file_regions): those of units above the
-- file's regions or below them, for the file's indicators (scores excepted), as temp table
-- subtotal_stored; then how many. (One the file replaces would pair with a file fact of the same
-- period: the parser's concern.) None, as for most files: no subtotal can be, and the check ends
-- here (pairing 100,000 file rows with nothing took ~0.1 s).
CREATE OR REPLACE TEMP TABLE subtotal_stored AS
WITH above AS (SELECT DISTINCT unnest(list_slice([d1, d2, d3, d4], 1, depth - 1)) AS code FROM file_regions)
SELECT f.region_code, f.indicator_id, f.period_start, f.period_end, [f.d1, f.d2, f.d3, f.d4, f.d5] AS path
FROM facts f
WHERE f.indicator_id IN (SELECT DISTINCT n.indicator_id FROM new_facts n JOIN indicators i ON i.id = n.indicator_id
                                WHERE i.kind <> 'score')
  AND f.d1 IN (SELECT d1 FROM file_regions)   -- implied by what follows; zone maps skip the rest
  AND (f.region_code IN (SELECT code FROM above)
       OR (f.d1 IN (SELECT code FROM file_regions WHERE depth = 1) AND f.d2 IS NOT NULL)
       OR (f.d2 IN (SELECT code FROM file_regions WHERE depth = 2) AND f.d3 IS NOT NULL)
       OR (f.d3 IN (SELECT code FROM file_regions WHERE depth = 3) AND f.d4 IS NOT NULL)
       OR (f.d4 IN (SELECT code FROM file_regions WHERE depth = 4) AND f.d5 IS NOT NULL));

SELECT count(*) FROM subtotal_stored
