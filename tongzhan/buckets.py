"""Facts summed per county and per city (table bucket_totals, schema.sql), kept in step with the
facts inside every transaction that changes them: a city then reads its counties' sums, the
country or a province the cities' sums, thousands of rows instead of millions (rollup.py picks
the source; bench/bench_overview.py measures it).
Likewise what each township-level unit reported per period (table unit_reports, completeness.py).

A write marks the (region, indicator) pairs it changes, before it changes them (an undo may
delete villages, and with them the way to their county), and refreshes the marked buckets after.
"""
from __future__ import annotations

import pandas as pd

from .store import StoreError, create_schema, execute, query, registered, rows

# Roll-ups of targets down to county level (depth 3) read bucket_totals, whose finest sums are
# per county; townships and villages read the facts of their subtree directly.
MAX_DEPTH = 3


def serves(at: int) -> bool:
    """Whether bucket_totals holds the roll-ups of targets at depth `at`."""
    return at <= MAX_DEPTH


def level(depth: int, at: int) -> int:
    """The rows of bucket_totals that targets at depth `at` below a region at `depth` read: the
    city sums (2) for cities and above under the country or a province, else the county sums
    (3; sorted by county, so a city reads a few row groups). A parameter of its own, so that
    DuckDB skips the other level's row groups (an expression in the SQL was not pushed down)."""
    return 2 if depth < 2 and at <= 2 else 3


def mark(con, keys: pd.DataFrame) -> None:
    """Mark the buckets of keys (region_code, indicator_id) for refresh()."""
    with registered(con, "changed_keys", keys[["region_code", "indicator_id"]]):
        execute(con, "bucket_keys_mark")


def refresh(con) -> None:
    """Recompute the marked buckets from the facts (inside the caller's transaction)."""
    execute(con, "buckets_refresh")
    execute(con, "unit_reports_refresh")
    con.execute("DELETE FROM bucket_keys")   # the marks are spent; the table stays for the next write


def rebuild(con, provinces: list[str | None]) -> None:
    """Recompute bucket_totals and unit_reports from all facts (a database of an earlier
    version, which may lack unit_reports or have bucket_totals of an earlier shape: made anew
    here), one province at a time (None: the country's own facts), which bounds the memory it
    takes."""
    con.execute("DROP TABLE IF EXISTS bucket_totals")
    create_schema(con)
    con.execute("DELETE FROM unit_reports")
    for code in provinces:
        # Provinces without facts are skipped: in one transaction, a refresh with no marks and
        # then one with marks inserted rows that could not be read back (DuckDB 2.0, national data).
        if len(keys := query(con, "fact_keys", province=code)):
            mark(con, keys)
            refresh(con)
    execute(con, "buckets_resort")
    facts, county, city = rows(con, "buckets_check")[0]
    if not facts == county == city:
        raise StoreError(f"汇总表重建后与事实表不一致（事实 {facts:,} 条，县级汇总 {county:,} 条，市级汇总 {city:,} 条），"
                         "已撤销本次升级。请保留数据库文件并联系维护人员。")
