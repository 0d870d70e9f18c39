-- The session was used now.
UPDATE sessions SET last_seen = $now WHERE token_sha256 = $token_sha256
