"""Facts summed per county (table bucket_totals, schema.sql), kept in step with the facts inside
every transaction that changes them: the country, a province or a city then read thousands of
rows instead of millions (rollup.py picks the source; bench/bench_overview.py measures both).
Likewise what each township-level unit reported per period (table unit_reports, completeness.py).

A write marks the (region, indicator) pairs it changes, before it changes them (an undo may
delete villages, and with them the way to their county), and refreshes the marked buckets after.
"""
from __future__ import annotations

import pandas as pd

from .store import create_schema, execute, query, registered

# Roll-ups of targets at these tree depths or above (country 0, province 1, city 2) read
# bucket_totals; deeper ones read the facts of their subtree directly.
MAX_DEPTH = 2


def mark(con, keys: pd.DataFrame) -> None:
    """Mark the buckets of keys (region_code, indicator_id) for refresh()."""
    with registered(con, "changed_keys", keys[["region_code", "indicator_id"]]):
        execute(con, "bucket_keys_mark")


def refresh(con) -> None:
    """Recompute the marked buckets from the facts (inside the caller's transaction)."""
    execute(con, "buckets_refresh")
    execute(con, "unit_reports_refresh")
    con.execute("DROP TABLE bucket_keys")


def rebuild(con, provinces: list[str | None]) -> None:
    """Recompute bucket_totals and unit_reports from all facts (a database of an earlier
    version, which may lack unit_reports: created here), one province at a time (None: the
    country's own facts), which bounds the memory it takes."""
    create_schema(con)
    con.execute("DELETE FROM bucket_totals")
    con.execute("DELETE FROM unit_reports")
    for code in provinces:
        mark(con, query(con, "fact_keys", province=code))
        refresh(con)
