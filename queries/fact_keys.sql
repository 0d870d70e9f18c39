-- The regions and indicators that have facts, in the province $province (NULL: the country's
-- own facts), to rebuild bucket_totals one province at a time.
SELECT DISTINCT region_code, indicator_id FROM facts WHERE d1 IS NOT DISTINCT FROM $province
