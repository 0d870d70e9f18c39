-- The rows of a targets upload (new_targets) whose region lies outside the subtree of scope.
SELECT t."row", t.region_code FROM new_targets t LEFT JOIN regions r ON r.code = t.region_code
WHERE $scope <> '000000' AND (r.code IS NULL OR NOT list_contains([r.code, r.d1, r.d2, r.d3, r.d4, r.d5], $scope))
ORDER BY t."row"
