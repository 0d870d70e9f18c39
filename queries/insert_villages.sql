-- Add the new villages of the upload (temp table file_regions, see file_regions.sql) under their
-- townships, created by batch $batch_id.
INSERT INTO regions
SELECT code, name, level, parent_code, depth, d1, d2, d3, d4, d5, $batch_id
FROM file_regions WHERE new
