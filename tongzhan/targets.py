"""Targets (目标值): completion against the roll-ups, traffic lights, entering and splitting.

Targets live in their own table (targets batches, see batches.py) and never enter a roll-up. The
actual value is always tongzhan.rollup.compute over the target's period as the region's view shows
it (overview.view_period: cut at the newest month with data in the region's subtree):

- flow: actual = the sum so far; due = target × months elapsed ÷ months of the period (a 120万元
  year target is 100万元 due by the end of October).
- stock, ratio, score: actual = the value at the newest data end; due = the target level.

completion = actual ÷ target; progress = actual ÷ due. The light is on progress: green from
`green` % of due, amber from `amber` %, red below; thresholds per indicator in
data/target_lights.csv (row `*` for every indicator without its own row; default 100 and 80).
A child without its own target has none: a parent's target reaches its children only through
an explicit split (split_target), written as one targets batch.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import batches, demo
from .accounts import User
from .catalog import Catalog
from .fmt import COUNT_UNITS
from .importer import parse_file
from .overview import last_end, last_ends
from .periods import Period
from .regions import ROOT_CODE, Tree
from .rollup import arrow_rows, compute, positions
from .store import ROOT, StoreError, query, side_by_side

LIGHTS_CSV = ROOT / "data" / "target_lights.csv"
LIGHT_NAMES = {"green": "绿", "amber": "黄", "red": "红"}
COLUMNS = ["region_code", "indicator_id", "target", "actual", "due", "completion", "light",
           "region_name", "progress", "period", "through"]
DECIMALS = Decimal("0.000001")


@dataclass(frozen=True)
class Thresholds:
    green: float   # progress (actual ÷ due, as a fraction) from which a target is green
    amber: float   # … amber; red below


def read_thresholds(path=LIGHTS_CSV) -> dict[str, Thresholds]:
    """Thresholds by indicator id ('*': every other indicator) from a CSV of indicator_id, green,
    amber in % of due. StoreError (Chinese) for a file that cannot be used."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        out = {r.indicator_id.strip(): Thresholds(float(r.green) / 100, float(r.amber) / 100)
               for r in frame.itertuples()}
    except (OSError, ValueError, AttributeError) as e:
        raise StoreError(f"目标灯阈值文件 {path} 无法读取（应有 indicator_id、green、amber 三列，数值为百分比）：{e}") from e
    if "*" not in out:
        raise StoreError(f"目标灯阈值文件 {path} 缺少 indicator_id 为 * 的默认行（如 *,100,80）。")
    for ind, t in out.items():
        if not 0 <= t.amber <= t.green:
            raise StoreError(f"目标灯阈值文件 {path} 中「{ind}」的阈值有误：应满足 0 ≤ amber ≤ green。")
    return out


def lights(progress: np.ndarray, green: np.ndarray, amber: np.ndarray) -> np.ndarray:
    """green, amber or red per progress (fraction of due), by its thresholds; None where there is
    no progress."""
    out = np.where(progress >= green - 1e-9, "green", np.where(progress >= amber - 1e-9, "amber", "red"))
    return np.where(np.isnan(progress), None, out.astype(object))


def target_period(year: int, quarter: int | None = None) -> Period:
    return Period.months(year, 1, year, 12) if quarter is None else Period.months(year, 3 * quarter - 2, year, 3 * quarter)


def stored(con, regions: list[str], year: int, quarter: int | None = None,
           indicator: str | None = None) -> pd.DataFrame:
    """region_code, indicator_id, value of the stored targets of regions for the year (quarter)."""
    return query(con, "targets_for", regions=regions, year=year, quarter=quarter, indicator=indicator)


def due(con, catalog: Catalog, regions: list[str], indicator_ids: list[str],
        period: Period) -> pd.DataFrame:
    """region_code, indicator_id, target: what the year targets of period's last year ask of
    `period` (综合指数's target rule): a flow's target prorated to the months of period in that
    year (a 120万元 year target asks 100万元 of January to October), a stock's, rate's or score's
    target level as it is. Regions without a year target have no row."""
    year = period.end.year
    found = query(con, "targets_for", regions=regions, year=year, quarter=None, indicator=None)
    found = found[found["indicator_id"].isin(indicator_ids)]
    months = Period(max(period.start, target_period(year).start), period.end).length
    share = [months / 12 if catalog[i].kind == "flow" else 1.0 for i in found["indicator_id"]]
    return pd.DataFrame({"region_code": found["region_code"], "indicator_id": found["indicator_id"],
                         "target": found["value"].astype(float).to_numpy() * share})


