-- The audit log, newest first.
SELECT id, logged_at, user_name, action, object, detail, file_name, file_sha256, ok FROM audit ORDER BY id DESC
