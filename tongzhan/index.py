"""综合指数 (百分考核): weighted points per unit at one administrative level, configured in
data/index.csv, one row per component: category, indicator_id, weight (points), rule, low, high.

Component values are the catalog's roll-ups (rollup.level_rows); this module only turns each into a
score in [0, 1] and weighs it (points = score × weight):
- target: min(value / target, 1); the stored year targets (targets.due: a flow's prorated to the
  period) unless the caller gives others; a unit without one: 0 points, 无目标值;
- best:   value / the largest value among the units ranked (1 for the best);
- linear: low → 0, high → 1, linear between and clipped to [0, 1] (high < low: lower is better).
A unit without a value for a component gets 0 points for it (无数据).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from .catalog import Catalog
from .fmt import axis_ticks, fmt_value
from .league import ranks
from .markup import plot_text, texts
from .overview import view_period
from .periods import Period
from .regions import Tree
from .rollup import level_rows, positions
from .store import ROOT, StoreError, side_by_side
from .targets import due as stored_targets

INDEX_CSV = ROOT / "data" / "index.csv"
CONFIG_COLUMNS = ["category", "indicator_id", "weight", "rule", "low", "high"]
RULES = {"target": "目标完成率", "best": "与最优之比", "linear": "线性"}
# One colour per category (ColorBrewer Set2, then Dark2): enough for the six of the default and a few more.
COLOURS = ["#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#b3b3b3",
           "#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
TOP = 20   # units in the bar chart
NO_DATA, NO_TARGET, BEST_ZERO = "无数据", "无目标值", "各单位均为0"
PART_COLUMNS = ["rank", "region_code", "region_name", "parent_name", "category", "indicator_id",
                "indicator", "value", "unit", "rule", "low", "high", "reference", "score", "weight", "points", "note"]
# targets: a frame region_code, indicator_id, target (the value due in the period), or a callable
# (unit codes, indicator ids, period) -> such a frame.
Targets = pd.DataFrame | Callable[[list[str], list[str], Period], pd.DataFrame] | None


class ConfigError(StoreError):
    """An index configuration that cannot be used; the message says where and why (Chinese)."""


def load_config(path: str | Path, catalog: Catalog) -> pd.DataFrame:
    """The components of the index file, checked: CONFIG_COLUMNS with weight, low and high as
    numbers (NaN when blank). Every problem is listed in one ConfigError."""
    name = Path(path).name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise ConfigError(f"找不到综合指数配置文件：{path}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"综合指数配置 {name} 不是 UTF-8 编码，请另存为 UTF-8 的 CSV。") from e
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as e:
        raise ConfigError(f"综合指数配置 {name} 不是有效的 CSV 表格（{type(e).__name__}）。") from e
    raw.columns = [str(c).strip() for c in raw.columns]
    if missing := [c for c in CONFIG_COLUMNS if c not in raw.columns]:
        raise ConfigError(f"综合指数配置 {name} 缺少列：{'、'.join(missing)}"
                          f"（应有 {','.join(CONFIG_COLUMNS)}）。")
    raw = raw[CONFIG_COLUMNS].apply(lambda s: s.str.strip())
    if raw.empty:
        raise ConfigError(f"综合指数配置 {name} 没有任何计分项。")
    problems = _problems(raw, catalog)
    if problems:
        raise ConfigError(f"综合指数配置 {name} 有误：\n" + "\n".join(problems))
    return raw.assign(**{c: pd.to_numeric(raw[c].replace("", None)).astype(float)
                         for c in ("weight", "low", "high")})


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _problems(raw: pd.DataFrame, catalog: Catalog) -> list[str]:
    """One line per problem, by line of the file (the header is line 1)."""
    out, seen = [], {}
    for line, r in enumerate(raw.to_dict("records"), start=2):
        at = f"第{line}行："
        if not r["category"]:
            out.append(f"{at}类别（category）为空")
        ind = r["indicator_id"]
        if ind not in catalog:
            out.append(f"{at}未知的指标“{ind}”（见 data/indicators.csv 的 id 列）")
        elif ind in seen:
            out.append(f"{at}指标“{ind}”已在第{seen[ind]}行出现")
        seen.setdefault(ind, line)
        weight = _number(r["weight"])
        if weight is None or weight <= 0:
            out.append(f"{at}权重（weight）“{r['weight']}”不是正数")
        out += [at + p for p in _rule_problems(r)]
    return out


def _rule_problems(r: dict) -> list[str]:
    rule, low, high = r["rule"], r["low"], r["high"]
    if rule not in RULES:
        return [f"未知的计分方法（rule）“{rule}”，可用：{'、'.join(RULES)}"]
    if rule != "linear":
        return [f"计分方法 {rule} 不用下限和上限（low、high），请留空"] if low or high else []
    a, b = _number(low), _number(high)
    if a is None or b is None:
        return [f"计分方法 linear 需要数字的下限和上限（low、high），现为“{low}”“{high}”"]
    return ["下限与上限（low、high）相同"] if a == b else []


class Scored(NamedTuple):
    """The index of every unit of one level: units (rank, region_code, region_name, parent_name)
    best first (ties in tree order); components (the configuration's rows with indicator, the
    name, and unit); and per unit × component matrices in those orders: value (in the indicator's
    unit), reference (the target, or the best value), score in [0, 1], points (score × weight)
    and note. The ranking (totals) reads the matrices; only a breakdown makes rows of them."""
    units: pd.DataFrame
    components: pd.DataFrame
    value: np.ndarray
    reference: np.ndarray
    score: np.ndarray
    points: np.ndarray
    note: np.ndarray


def scored(con, tree: Tree, catalog: Catalog, config: pd.DataFrame, region: str, level: int,
           period: Period, targets: Targets = None) -> Scored:
    """Every unit of `level` in region's subtree (tree.at_level, with or without data) scored by
    config. The period is cut at region's newest data (overview.view_period)."""
    shown = view_period(con, tree, region, period)
    units, ids = tree.at_level(region, level), list(config["indicator_id"])
    # one cursor per kind, side by side: 十堰市's townships 39 → 36 ms, 湖北省's 76 → 57 ms (all
    # 38,723 townships: 311 → 347 ms, the scans then contend for the two cores)
    kinds: dict[str, list[str]] = {}
    for i in ids:
        kinds.setdefault(catalog[i].kind, []).append(i)
    found = side_by_side(con, lambda cur, part: level_rows(cur, tree, catalog, region, part, shown, level),
                         list(kinds.values()))
    value = _matrix(units, ids, pa.concat_tables(found), "value")
    wanted = [i for i, r in zip(ids, config["rule"]) if r == "target"]
    if targets is None:
        targets = functools.partial(stored_targets, con, catalog)
    target = _matrix(units, ids, _targets(targets, units, wanted, shown), "target")
    reference, score, note = _score(config, value, target)
    points = score * config["weight"].to_numpy(float)
    total = points.sum(axis=1).round(6)   # float noise is no lead
    best, rank = ranks(total)
    named = tree.level_frame(region, level)   # units' names and parents' names, kept by the tree
    head = pd.DataFrame({"rank": rank[best].astype(int),
                         **{c: named[c].array.take(best) for c in ("region_code", "region_name", "parent_name")}})
    components = config.reset_index(drop=True).assign(indicator=[catalog[i].name_zh for i in ids],
                                                      unit=[catalog[i].unit for i in ids])
    return Scored(head, components, value[best], reference[best], score[best], points[best], note[best])


