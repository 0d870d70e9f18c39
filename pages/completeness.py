"""报送情况: which townships (乡镇/街道) below a region reported which indicators in a period."""
import streamlit as st

from tongzhan import completeness, figures, ui
from tongzhan.exports import Table, csv_bytes, file_name, tables_xlsx
from tongzhan.snapshot import view_title
from tongzhan.markup import md


ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info, region, period = ui.region_and_period(ctx, default_to_month=True)
only_due = st.sidebar.toggle("只统计本期应报的指标", value=True, key="only_due",
                             help="按季度或年度报送的指标（如考核得分），只在期间包含完整的季度或年度时计入。")

stored = catalog.stored_ids()
due = figures.due_indicators(ctx, ctx.path, ctx.version, period.key)
indicators = [i for i in stored if i in due] if only_due else stored

ui.page_header(ctx, info, "同心数据看板 · 报送情况", region, period, listed_below=True)
skipped = [catalog[i].name_zh for i in stored if i not in indicators]
note = f"统计{len(indicators)}项指标" + (f"（未计入本期不需报送的{'、'.join(skipped)}）" if skipped else "")
st.caption(f"按乡镇(街道)统计：某单位（含其下村、社区）在期间内有某指标的数据，即为已报送该指标。{note}。")
if not indicators:
    st.info(f"{period.label}没有应报送的指标。")
    st.stop()

rep = figures.completeness_report(ctx, ctx.path, ctx.version, region, period.key, tuple(indicators))
tot = rep.totals
if not tot["units"]:
    st.info(f"{md(tree.name[region])}之下没有乡镇(街道)。")
    st.stop()

cards = st.columns(4, border=True)
cards[0].metric("应报单位", f"{tot['units']:,}个", help="辖区内的乡镇(街道)数")
cards[1].metric("全部报送", f"{tot['full']:,}个", help="所有统计指标都已报送的单位数")
cards[2].metric("报送率", f"{tot['rate']:.1f}%", help="全部报送的单位 ÷ 应报单位")
cards[3].metric("全部未报", f"{tot['none']:,}个", help="一项指标也没有报送的单位数")
cards[3].caption(f"另有部分未报 {tot['partial']:,} 个")

by_unit = tot["units"] <= completeness.MAX_UNIT_ROWS
st.markdown("#### 分指标报送率")
st.caption(("每行一个乡镇(街道)" if by_unit else "每行一个下级区域") +
           "，每格为该行单位中已报送该指标的比例；悬停可看单位数。")
st.plotly_chart(completeness.heat_figure(rep.heat), config={"displayModeBar": False},
                key=f"heat_{region}_{period.key}")

summary = rep.summary
if tree.level[region] < completeness.TOWNSHIP and (summary["units"] > 1).any():
    st.markdown("#### 各下级区域")
    shown = summary.rename(columns={"name": "区域", "code": "代码", "units": "应报单位", "full": "全部报送",
                                    "partial": "部分未报", "none": "全部未报", "rate": "报送率"})
    st.dataframe(shown[["区域", "代码", "应报单位", "全部报送", "部分未报", "全部未报", "报送率"]],
                 hide_index=True, placeholder="—", width="stretch", column_config={
                     "报送率": st.column_config.ProgressColumn("报送率", format="%.1f%%",
                                                             min_value=0, max_value=100)})
    ui.drill_down(tree, region, summary["code"])

missing = rep.missing
st.markdown(f"#### 未报送单位（{len(missing):,} 个）")
if missing.empty:
    st.success("所有乡镇(街道)均已报送全部统计指标。")
    st.stop()
table = completeness.export_frame(missing)
hidden = {completeness.EXPORT_HEADERS[k] for k in completeness.PATH_LEVELS} - {
    completeness.EXPORT_HEADERS[k] for k in completeness.path_columns(tree, region)}
st.dataframe(table, hide_index=True, placeholder="—", width="stretch",
             column_order=[c for c in table.columns if c not in hidden],
             column_config={"未报指标": st.column_config.TextColumn(width="large")})
name = (tree.name[region], "未报送单位", period)
row = st.container(horizontal=True, gap="small")
row.download_button("下载 CSV", lambda: csv_bytes(table), file_name=file_name(*name, ext="csv"),
                    mime="text/csv", icon=":material/download:", on_click="ignore", key="dl_csv")
title = view_title(tree.full_name(region), period, info["demo"], "未报送单位")
row.download_button("下载 Excel", lambda: tables_xlsx([Table("未报送单位", table)], title), file_name=file_name(*name, ext="xlsx"),
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    icon=":material/download:", on_click="ignore", key="dl_xlsx")
