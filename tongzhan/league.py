"""League tables (排名): every region of one administrative level inside a region, ranked by an
indicator, with the change of rank since the comparable period before. Values come from the
roll-up rules (rollup.level_rows: the rows of a level); this module only ranks and compares."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .catalog import Catalog
from .fmt import fmt_value, is_missing
from .overview import view_period
from .periods import Period, comparable
from .regions import LEVEL_NAMES, Tree
from .rollup import COLUMNS, level_rows, positions
from .store import side_by_side

RANK_COLUMNS = ["rank", "region_code", "region_name", "parent_name", "value", "numerator",
                "denominator", "prev_rank"]
LEVELS = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}   # CLI --level
# Stocks that a flow or stock may be divided by, what the value is then per, and the level of
# what is counted (a township is not divided by its number of townships).
PER = {"villages_total": "村(社区)", "townships_total": "乡镇(街道)"}
_PER_LEVEL = {"villages_total": 5, "townships_total": 4}
_NUMBERS = COLUMNS[2:8]   # value, numerator, denominator, units, carried_units, excluded_units


def levels_below(tree: Tree, region: str) -> list[int]:
    """The administrative levels that have regions inside region (a province: 2, 3, 4, ...)."""
    return [lv for lv in range(tree.level[region] + 1, max(LEVEL_NAMES) + 1)
            if tree.at_level(region, lv)]


def per_options(catalog: Catalog, indicator_id: str, level: int) -> list[str]:
    """The stocks a flow or a count of regions at `level` can be divided by (not rates or
    scores): villages for townships and above, townships for counties and above."""
    return [p for p in PER if p in catalog and catalog[indicator_id].kind in ("flow", "stock")
            and p != indicator_id and level < _PER_LEVEL[p]]


def unit_of(catalog: Catalog, indicator_id: str, per: str | None) -> str:
    """The unit of the ranked value: 万元, or 万元/村(社区) when divided."""
    unit = catalog[indicator_id].unit
    return unit if per is None else f"{unit}/{PER[per]}"


def league(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str, chosen: Period,
           level: int, per: str | None = None) -> pd.DataFrame:
    """RANK_COLUMNS, then rank_change (places gained since the period before), parent_code,
    units, carried_units, excluded_units: one row per region of `level` inside region,
    ranked (ties share a rank: 1, 2, 2, 4), those without a value last and unranked.
    The period is cut at the region's newest data and compared like for like
    (periods.comparable). per: divide by that stock of the same region and period (PER).
    Worked out in arrays over the level's regions in tree order (38,723 townships: pandas'
    reindex, rank and sort on them took ~45 ms of ~120)."""
    if per is not None and per not in per_options(catalog, indicator_id, level):
        raise ValueError(f"{catalog[indicator_id].name_zh}不能按每{PER.get(per, per)}折算")
    shown = view_period(con, tree, region, chosen)
    before = comparable(chosen, shown, catalog[indicator_id].kind)
    units = tree.level_frame(region, level)
    ids = [indicator_id] if per is None else [indicator_id, per]
    now, then = side_by_side(con, lambda cur, p: _values(
        level_rows(cur, tree, catalog, region, ids, p, level), units["region_code"], indicator_id, per),
        [shown, before])
    (order, rank), (_, prev) = ranks(now["value"]), ranks(then["value"])
    out = pd.DataFrame({
        "rank": _counts(rank[order]),
        **{c: units[c].array.take(order) for c in ("region_code", "region_name", "parent_name")},
        **{c: now[c][order] for c in ("value", "numerator", "denominator")},
        "prev_rank": _counts(prev[order]), "rank_change": _counts((prev - rank)[order]),
        "parent_code": units["parent_code"].array.take(order),
        **{c: _counts(now[c][order]) for c in ("units", "carried_units", "excluded_units")}})
    out.attrs.update(period=shown, before=before, unit=unit_of(catalog, indicator_id, per))
    return out


def first_and_last(ranked: pd.DataFrame, n: int) -> tuple[set[str], set[str]]:
    """The region codes marked as the first n and the last n of ranked rows (best first): ties
    share the mark (rank ≤ n is among the first; among the last: ranked at or below the n-th
    from the end), and no region is marked last while it ties with one of the first (8 regions
    all at 100 % are all first, none last)."""
    ranks, codes = ranked["rank"].to_numpy(int), ranked["region_code"].to_numpy()
    if not len(ranks):
        return set(), set()
    first = ranks <= n
    last = (ranks >= ranks[max(0, len(ranks) - n)]) & (ranks > (ranks[first].max() if first.any() else 0))
    return set(codes[first]), set(codes[last])


def value_text(v, catalog: Catalog, indicator_id: str, per: str | None) -> str:
    """A ranked value as labels show it: 15.61万元, 3.00万元/村(社区)."""
    unit = catalog[indicator_id].unit
    return fmt_value(v, unit) + ("" if per is None or is_missing(v) else f"/{PER[per]}")


def _values(found: pa.Table, codes: pd.Series, indicator_id: str, per: str | None) -> dict[str, np.ndarray]:
    """level_rows' columns of the indicator as arrays over codes (NaN where there is no value);
    divided by `per` of the same region and period (no value where it is missing or 0), with
    numerator and denominator."""
    def arrays(ind: str) -> dict[str, np.ndarray]:
        rows = found.filter(pc.equal(found["indicator_id"], ind))
        at = positions(rows["region_code"], codes)
        keep = at >= 0
        out = {}
        for c in _NUMBERS:
            out[c] = np.full(len(codes), np.nan)
            out[c][at[keep]] = rows[c].to_numpy()[keep]   # NULL → NaN
        return out
    got = arrays(indicator_id)
    if per is not None:
        den = arrays(per)["value"]
        den[~(den > 0)] = np.nan
        got.update(numerator=got["value"], denominator=den, value=got["value"] / den)
    return got


def ranks(value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of value, best (largest) first, ties in the order given, NaN last; and each
    value's competition rank (1, 2, 2, 4), NaN unranked. One sort (pandas' rank and a second
    sort by it: ~10 ms more for 38,723 townships)."""
    order = np.argsort(-value, kind="stable")   # numpy sorts NaN last
    ranked = value[order]
    ranked = ranked[~np.isnan(ranked)]
    first = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if len(ranked) else np.zeros(0, int)
    rank = np.full(len(value), np.nan)
    rank[order[:len(ranked)]] = np.repeat(first + 1, np.diff(np.r_[first, len(ranked)]))
    return order, rank


def _counts(x: np.ndarray) -> pd.arrays.IntegerArray:
    """Floats that are whole numbers (NaN: none) as a nullable integer column."""
    missing = np.isnan(x)
    return pd.arrays.IntegerArray(np.where(missing, 0, x).astype(np.int64), missing)
