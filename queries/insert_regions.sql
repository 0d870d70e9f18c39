-- Add the rows of the registered frame new_regions (code, name, level, parent_code, depth, d1..d5).
INSERT INTO regions SELECT code, name, level, parent_code, depth, d1, d2, d3, d4, d5, NULL FROM new_regions
