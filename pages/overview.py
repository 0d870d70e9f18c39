"""总览: headline KPIs of a region and period, children bar chart (click to drill), children table."""
import pandas as pd
import streamlit as st

from tongzhan import figures, provenance_ui, ui
from tongzhan.markup import md
from tongzhan.overview import bar_chart, bars
from tongzhan.periods import Period

ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info, region, period = ui.region_and_period(ctx)
period = figures.view_period(ctx, region, period)   # like for like: cut at the region's newest data
indicator = ui.indicator_picker(catalog, catalog.headline()[0])
show_sources = st.session_state.get("bar_click") == "查看来源"   # else a click on a bar drills down
chart_key = f"bars_{region}_{indicator}_{period.key}" + ("_sources" if show_sources else "")
ui.page_header(ctx, info, "同心数据看板 · 总览", region, period,
               actions=lambda row: figures.export_buttons(row, ctx, region, period, indicator))

kpi = figures.kpis(ctx, ctx.path, ctx.version, region, period.key)
# The cards' deltas are 同比; what they compare is said once under the cards, and what a stock
# or rate rests on one line each: inside a card, a long note (or "同比" beside "+6.0个百分点")
# made the whole row tall and pushed the chart below the fold at 1366×768.
for col, row in zip(st.columns(len(kpi), border=True), kpi.itertuples()):
    parts = f"{row.numerator:,.0f} / {row.denominator:,.0f}" if pd.notna(row.denominator) else None
    col.metric(row.name, row.text, help=parts, **ui.delta_args(row.delta_text, None))
    if parts:
        col.caption(parts)
    elif pd.isna(row.value):   # — alone left the reader to guess
        col.caption("本期无上报数据")
    provenance_ui.button(col, ctx, region, row.indicator_id, period)
if any(ui.delta_args(d) for d in kpi["delta_text"]):
    row = kpi.iloc[0]
    st.caption(f"箭头为同比：与{Period(row['compare_from'], row['compare_to']).label}相比。")
for row in kpi[kpi["note"].astype(bool)].itertuples():
    st.caption(md(f"{row.name}：{row.note}"))

ind = catalog[indicator]
table = figures.children(ctx, ctx.path, ctx.version, region, indicator, period.key)
if table.empty:
    st.info(f"{md(tree.name[region])}没有下级区域。")
    st.stop()
if table["value"].notna().any():
    title = f"{tree.name[region]}各下级 · {ind.name_zh} · {period.label}"
    spec = bar_chart(table, title, ind.unit, "点击查看来源" if show_sources else "点击下钻")
    codes = list(bars(table)["region_code"])   # the bars' regions, left to right
    st.echarts_chart(spec, key=chart_key, height=420, renderer="svg", alt=title,
                     on_select=provenance_ui.on_pick(chart_key) if show_sources
                     else ui.drill_on_click(chart_key, codes))
    if code := ui.clicked_bar(provenance_ui.picked(chart_key), codes):
        provenance_ui.dialog(ctx, code, indicator, period)
    st.caption(("点击柱子查看该区域这个数字的数据来源。" if show_sources else "点击柱子可下钻到该区域。") + (
        "上级的得分：有本级得分时用本级得分，否则为有得分的直接下级得分的简单平均（不按人数或村数加权）；"
        "得分最多沿用一个季度。" if ind.kind == "score" else ""))
    st.segmented_control("点击柱子", ["下钻", "查看来源"], default="下钻", key="bar_click")
else:
    st.info(f"{md(tree.name[region])}的下级在{period.label}没有{ind.name_zh}数据。")

missing = int(table["value"].isna().sum())
if missing and not st.toggle(f"显示无数据的下级（{missing} 个）", key="show_missing"):
    table = table.dropna(subset=["value"])
shown = table.rename(columns={"region_name": "区域", "region_code": "代码", "text": ind.name_zh})
columns = ["区域", "代码", ind.name_zh]
if ind.kind == "ratio":
    shown["分子"] = shown["numerator"]
    shown["分母"] = shown["denominator"]
    columns += ["分子", "分母"]
if shown["units"].notna().any():  # stocks, rates and scores say how many units are behind
    shown["上报单位数"] = shown["units"]
    shown["沿用上期"] = shown["carried_units"]
    columns += ["上报单位数", "沿用上期"]
if shown["excluded_units"].fillna(0).gt(0).any():
    shown["只报分子或分母（未计入）"] = shown["excluded_units"]
    columns.append("只报分子或分母（未计入）")
if ind.kind == "score":
    shown["最早得分期间"] = [Period(a, b).label if pd.notna(b) else None
                             for a, b in zip(shown["oldest_start"], shown["oldest_end"])]
    columns.append("最早得分期间")
ui.static_table(shown[columns], numeric=(ind.name_zh,))
ui.drill_down(tree, region, table["region_code"])
