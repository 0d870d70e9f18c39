-- How many regions a batch wrote (facts, targets, replaced values) lie outside the subtree of scope.
SELECT count(*) AS outside FROM regions r
WHERE r.code IN (SELECT region_code FROM facts WHERE batch_id = $batch_id
                 UNION SELECT region_code FROM targets WHERE batch_id = $batch_id
                 UNION SELECT region_code FROM fact_history WHERE batch_id = $batch_id
                 UNION SELECT region_code FROM target_history WHERE batch_id = $batch_id)
  AND $scope <> '000000' AND NOT list_contains([r.code, r.d1, r.d2, r.d3, r.d4, r.d5], $scope)
