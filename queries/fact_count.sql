-- How many facts the database holds.
SELECT count(*) FROM facts
