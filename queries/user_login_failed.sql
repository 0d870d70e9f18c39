-- One more failed login; the fifth locks the account until $locked_until and starts the count anew.
UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= $limit THEN 0 ELSE failed_logins + 1 END,
                 locked_until = CASE WHEN failed_logins + 1 >= $limit THEN $locked_until ELSE locked_until END
WHERE name = $account
