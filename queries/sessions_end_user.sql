-- End every open session (and, with $tokens, every token) of an account: disabled, rescoped,
-- new password, new token.
UPDATE sessions SET ended_at = $now
WHERE user_name = $account AND ended_at IS NULL AND (kind = 'session' OR $tokens)
