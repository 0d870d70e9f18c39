-- One indicator's facts of the table facts_unsorted (a database of an earlier version stored
-- them by period; imports append each batch after the rows before) appended in the order
-- insert_facts.sql gives new rows: by region code, the tree's order, so that zone maps skip all
-- but a region's own row groups. build.upgrade and build.compact run it for each indicator, so
-- that only one indicator's rows are sorted at a time.
INSERT INTO facts
FROM facts_unsorted WHERE indicator_id = $indicator
ORDER BY region_code, period_start
