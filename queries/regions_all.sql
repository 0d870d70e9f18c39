-- The whole division tree, for the in-memory index of names, parents and children.
SELECT code, name, level, parent_code, depth FROM regions ORDER BY code