def completion(con, tree: Tree, catalog: Catalog, region: str, year: int, quarter: int | None = None,
               indicator: str | None = None, by: str = "self", thresholds=None) -> pd.DataFrame:
    """COLUMNS, then unit and kind, one row per target of region (by="self") or of its children
    (by="children") for the year or quarter; regions without a target have no row. period: the
    target's period key; through: the last month counted ('' when none has data yet)."""
    period = target_period(year, quarter)
    regions = [region] if by == "self" else tree.children(region)
    found = stored(con, regions, year, quarter, indicator)
    if found.empty:
        return pd.DataFrame(columns=[*COLUMNS, "unit", "kind"])
    return _judged(con, tree, catalog, region, by, found, period,
                   *_shown(last_end(con, tree, region), period), quarter, thresholds)


def _judged(con, tree: Tree, catalog: Catalog, region: str, by: str | int, found: pd.DataFrame,
            period: Period, shown: Period, elapsed: int, quarter: int | None,
            thresholds) -> pd.DataFrame:
    """completion()'s rows for the targets `found` (of regions among compute(region, by)'s), the
    target's period as shown with `elapsed` months of data. Column by column: the red list of
    全国 judges 9,000 targets (as lists: iterating arrow-backed columns is 10× slower), with the
    roll-up's rows in Arrow (全国's 5,000 counties × 3 indicators: 72 → 27 ms as a frame)."""
    ids, codes = found["indicator_id"].tolist(), found["region_code"].tolist()
    actual = np.full(len(found), np.nan)
    if elapsed:
        got = arrow_rows(con, tree, catalog, region, sorted(set(ids)), shown, by)
        at = positions(_pairs(codes, ids), _pairs(got["region_code"], got["indicator_id"]))
        actual[at >= 0] = got["value"].to_numpy()[at[at >= 0]]
    inds = [catalog[i] for i in ids]
    target = found["value"].to_numpy(float)
    share = np.array([elapsed / (3 if quarter else 12) if i.kind == "flow" else 1.0 for i in inds])
    due = target * share
    limits = thresholds or read_thresholds()
    green, amber = (np.array([getattr(limits.get(i, limits["*"]), t) for i in ids]) for t in ("green", "amber"))
    with np.errstate(divide="ignore", invalid="ignore"):
        progress, completion = (np.where(d != 0, actual / d, np.nan) for d in (due, target))
    return pd.DataFrame({
        "region_code": codes, "indicator_id": ids,
        "target": target, "actual": actual, "due": due, "completion": completion,
        "light": lights(progress, green, amber), "region_name": [tree.name[c] for c in codes],
        "progress": progress, "period": period.key, "through": f"{shown.end:%Y-%m}" if elapsed else "",
        "unit": [i.unit for i in inds], "kind": [i.kind for i in inds]}, columns=[*COLUMNS, "unit", "kind"])


def _pairs(codes, ids) -> pa.Array:
    """(region code, indicator id) pairs as one string each, to look up with rollup.positions."""
    return pc.binary_join_element_wise(pa.array(codes, pa.string()) if isinstance(codes, list) else codes,
                                       pa.array(ids, pa.string()) if isinstance(ids, list) else ids, "\t")


def _shown(last: date | None, period: Period) -> tuple[Period, int]:
    """The target's period as the view of a region whose newest data ends at `last` shows it
    (overview.last_end), and how many of its months have data (0 before its first month)."""
    if last is None or last < period.start:
        return period, 0
    shown = period.clamp(last)   # as overview.view_period cuts it
    return shown, shown.length


def red_units(con, tree: Tree, catalog: Catalog, region: str, year: int, quarter: int | None = None,
              indicator: str | None = None, thresholds=None) -> pd.DataFrame:
    """The targets in red of region and every unit below it that has one (completion's columns),
    worst progress first. Region's own targets are judged at its newest data, the units below
    beside their siblings (their parent's view, cut at the parent's newest data); targets at the
    same depth and cut share one roll-up of region at that depth (a province's cities and
    counties: a few roll-ups, not one per parent: 9.4 s → 0.7 s for 全国 with targets for every
    province, city and county), the groups side by side (十堰市: 48 → 37 ms). One statement
    reads every target (全国: 9,000)."""
    period, thresholds = target_period(year, quarter), thresholds or read_thresholds()
    found = query(con, "targets_within", region=region, depth=int(tree.depth[region]), year=year,
                  quarter=quarter, indicator=indicator)
    if found.empty:
        return pd.DataFrame(columns=[*COLUMNS, "unit", "kind"])
    cuts: dict[tuple[int, str], list[int]] = {}   # 全国: 9,600 targets, 372 cuts
    for i, key in enumerate(zip(found["depth"].tolist(), found["cut"].tolist())):
        cuts.setdefault(key, []).append(i)
    ends = last_ends(con, tree, catalog, region, sorted({cut for _, cut in cuts}))
    groups: dict[tuple, list[int]] = {}
    for (depth, cut), rows_ in cuts.items():
        groups.setdefault((depth, *_shown(ends[cut], period)), []).extend(rows_)

    def judged(cur, group) -> pd.DataFrame:
        (depth, shown, elapsed), rows_ = group
        return _judged(cur, tree, catalog, region, depth, found.iloc[sorted(rows_)], period, shown, elapsed,
                       quarter, thresholds)
    out = pd.concat(side_by_side(con, judged, list(groups.items())), ignore_index=True)
    return out[out["light"] == "red"].sort_values(["progress", "region_code"], ignore_index=True)


