"""Writing facts in tests the way an import does: fact rows by period text, added as one batch."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from tongzhan import build, store
from tongzhan.periods import Period


def fact(region, indicator, period, value=1.0):
    """One fact row; period is 'YYYY-MM' (months=1), 'YYYYQn' (months=3) or 'YYYY' (months=12)."""
    p = Period.parse(period)
    months = (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1
    assert months in (1, 3, 12)
    return (region, indicator, p.start, p.end, months, float(value))


def add(con, rows, batch_id=1, file_name="t", uploader="t"):
    """Insert rows as one batch (from that file, by that uploader), in one transaction."""
    df = pd.DataFrame(rows, columns=["region_code", "indicator_id", "period_start", "period_end",
                                     "months", "value"])
    df["months"] = df["months"].astype(int)
    con.execute("BEGIN")
    store.execute(con, "insert_batch", batch_id=batch_id, file_name=file_name, sha256=None,
                  uploader=uploader,
                  inserted=len(df), replaced=0, skipped=0, villages=0)
    build.add_facts(con, df, batch_id=batch_id)
    con.execute("COMMIT")


def saved_copy(schema_db, path: Path, *batches) -> Path:
    """A copy of schema_db at path with the batches added (each a list of fact rows, or a pair of
    rows and add's keywords), closed: a database for the command line."""
    shutil.copyfile(schema_db[0], path)
    con = store.connect(path)
    try:
        for batch in batches:
            rows, keywords = batch if isinstance(batch, tuple) else (batch, {})
            add(con, rows, **keywords)
    finally:
        con.close()
    return path
