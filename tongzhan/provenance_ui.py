"""The 数据来源 dialog: where a displayed figure came from (sources.sources), with the rule applied
in words, the contributing units and their values (period, batch, file, uploader, time, carried
ones marked), the facts left out and why, and an Excel download. Opened from the overview's
cards (a 来源 button each), its children chart (a clicked bar, when 点击柱子 is 查看来源) and a
row of the 排名 table. User text (region names, file names, uploaders) stays text: the table
is an st.dataframe (cells are never markup) and the export goes through tongzhan.exports."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from . import exports
from .fmt import fmt_value
from .markup import md
from .periods import Period
from .rollup import indicator_table
from .snapshot import decimals, view_title
from .sources import rule_text, sources
from .store import cursor
from .ui import Context, data_info

_QUEUE = "sources_queued"   # (widget key, selection) of the last pick in a chart or table


@st.cache_data(max_entries=64, show_spinner="正在查找数据来源…")
def rows(_ctx: Context, path: str, version: str, region: str, indicator_id: str,
         period_key: str) -> tuple[pd.DataFrame, pd.Series]:
    """sources.sources of the view, and its figure: rollup.indicator_table's row, as the pages
    compute it (value, numerator, denominator, ...)."""
    period = Period.parse(period_key)
    with cursor(_ctx.con) as cur:
        found = sources(cur, _ctx.tree, _ctx.catalog, region, indicator_id, period)
        figure = indicator_table(cur, _ctx.tree, _ctx.catalog, region, indicator_id, period).iloc[0]
    return found, figure


def table(found: pd.DataFrame, catalog, indicator_id: str) -> pd.DataFrame:
    """The rows with Chinese headers, as the dialog and its Excel file show them."""
    ind = catalog[indicator_id]
    out = pd.DataFrame({
        "区域": found["region_name"], "代码": found["region_code"], "层级": found["level"],
        "期间": [Period.parse(k).label for k in found["period"]]})
    if ind.kind == "ratio":
        out["分子/分母"] = found["part"]
    out["数值"] = found["value"]
    out["单位"] = [catalog[i].unit for i in found["indicator_id"]]
    if ind.kind == "score":
        out["权重"] = found["weight"]
    out["沿用上期数"] = ["沿用" if c else "" for c in found["carried"]]
    out["是否计入"] = ["计入" if u else "未计入" for u in found["used"]]
    out["未计入原因"] = found["reason"]
    out["批次"] = found["batch_id"]
    out["文件"] = found["file_name"]
    out["上传人"] = found["uploader"]
    out["导入时间"] = [t.strftime("%Y-%m-%d %H:%M:%S") if pd.notna(t) else None for t in found["committed_at"]]
    return out


def xlsx(shown: pd.DataFrame, catalog, title: str) -> bytes:
    """The table as an .xlsx: numbers as numbers (each row in its unit's decimals), text as text."""
    formats = {"数值": [exports.number_format(decimals(u)) for u in shown["单位"]], "权重": "0.00%"}
    return exports.tables_xlsx([exports.Table("数据来源", shown, formats)], title)


@st.dialog("数据来源", width="large")
def dialog(ctx: Context, region: str, indicator_id: str, period: Period) -> None:
    """The provenance of the figure of indicator_id for region over period (as shown: cut at
    the newest data like the page's figure)."""
    tree, catalog = ctx.tree, ctx.catalog
    ind = catalog[indicator_id]
    found, figure = rows(ctx, ctx.path, ctx.version, region, indicator_id, period.key)
    what = f"{tree.full_name(region)} · {ind.name_zh} · {period.label}"
    value = fmt_value(figure["value"], ind.unit)
    if ind.kind == "ratio" and pd.notna(figure["value"]):
        parts = [fmt_value(figure[p], catalog[i].unit) for p, i in
                 (("numerator", ind.numerator), ("denominator", ind.denominator))]
        value = f"{parts[0]} ÷ {parts[1]} = {value}"
    st.markdown(f"**{md(what)}**：{md(value)}")
    rule = rule_text(ind) + (f"分子：{catalog[ind.numerator].name_zh}；分母：{catalog[ind.denominator].name_zh}。"
                             if ind.kind == "ratio" else "")
    st.caption(md(rule))
    used = found[found["used"]]
    counted = (f"计入 {len(used):,} 条（{used['region_code'].nunique():,} 个单位）"
               + (f"，其中 {int(used['carried'].sum()):,} 条沿用上期数" if used["carried"].any() else "")
               + (f"；未计入 {len(found) - len(used):,} 条，原因见表" if len(used) < len(found) else "") + "。")
    st.markdown(md(counted) if len(found) else f"{md(what)}没有上报数据。")
    if found.empty:
        return
    shown = table(found, catalog, indicator_id)
    st.dataframe(shown, hide_index=True, placeholder="—", width="stretch", key="sources_table",
                 column_config={"数值": st.column_config.NumberColumn(format="localized"),
                                "权重": st.column_config.NumberColumn(format="percent")})
    demo = data_info(ctx.path, ctx.version, date.today())["demo"]
    title = view_title(tree.full_name(region), period, demo, f"{ind.name_zh} · 数据来源 · {rule}")
    st.download_button(
        "下载 Excel", data=lambda: xlsx(shown, catalog, title), on_click="ignore", key="sources_xlsx",
        file_name=exports.file_name(tree.name[region], ind.name_zh, period, "数据来源", ext="xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.caption("命令行：")
    st.code(f"python -m tongzhan sources --region {region} --indicator {indicator_id} --period {period.key}",
            language="bash")


def button(container, ctx: Context, region: str, indicator_id: str, period: Period) -> None:
    """A small 来源 button (in a card) that opens the dialog for that figure."""
    if container.button("来源 ›", key=f"sources_{indicator_id}", type="tertiary",
                        help="这个数字由哪些上报数据构成"):
        dialog(ctx, region, indicator_id, period)


def on_pick(widget_key: str):
    """An on_select callback for a chart or table: remembers the new selection, so that the page
    opens the dialog once for it (picked) and not again on later runs."""
    def remember() -> None:
        st.session_state[_QUEUE] = (widget_key, st.session_state[widget_key]["selection"])
    return remember


def picked(widget_key: str) -> dict | None:
    """The selection made in that widget since the last run (then forgotten), or None."""
    queued = st.session_state.get(_QUEUE)
    if queued is None or queued[0] != widget_key:
        return None
    del st.session_state[_QUEUE]
    return queued[1]
