"""目标: completion of the region's and its children's targets, lights, the red list, entering a
target and splitting one to the children (each a targets batch, undoable in 导入记录)."""
from datetime import date

import pandas as pd
import streamlit as st

from tongzhan import exports, figures, login, provenance_ui, snapshot, targets, ui
from tongzhan.fmt import fmt_value
from tongzhan.markup import md
from tongzhan.periods import Period
from tongzhan.store import StoreError, cursor

LIGHT_TEXT = {"green": "绿 · 达到进度", "amber": "黄 · 略落后", "red": "红 · 明显落后"}
LIGHT_COLOUR = {"绿": "background-color:#d4efdf;color:#145a32", "黄": "background-color:#fcf3cf;color:#7d6608",
                "红": "background-color:#f5b7b1;color:#78281f"}


def shown(table: pd.DataFrame, with_region: bool):
    """The completion rows as staff read them: texts in 万/亿 and %, the light as words and colour."""
    out = pd.DataFrame({
        "区域": table["region_name"], "指标": [catalog[i].name_zh for i in table["indicator_id"]],
        "目标": [fmt_value(v, u) for v, u in zip(table["target"], table["unit"])],
        "实际": [fmt_value(v, u) for v, u in zip(table["actual"], table["unit"])],
        "应完成": [fmt_value(v, u) for v, u in zip(table["due"], table["unit"])],
        "完成率": [fmt_value(None if pd.isna(c) else c * 100, "%") for c in table["completion"]],
        "进度（实际÷应完成）": table["progress"].astype(float) * 100,
        "灯": [LIGHT_TEXT.get(x, "— · 尚无数据") for x in table["light"]],
    })
    if not with_region:
        out = out.drop(columns="区域")
    return out.style.map(lambda t: LIGHT_COLOUR.get(t[:1], ""), subset=["灯"])


def show_table(table: pd.DataFrame, with_region: bool, key: str) -> None:
    """The rows; a click on one opens the sources of its actual figure (数据来源)."""
    styled = shown(table, with_region)
    rows_key = f"{key}_{region}_{period.key}"
    # the bars in a neutral colour: red (the theme's) next to 绿 · 达到进度 said the opposite
    st.dataframe(styled, hide_index=True, placeholder="—", width="stretch", key=rows_key, selection_mode="single-row",
                 on_select=provenance_ui.on_pick(rows_key), column_config={
                     "进度（实际÷应完成）": st.column_config.ProgressColumn(format="%.1f%%", min_value=0, max_value=100,
                                                                           color="gray")})
    ui.print_table(styled, key)
    if (picked := provenance_ui.picked(rows_key)) and picked["rows"]:
        row = table.iloc[picked["rows"][0]]
        if row["through"]:   # the actual is of the target's period up to the last month with data
            end = Period.parse(row["through"]).end
            provenance_ui.dialog(ctx, row["region_code"], row["indicator_id"], Period(period.start, end))
        else:
            st.toast(f"{md(tree.name[row['region_code']])}在{period.label}尚无上报数据。")


ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
region = ui.url_region(tree)
info = ui.data_info(ctx.path, ctx.version, date.today())
years = figures.target_years(ctx, ctx.path, ctx.version, date.today())
year, quarter = ui.target_period_picker(years, info["last"].year if info["last"] else date.today().year)
period = targets.target_period(year, quarter)
lights = targets.read_thresholds()["*"]

ui.title_row("同心数据看板 · 目标", info["demo"])
ui.breadcrumbs(tree, region)
st.subheader(f"{md(tree.full_name(region))} · {period.label}目标")
st.caption(f"点击表格中的一行可查看该实际数的数据来源。流量指标（如募集资金）按已过月份折算应完成数：全年目标 × 已有数据的月数 ÷ 12（季度目标 ÷ 3）；存量、比率和得分"
           f"以最新一期的数对照目标水平。进度 = 实际 ÷ 应完成：≥{lights.green:.0%} 为绿，≥{lights.amber:.0%} 为黄，"
           "其余为红（阈值见 data/target_lights.csv）。没有本级目标的单位不显示，上级目标只有在明确“分解到下级”后才成为下级的目标。")

own = figures.target_table(ctx, ctx.path, ctx.version, region, year, quarter, "self")
kids = figures.target_table(ctx, ctx.path, ctx.version, region, year, quarter, "children")
through = next((Period.parse(t) for t in pd.concat([own["through"], kids["through"]]) if t), None)
if through:
    st.caption(f"实际数据截至{through.label}。")
    ui.month_caveat(ctx, region, through.end)

st.markdown("#### 本级目标")
if own.empty:
    st.info(f"{md(tree.name[region])}没有{period.label}的目标。可在下方“录入目标”中填写，或在“数据上报”页上传目标值文件。")
