"""趋势: a region's indicator by month, quarter or year over a span, with 同比/环比, its children
as lines on demand (the top five by latest value, the rest selectable)."""
from datetime import date

import streamlit as st

from tongzhan import exports, figures, provenance_ui, snapshot, trend, ui
from tongzhan.snapshot import view_title
from tongzhan.markup import md
from tongzhan.periods import GRAIN_NAMES, Period, cut_note


def span_picker(first: date, last: date) -> tuple[str, Period]:
    """粒度 and 起止月份 in the sidebar, from the URL (grain, span), else this session's last
    choice, else months over the last 24 months up to the newest data."""
    grain = ui.kept("grain", trend.GRAINS.__contains__, "month")
    st.session_state["trend_grain"] = grain
    st.sidebar.radio("粒度", list(trend.GRAINS), key="trend_grain", horizontal=True,
                     format_func=GRAIN_NAMES.get,
                     on_change=lambda: ui.keep("grain", st.session_state["trend_grain"]))
    months = [p.key for p in trend.grain_periods(Period(first, last), "month")]
    span = Period.parse(ui.kept("span", ui.parses, trend.default_span(last).key))
    a, b = span.start.strftime("%Y-%m"), span.end.strftime("%Y-%m")
    a, b = (a if a in months else months[0]), (b if b in months else months[-1])
    st.sidebar.select_slider(
        "起止月份", months, value=(a, b) if a <= b else (months[0], months[-1]), key="trend_span",
        on_change=lambda: ui.keep("span", Period.parse("~".join(st.session_state["trend_span"])).key))
    chosen = st.session_state["trend_span"]
    ui.keep("span", Period.parse("~".join(chosen)).key)
    return grain, Period.parse(st.query_params["span"])


ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info = ui.data_info(ctx.path, ctx.version, date.today())
if info["last"] is None:
    st.info("数据库中还没有任何数据，请先在“数据上报”页导入。")
    st.stop()
region = ui.url_region(tree)
indicator = ui.indicator_picker(catalog, catalog.headline()[0])
grain, span = span_picker(info["first"], info["last"])
ind = catalog[indicator]

ui.title_row("同心数据看板 · 趋势", info["demo"])
ui.breadcrumbs(tree, region)
own = figures.trend_series(ctx, ctx.path, ctx.version, region, indicator, span.key, grain, "self")
st.subheader(f"{md(tree.full_name(region))} · {ind.name_zh} · {GRAIN_NAMES[grain]}")
if own.empty or own["value"].isna().all():
    st.info(f"本期尚无上报数据：{md(tree.name[region])}在{span.label}没有{ind.name_zh}的数据。")
    st.stop()
for row in own[own["partial"]].itertuples():
    st.caption(cut_note(Period.parse(row.period), Period(row.start, row.end)) + "图中以空心点表示。")
ui.month_caveat(ctx, region, own.loc[own["value"].notna(), "end"].max())   # its last month still coming in

kids = tree.children(region)
lines = own
if st.sidebar.toggle("显示下级", key="trend_children", disabled=not kids,
             help=None if kids else "该区域没有下级区域（乡镇的村、社区由上报数据添加）。"):
    below = figures.trend_series(ctx, ctx.path, ctx.version, region, indicator, span.key, grain, "children")
    ranked = trend.ranked_regions(below)
    picked = st.multiselect("下级区域（默认为最新一期数值最高的5个）", ranked, default=ranked[:5],
                            format_func=tree.name.get, key=f"trend_pick_{region}_{indicator}")
    lines = below[below["region_code"].isin(picked)].sort_values(
        "region_code", key=lambda codes: codes.map(picked.index), kind="stable")
    if lines["value"].isna().all():
        st.info("所选下级区域在本期尚无上报数据，下图为本级。")
        lines = own

who = tree.name[region] if lines is own else f"{tree.name[region]}各下级"
title = " · ".join([who, ind.name_zh, trend.span_label(own), trend.axis_unit(lines, ind.unit)])
# no plotly toolbar (its tooltips are English; the page has its own downloads), as on 综合指数 and 报送情况
st.plotly_chart(trend.figure(lines, title, ind.unit), key="trend_chart", config={"displayModeBar": False})
if ind.kind != "flow":
    st.caption("存量、比率和得分取每期期末的值；同比为上年同期末、环比为上一期末的值。")
table = trend.display_table(lines, ind.unit, ind.kind)
rows_key = f"trend_rows_{region}_{indicator}_{grain}_{span.key}"
st.caption("点击表格左侧选中一行，可查看这一期这个数字的数据来源。")
st.dataframe(table, hide_index=True, placeholder="—", width="stretch", key=rows_key, selection_mode="single-row",
             on_select=provenance_ui.on_pick(rows_key))
if (picked := provenance_ui.picked(rows_key)) and picked["rows"]:
    point = trend.table_order(lines).iloc[picked["rows"][0]]
    provenance_ui.dialog(ctx, point["region_code"], indicator, Period(point["start"], point["end"]))
ui.print_table(table, "trend")
shown = Period(lines["start"].min(), lines["end"].max())
sheet = snapshot.trend_table(lines, ind.name_zh, ind.unit, ind.kind, f"{GRAIN_NAMES[grain]}趋势")
st.download_button(
    "下载 Excel", lambda: exports.tables_xlsx([sheet], view_title(
        tree.full_name(region), shown, info["demo"],
        f"{ind.name_zh}{GRAIN_NAMES[grain]}趋势" + ("" if lines is own else "（各下级）"))),
    file_name=exports.file_name(tree.name[region], ind.name_zh, f"{GRAIN_NAMES[grain]}趋势", shown, ext="xlsx"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore", key="trend_xlsx")
if kids:
    ui.drill_down(tree, region, kids)
