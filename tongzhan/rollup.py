"""Roll-up rules, over the subtree of a region and over a period.

- flow:  sum over the subtree and the period (a coarser report covering finer ones counts once).
- stock: per region the latest value reported at or before the period end, summed over the subtree.
- ratio: Σ numerator / Σ denominator, both taken as stocks; never an average of rates.
- score: a region's own score if it has one, else the mean over its direct children that have a
  score (recursively).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalog import Catalog
from .periods import Period
from .regions import Tree
from .store import rows

COLUMNS = ["region_code", "indicator_id", "value", "numerator", "denominator", "reported"]


def compute(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
            period: Period, by: str = "self") -> pd.DataFrame:
    """Long frame of COLUMNS for the targets (region itself, or its children) that have data.
    `reported`: regions whose stock values are included; for scores 1 (own score) or the number
    of scored children; empty for flows."""
    return _frame(COLUMNS, _compute(con, tree, catalog, region, indicator_ids, period, by))


def _frame(columns: list[str], data: list[tuple]) -> pd.DataFrame:
    """A frame of roll-up rows: the last four columns are value, numerator, denominator, reported
    (built column by column: the fastest way for a few rows)."""
    cols = list(zip(*data)) if data else [()] * len(columns)
    frame = {c: list(v) for c, v in zip(columns[:-4], cols)}
    for c, v in zip(columns[-4:-1], cols[-4:-1]):
        frame[c] = np.array(v, dtype=float)
    frame[columns[-1]] = pd.array(cols[-1], dtype="Int64")
    return pd.DataFrame(frame)


def _compute(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
             period: Period, by: str) -> list[tuple]:
    kinds = {i: catalog[i].kind for i in indicator_ids}
    flows = [i for i, k in kinds.items() if k == "flow"]
    stocks = {i for i, k in kinds.items() if k == "stock"}
    ratios = [catalog[i] for i, k in kinds.items() if k == "ratio"]
    for r in ratios:
        stocks |= {r.numerator, r.denominator}
    params = dict(region=region, depth=int(tree.depth[region]), by_children=by == "children",
                  end=period.end)
    totals = []
    if flows:
        totals += rows(con, "flow_totals", indicators=flows, start=period.start, **params)
    if stocks:
        totals += rows(con, "stock_totals", indicators=sorted(stocks), **params)
    cell = {(t, i): (v, n) for t, i, v, n in totals}
    out = [(t, i, v, None, None, n) for (t, i), (v, n) in cell.items() if i in kinds]
    for r in ratios:
        for (t, i), (den, n) in cell.items():
            if i == r.denominator:
                num = cell.get((t, r.numerator), (None, None))[0]
                value = 100.0 * num / den if num is not None and den > 0 else None
                out.append((t, r.id, value, num, den, n))
    for i in (i for i, k in kinds.items() if k == "score"):
        out += [(t, i, v, None, None, n)
                for t, v, n in rows(con, "score_totals", indicator=i, **params)]
    return out


def indicator_table(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str,
                    period: Period, by: str = "self") -> pd.DataFrame:
    """One row per target (all children, with or without data): code, name, value, num, den, reported."""
    targets = tree.children(region) if by == "children" else [region]
    found = {r[0]: r[2:] for r in _compute(con, tree, catalog, region, [indicator_id], period, by)}
    empty = (None, None, None, None)
    return _frame(["region_code", "region_name", *COLUMNS[2:]],
                  [(t, tree.name[t], *found.get(t, empty)) for t in targets])
