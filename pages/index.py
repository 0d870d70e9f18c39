"""综合指数 (百分考核): every unit of one level inside the region scored by data/index.csv, ranked by
total with points by category, the top units as stacked bars, one unit's breakdown, the weights."""
import streamlit as st

from tongzhan import figures, index, ui
from tongzhan.exports import Table, csv_bytes, file_name, number_format, tables_xlsx
from tongzhan.snapshot import view_title
from tongzhan.markup import md
from tongzhan.regions import LEVEL_NAMES


def table_height(rows: int, most: int = 40) -> int:
    """Pixels for a table of rows (at most `most` shown, the rest scroll): no empty rows below."""
    return 35 * (min(rows, most) + 1) + 3


ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info, region, period = ui.region_and_period(ctx)
period = figures.view_period(ctx, region, period)   # like for like: cut at the region's newest data
level = ui.level_picker(tree, region)
ui.page_header(ctx, info, "同心数据看板 · 综合指数", region, period)
if level is None:
    st.info(f"{md(tree.name[region])}是{LEVEL_NAMES[tree.level[region]]}，其下没有可排名的单位，"
            "请在上方路径中返回上级区域。")
    st.stop()
unit_name = LEVEL_NAMES[level]

stamp = figures.index_stamp()
try:
    config = figures.index_config(ctx, ctx.path, ctx.version, stamp)
except index.ConfigError as e:
    st.error(md(str(e)))
    st.stop()
scored = figures.index_scored(ctx, ctx.path, ctx.version, region, level, period.key, stamp)
table = index.totals(scored)
full = config["weight"].sum()
categories = list(table.columns[5:])
st.caption(f"按 data/index.csv 的 {len(config)} 项指标、{len(categories)} 类计分，满分 {full:g} 分："
           "每项得分 = 得分率 × 权重；无数据的项不得分。并列时名次相同（1、2、2、4）。")
if table.empty:
    st.info(f"{md(tree.name[region])}之下没有{unit_name}。")
    st.stop()
charted = index.charted(scored)
if charted.empty:
    st.info(f"{md(tree.name[region])}的{unit_name}在{period.label}尚无上报数据，全部为 0 分。")
else:
    title = f"{tree.name[region]}各{unit_name}综合指数 · {period.label}（前 {min(index.TOP, len(charted))} 名，分）"
    st.plotly_chart(index.bar_figure(charted, title, with_parent=level > tree.level[region] + 1),
                    config={"displayModeBar": False}, key=f"index_{region}_{level}_{period.key}")
    if others := len(table) - len(charted):
        st.caption(f"另有 {others:,} 个{unit_name}在{period.label}没有任何一项数据（计 0 分），"
                   "未列入图中，排名表中仍列出。")

st.markdown(f"#### 排名（{len(table):,} 个{unit_name}）")
shown = table.rename(columns={"rank": "排名", "region_name": "区域", "parent_name": "上级",
                              "region_code": "代码", "score": "总分"})
number = {c: st.column_config.NumberColumn(c, format="%.1f") for c in categories}
st.dataframe(shown, hide_index=True, placeholder="—", width="stretch", height=table_height(len(shown), 10), column_config={
    "总分": st.column_config.ProgressColumn("总分", format="%.1f", min_value=0.0, max_value=float(full)),
    **number})
ui.print_table(shown, "index")
name = (tree.name[region], unit_name, "综合指数", period)
points = {c: f"{c}（分）" for c in ["总分", *categories]}   # the downloads say the unit in the header
exported = shown.rename(columns=points)
row = st.container(horizontal=True, gap="small")
row.download_button("下载 CSV", lambda: csv_bytes(exported, float_format="%.2f"),
                    file_name=file_name(*name, ext="csv"), mime="text/csv",
                    icon=":material/download:", on_click="ignore", key="dl_csv")
title = view_title(tree.full_name(region), period, info["demo"], f"各{unit_name}综合指数")
sheet = Table("综合指数", exported, dict.fromkeys(points.values(), number_format(1)))
row.download_button("下载 Excel", lambda: tables_xlsx([sheet], title), file_name=file_name(*name, ext="xlsx"),
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    icon=":material/download:", on_click="ignore", key="dl_xlsx")

st.markdown("#### 得分明细")
names = dict(zip(table["region_code"], zip(table["rank"], table["region_name"], table["parent_name"])))
unit = st.selectbox(f"选择{unit_name}", list(names), key=f"unit_{region}_{level}",
                    format_func=lambda c: f"第{names[c][0]}名 {names[c][1]}（{names[c][2]}）")
rows = index.unit_rows(scored, unit)
st.dataframe(rows, hide_index=True, placeholder="—", width="stretch", height=table_height(len(rows)), column_config={
    "得分率": st.column_config.NumberColumn("得分率", format="%.1f%%"),
    "权重（分）": st.column_config.NumberColumn("权重（分）", format="%g"),
    "得分": st.column_config.NumberColumn("得分", format="%.1f")})

with st.expander("计分办法（data/index.csv，只读）"):
    st.dataframe(index.config_rows(config, catalog), hide_index=True, placeholder="—", width="stretch",
                 height=table_height(len(config)))
    st.caption("计分方法：目标完成率 = 数值 ÷ 目标值，最高 100%；与最优之比 = 数值 ÷ 同级单位中的最大值；"
               "线性 = 数值在下限时 0 分、在上限时满分，之间按比例，超出不加分也不扣成负分。"
               "修改 data/index.csv 的权重、方法或上下限即可调整，无需改动程序。")
