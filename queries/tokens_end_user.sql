-- End the command-line tokens of an account (a new one replaces them).
UPDATE sessions SET ended_at = $now WHERE user_name = $account AND kind = 'token' AND ended_at IS NULL