def targets_file(rows: list[tuple]) -> bytes:
    """A targets CSV (区划代码, 指标, 期间, 目标值) of rows (region code, indicator id, period key, value)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["区划代码", "指标", "期间", "目标值"])
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _commit_file(con, tree: Tree, catalog: Catalog, data: bytes, name: str, scope: str,
                 user: User, today: date, dedupe: bool = False) -> int | None:
    """Parse and commit a targets file made here, as user (batches.commit checks the role and
    that every row lies in the user's scope): the importer's checks, one targets batch."""
    parsed = parse_file(data, name, tree, catalog, today=today, scope=scope)
    if parsed.problems:
        raise StoreError("；".join(p.message for p in parsed.problems[:3]))
    return batches.commit(con, parsed, data, name, user, dedupe=dedupe)


DEMO_ANCHORS = [("420000", "self"), ("420000", "children"), ("330800", "self"), ("330800", "children"),
                ("370400", "self"), ("370400", "children"), ("420300", "children")]


def add_demo_targets(con, tree: Tree, catalog: Catalog, today: date, user: User) -> int | None:
    """The demo database's 2026 targets (province, cities, the counties of the demo cities),
    made from the 2025 roll-ups (demo.targets), committed like an uploaded targets file."""
    last_year = target_period(2025)
    actual = pd.concat([compute(con, tree, catalog, region, list(demo.TARGET_STEPS), last_year, by)
                        for region, by in DEMO_ANCHORS], ignore_index=True)
    rows_ = demo.targets(actual[["region_code", "indicator_id", "value"]].drop_duplicates())
    data = targets_file(list(rows_.itertuples(index=False, name=None)))
    return _commit_file(con, tree, catalog, data, "演示目标（自动生成）.csv", ROOT_CODE, user, today, dedupe=True)


def enter(con, tree: Tree, catalog: Catalog, region: str, indicator: str, year: int,
          quarter: int | None, value: str, user: User, today: date) -> int | None:
    """One target typed on the page (value as a cell may be written: 120, 1.2亿, 95%), committed
    as a one-row targets batch; the batch id, or None when it already holds that value."""
    period = target_period(year, quarter)
    data = targets_file([(region, indicator, period.key, value)])
    name = f"页面录入：{tree.name[region]} {catalog[indicator].name_zh} {period.label}目标"
    return _commit_file(con, tree, catalog, data, name, region, user, today)


def split_values(total: Decimal, shares: list[float], whole: bool) -> list[Decimal]:
    """total divided in proportion to shares: whole numbers (largest remainders) for counts,
    else 6 decimals; the parts always add up to total exactly."""
    weights = [Decimal(str(s)) for s in shares]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise StoreError("分解份额须为非负数，且至少有一个大于 0。")
    step = Decimal(1) if whole else DECIMALS
    exact = [total * w / sum(weights) for w in weights]
    parts = [(x / step).to_integral_value(ROUND_FLOOR) * step for x in exact]
    left = int((total - sum(parts)) / step)
    for i in sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))[:left]:
        parts[i] += step
    return parts


def split_target(con, tree: Tree, catalog: Catalog, region: str, indicator: str, year: int,
                 quarter: int | None, shares: dict[str, float] | None, user: User,
                 today: date) -> int | None:
    """Split region's target to its children, explicitly, as one targets batch: flows and stocks
    in proportion to shares (child code → share; None: equal shares for every child); ratios
    and scores are levels, each child gets the same. The batch id (None: nothing changed)."""
    found = stored(con, [region], year, quarter, indicator)
    ind, period = catalog[indicator], target_period(year, quarter)
    if found.empty:
        raise StoreError(f"{tree.name[region]}没有{period.label}「{ind.name_zh}」的目标，无法分解。")
    shares = shares or {c: 1.0 for c in tree.children(region)}
    if not shares:
        raise StoreError(f"{tree.name[region]}没有下级区域，无法分解。")
    total = Decimal(str(found["value"].iloc[0]))
    if ind.kind in ("flow", "stock"):
        values = split_values(total, list(shares.values()), ind.unit in COUNT_UNITS)
    else:
        values = [total] * len(shares)
    data = targets_file([(c, indicator, period.key, f"{v.normalize():f}") for c, v in zip(shares, values)])
    name = f"目标分解：{tree.name[region]} {ind.name_zh} {period.label}"
    return _commit_file(con, tree, catalog, data, name, region, user, today)