def breakdown(s: Scored) -> pd.DataFrame:
    """PART_COLUMNS, one row per unit × component, best rank first, components in config order
    (the CLI's --breakdown; 38,723 townships × 11 components make 425,953 rows)."""
    rows = np.repeat(np.arange(len(s.units)), len(s.components))   # the unit of each output row
    cols = np.tile(np.arange(len(s.components)), len(s.units))     # its component
    return pd.DataFrame({
        "rank": s.units["rank"].to_numpy()[rows],
        **{c: texts(s.units[c].to_numpy(object)[rows]) for c in ("region_code", "region_name", "parent_name")},
        **{c: texts(s.components[c].to_numpy(object)[cols]) for c in [*CONFIG_COLUMNS, "indicator", "unit"]},
        "value": s.value[rows, cols], "reference": s.reference[rows, cols], "score": s.score[rows, cols],
        "points": s.points[rows, cols], "note": texts(s.note[rows, cols])}, columns=PART_COLUMNS)


def _matrix(units: list[str], ids: list[str], frame: pd.DataFrame | pa.Table | None, column: str) -> np.ndarray:
    """frame's column (rows region_code, indicator_id) as a units × ids matrix, NaN where absent
    (rows of other regions or indicators are left out)."""
    m = np.full((len(units), len(ids)), np.nan)
    if frame is not None and len(frame):
        r, c = positions(frame["region_code"], units), positions(frame["indicator_id"], ids)
        keep = (r >= 0) & (c >= 0)
        m[r[keep], c[keep]] = np.asarray(frame[column], dtype=float)[keep]
    return m


def _targets(targets: Targets, units: list[str], ids: list[str], period: Period) -> pd.DataFrame | None:
    """region_code, indicator_id, target for the components with the target rule (None: none)."""
    if targets is None or not ids:
        return None
    frame = targets(units, ids, period) if callable(targets) else targets
    frame = frame[frame["indicator_id"].isin(ids)]
    if frame.duplicated(["region_code", "indicator_id"]).any():
        raise ValueError("targets: more than one target for a region and indicator")
    return frame


