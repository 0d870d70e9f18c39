-- The rows of an upload (new_facts, with temp table file_regions) whose region lies outside the
-- subtree of scope: commit re-checks what the importer's scope already refused.
SELECT f."row", f.region_code FROM new_facts f JOIN file_regions r ON r.code = f.region_code
WHERE $scope <> '000000' AND NOT list_contains([r.code, r.d1, r.d2, r.d3, r.d4, r.d5], $scope)
ORDER BY f."row"
