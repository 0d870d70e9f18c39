-- The regions of an upload as temp table file_regions (code, name, level, parent_code, depth,
-- d1..d5, new): the stored regions of the registered frame new_facts, and the new villages of the
-- registered frame new_villages (code, name, parent_code) with depth and ancestor codes taken from
-- their township. Read by the *_conflicts.sql checks and insert_villages.sql.
CREATE OR REPLACE TEMP TABLE file_regions AS
SELECT code, name, level, parent_code, depth, d1, d2, d3, d4, d5, false AS new
FROM regions SEMI JOIN (SELECT DISTINCT region_code FROM new_facts) n ON n.region_code = regions.code
UNION ALL
SELECT v.code, v.name, 5, v.parent_code, p.depth + 1,
       CASE WHEN p.depth + 1 = 1 THEN v.code ELSE p.d1 END,
       CASE WHEN p.depth + 1 = 2 THEN v.code ELSE p.d2 END,
       CASE WHEN p.depth + 1 = 3 THEN v.code ELSE p.d3 END,
       CASE WHEN p.depth + 1 = 4 THEN v.code ELSE p.d4 END,
       CASE WHEN p.depth + 1 = 5 THEN v.code ELSE p.d5 END,
       true
FROM new_villages v JOIN regions p ON p.code = v.parent_code
