-- A new login session or command-line token (only the token's SHA-256 is stored).
INSERT INTO sessions VALUES ($token_sha256, $user_name, $kind, $now, $now, NULL)
