"""报送情况: which township-level units (乡镇/街道) below a region have reported which indicators in a
period, and which have not. Pure functions of a connection; the page only lays them out.

- Units: the level-4 regions in the subtree of the region (found by parent link); the region itself
  when it is a township (or a village).
- A unit reported indicator X in period P when it has at least one fact of X, at itself or below
  it (its villages), whose period lies inside P.
- Only stored indicators count (ratios are computed from their parts). `due_indicators` narrows
  them to the ones due in the period by the catalog's frequency: a quarterly indicator is not due
  in a single month.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .catalog import Catalog
from .markup import plot_text, texts
from .periods import Period
from .regions import Tree
from .store import query, rows, run

TOWNSHIP = 4  # regions level of 乡镇/街道
MAX_UNIT_ROWS = 40  # the heat map lists the units themselves up to this many, else the children
STATUS_COLUMNS = ["unit_code", "group_code", "indicator_id", "reported", "facts"]
SUMMARY_COLUMNS = ["code", "name", "units", "full", "partial", "none", "rate"]
HEAT_COLUMNS = ["row_code", "row_label", "indicator_id", "indicator_name", "units", "reported", "share"]
MISSING_COLUMNS = ["province", "city", "county", "unit_code", "unit_name", "group_code", "n_expected",
                   "n_missing", "all_missing", "missing_ids", "missing_names"]
# Export headers (Chinese) of the missing-units list, in file order.
EXPORT_HEADERS = {
    "province": "省", "city": "市(州)", "county": "县(市、区)", "unit_name": "乡镇(街道)",
    "unit_code": "区划代码", "state": "状态", "n_missing": "未报指标数", "n_expected": "应报指标数",
    "missing_names": "未报指标",
}
PATH_LEVELS = {"province": 1, "city": 2, "county": 3}


# --------------------------------------------------------------------------- units and indicators

def units(tree: Tree, region: str) -> pd.DataFrame:
    """Township-level units of region in code order: unit_code and group_code, the direct child of
    region that holds the unit (the unit itself when it is a child; region when region is the unit)."""
    if tree.level[region] >= TOWNSHIP:
        return pd.DataFrame({"unit_code": [region], "group_code": [region]})
    rows = []
    for child in tree.children(region):
        stack = [child]
        while stack:
            code = stack.pop()
            if tree.level[code] == TOWNSHIP:
                rows.append((code, child))
            elif tree.level[code] < TOWNSHIP:
                stack.extend(tree.children(code))
    out = pd.DataFrame(rows, columns=["unit_code", "group_code"])
    return out.sort_values("unit_code", ignore_index=True)


def _month_index(d) -> int:
    return d.year * 12 + d.month - 1


def is_due(period: Period, months: int) -> bool:
    """Whether the period holds a whole reporting period of `months` months, aligned to the
    calendar (a quarter Jan–Mar, Apr–Jun, ...; a year Jan–Dec)."""
    first, last = _month_index(period.start), _month_index(period.end)
    start = math.ceil(first / months) * months
    return start + months - 1 <= last


def due_indicators(con, catalog: Catalog, period: Period) -> list[str]:
    """Stored indicators due in the period, in catalog order, by the catalog's reporting frequency
    (a quarterly score is not due in a single month). One that nobody has ever reported is not due."""
    used = set(query(con, "reported_indicators")["indicator_id"])
    return [i for i in catalog.stored_ids() if i in used and is_due(period, catalog[i].months)]


# --------------------------------------------------------------------------- status and views of it

def _stored(catalog: Catalog, indicators: list[str] | None) -> list[str]:
    ids = list(catalog.stored_ids() if indicators is None else indicators)
    unknown = [i for i in ids if i not in catalog or catalog[i].kind == "ratio"]
    if unknown:
        raise ValueError(f"not stored indicators: {unknown}")
    return ids


def status(con, tree: Tree, catalog: Catalog, region: str, period: Period,
           indicators: list[str] | None = None) -> pd.DataFrame:
    """One row per unit × indicator (default: all stored indicators), units in code order, with
    reported (bool) and facts (how many facts inside the period). Units without any fact appear
    as not reported."""
    ids = _stored(catalog, indicators)
    grid = units(tree, region).merge(pd.DataFrame({"indicator_id": ids}), how="cross")
    if ids and len(grid):
        got = query(con, "completeness_status", region=region, depth=int(tree.depth[region]),
                    self_unit=bool(tree.level[region] >= TOWNSHIP), indicators=ids,
                    start=period.start, end=period.end)
    else:
        got = pd.DataFrame(columns=["unit_code", "indicator_id", "facts"])
    out = grid.merge(got, on=["unit_code", "indicator_id"], how="left")
    out["facts"] = out["facts"].fillna(0).astype(int)
    out["reported"] = out["facts"] > 0
    return out[STATUS_COLUMNS]


@dataclass(frozen=True)
class _Grid:
    """A status frame as matrices: units (in order) × indicators (in order)."""
    units: pd.Index
    groups: np.ndarray       # group code of each unit
    indicators: pd.Index
    expected: np.ndarray     # bool, the cell is in the status frame
    reported: np.ndarray     # bool

    @classmethod
    def of(cls, st: pd.DataFrame) -> "_Grid":
        ui, units_ = pd.factorize(st["unit_code"])
        ii, inds = pd.factorize(st["indicator_id"])
        shape = (len(units_), len(inds))
        expected, reported = np.zeros(shape, bool), np.zeros(shape, bool)
        expected[ui, ii] = True
        reported[ui, ii] = st["reported"].to_numpy(dtype=bool)
        groups = np.empty(len(units_), dtype=object)
        groups[ui] = st["group_code"].to_numpy(dtype=object)
        return cls(pd.Index(units_), groups, pd.Index(inds), expected, reported)

    @property
    def n_expected(self) -> np.ndarray:
        return self.expected.sum(axis=1)

    @property
    def n_reported(self) -> np.ndarray:
        return (self.reported & self.expected).sum(axis=1)


def _grid(frame) -> _Grid:
    return frame if isinstance(frame, _Grid) else _Grid.of(frame)


def _sum_by(keys: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (sorted) and, per key, the column sums of the bool matrix cells."""
    codes, uniq = pd.factorize(keys, sort=True)
    sums = np.stack([np.bincount(codes, weights=col, minlength=len(uniq)) for col in cells.T], axis=1)
    return np.asarray(uniq, dtype=object), sums.astype(np.int64).reshape(len(uniq), cells.shape[1])


