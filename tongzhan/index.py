"""综合指数 (百分考核): weighted points per unit at one administrative level, configured in
data/index.csv, one row per component: category, indicator_id, weight (points), rule, low, high.

Component values are the catalog's roll-ups (rollup.at_level); this module only turns each into a
score in [0, 1] and weighs it (points = score × weight):
- target: min(value / target, 1); targets come from the caller (none given: 0 points, 无目标值);
- best:   value / the largest value among the units ranked (1 for the best);
- linear: low → 0, high → 1, linear between and clipped to [0, 1] (high < low: lower is better).
A unit without a value for a component gets 0 points for it (无数据).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .catalog import Catalog
from .fmt import axis_ticks, fmt_value
from .markup import plot_text
from .overview import view_period
from .periods import Period
from .regions import LEVEL_NAMES, Tree
from .rollup import at_level
from .store import ROOT, StoreError

INDEX_CSV = ROOT / "data" / "index.csv"
CONFIG_COLUMNS = ["category", "indicator_id", "weight", "rule", "low", "high"]
RULES = {"target": "目标完成率（封顶100%）", "best": "与最优单位之比", "linear": "线性（下限0分，上限满分）"}
LEVELS = {"city": 2, "county": 3, "township": 4}   # the --level / URL names of administrative levels
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


def levels_below(tree: Tree, region: str) -> list[str]:
    """The LEVELS names of the levels that can be ranked inside region (those below it)."""
    return [k for k, v in LEVELS.items() if v > tree.level[region]]


def level_of(tree: Tree, region: str, name: str) -> int:
    """The administrative level named by `name` (city, county, township), checked against region."""
    if name not in LEVELS:
        raise StoreError(f"未知的层级：{name}（可用：city 市(州)、county 县(市、区)、township 乡镇(街道)）")
    if name not in levels_below(tree, region):
        raise StoreError(f"{tree.name[region]}是{LEVEL_NAMES[tree.level[region]]}，"
                         f"其下没有可排名的{LEVEL_NAMES[LEVELS[name]]}")
    return LEVELS[name]


def breakdown(con, tree: Tree, catalog: Catalog, config: pd.DataFrame, region: str, level: int,
              period: Period, targets: Targets = None) -> pd.DataFrame:
    """PART_COLUMNS, one row per unit of `level` in region's subtree (tree.at_level, with or
    without data) × component, best rank first, components in config order. The period is cut
    at region's newest data (overview.view_period). value in the indicator's unit; reference:
    the target (target) or the best value (best); score in [0, 1]; points = score × weight."""
    shown = view_period(con, tree, region, period)
    units = tree.at_level(region, level)
    grid = pd.DataFrame({"region_code": np.repeat(np.array(units, dtype=object), len(config)),
                         "position": np.tile(np.arange(len(config)), len(units))})
    grid = grid.join(config.reset_index(drop=True), on="position")
    found = at_level(con, tree, catalog, region, list(config["indicator_id"]), shown, level)
    found = found[["region_code", "indicator_id", "value"]].astype({"region_code": object,
                                                                     "indicator_id": object})
    grid = grid.merge(found, how="left",
                      on=["region_code", "indicator_id"])
    wanted = list(config.loc[config["rule"] == "target", "indicator_id"])
    grid = grid.merge(_targets(targets, units, wanted, shown), how="left",
                      on=["region_code", "indicator_id"])
    _score(grid)
    grid["points"] = grid["score"] * grid["weight"]
    total = grid.groupby("region_code", sort=False)["points"].sum().round(6)   # float noise is no lead
    grid["rank"] = grid["region_code"].map(total.rank(method="min", ascending=False)).astype(int)
    grid["region_name"] = [tree.name[c] for c in grid["region_code"]]
    grid["parent_name"] = [tree.name.get(tree.parent[c], "") for c in grid["region_code"]]
    grid["indicator"] = [catalog[i].name_zh for i in grid["indicator_id"]]
    grid["unit"] = [catalog[i].unit for i in grid["indicator_id"]]
    grid["order"] = np.repeat(np.arange(len(units)), len(config))
    return grid.sort_values(["rank", "order", "position"], ignore_index=True)[PART_COLUMNS]


def _targets(targets: Targets, units: list[str], ids: list[str], period: Period) -> pd.DataFrame:
    """region_code, indicator_id, target for the components with the target rule."""
    empty = pd.DataFrame({"region_code": [], "indicator_id": [], "target": []}).astype(
        {"region_code": object, "indicator_id": object, "target": float})
    if targets is None or not ids:
        return empty
    frame = targets(units, ids, period) if callable(targets) else targets
    frame = frame.loc[frame["indicator_id"].isin(ids), ["region_code", "indicator_id", "target"]]
    if frame.duplicated(["region_code", "indicator_id"]).any():
        raise ValueError("targets: more than one target for a region and indicator")
    return pd.concat([empty, frame]).astype({"target": float})


def _score(grid: pd.DataFrame) -> None:
    """Add reference, score (0 when there is nothing to score) and note to the grid in place."""
    value, rule = grid["value"], grid["rule"]
    best = grid.groupby("indicator_id")["value"].transform("max")
    grid["reference"] = np.select([rule == "target", rule == "best"], [grid["target"], best], np.nan)
    ref = grid["reference"].where(grid["reference"] > 0)
    linear = (value - grid["low"]) / (grid["high"] - grid["low"])
    grid["score"] = (value / ref).where(rule != "linear", linear).clip(0, 1).fillna(0.0)
    no_data = value.isna()
    no_target = (rule == "target") & ~(grid["target"] > 0)   # none, or not a positive number
    best_zero = (rule == "best") & ~no_data & (best <= 0)
    grid["note"] = np.select([no_data & no_target, no_data, no_target, best_zero],
                             [f"{NO_DATA}；{NO_TARGET}", NO_DATA, NO_TARGET, BEST_ZERO], "")


def totals(parts: pd.DataFrame) -> pd.DataFrame:
    """One row per unit of a breakdown: rank, region_code, region_name, parent_name, score (the
    total points), then one column per category (its points), categories in config order."""
    keys = ["rank", "region_code", "region_name", "parent_name"]
    units = parts.drop_duplicates("region_code")[keys].set_index("region_code", drop=False)
    by = parts.groupby(["region_code", "category"], sort=False)["points"].sum().unstack("category")
    categories = list(dict.fromkeys(parts["category"]))
    out = units.assign(score=parts.groupby("region_code")["points"].sum()).join(by[categories])
    return out.reset_index(drop=True)


def scores(con, tree: Tree, catalog: Catalog, config: pd.DataFrame, region: str, level: int,
           period: Period, targets: Targets = None) -> pd.DataFrame:
    """The ranking: totals() of breakdown(), best first (ties share a rank: 1, 2, 2, 4)."""
    return totals(breakdown(con, tree, catalog, config, region, level, period, targets))


def config_rows(config: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The configuration as the page shows it (read-only), with Chinese headers."""
    return pd.DataFrame({
        "类别": config["category"], "指标": [catalog[i].name_zh for i in config["indicator_id"]],
        "单位": [catalog[i].unit for i in config["indicator_id"]], "权重（分）": config["weight"],
        "计分方法": [RULES[r] for r in config["rule"]], "下限": config["low"], "上限": config["high"]})


def unit_rows(parts: pd.DataFrame, region_code: str) -> pd.DataFrame:
    """How one unit's score was made, as the page shows it: one row per component."""
    p = parts[parts["region_code"] == region_code]
    return pd.DataFrame({
        "类别": p["category"], "指标": p["indicator"],
        "数值": [fmt_value(v, u) for v, u in zip(p["value"], p["unit"])],
        "计分方法": [RULES[r] for r in p["rule"]],
        "参照值": [_reference(*r) for r in zip(p["rule"], p["reference"], p["low"], p["high"], p["unit"])],
        "得分率": p["score"] * 100, "权重（分）": p["weight"], "得分": p["points"], "说明": p["note"]})


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
