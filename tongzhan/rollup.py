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
from .regions import MAX_DEPTH, Tree
from .store import query

COLUMNS = ["region_code", "indicator_id", "value", "numerator", "denominator", "reported"]


def compute(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
            period: Period, by: str = "self") -> pd.DataFrame:
    """Long frame of COLUMNS for the targets (region itself, or its children) that have data."""
    by_children = by == "children"
    kinds = {i: catalog[i].kind for i in indicator_ids}
    flows = [i for i, k in kinds.items() if k == "flow"]
    stocks = {i for i, k in kinds.items() if k == "stock"}
    ratios = [i for i, k in kinds.items() if k == "ratio"]
    for r in ratios:
        stocks |= {catalog[r].numerator, catalog[r].denominator}
    params = dict(region=region, depth=int(tree.depth[region]), by_children=by_children)
    parts = []
    if flows:
        parts.append(query(con, "flow_totals", indicators=flows, start=period.start,
                           end=period.end, **params).rename(columns={"target": "region_code"}))
    stock_frame = pd.DataFrame(columns=["region_code", "indicator_id", "value", "reported"])
    if stocks:
        stock_frame = query(con, "stock_totals", indicators=sorted(stocks), end=period.end,
                            **params).rename(columns={"target": "region_code"})
        parts.append(stock_frame[stock_frame["indicator_id"].isin(indicator_ids)])
    parts += [_ratio(stock_frame, r, catalog[r].numerator, catalog[r].denominator) for r in ratios]
    targets = tree.children(region) if by_children else [region]
    parts += [_score(con, tree, region, i, period, targets) for i, k in kinds.items() if k == "score"]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True).reindex(columns=COLUMNS)
    return out.astype({"value": float, "numerator": float, "denominator": float})


def _ratio(stocks: pd.DataFrame, ratio_id: str, num_id: str, den_id: str) -> pd.DataFrame:
    wide = stocks.pivot_table(index="region_code", columns="indicator_id", values="value", aggfunc="sum")
    if den_id not in wide:
        return pd.DataFrame(columns=COLUMNS)
    num = wide[num_id] if num_id in wide else pd.Series(np.nan, index=wide.index)
    den = wide[den_id]
    reported = stocks[stocks["indicator_id"] == den_id].set_index("region_code")["reported"]
    out = pd.DataFrame({
        "region_code": wide.index, "indicator_id": ratio_id,
        "value": np.where(den > 0, 100.0 * num / den.where(den > 0), np.nan),
        "numerator": num.values, "denominator": den.values,
        "reported": reported.reindex(wide.index).values,
    })
    return out[out["denominator"].notna()]


def _score(con, tree: Tree, region: str, ind: str, period: Period, targets: list[str]) -> pd.DataFrame:
    own = query(con, "score_reports", indicator=ind, end=period.end, region=region,
                depth=int(tree.depth[region]))
    score = dict(zip(own["region_code"], own["value"]))
    own_codes = set(score)
    count = {c: 1 for c in score}  # units behind each score: itself, or its scored children
    for depth in range(MAX_DEPTH, int(tree.depth[region]), -1):
        level = pd.DataFrame(
            [(c, tree.parent[c], s) for c, s in score.items() if tree.depth[c] == depth],
            columns=["code", "parent", "score"])
        for parent, g in level.groupby("parent"):
            if parent not in own_codes:
                score[parent] = g["score"].mean()
                count[parent] = len(g)
    rows = [(t, ind, score[t], count[t]) for t in targets if t in score]
    return pd.DataFrame(rows, columns=["region_code", "indicator_id", "value", "reported"])


def indicator_table(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str,
                    period: Period, by: str = "self") -> pd.DataFrame:
    """One row per target (all children, with or without data): code, name, value, num, den, reported."""
    targets = tree.children(region) if by == "children" else [region]
    got = compute(con, tree, catalog, region, [indicator_id], period, by).set_index("region_code")
    out = pd.DataFrame({"region_code": targets, "region_name": [tree.name[t] for t in targets]})
    for col in ["value", "numerator", "denominator", "reported"]:
        out[col] = out["region_code"].map(got[col]) if len(got) else np.nan
    return out