def summarize(frame: pd.DataFrame, tree: Tree) -> pd.DataFrame:
    """Per group of a status frame (the direct child of the region holding the units, in code
    order): units, full (reported every indicator), partial, none (reported nothing) and
    rate = full / units in %."""
    g = _grid(frame)
    n_exp, n_rep = g.n_expected, g.n_reported
    counts = np.stack([np.ones(len(n_exp), bool), n_rep == n_exp, (n_rep == 0) & (n_exp > 0)], axis=1)
    codes, sums = _sum_by(g.groups, counts)
    out = pd.DataFrame({"code": codes, "units": sums[:, 0], "full": sums[:, 1], "none": sums[:, 2]})
    out["partial"] = out["units"] - out["full"] - out["none"]
    out["rate"] = 100.0 * out["full"] / out["units"]
    out["name"] = [tree.name[c] for c in out["code"]]
    out = out.astype({"code": str, "units": int, "full": int, "partial": int, "none": int})
    return out[SUMMARY_COLUMNS]


def totals(summary_frame: pd.DataFrame) -> dict:
    """The region as a whole: units, full, partial, none, rate (%, NaN without units)."""
    t = {k: int(summary_frame[k].sum()) for k in ["units", "full", "partial", "none"]}
    t["rate"] = 100.0 * t["full"] / t["units"] if t["units"] else float("nan")
    return t


