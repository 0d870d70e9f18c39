"""Provenance (数据来源) of a displayed figure: the facts it is made of, each with its period, batch,
file, uploader and time, and the facts of the region's subtree that the roll-up rule leaves out,
with the reason. The rules are those of rollup.py and the *_totals.sql queries; the queries
queries/sources_*.sql list, per rule, exactly the facts those queries add up:

- flow:  every fact summed in the period (one covered by a coarser report of the same region is
         listed as not counted);
- stock: each unit's latest value in effect at the period end (carried ones marked, with their
         own period; one too old to carry forward listed as not counted);
- ratio: each unit's numerator and denominator in effect (a unit with one part only listed as not
         counted);
- score: the scores averaged, with their share (weight) in the figure; a score overridden by its
         parent's (or an ancestor's) own score, or too old, listed as not counted.
"""
from __future__ import annotations

import pandas as pd

from .catalog import Catalog, Indicator
from .periods import Period
from .regions import LEVEL_NAMES, Tree
from .rollup import rules
from .store import query

COLUMNS = ["region_code", "region_name", "period", "value", "batch_id", "file_name", "uploader",
           "committed_at", "carried", "used", "reason", "level", "indicator_id", "part", "weight"]
REASONS = {
    "covered": "已按所含的季度或年度数计入，不重复计算",
    "stale": "上报时间过早，超过可沿用的期限，不计入",
    "one_part": "只报了分子或分母中的一项，不计入",
    "overridden": "上级有本级得分，用上级得分",
}
FREQUENCY = {1: "月", 3: "季度", 12: "年"}


def sources(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str,
            period: Period) -> pd.DataFrame:
    """COLUMNS, one row per fact of the region's subtree that the figure of indicator_id for
    region and period (rollup.compute, by="self") is made of (used) or that its rule leaves out
    (not used, reason in Chinese). period: the fact's own period key; carried: a stock, part
    or score older than the latest period due, counted all the same; part (ratios): 分子 or 分母;
    weight (scores): the share of the score in the figure (Σ weight × value is the figure).
    Counted rows first, then by region code and period."""
    ind = catalog[indicator_id]
    params = dict(region=region, depth=int(tree.depth[region]), end=period.end)
    if ind.kind == "flow":
        found = query(con, "sources_flow", indicator=indicator_id, start=period.start, **params)
    else:
        (rule,) = rules(catalog, [indicator_id], period.end)
        params |= dict(oldest=rule["oldest"], due=rule["due"])
        found = (query(con, "sources_ratio", num=ind.numerator, den=ind.denominator, **params)
                 if ind.kind == "ratio" else
                 query(con, f"sources_{ind.kind}", indicator=indicator_id, **params))
    return _frame(tree, ind, found)


def _frame(tree: Tree, ind: Indicator, found: pd.DataFrame) -> pd.DataFrame:
    """The query's rows with names, period keys, levels, parts and reasons in words, ordered."""
    out = found.assign(
        region_name=[tree.name.get(c, c) for c in found["region_code"]],
        period=[Period(a, b).key for a, b in zip(found["period_start"], found["period_end"])],
        used=found["reason"].isna(),
        reason=[REASONS.get(r, "") if isinstance(r, str) else "" for r in found["reason"]],
        level=[LEVEL_NAMES.get(int(tree.level[c])) if c in tree else None for c in found["region_code"]],
        part=[("分子" if i == ind.numerator else "分母") if ind.kind == "ratio" else None
              for i in found["indicator_id"]],
        batch_id=found["batch_id"].astype("Int64"),
        carried=found["carried"].astype(bool))
    out = out.sort_values("used", ascending=False, kind="stable", ignore_index=True)
    return out[COLUMNS]


def rule_text(ind: Indicator) -> str:
    """The roll-up rule of the indicator in words, as the 数据来源 dialog states it."""
    every = FREQUENCY.get(ind.months, "期")
    keep = f"最多沿用 {ind.carry} 个{every}的报送期，更早的不计入" if ind.carry is not None else ""
    if ind.kind == "flow":
        return ("流量：期内本级和全部下级各单位上报的数值相加；已报季度或年度数的，其中各月不再重复计入。")
    if ind.kind == "stock":
        return f"存量：每个单位取期末及以前最近一次上报的值，再相加（不跨月相加）；{keep}。"
    if ind.kind == "ratio":
        return ("比率：Σ分子 ÷ Σ分母（不平均各单位的比率）；分子、分母各取期末及以前最近一次上报的值，"
                "只报一部分的单位不计入。")
    return (f"得分：有本级得分用本级得分；否则取有得分的直接下级得分的简单平均，逐级向上；{keep}。"
            "“权重”为每个得分在结果中所占的份额。")
