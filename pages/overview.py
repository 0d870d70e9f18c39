"""总览: headline KPIs of a region and period, children bar chart (click to drill), children table."""
import streamlit as st

from tongzhan import ui
from tongzhan.overview import bar_figure

ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info, region, period = ui.region_and_period(ctx)
indicator = ui.indicator_picker(catalog, catalog.headline()[0])
ui.page_header(ctx, info, "同心数据看板 · 总览", region, period)

kpi = ui.kpis(ctx, ctx.path, ctx.version, region, period.key)
for col, row in zip(st.columns(len(kpi), border=True), kpi.itertuples()):
    help_text = None
    if row.unit == "%" and row.denominator == row.denominator and row.denominator is not None:
        help_text = f"{row.numerator:,.0f} / {row.denominator:,.0f}"
    col.metric(row.name, row.text, help=help_text, **ui.delta_args(row.delta))
    if help_text:
        col.caption(help_text)

ind = catalog[indicator]
table = ui.children(ctx, ctx.path, ctx.version, region, indicator, period.key)
if table.empty:
    st.info(f"{tree.name[region]}没有下级区域。")
    st.stop()
if table["value"].notna().any():
    fig = bar_figure(table, f"{tree.name[region]}各下级 · {ind.name_zh} · {period.label}", ind.unit)
    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points",
                            key=f"bars_{region}_{indicator}_{period.key}")
    points = event.selection.points if event else []
    if points:
        ui.go_to_region(points[0]["customdata"])
    st.caption("点击柱子可下钻到该区域。")
else:
    st.info(f"{tree.name[region]}的下级在{period.label}没有{ind.name_zh}数据。")

missing = int(table["value"].isna().sum())
if missing and not st.toggle(f"显示无数据的下级（{missing} 个）", key="show_missing"):
    table = table.dropna(subset=["value"])
shown = table.rename(columns={"region_name": "区域", "region_code": "代码", "text": ind.name_zh})
columns = ["区域", "代码", ind.name_zh]
if ind.kind == "ratio":
    shown["分子"] = shown["numerator"]
    shown["分母"] = shown["denominator"]
    columns += ["分子", "分母"]
if shown["reported"].notna().any():  # stocks, rates and scores say how many units are behind
    shown["上报单位数"] = shown["reported"]
    columns.append("上报单位数")
st.dataframe(shown[columns], hide_index=True, width="stretch")
ui.drill_down(tree, region, table["region_code"])
