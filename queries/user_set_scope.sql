-- Change an account's role, write scope and read scope.
UPDATE users SET role = $role, scope = $scope, read_scope = $read_scope, updated_at = $now WHERE name = $account
