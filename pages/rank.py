"""排名: every region of one level inside the selected region, ranked by an indicator, with the
change of rank since the comparable period before, top and bottom N marked, Excel download."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tongzhan import exports, figures, provenance_ui, ui
from tongzhan.fmt import fixed, trimmed
from tongzhan.league import PER, first_and_last, per_options, value_text
from tongzhan.markup import md, plot_text
from tongzhan.overview import value_axis
from tongzhan.regions import LEVEL_NAMES
from tongzhan.snapshot import decimals, view_title

ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info, region, period = ui.region_and_period(ctx)
indicator = ui.indicator_picker(catalog, catalog.headline()[0])
level = ui.level_picker(tree, region)
ind = catalog[indicator]
per = None
if level is not None and (options := per_options(catalog, indicator, level)):
    per = st.sidebar.radio("折算", [None, *options], horizontal=True, key="rank_per",
                           format_func=lambda p: "不折算" if p is None else f"每{PER[p]}")
n = st.sidebar.number_input("标出前后名次数", 1, 50, 5, key="rank_n")

if level is None:
    ui.page_header(ctx, info, "同心数据看板 · 排名", region, period)
    st.info(f"{md(tree.name[region])}没有下级区域，无法排名。")
    st.stop()
table = figures.league_table(ctx, ctx.path, ctx.version, region, indicator, ui.chosen_period(period).key,
                        level, per)
shown, before, unit = table.attrs["period"], table.attrs["before"], table.attrs["unit"]
ui.page_header(ctx, info, "同心数据看板 · 排名", region, shown)
what = f"{tree.name[region]}各{LEVEL_NAMES[level]} · {ind.name_zh}" + (f"（每{PER[per]}）" if per else "")

parents = table.drop_duplicates("parent_code")
if len(parents) > 1:
    keep = st.multiselect("按上级筛选", parents["parent_code"], key=f"rank_parents_{region}_{level}",
                          format_func=tree.name.get, placeholder="全部")
    if keep:
        table = table[table["parent_code"].isin(keep)]
ranked = table.dropna(subset=["rank"])
if ranked.empty:
    st.info(f"本期尚无上报数据：{md(tree.name[region])}的{LEVEL_NAMES[level]}在{shown.label}没有{ind.name_zh}数据。")
    st.stop()
st.caption(f"{len(ranked):,} 个{LEVEL_NAMES[level]}有数据，共 {len(table):,} 个；名次变化与{before.label}相比"
           f"（{'同样月数' if ind.kind == 'flow' else '期末数'}），并列同名次。")

top, bottom = first_and_last(ranked, n)
# Ties share the mark (119 townships all at 100 % are all first): the chart draws at most
# max(n, 20) of each end, the table has them all.
most = max(n, 20)
first, last = (ranked[ranked["region_code"].isin(marked)] for marked in (top, bottom))
bars = pd.concat([first.head(most), last.tail(most)])
# The axis is keyed by code: 十堰市 has several 城关镇, which plotly would draw as one bar. Below
# the children's level each name carries its parent's.
with_parent = level != tree.child_level(region)
labels = [plot_text(f"{r.rank}. {r.region_name}" + (f"（{r.parent_name}）" if with_parent else ""))
          for r in bars.itertuples()]
fig = go.Figure(go.Bar(
    y=bars["region_code"].tolist(), x=bars["value"].tolist(), customdata=labels,
    orientation="h", text=[value_text(v, catalog, indicator, per) for v in bars["value"]], textposition="outside", cliponaxis=False,
    marker_color=["#2e7d32" if c in top else "#c0392b" for c in bars["region_code"]],
    hovertemplate="%{customdata}<br>%{text}<extra></extra>"))
fig.update_yaxes(type="category", tickmode="array", tickvals=bars["region_code"].tolist(), ticktext=labels)
fig.update_layout(title=plot_text(f"{what} · {shown.label} · {unit} · 前{n}名（绿）"
                                  + (f"与后{min(n, len(bottom))}名（红）" if bottom else "")),
                  height=120 + 28 * len(bars), margin=dict(t=60, b=40, l=10, r=60),
                  yaxis_autorange="reversed", font_family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
value_axis(fig, bars["value"], ind.unit, axis="x")
if per:   # 万元 (or 亿元 as the axis counts) per unit
    fig.update_xaxes(title_text=f"{fig.layout.xaxis.title.text}/{PER[per]}")
st.plotly_chart(fig, key=f"rank_{region}_{indicator}_{level}", config={"displayModeBar": False})   # English tooltips
if len(first) > most or len(last) > most:
    st.caption(f"并列的单位较多：标出的 {len(first) + len(last):,} 个单位中，图中每端最多画 {most} 个；"
               "全部名次见下表（绿色、红色底色为标出的单位）。")


def change(c) -> str:
    return "—" if pd.isna(c) else "持平" if c == 0 else f"↑{c}" if c > 0 else f"↓{-c}"


value_col = f"{ind.name_zh}（{unit}）"
out = pd.DataFrame({"名次": table["rank"], "区域": table["region_name"], "上级": table["parent_name"],
                    value_col: table["value"].round(4)})
parts = []   # the parts' headers with their units: 分子（个）, 分母（村(社区)数）
if ind.kind == "ratio":
    parts = [f"分子（{catalog[ind.numerator].unit}）", f"分母（{catalog[ind.denominator].unit}）"]
elif per:
    parts = [f"分子（{ind.unit}）", f"分母（{PER[per]}数）"]
if parts:
    out[parts[0]], out[parts[1]] = table["numerator"], table["denominator"]
out["上期名次"] = table["prev_rank"]
out["名次变化"] = [change(c) for c in table["rank_change"]]
out["代码"] = table["region_code"]
colour = {c: "background-color: #e8f5e9" for c in top} | {c: "background-color: #fdecea" for c in bottom}
styled = out.style.apply(lambda r: [colour.get(r["代码"], "")] * len(r), axis=1).format(
    {value_col: lambda v: fixed(v, 2), **dict.fromkeys(parts, lambda v: trimmed(v, 2))})   # 101, not 101.000000
rows_key = f"rank_rows_{region}_{indicator}_{level}_{shown.key}"
st.caption("点击表格左侧选中一行，可查看该单位这个数字的数据来源。")
st.dataframe(styled, hide_index=True, placeholder="—", width="stretch", key=rows_key, selection_mode="single-row",
             on_select=provenance_ui.on_pick(rows_key))
if (picked := provenance_ui.picked(rows_key)) and picked["rows"]:
    provenance_ui.dialog(ctx, out["代码"].iloc[picked["rows"][0]], indicator, shown)
ui.print_table(out, "rank")
sheet = exports.Table("排名", out, {value_col: exports.number_format(decimals(ind.unit))})
st.download_button(
    "下载 Excel", exports.tables_xlsx([sheet], view_title(tree.full_name(region), shown, info["demo"], what)),
    key="rank_xlsx",
    file_name=exports.file_name(tree.name[region], LEVEL_NAMES[level], ind.name_zh + (f"每{PER[per]}" if per else ""),
                                shown, ext="xlsx"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
