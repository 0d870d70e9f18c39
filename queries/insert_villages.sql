-- Add the villages of the registered frame new_villages (code, name, parent_code) under their
-- townships, with depth and ancestor codes taken from the parent.
INSERT INTO regions
SELECT v.code, v.name, 5, v.parent_code, p.depth + 1,
       CASE WHEN p.depth + 1 = 1 THEN v.code ELSE p.d1 END,
       CASE WHEN p.depth + 1 = 2 THEN v.code ELSE p.d2 END,
       CASE WHEN p.depth + 1 = 3 THEN v.code ELSE p.d3 END,
       CASE WHEN p.depth + 1 = 4 THEN v.code ELSE p.d4 END,
       CASE WHEN p.depth + 1 = 5 THEN v.code ELSE p.d5 END,
       $batch_id
FROM new_villages v JOIN regions p ON p.code = v.parent_code