def heat(frame: pd.DataFrame, tree: Tree, catalog: Catalog,
         max_units: int = MAX_UNIT_ROWS) -> pd.DataFrame:
    """Long frame HEAT_COLUMNS from a status frame: per row and indicator, how many units reported
    it and the share in %. Rows are the units themselves when there are at most max_units (labelled
    子区域·单位 when the unit is not a child of the region), else the groups (children)."""
    g = _grid(frame)
    if not len(g.units):
        return pd.DataFrame(columns=HEAT_COLUMNS)
    by_unit = len(g.units) <= max_units
    keys = np.asarray(g.units, dtype=object) if by_unit else g.groups
    cols = list(g.indicators)
    codes, sums = _sum_by(keys, np.concatenate([g.expected, g.reported & g.expected], axis=1))
    out = pd.DataFrame({
        "row_code": np.repeat(codes, len(cols)),
        "indicator_id": np.tile(np.array(cols, dtype=object), len(codes)),
        "units": sums[:, :len(cols)].ravel(), "reported": sums[:, len(cols):].ravel()})
    out = out[out["units"] > 0].reset_index(drop=True)
    out["share"] = 100.0 * out["reported"] / out["units"]
    out["indicator_name"] = [catalog[i].name_zh for i in out["indicator_id"]]
    group_of = dict(zip(np.asarray(g.units, dtype=object), g.groups)) if by_unit else {}
    labels = {}
    for code in out["row_code"].drop_duplicates():
        group = group_of.get(code, code)
        prefix = f"{tree.name[group]}·" if by_unit and group != code else ""
        labels[code] = prefix + tree.name[code]
    counts = pd.Series(labels).value_counts()
    out["row_label"] = [labels[c] if counts[labels[c]] == 1 else f"{labels[c]}（{c}）"
                        for c in out["row_code"]]
    out = out.astype({"row_code": str, "indicator_id": str, "units": int, "reported": int})
    return out[HEAT_COLUMNS]


def _path_names(tree: Tree, parents) -> dict[str, tuple]:
    """Province, city and county names (PATH_LEVELS order) on the path of each region of
    parents and of the regions above them, each region worked out once."""
    slot = {lvl: i for i, lvl in enumerate(PATH_LEVELS.values())}
    out: dict[str, tuple] = {}

    def names(code: str) -> tuple:
        if code not in out:
            up = tree.parent.get(code)
            got = list(names(up)) if up is not None else [None] * len(slot)
            if tree.level[code] in slot:
                got[slot[tree.level[code]]] = tree.name[code]
            out[code] = tuple(got)
        return out[code]
    for p in parents:
        names(p)
    return out


