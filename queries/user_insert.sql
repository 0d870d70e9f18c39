-- A new account.
INSERT INTO users (name, display_name, password_hash, role, scope, read_scope, must_change, demo,
                   created_at, updated_at)
VALUES ($account, $display_name, $password_hash, $role, $scope, $read_scope, $must_change, $demo, $now, $now)
