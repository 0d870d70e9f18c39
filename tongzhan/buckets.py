"""Facts summed per county and per city (table bucket_totals, schema.sql), kept in step with the
facts inside every transaction that changes them: a city then reads its counties' sums, the
country or a province the cities' sums, thousands of rows instead of millions (rollup.py picks
the source; bench/bench_overview.py measures it).

A write marks the (region, indicator) pairs it changes, before it changes them (an undo may
delete villages, and with them the way to their county), and refreshes the marked buckets after.
"""
from __future__ import annotations

import pandas as pd

from .store import execute, query, registered

# Roll-ups of targets at these tree depths or above (country 0, province 1, city 2) read
# bucket_totals, and so does a county's own figure (depth 3, not its children's); deeper ones
# read the facts of their subtree directly.
MAX_DEPTH = 2


def serves(depth: int, by: str) -> bool:
    """Whether bucket_totals holds the roll-up of a target at depth (by: 'self' or 'children')."""
    return depth <= MAX_DEPTH or (depth == MAX_DEPTH + 1 and by == "self")


def level(depth: int) -> int:
    """The rows of bucket_totals a target at depth reads: the city sums (2) for the country and a
    province, the county sums (3) for a city and a county. A parameter of its own, so that DuckDB
    skips the other level's row groups (an expression of $depth in the SQL was not pushed down)."""
    return 2 if depth < MAX_DEPTH else 3


def mark(con, keys: pd.DataFrame) -> None:
    """Mark the buckets of keys (region_code, indicator_id) for refresh()."""
    with registered(con, "changed_keys", keys[["region_code", "indicator_id"]]):
        execute(con, "bucket_keys_mark")


def refresh(con) -> None:
    """Recompute the marked buckets from the facts (inside the caller's transaction)."""
    execute(con, "buckets_refresh")


def rebuild(con, provinces: list[str | None]) -> None:
    """Recompute bucket_totals from all facts (a database of an earlier version), one province
    at a time (None: the country's own facts), which bounds the memory it takes."""
    con.execute("DELETE FROM bucket_totals")
    for code in provinces:
        mark(con, query(con, "fact_keys", province=code))
        refresh(con)
    execute(con, "buckets_resort")
