-- Disable or enable an account.
UPDATE users SET disabled = $disabled, updated_at = $now WHERE name = $account