def _patterns(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a bool matrix: the index of the first row of each, and for every row
    which one it is."""
    packed = np.ascontiguousarray(np.packbits(cells, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    return first, which.ravel()


def missing(frame: pd.DataFrame, tree: Tree, catalog: Catalog) -> pd.DataFrame:
    """Units of a status frame that have not reported every indicator, in code order
    (MISSING_COLUMNS): their province, city and county names, how many and which indicators are
    missing (missing_ids in indicator order; missing_names is 全部指标 when none was reported)."""
    g = _grid(frame)
    gap = g.expected & ~g.reported
    rows = np.flatnonzero(gap.any(axis=1))
    if not len(rows):
        return pd.DataFrame(columns=MISSING_COLUMNS)
    gap, n_exp, n_rep = gap[rows], g.n_expected[rows], g.n_reported[rows]
    inds = np.array(g.indicators, dtype=object)
    none = n_rep == 0
    first, which = _patterns(gap)            # units share few patterns of gaps
    ids_of = np.empty(len(first), dtype=object)   # a tuple per pattern, kept whole
    for k, r in enumerate(first):
        ids_of[k] = tuple(inds[gap[r]])
    names_of = np.array(["、".join(catalog[i].name_zh for i in ids) for ids in ids_of], dtype=object)
    codes = np.asarray(g.units, dtype=object)[rows]
    parent_of, parents = pd.factorize(np.array([tree.parent[c] for c in codes], dtype=object))
    paths = _path_names(tree, parents)
    out = pd.DataFrame({
        **{k: texts(np.array([paths[p][i] for p in parents], dtype=object)[parent_of])
           for i, k in enumerate(PATH_LEVELS)},
        "unit_code": texts(codes), "unit_name": texts([tree.name[c] for c in codes]),
        "group_code": texts(g.groups[rows]), "n_expected": n_exp.astype(int),
        "n_missing": (n_exp - n_rep).astype(int), "all_missing": none,
        "missing_ids": texts(ids_of[which]), "missing_names": texts(np.where(none, "全部指标", names_of[which])),
    })
    return out.sort_values("unit_code", ignore_index=True)[MISSING_COLUMNS]


def summary(con, tree: Tree, catalog: Catalog, region: str, period: Period,
            indicators: list[str] | None = None) -> pd.DataFrame:
    """Per direct child of the region that holds units (or the region itself when it is the unit):
    units, full, partial, none, rate (%)."""
    return summarize(status(con, tree, catalog, region, period, indicators), tree)


def missing_units(con, tree: Tree, catalog: Catalog, region: str, period: Period,
                  indicators: list[str] | None = None) -> pd.DataFrame:
    """The units that have not reported all indicators (or any), with their path and the gaps."""
    return missing(status(con, tree, catalog, region, period, indicators), tree, catalog)


@dataclass(frozen=True)
class Report:
    """Everything the page shows, from one status query."""
    indicators: tuple[str, ...]
    summary: pd.DataFrame
    totals: dict
    heat: pd.DataFrame
    missing: pd.DataFrame


def reported_grid(con, tree: Tree, region: str, period: Period, ids: list[str]) -> _Grid:
    """The grid of a region above township level, from what each unit reported per period
    (table unit_reports) instead of the facts: the same cells as _Grid.of(status(...))."""
    got = run(con, "completeness_masks", region=region, depth=int(tree.depth[region]),
              start=period.start, end=period.end).fetchnumpy()   # 38 k rows: no frame
    bits = dict(rows(con, "completeness_bits"))
    shifts = np.array([bits[i] for i in ids], dtype=np.uint64)
    masks = np.asarray(got["mask"], dtype=np.uint64)
    reported = ((masks[:, None] >> shifts[None, :]) & np.uint64(1)).astype(bool)
    return _Grid(pd.Index(np.asarray(got["unit_code"], dtype=object), dtype=object),
                 np.asarray(got["group_code"], dtype=object),
                 pd.Index(ids, dtype=object), np.ones(reported.shape, bool), reported)


def report(con, tree: Tree, catalog: Catalog, region: str, period: Period,
           indicators: list[str] | None = None) -> Report:
    """Summary, totals, heat map and missing units from one grid: above township level read from
    unit_reports, else (a single unit, or no indicator) from the facts by status()."""
    ids = _stored(catalog, indicators)
    if ids and tree.level[region] < TOWNSHIP:
        g = reported_grid(con, tree, region, period, ids)
    else:
        g = _Grid.of(status(con, tree, catalog, region, period, ids))
    s = summarize(g, tree)
    return Report(tuple(ids), s, totals(s), heat(g, tree, catalog), missing(g, tree, catalog))


# --------------------------------------------------------------------------- presentation

def path_columns(tree: Tree, region: str) -> list[str]:
    """The path columns (province, city, county) worth showing below region: those deeper than it."""
    return [k for k, lvl in PATH_LEVELS.items() if lvl > tree.level[region]]


def export_frame(missing_frame: pd.DataFrame) -> pd.DataFrame:
    """The missing-units list with Chinese headers, as shown and downloaded."""
    out = missing_frame.copy()
    out["state"] = ["全部未报" if a else "部分未报" for a in out["all_missing"]]
    return out[list(EXPORT_HEADERS)].rename(columns=EXPORT_HEADERS)


# Red below about half, yellow around 85 %, green only near 100 %: gaps of a few units stand out.
COLORSCALE = [[0.0, "#b71c1c"], [0.5, "#ef6c00"], [0.85, "#fdd835"], [0.97, "#9ccc65"], [1.0, "#2e7d32"]]


def heat_figure(heat_frame: pd.DataFrame) -> go.Figure:
    """Rows × indicators, each cell the share of units that reported (0–100 %). Labels are data
    (a village can be a unit): plot_text."""
    rows = list(dict.fromkeys(heat_frame["row_label"]))
    cols = list(dict.fromkeys(heat_frame["indicator_name"]))
    share = heat_frame.pivot(index="row_label", columns="indicator_name", values="share")
    share = share.reindex(index=rows, columns=cols)

    def grid(col):
        return heat_frame.pivot(index="row_label", columns="indicator_name", values=col).reindex(
            index=rows, columns=cols).astype(object).where(share.notna(), None).values

    custom = np.dstack([grid("reported"), grid("units")]).tolist()
    text = share.map(lambda v: "" if pd.isna(v) else f"{v:.0f}%")
    fig = go.Figure(go.Heatmap(
        z=grid("share").tolist(), x=[plot_text(c) for c in cols], y=[plot_text(r) for r in rows], customdata=custom,
        text=text.values.tolist(), texttemplate="%{text}", textfont=dict(size=11),
        zmin=0, zmax=100, colorscale=COLORSCALE, xgap=2, ygap=2, showscale=len(rows) >= 5,
        colorbar=dict(title=dict(text="报送率", side="top"), ticksuffix="%", thickness=12, len=0.8),
        hovertemplate="%{y} · %{x}<br>已报送 %{customdata[0]} / %{customdata[1]} 个单位"
                      "（%{z:.1f}%）<extra></extra>"))
    fig.update_layout(
        height=190 + 32 * len(rows), margin=dict(t=10, b=10, l=10, r=10),
        xaxis=dict(side="top", tickangle=-40, tickfont=dict(size=12)),
        yaxis=dict(autorange="reversed", tickfont=dict(size=12)),
        font_family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
    return fig


def month_reporting(con, tree: Tree, region: str, end: date) -> tuple[int, int] | None:
    """How many township-level units of region's subtree reported a month's figures for the month
    ending `end`, and for the month before (None for a village)."""
    if tree.level[region] > TOWNSHIP:
        return None
    before = end.replace(day=1) - timedelta(days=1)
    (counts,) = rows(con, "units_reporting", region=region, depth=int(tree.depth[region]), last=end, prev=before)
    return counts


MOSTLY_IN = 0.9   # of last month's units: below this share, month_note's note is a warning


def month_note(tree: Tree, region: str, end: date, counts: tuple[int, int] | None,
               listed_below: bool = False) -> tuple[str, bool] | None:
    """What to say when fewer units reported the month ending `end` than the month before
    (month_reporting's counts): its flows' sums and comparisons read low, while stocks and
    rates carry last month's values forward. The flag: a warning (fewer than MOSTLY_IN of last
    month's units), else a note. None when the month is no shorter. listed_below: on 报送情况,
    whose list of units that have not reported is below the note."""
    head = month_head(tree, region, end, counts)
    if head is None:
        return None
    now, before = counts
    return (f"{head}：本月尚未报齐，流量指标（如募集资金）的合计、同比和排名偏低，存量和比率沿用上期数。"
            + ("未报送的单位见下方清单。" if listed_below else "未报送的单位见“报送情况”页。"), now < MOSTLY_IN * before)


def month_head(tree: Tree, region: str, end: date, counts: tuple[int, int] | None) -> str | None:
    """The first part of month_note (how many reported, against the month before), which an
    export's footer carries; None when the month is no shorter."""
    if counts is None or counts[0] >= counts[1]:
        return None
    month = f"{end.year}年{end.month}月"
    if tree.level[region] == TOWNSHIP:
        return f"{tree.name[region]}尚未报送{month}的月度数据（上月已报送）"
    return f"{month}已有 {counts[0]:,} 个乡镇(街道)报送月度数据，上月为 {counts[1]:,} 个"
