-- Append one row to the audit log (the only statement that writes it).
INSERT INTO audit (logged_at, user_name, action, object, detail, file_name, file_sha256, ok)
VALUES ($at, $user_name, $action, $object, $detail, $file_name, $file_sha256, $ok)
