-- Every account, without its password hash.
SELECT name, display_name, role, scope, read_scope, disabled, must_change, demo, failed_logins,
       locked_until, created_at, updated_at
FROM users ORDER BY name
