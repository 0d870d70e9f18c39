"""League tables (排名): every region of one administrative level inside a region, ranked by an
indicator, with the change of rank since the comparable period before. Values come from the
roll-up rules (rollup.indicator_table at a level); this module only ranks and compares."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalog import Catalog
from .fmt import fmt_value, is_missing
from .overview import view_period
from .periods import Period, comparable
from .regions import LEVEL_NAMES, Tree
from .rollup import at_level, level_table, positions
from .store import side_by_side

RANK_COLUMNS = ["rank", "region_code", "region_name", "parent_name", "value", "numerator",
                "denominator", "prev_rank"]
LEVELS = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}   # CLI --level
# Stocks that a flow or stock may be divided by, what the value is then per, and the level of
# what is counted (a township is not divided by its number of townships).
PER = {"villages_total": "村(社区)", "townships_total": "乡镇(街道)"}
_PER_LEVEL = {"villages_total": 5, "townships_total": 4}


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
    (periods.comparable). per: divide by that stock of the same region and period (PER)."""
    if per is not None and per not in per_options(catalog, indicator_id, level):
        raise ValueError(f"{catalog[indicator_id].name_zh}不能按每{PER.get(per, per)}折算")
    shown = view_period(con, tree, region, chosen)
    before = comparable(chosen, shown, catalog[indicator_id].kind)
    now, then = side_by_side(con, lambda cur, p: _values(cur, tree, catalog, region, indicator_id, p, level, per),
                             [shown, before])
    now, then = _ranked(level_table(tree, region, level, now)), _ranked(then)
    prev = np.full(len(now), np.nan)   # now's rows are the level's regions in tree order
    prev[positions(then["region_code"], now["region_code"])] = then["rank"].to_numpy(float, na_value=np.nan)
    now["prev_rank"] = pd.array(prev, dtype="Int64")
    now["rank_change"] = now["prev_rank"] - now["rank"]
    units = tree.level_frame(region, level)
    now["parent_code"], now["parent_name"] = units["parent_code"], units["parent_name"]
    now = now.sort_values("rank", na_position="last", kind="stable", ignore_index=True)   # ties in tree order
    now.attrs.update(period=shown, before=before, unit=unit_of(catalog, indicator_id, per))
    return now[RANK_COLUMNS + ["rank_change", "parent_code", "units", "carried_units",
                               "excluded_units"]]


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


def _values(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str, period: Period,
            level: int, per: str | None) -> pd.DataFrame:
    """at_level's rows of the indicator (those with data); divided by `per` of the same region
    and period (no value where it is missing or 0), with numerator and denominator."""
    ids = [indicator_id] if per is None else [indicator_id, per]
    found = at_level(con, tree, catalog, region, ids, period, level)
    if per is None:
        return found
    t = found[found["indicator_id"] == indicator_id].set_index("region_code")
    d = found[found["indicator_id"] == per].set_index("region_code")["value"]
    den = d.where(d > 0).reindex(t.index)
    return t.assign(numerator=t["value"], denominator=den, value=t["value"] / den).reset_index()


def _ranked(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(rank=t["value"].rank(method="min", ascending=False).astype("Int64"))
