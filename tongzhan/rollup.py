"""Roll-up rules, over the subtree of a region and over a period.

- flow:  sum over the subtree and the period (a coarser report covering finer ones counts once).
- stock: per region the latest value reported at or before the period end, summed over the subtree;
  a value counts only while it is not older than the catalog allows (`carry` reporting periods
  after the latest period that is due), and it is flagged as carried forward when it is older
  than that latest due period.
- ratio: Σ numerator / Σ denominator, both taken as stocks, over the regions that have both parts
  in effect (a region with one part only is left out and counted); never an average of rates.
- score: a region's own score if it has one, else the mean over its direct children that have a
  score (recursively); scores expire like stocks.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import buckets
from .catalog import Catalog
from .periods import Period, due_end, months_before
from .regions import MAX_DEPTH, Tree
from .store import arrow_table, rows

# The most regions lifted one depth up into a statement over the facts (level_rows): each row
# is looked up among them; with 全国's 2,285 townships at depth 3 that cost more than a
# statement of their own over the county sums (a flow: 150 ms against 110 + 15).
MOST_LIFTED = 200
COLUMNS = ["region_code", "indicator_id", "value", "numerator", "denominator", "units",
           "carried_units", "excluded_units", "oldest_start", "oldest_end"]
_FLOATS, _COUNTS = COLUMNS[2:5], COLUMNS[5:8]
_SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS[:2]] + [(c, pa.float64()) for c in _FLOATS]
                    + [(c, pa.int64()) for c in _COUNTS] + [(c, pa.date32()) for c in COLUMNS[8:]])


def compute(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
            period: Period, by: str | int = "self") -> pd.DataFrame:
    """Long frame of COLUMNS for the targets that have data: the region itself (by="self"), its
    children (by="children"), or every region at tree depth `by` (an int) in its subtree; see
    at_level for administrative levels.
    units: regions whose stock values are included (ratios: with both parts); for scores 1 (own
    score) or the number of scored children; empty for flows. carried_units: of those, carried
    forward from an earlier period; excluded_units (ratios): regions with one part only.
    oldest_start/oldest_end: the period of the oldest value included."""
    return _frame(COLUMNS, [r for part in _compute(con, tree, catalog, region, indicator_ids,
                                                   period, by) for r in part])


def _frame(columns: list[str], data: list[tuple]) -> pd.DataFrame:
    """A frame of roll-up rows, built column by column (the fastest way for a few rows)."""
    cols = list(zip(*data)) if data else [()] * len(columns)
    frame = {}
    for c, v in zip(columns, cols):
        if c in _FLOATS:
            frame[c] = np.array(v, dtype=float)
        elif c in _COUNTS:
            frame[c] = pd.array(v, dtype="Int64")
        else:
            frame[c] = list(v)
    return pd.DataFrame(frame, columns=columns)


def rules(catalog: Catalog, ids, end: date) -> list[dict]:
    """Per stock, ratio or score indicator: the oldest period end still counted at `end` and the
    end of the latest period due by then (older values are carried forward). A ratio follows its
    parts (the catalog gives both one rule)."""
    out = []
    for i in sorted(ids):
        ind = catalog[i]
        ind = catalog[ind.numerator] if ind.kind == "ratio" else ind
        due = due_end(end, ind.months)
        out.append({"id": i, "oldest": months_before(due, ind.carry * ind.months), "due": due})
    return out


def target_depth(tree: Tree, region: str, by: str | int) -> int:
    """The tree depth of the targets of compute()."""
    depth = int(tree.depth[region])
    at = depth if by == "self" else depth + 1 if by == "children" else int(by)
    if at < depth:
        raise ValueError(f"depth {at} is above {region} (depth {depth})")
    return at


def at_level(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
             period: Period, level: int) -> pd.DataFrame:
    """compute() for the regions of administrative `level` in region's subtree (tree.at_level)
    that have data: level_rows without the other regions at those depths, as a frame."""
    found = level_rows(con, tree, catalog, region, indicator_ids, period, level)
    found = found.filter(positions(found["region_code"], tree.level_frame(region, level)["region_code"]) >= 0)
    return found.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get, date_as_object=False)


def level_rows(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
               period: Period, level: int) -> pa.Table:
    """The roll-up rows (COLUMNS, typed in Arrow) of the depths at which the regions of
    administrative `level` in region's subtree sit: one call per depth (two for 全国's townships:
    2,285 are at depth 3), or one over the facts with the few shallower regions lifted (东莞市's
    townships beside 广东省's others), and one statement per score for all depths (it works out
    every depth anyway). They include other regions at those depths (仙桃市 beside 十堰市's
    counties): callers place rows by position among tree.at_level and drop the rest, which
    costs one lookup instead of two for 38,723 townships."""
    depths = tree.depths_at_level(region, level)
    scores = [i for i in indicator_ids if catalog[i].kind == "score"]   # every depth at once
    others = [i for i in indicator_ids if i not in scores]
    units = tree.level_frame(region, level)
    lifted = (units["region_code"][units["depth"] == depths[0]].tolist()
              if len(depths) == 2 and depths[1] == depths[0] + 1 else [])   # one depth up only
    if 0 < len(lifted) <= MOST_LIFTED and not buckets.serves(depths[1]):
        # from the facts, with the few shallower regions (a province's: 仙桃市's, 东莞市's
        # townships) lifted into the same statement instead of one over the county sums:
        # 湖北省's, 广东省's and 海南省's township leagues 0.6-0.9×
        parts = _compute(con, tree, catalog, region, others, period, depths[1], _fetch_arrow, lifted)
    else:
        parts = [p for d in depths for p in _compute(con, tree, catalog, region, others, period, d,
                                                     fetch=_fetch_arrow)]
    return _concat(parts + _scores(con, catalog, region, int(tree.depth[region]), scores, period, depths,
                                   _fetch_arrow))


def arrow_rows(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
               period: Period, by: str | int = "self") -> pa.Table:
    """compute()'s rows as one Arrow table (typed as level_rows'): for thousands of targets
    faster than the frame (全国's 5,000 counties × 3 indicators: 27 ms against 72)."""
    return _concat(_compute(con, tree, catalog, region, indicator_ids, period, by, fetch=_fetch_arrow))


def _concat(parts: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(parts) if parts else _SCHEMA.empty_table()


def _fetch_arrow(con, name: str, **params) -> pa.Table:
    """A roll-up statement's rows as an Arrow table of COLUMNS, typed alike (a flow's counts are
    NULL), so that parts concatenate as they are."""
    return arrow_table(con, name, **params).rename_columns(COLUMNS).cast(_SCHEMA)


def _compute(con, tree: Tree, catalog: Catalog, region: str, indicator_ids: list[str],
             period: Period, by: str | int, fetch=None, lifted: list[str] = ()) -> list:
    """The results of the roll-up statements, each as `fetch` gives it (default store.rows:
    tuples; looked up at each call, so that bench scripts can time the statements). lifted
    (targets read from the facts only): targets one depth up (flow_totals.sql)."""
    fetch = fetch or rows
    kinds = {i: catalog[i].kind for i in indicator_ids}
    depth, at = int(tree.depth[region]), target_depth(tree, region, by)
    if at > MAX_DEPTH or (by == "children" and not tree.children(region)):
        return []   # nothing below: a village, or a township without villages (no statement to run)
    params = dict(region=region, depth=depth, at=at, end=period.end)
    # flows, stocks and ratios: from the county or city sums where they serve, else the facts
    src, sums = (("_buckets", {**params, "level": buckets.level(depth, at)}) if buckets.serves(at)
                 else ("", {**params, "lifted": list(lifted)}))
    out = []
    if flows := [i for i, k in kinds.items() if k == "flow"]:
        out.append(fetch(con, "flow_totals" + src, indicators=flows, start=period.start, **sums))
    stocks = [i for i, k in kinds.items() if k == "stock"]
    for (oldest, due), ids in _by_rule(catalog, stocks, period.end).items():
        out.append(fetch(con, "stock_totals" + src, indicators=ids, oldest=oldest, due=due, **sums))
    ratios = [i for i, k in kinds.items() if k == "ratio"]
    for (oldest, due), ids in _by_rule(catalog, ratios, period.end).items():
        # county or city sums: the ratios' own rows (pairs and lone parts); facts: the parts
        rs = [catalog[i] for i in ids]
        parts = {"indicators": ids} if src else {
            "indicators": [p for r in rs for p in (r.numerator, r.denominator)],
            "ratios": [{"ratio_id": r.id, "num_id": r.numerator, "den_id": r.denominator} for r in rs]}
        out.append(fetch(con, "ratio_totals" + src, oldest=oldest, due=due, **sums, **parts))
    return out + _scores(con, catalog, region, depth, [i for i, k in kinds.items() if k == "score"],
                         period, [at], fetch)


def _scores(con, catalog: Catalog, region: str, depth: int, indicator_ids: list[str], period: Period,
            ats: list[int], fetch) -> list:
    """score_totals of each score indicator for the targets at the depths `ats` below region (at
    `depth`): one statement for all of them, which works out every depth anyway."""
    out = []
    for i in indicator_ids:
        (rule,) = rules(catalog, [i], period.end)
        out.append(fetch(con, "score_totals", indicator=i, oldest=rule["oldest"], due=rule["due"],
                         region=region, depth=depth, ats=ats, end=period.end))
    return out


def _by_rule(catalog: Catalog, ids, end: date) -> dict[tuple, list[str]]:
    """Indicators grouped by (oldest, due): one scan each, with constant date filters (a join
    with a per-indicator list of rules made stock and ratio queries 20-40 % slower)."""
    groups: dict[tuple, list[str]] = {}
    for r in rules(catalog, ids, end):
        groups.setdefault((r["oldest"], r["due"]), []).append(r["id"])
    return groups


def indicator_table(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str,
                    period: Period, by: str = "self", level: int | None = None) -> pd.DataFrame:
    """One row per target, with or without data: region itself (by="self"), its children
    (by="children"), or every region of administrative `level` in its subtree (at_level). Code,
    name and the columns of compute() from value on."""
    if level is not None:
        return level_table(tree, region, level,
                            at_level(con, tree, catalog, region, [indicator_id], period, level))
    targets = tree.children(region) if by == "children" else [region]
    found = _compute(con, tree, catalog, region, [indicator_id], period, by)
    found = {r[0]: r[2:] for part in found for r in part}
    empty = (None,) * (len(COLUMNS) - 2)
    return _frame(["region_code", "region_name", *COLUMNS[2:]],
                  [(t, tree.name[t], *found.get(t, empty)) for t in targets])


def level_table(tree: Tree, region: str, level: int, found: pd.DataFrame) -> pd.DataFrame:
    """indicator_table's rows for every region of the level, from at_level's rows of one
    indicator: placed by position into arrays (38,723 townships; pandas' reindex on arrow
    strings took ~20 ms)."""
    units = tree.level_frame(region, level)
    at = positions(found["region_code"], units["region_code"])
    out = {"region_code": units["region_code"], "region_name": units["region_name"]}
    for c in COLUMNS[2:]:   # numbers as floats (counts then Int64), the oldest period's dates as datetime64
        kind = "float" if c in _FLOATS or c in _COUNTS else "datetime64[us]"
        col = np.full(len(units), np.nan, dtype=kind)
        col[at] = (found[c] if kind == "float" else pd.to_datetime(found[c])).to_numpy(kind)
        out[c] = pd.array(col, dtype="Int64") if c in _COUNTS else col
    return pd.DataFrame(out)


def positions(values, keys) -> np.ndarray:
    """The position of each value in keys, -1 where absent: a hash lookup in Arrow (a dict in
    Python or pandas' get_indexer on arrow strings: ~0.1 s for 400,000 values). values: an Arrow
    column or anything pa.array takes."""
    if not isinstance(values, pa.ChunkedArray | pa.Array):
        values = pa.array(values, type=pa.string())
    found = pc.index_in(values, value_set=pa.array(keys, type=pa.string()))
    return found.fill_null(-1).to_numpy().astype(int)