else:
    show_table(own, with_region=False, key="own")

if tree.children(region):
    st.markdown("#### 下级目标")
    if kids.empty:
        st.info(f"{md(tree.name[region])}的下级没有{period.label}的目标。")
    else:
        show_table(kids.sort_values(["indicator_id", "progress"], na_position="last", ignore_index=True),
                   with_region=True, key="kids")

red = figures.red_targets(ctx, ctx.path, ctx.version, region, year, quarter)
st.markdown(f"#### 红灯单位（{len(red)} 项）")
if red.empty:
    st.success("本区域及下级没有进度为红灯的目标。")
else:
    show_table(red, with_region=True, key="red")

sheets = [snapshot.targets_table(t, [catalog[i].name_zh for i in t["indicator_id"]], name)
          for t, name in ((own, "本级目标"), (kids, "下级目标"), (red, "红灯单位")) if len(t)]
if sheets:
    title = f"{tree.full_name(region)} · {period.label}目标" + (f" · 实际数据截至{through.label}" if through else "") + (
        " · 演示数据" if info["demo"] else "")
    st.download_button("下载 Excel", lambda: exports.tables_xlsx(sheets, title), on_click="ignore",
                       file_name=exports.file_name(tree.name[region], "目标", period, ext="xlsx"), key="targets_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

user = login.current_user(ctx.con)
writable = not ctx.read_only and user is not None and user.role in ("staff", "admin")
if ctx.read_only:
    st.warning(f"数据库为只读（{ctx.read_only}），不能录入或分解目标。")
elif not writable:
    st.caption("录入或分解目标须以工作人员或管理员账号登录（工作人员只能为本人范围内的区域录入）。")

with st.expander("录入目标（本级）", icon=":material/edit:"):
    with st.form("target_entry", border=False):
        a, b = st.columns(2)
        ind = a.selectbox("指标", catalog.ids(), format_func=lambda i: f"{catalog[i].name_zh}（{catalog[i].unit}）")
        value = b.text_input("目标值", placeholder="如 1200、1.2亿、95%")
        st.caption(f"为 {md(tree.full_name(region))} 录入{period.label}的目标（期间在左侧选择），保存为一个目标批次，"
                   "可在“数据上报 › 导入记录”中撤销。比率指标的目标填百分比。")
        if st.form_submit_button("保存目标", type="primary", disabled=not writable):
            try:
                with cursor(ctx.con) as cur:
                    got = targets.enter(cur, tree, catalog, region, ind, year, quarter, value, user, date.today())
            except StoreError as e:
                st.error(md(e))
            else:
                st.toast("目标未变（与已有的相同）。" if got is None else f"已保存为批次 {got}。")
                st.rerun()

if len(own) and tree.children(region):
    with st.expander("分解到下级", icon=":material/call_split:"):
        pick = st.selectbox("要分解的本级目标", own["indicator_id"].tolist(), key="split_ind",
                            format_func=lambda i: f"{catalog[i].name_zh}：{fmt_value(own.set_index('indicator_id').at[i, 'target'], catalog[i].unit)}")
        level = catalog[pick].kind in ("ratio", "score")
        children = tree.children(region)
        shares = None
        if level:
            st.caption("比率和得分的目标是水平：每个下级得到同一目标。")
            label = f"按同一水平（{fmt_value(own.set_index('indicator_id').at[pick, 'target'], catalog[pick].unit)}）分解到下级"
        elif st.radio("份额", ["平均", "按份额"], horizontal=True, key="split_mode") == "按份额":
            edited = st.data_editor(pd.DataFrame({"代码": children, "区域": [tree.name[c] for c in children], "份额": 1.0}),
                                    disabled=["代码", "区域"], hide_index=True, key=f"split_shares_{region}")
            shares = dict(zip(edited["代码"], edited["份额"].fillna(0).astype(float)))
            label = "按份额分解到下级"
        else:
            label = f"按平均分解到下级（{len(children)} 个）"
        st.caption("分解后下级的已有目标会被覆盖（原值可通过撤销该批次恢复）；计数指标按整数分配，各下级之和等于本级目标。")
        if st.button(label, type="primary", disabled=not writable, key="split"):
            try:
                with cursor(ctx.con) as cur:
                    got = targets.split_target(cur, tree, catalog, region, pick, year, quarter, shares,
                                               user, date.today())
            except StoreError as e:
                st.error(md(e))
            else:
                st.toast("下级目标未变。" if got is None else f"已分解为批次 {got}。")
                st.rerun()

if tree.children(region):
    ui.drill_down(tree, region, tree.children(region))
