-- The division tree with depth and ancestor codes.
SELECT code, name, level, parent_code, depth, d1, d2, d3, d4, d5 FROM regions ORDER BY code
