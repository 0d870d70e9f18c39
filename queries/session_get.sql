-- The session or token of a token hash, with its account.
SELECT s.user_name, s.kind, s.last_seen, s.ended_at
FROM sessions s WHERE s.token_sha256 = $token_sha256
