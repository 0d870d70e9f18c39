-- One account by name.
SELECT name, display_name, password_hash, role, scope, read_scope, disabled, failed_logins,
       locked_until, must_change, demo
FROM users WHERE name = $account