def _score(config: pd.DataFrame, value: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, ...]:
    """reference, score (0 when there is nothing to score) and note, units × components."""
    rule = config["rule"].to_numpy()[None, :]
    low, high = (config[c].to_numpy(float)[None, :] for c in ("low", "high"))
    best = pd.DataFrame(value).max().to_numpy(float)[None, :]   # NaN where no unit has a value
    reference = np.where(rule == "target", target, np.where(rule == "best", best, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(rule == "linear", (value - low) / (high - low),
                       value / np.where(reference > 0, reference, np.nan))
    score = np.nan_to_num(np.clip(raw, 0, 1), nan=0.0)
    no_data = np.isnan(value)
    no_target = (rule == "target") & ~(target > 0)   # none, or not a positive number
    best_zero = (rule == "best") & ~no_data & ~(best > 0)
    note = np.select([no_data & no_target, no_data, no_target, best_zero],
                     [f"{NO_DATA}；{NO_TARGET}", NO_DATA, NO_TARGET, BEST_ZERO], "")
    return reference, score, note


def totals(s: Scored) -> pd.DataFrame:
    """One row per unit, best first: rank, region_code, region_name, parent_name, score (the
    total points), then one column per category (its points), in config order."""
    categories = list(dict.fromkeys(s.components["category"]))
    of = pd.Index(categories).get_indexer(s.components["category"])
    m = np.stack([s.points[:, of == k].sum(axis=1) for k in range(len(categories))], axis=1) \
        if len(categories) else np.zeros((len(s.units), 0))
    return s.units.assign(score=m.sum(axis=1), **dict(zip(categories, m.T)))


def charted(s: Scored) -> pd.DataFrame:
    """totals() of the units with a value for at least one component: the charts' (a unit without
    any has 0 points for want of data, not for its work)."""
    return totals(s)[~np.isnan(s.value).all(axis=1)]


def scores(con, tree: Tree, catalog: Catalog, config: pd.DataFrame, region: str, level: int,
           period: Period, targets: Targets = None) -> pd.DataFrame:
    """The ranking: totals() of scored(), best first (ties share a rank: 1, 2, 2, 4)."""
    return totals(scored(con, tree, catalog, config, region, level, period, targets))


def config_rows(config: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The configuration as the page shows it (read-only), with Chinese headers."""
    return pd.DataFrame({
        "类别": config["category"], "指标": [catalog[i].name_zh for i in config["indicator_id"]],
        "单位": [catalog[i].unit for i in config["indicator_id"]], "权重（分）": config["weight"],
        "计分方法": [RULES[r] for r in config["rule"]],
        **{k: ["" if pd.isna(v) else f"{v:g}" for v in config[c]] for k, c in (("下限", "low"), ("上限", "high"))}})


def unit_rows(s: Scored, region_code: str) -> pd.DataFrame:
    """How one unit's score was made, as the page shows it: one row per component."""
    (i,) = np.flatnonzero(s.units["region_code"].to_numpy() == region_code)
    c = s.components
    return pd.DataFrame({
        "类别": c["category"], "指标": c["indicator"],
        "数值": [fmt_value(v, u) for v, u in zip(s.value[i], c["unit"])],
        "计分方法": [RULES[r] for r in c["rule"]],
        "参照值": [_reference(*r) for r in zip(c["rule"], s.reference[i], c["low"], c["high"], c["unit"])],
        "得分率": s.score[i] * 100, "权重（分）": c["weight"], "得分": s.points[i], "说明": s.note[i]})


def _reference(rule: str, value: float, low: float, high: float, unit: str) -> str:
    """目标 500.00万元, 最优 25个, or 60.0分→0，100.0分→满分."""
    if rule == "linear":
        return f"{fmt_value(low, unit)}→0，{fmt_value(high, unit)}→满分"
    return "" if pd.isna(value) else f"{'目标' if rule == 'target' else '最优'} {fmt_value(value, unit)}"


def bar_figure(table: pd.DataFrame, title: str, with_parent: bool) -> go.Figure:
    """Stacked horizontal bars of the TOP units of a ranking (totals()), one colour per category,
    the best on top, the total at the end of each bar. Names are data: plot_text; the axis is
    keyed by code (two townships may share a name), with_parent adds the parent to the label."""
    t = table.head(TOP).iloc[::-1]
    labels = [plot_text(f"{n}（{p}）" if with_parent else n) for n, p in zip(t["region_name"], t["parent_name"])]
    codes = t["region_code"].tolist()
    fig = go.Figure()
    for i, cat in enumerate(table.columns[5:]):
        fig.add_bar(y=codes, x=t[cat].tolist(), orientation="h", name=plot_text(cat),
                    marker_color=COLOURS[i % len(COLOURS)],
                    customdata=[[lab, fmt_value(v, "分")] for lab, v in zip(labels, t[cat])],
                    hovertemplate=f"%{{customdata[0]}}<br>{plot_text(cat)}：%{{customdata[1]}}<extra></extra>")
    fig.add_scatter(y=codes, x=t["score"].tolist(), mode="text", showlegend=False, hoverinfo="skip",
                    text=[fmt_value(v, "分") for v in t["score"]], textposition="middle right")
    tickvals, ticktext, _ = axis_ticks(t["score"], "分")
    fig.update_layout(
        barmode="stack", title=plot_text(title), height=140 + 26 * len(t), bargap=0.25,
        margin=dict(t=90, b=40, l=10, r=60), legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, traceorder="normal"),
        font_family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
    fig.update_yaxes(type="category", tickmode="array", tickvals=codes, ticktext=labels, automargin=True)
    return fig.update_xaxes(tickmode="array", tickvals=tickvals, ticktext=ticktext, title_text="得分（分）",
                            range=[0, max(tickvals[-1], t["score"].max() * 1.12)])
