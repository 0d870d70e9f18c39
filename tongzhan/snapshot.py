"""What one view (region, period, indicator) holds for an export: the figures of 总览, 趋势, 排名 and
目标, each taken from its own module (never computed here), with what a deck or a workbook prints
around them: the region's full name, the period shown, the data time and the demo mark."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from . import targets
from .targets import LIGHT_NAMES
from .catalog import Catalog
from .completeness import month_head, month_note, month_reporting
from .exports import Table, number_format, tables_xlsx
from .fmt import scale
from .league import league
from .overview import children, kpis, view_period
from .periods import Period
from .regions import LEVEL_NAMES, Tree
from .store import query
from .trend import default_span, series

SOURCE = "同心数据看板"


@dataclass(frozen=True)
class Snapshot:
    region: str
    region_name: str          # the full name: 湖北省十堰市
    short_name: str           # 十堰市
    period: Period            # as shown: cut at the newest month with data in the region
    indicator_id: str
    indicator_name: str
    unit: str
    kind: str
    demo: bool
    made: datetime            # when the export was made
    kpis: pd.DataFrame        # overview.kpis
    children: pd.DataFrame    # overview.children; empty when the region has none
    trend: pd.DataFrame       # trend.series of the region, the 24 months up to the period's end
    level: int | None         # the level below the region (None: there is none)
    league: pd.DataFrame      # league.league of that level; empty when there is none
    targets: pd.DataFrame     # targets.completion of the region for the period's year
    month_note: str = ""      # completeness.month_note when the last month is still coming in
    month_head: str = ""      # its first part (how many reported), for the footer and the title

    @property
    def data_time(self) -> str:
        return f"数据截至{self.period.end.year}年{self.period.end.month}月"

    @property
    def caveat(self) -> str:
        """' · 2026年11月已有 2 个…上月为 114 个，本月尚未报齐' when the last month is still coming in."""
        return f" · {self.month_head}，本月尚未报齐" if self.month_head else ""

    @property
    def title(self) -> str:
        return view_title(self.region_name, self.period, self.demo) + self.caveat

    @property
    def footer(self) -> str:
        return f"来源：{SOURCE} · {self.data_time}{self.caveat} · 导出于 {self.made:%Y-%m-%d %H:%M}" + (
            " · 演示数据" if self.demo else "")

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, "")


def view_title(region_name: str, period: Period, demo: bool, what: str = "") -> str:
    """湖北省十堰市 (· what) · 2026年1月—2026年10月 · 数据截至2026年10月 (· 演示数据): the title row of
    an exported table; period as shown (cut at the newest data)."""
    parts = [region_name, *([what] if what else []), period.label,
             f"数据截至{period.end.year}年{period.end.month}月", *(["演示数据"] if demo else [])]
    return " · ".join(parts)


def take(con, tree: Tree, catalog: Catalog, region: str, period: Period,
         indicator_id: str | None = None, made: datetime | None = None) -> Snapshot:
    """The figures of a view: period as chosen (the figures cut it at the region's newest data
    like the pages do); indicator_id defaults to the first headline indicator."""
    ind = catalog[indicator_id or catalog.headline()[0]]
    shown = view_period(con, tree, region, period)
    level = tree.child_level(region)   # 东莞市: its children are townships
    has_children = level is not None
    counts = month_reporting(con, tree, region, shown.end)
    note = month_note(tree, region, shown.end, counts)
    return Snapshot(
        region=region, region_name=tree.full_name(region), short_name=tree.name[region],
        period=shown, indicator_id=ind.id, indicator_name=ind.name_zh, unit=ind.unit,
        kind=ind.kind, demo=bool(query(con, "is_demo").iloc[0]["demo"]),
        made=made or datetime.now().replace(second=0, microsecond=0),
        kpis=kpis(con, tree, catalog, region, period),
        children=children(con, tree, catalog, region, ind.id, shown) if has_children else pd.DataFrame(),
        trend=series(con, tree, catalog, region, ind.id, default_span(shown.end)),
        level=level,
        league=league(con, tree, catalog, region, ind.id, period, level) if level else pd.DataFrame(),
        targets=_named(catalog, targets.completion(con, tree, catalog, region, shown.end.year)),
        month_note=note[0] if note else "", month_head=month_head(tree, region, shown.end, counts) or "")


def _named(catalog: Catalog, table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(name=[catalog[i].name_zh for i in table["indicator_id"]])


def decimals(unit: str) -> int:
    """Decimals of a value in its own unit, as fmt writes it unscaled: 万元 2, % and 分 1, counts 0."""
    return scale(0, unit)[2]


MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "png": "image/png"}


def tables(snap: Snapshot) -> list[Table]:
    """The view's tables for a workbook: numbers as numbers in the indicator's unit (the unit in
    the header, or in a 单位 column where rows differ), codes as text."""
    head = f"{snap.indicator_name}（{snap.unit}）"
    fmt = number_format(decimals(snap.unit))
    k = snap.kpis
    out = [Table("指标概览", pd.DataFrame({
        "指标": k["name"], "单位": k["unit"], "本期": k["value"].astype(float),
        "去年同期": k["compare_value"].astype(float), "同比": k["delta_text"], "说明": k["note"]}),
        {c: [number_format(decimals(u)) for u in k["unit"]] for c in ("本期", "去年同期")})]
    if len(snap.children):
        c = snap.children
        frame = pd.DataFrame({"区域": c["region_name"], "代码": c["region_code"],
                              head: c["value"].astype(float)})
        if snap.kind == "ratio":
            frame["分子"], frame["分母"] = c["numerator"].astype(float), c["denominator"].astype(float)
        out.append(Table("下级对比", frame, {head: fmt, "分子": number_format(0), "分母": number_format(0)}))
    if len(snap.league):
        g = snap.league
        out.append(Table(f"{snap.level_name}排名", pd.DataFrame({
            "名次": g["rank"].astype(float), "区域": g["region_name"], "代码": g["region_code"],
            "上级": g["parent_name"], head: g["value"].astype(float),
            "上期名次": g["prev_rank"].astype(float)}),
            {head: fmt, "名次": number_format(0), "上期名次": number_format(0)}))
    out.append(trend_table(snap.trend, snap.indicator_name, snap.unit, snap.kind))
    if len(snap.targets):
        out.append(targets_table(snap.targets, snap.targets["name"], f"{snap.period.end.year}年目标"))
    return out


def workbook(snap: Snapshot) -> bytes:
    """The view's tables as an .xlsx, one sheet each, titled with region, period and data time."""
    return tables_xlsx(tables(snap), snap.title)


