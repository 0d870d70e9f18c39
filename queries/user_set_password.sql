-- A new password hash; must_change when an admin set it (a one-time password).
UPDATE users SET password_hash = $password_hash, must_change = $must_change, failed_logins = 0,
                 locked_until = NULL, updated_at = $now
WHERE name = $account
