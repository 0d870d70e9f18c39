-- Reporting status of the township-level units (乡镇/街道, level 4) in the subtree of $region: per
-- unit and indicator, how many facts lie inside the period [$start, $end]; the unit reported the
-- indicator when there is at least one. A village's facts count for its township (its ancestor at
-- the depth where level 4 sits); facts of regions above township level count for no unit.
-- $self_unit: the region is itself the only unit (a township or a village), so every fact of its
-- subtree counts for it. Units without facts are absent; the caller adds them from the tree.
SELECT
    CASE WHEN $self_unit THEN $region
         ELSE CASE r.depth - (r.level - 4) WHEN 1 THEN f.d1 WHEN 2 THEN f.d2 WHEN 3 THEN f.d3
                                            WHEN 4 THEN f.d4 WHEN 5 THEN f.d5 END
    END AS unit_code,
    f.indicator_id,
    count(*) AS facts
FROM facts f JOIN regions r ON r.code = f.region_code
WHERE list_contains($indicators, f.indicator_id)
  AND f.period_start >= $start AND f.period_end <= $end
  AND ($self_unit OR r.level >= 4)
  AND CASE $depth WHEN 0 THEN $region WHEN 1 THEN f.d1 WHEN 2 THEN f.d2 WHEN 3 THEN f.d3
                  WHEN 4 THEN f.d4 WHEN 5 THEN f.d5 END = $region
GROUP BY ALL
