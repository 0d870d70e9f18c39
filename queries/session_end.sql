-- End a session or token (logout, expiry, revocation).
UPDATE sessions SET ended_at = $now WHERE token_sha256 = $token_sha256 AND ended_at IS NULL
