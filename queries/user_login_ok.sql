-- A successful login clears the failure count.
UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = $account
