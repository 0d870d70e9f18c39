-- How many township-level units (unit_reports.unit: 乡镇/街道, their villages' reports included)
-- of the subtree of $region reported a month's figures (any indicator) for the month ending $last,
-- and for the month before ($prev). Fewer in the month than in the month before: its figures are
-- not complete yet (completeness.month_reporting). A quarter's or a year's report is no month's.
SELECT count(DISTINCT unit) FILTER (WHERE period_end = $last) AS now,
       count(DISTINCT unit) FILTER (WHERE period_end = $prev) AS before
FROM unit_reports
WHERE period_end IN ($last, $prev) AND period_start = date_trunc('month', period_end)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN d1 WHEN 2 THEN d2 WHEN 3 THEN d3
                  WHEN 4 THEN unit END = $region
