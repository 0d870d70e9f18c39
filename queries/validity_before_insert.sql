-- Set valid_to of the stored facts whose next report is about to change (see validity_window.sql).
UPDATE facts SET valid_to = v.next_end
FROM validity_window v
WHERE v.rid IS NOT NULL AND facts.rowid = v.rid AND facts.valid_to IS DISTINCT FROM v.next_end
