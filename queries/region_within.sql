-- Whether region lies in the subtree of scope (scope itself included; 000000 holds every region).
SELECT count(*) > 0 AS within FROM regions
WHERE code = $region AND ($scope = '000000' OR $scope IN (code, d1, d2, d3, d4, d5))