def trend_table(t: pd.DataFrame, name: str, unit: str, kind: str, sheet: str = "月度趋势") -> Table:
    """A trend.series frame as a sheet: the period, the region when there are several, the value
    and 本年累计 (flows) as numbers, 同比 and 环比 as the page writes them (个百分点 for rates)."""
    head, fmt = f"{name}（{unit}）", number_format(decimals(unit))
    regions = {"区域": t["region_name"]} if t["region_code"].nunique() > 1 else {}
    frame = pd.DataFrame({"期间": t["label"], **regions, head: t["value"].astype(float),
                          "同比": t["yoy_text"], "环比": t["mom_text"]})
    if kind == "flow":
        frame[f"本年累计（{unit}）"] = t["ytd"].astype(float)
    return Table(sheet, frame, {head: fmt, f"本年累计（{unit}）": fmt})


def targets_table(t: pd.DataFrame, names: list[str], sheet: str) -> Table:
    """A targets.completion frame (names: its indicators' names) as a sheet: numbers in each
    row's unit, rates as percentages, the region when there are several."""
    regions = {"区域": t["region_name"]} if t["region_code"].nunique() > 1 else {}
    frame = pd.DataFrame({
        **regions, "指标": list(names), "单位": t["unit"],
        "目标": t["target"].astype(float), "实际": t["actual"].astype(float),
        "应完成": t["due"].astype(float), "完成率": t["completion"].astype(float),
        "进度": t["progress"].astype(float), "进度灯": [LIGHT_NAMES.get(x, "—") for x in t["light"]]})
    row_formats = [number_format(decimals(u)) for u in t["unit"]]
    return Table(sheet, frame, {"目标": row_formats, "实际": row_formats, "应完成": row_formats,
                                "完成率": "0.0%", "进度": "0.0%"})
