"""汇报模式: full-screen slides of a region for a meeting room projector: KPIs, children, trend,
league table, targets, index (tongzhan.present.playlist), by button, keyboard (←/→/space, as
presenter clickers send) or every `auto` seconds. URL: region, period, ind, slide, auto, theme
(dark), children (1: every child's slides too)."""
import html
import time

import pandas as pd
import streamlit as st

from tongzhan import completeness, figures, index, overview, present, trend, ui
from tongzhan.fmt import fmt_value
from tongzhan.league import value_text
from tongzhan.markup import md
from tongzhan.periods import Period
from tongzhan.regions import LEVEL_NAMES
from tongzhan.targets import LIGHT_NAMES

LEAGUE_ROWS = 12     # rows of a league table that fit one 1080-pixel screen
INDEX_BARS = 12

ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
info, region, period = ui.region_and_period(ctx)   # the sidebar is hidden: the URL decides
indicator = ui.indicator_picker(catalog, catalog.headline()[0])
ind = catalog[indicator]
theme = "dark" if st.query_params.get("theme") == "dark" else "light"
st.html(present.css(theme))


def year_of(code: str) -> int:
    return figures.view_period(ctx, code, period).end.year


def has_targets(code: str) -> bool:
    return not figures.target_table(ctx, ctx.path, ctx.version, code, year_of(code), None, "self").empty


slides = present.playlist(tree, region, has_targets, st.query_params.get("children") == "1")
n = present.position(st.query_params.get("slide"), len(slides))
st.query_params["slide"] = str(n)
slide = slides[n - 1]
code = slide.region
shown = figures.view_period(ctx, code, period)
newest = figures.view_period(ctx, code, Period(info["first"], info["last"])).end
st.html(present.title_bar(f"{tree.full_name(code)} · {shown.label}", slide.title,
                          f"{newest.year}年{newest.month}月", info["demo"]))


def chart(fig) -> None:
    """fig in large type, in the page's theme (not Streamlit's), without plotly's toolbar."""
    st.container(key="present_chart_box").plotly_chart(   # as tall as the screen allows (present.css)
        present.large(fig, theme), theme=None, config={"displayModeBar": False}, key="present_chart",
        height="stretch")


def go(delta: int) -> None:
    st.query_params["slide"] = str(present.step(n, len(slides), delta))


def show_kpis() -> None:
    kpi = figures.kpis(ctx, ctx.path, ctx.version, code, shown.key)
    rows = [kpi.iloc[i:i + 3] for i in range(0, len(kpi), 3)]
    for part in rows:
        for col, row in zip(st.columns(len(part), border=True), part.itertuples()):
            col.metric(md(row.name), row.text, **ui.delta_args(row.delta_text, row.compare_label))
    notes = "；".join(f"{row.name}：{row.note}" for row in kpi.itertuples() if row.note)
    if notes:   # what a stock or rate rests on (carried-forward and one-part units), as on 总览
        st.html(f'<p class="present-note">{html.escape(notes)}</p>')
    # the last month still coming in, as on 总览 (in short: one line on a 1366-pixel projector)
    if head := completeness.month_head(tree, code, shown.end, ui.month_counts(ctx, code, shown.end)):
        st.html(f'<p class="present-note">{html.escape(head)}，本月尚未报齐。</p>')


def show_children() -> None:
    table = figures.children(ctx, ctx.path, ctx.version, code, indicator, shown.key)
    if table["value"].isna().all():
        st.html(f'<p class="present-note">下级在{shown.label}没有{ind.name_zh}数据。</p>')
        return
    fig = overview.bar_figure(table, f"{tree.name[code]}各下级 · {ind.name_zh}", ind.unit)
    chart(fig)


def show_trend() -> None:
    span = trend.default_span(newest)
    own = figures.trend_series(ctx, ctx.path, ctx.version, code, indicator, span.key, "month", "self")
    if own["value"].isna().all():
        st.html(f'<p class="present-note">{span.label}没有{ind.name_zh}数据。</p>')
        return
    title = f"{tree.name[code]} · {ind.name_zh} · {trend.span_label(own)} · {trend.axis_unit(own, ind.unit)}"
    chart(trend.figure(own, title, ind.unit))


def show_league() -> None:
    level = tree.child_level(code)
    table = figures.league_table(ctx, ctx.path, ctx.version, code, indicator, ui.chosen_period(period).key,
                                 level, None)   # as chosen: the period before is then like for like
    ranked = table.dropna(subset=["rank"]).head(LEAGUE_ROWS)
    out = pd.DataFrame({
        "名次": ranked["rank"], "区域": ranked["region_name"], "上级": ranked["parent_name"],
        ind.name_zh: [value_text(v, catalog, indicator, None) for v in ranked["value"]],
        "上期名次": ranked["prev_rank"]})
    if level == tree.level[code] + 1:
        out = out.drop(columns="上级")
    st.html(f'<p class="present-note">{len(table)} 个{LEVEL_NAMES[level]}中有数据的前 {len(ranked)} 名'
            f'（{table.attrs["period"].label}，上期：{table.attrs["before"].label}）</p>'
            + present.table_html(out, numeric=("名次", ind.name_zh, "上期名次")))


def show_targets() -> None:
    t = figures.target_table(ctx, ctx.path, ctx.version, code, year_of(code), None, "self")
    out = pd.DataFrame({
        "指标": [catalog[i].name_zh for i in t["indicator_id"]],
        "年度目标": [fmt_value(v, u) for v, u in zip(t["target"], t["unit"])],
        "实际": [fmt_value(v, u) for v, u in zip(t["actual"], t["unit"])],
        "应完成": [fmt_value(v, u) for v, u in zip(t["due"], t["unit"])],
        "完成率": [fmt_value(None if pd.isna(c) else c * 100, "%") for c in t["completion"]],
        "进度": [LIGHT_NAMES.get(x, "—") for x in t["light"]]})
    st.html(present.table_html(out, numeric=("年度目标", "实际", "应完成", "完成率")))


def show_index() -> None:
    level = tree.child_level(code)
    try:
        table = figures.index_charted(ctx, ctx.path, ctx.version, code, level, shown.key, figures.index_stamp())
    except index.ConfigError as e:
        st.error(md(str(e)))
        return
    if table.empty:
        st.html(f'<p class="present-note">{html.escape(tree.name[code])}的{LEVEL_NAMES[level]}在{shown.label}尚无上报数据。</p>')
        return
    title = f"{tree.name[code]}各{LEVEL_NAMES[level]}综合指数（前 {min(INDEX_BARS, len(table))} 名，分）"
    fig = index.bar_figure(table.head(INDEX_BARS), title, with_parent=level > tree.level[code] + 1)
    chart(fig)


def show_completeness() -> None:
    """报送情况 of the indicators due in the period: the totals, then the children lowest rate first."""
    due = figures.due_indicators(ctx, ctx.path, ctx.version, shown.key)
    ids = tuple(i for i in catalog.stored_ids() if i in due)
    rep = figures.completeness_report(ctx, ctx.path, ctx.version, code, shown.key, ids)
    t = rep.totals
    for col, (label, text) in zip(st.columns(4, border=True), [
            ("应报单位", f"{t['units']:,}个"), ("全部报送", f"{t['full']:,}个"),
            ("报送率", fmt_value(t["rate"], "%")), ("全部未报", f"{t['none']:,}个")]):
        col.metric(label, text)
    worst = rep.summary.sort_values(["rate", "code"]).head(LEAGUE_ROWS)
    out = pd.DataFrame({"区域": worst["name"], "应报单位": worst["units"], "全部报送": worst["full"],
                        "全部未报": worst["none"], "报送率": [fmt_value(r, "%") for r in worst["rate"]]})
    st.html(f'<p class="present-note">{len(ids)} 项本期应报指标；各下级按报送率从低到高</p>'
            + present.table_html(out, numeric=("应报单位", "全部报送", "全部未报", "报送率")))


with st.container(key="present_body"):   # at most the screen less the title bar and buttons (present.css)
    {"kpis": show_kpis, "children": show_children, "trend": show_trend, "league": show_league,
     "targets": show_targets, "index": show_index, "completeness": show_completeness}[slide.kind]()

auto = present.seconds(st.query_params.get("auto"))
paused = st.session_state.get("present_paused", False)
bar = st.container(horizontal=True, gap="small", vertical_alignment="center")
bar.button("上一页", key="present_prev", on_click=go, args=(-1,))
bar.button("下一页", key="present_next", on_click=go, args=(1,))
if auto:
    bar.button("继续" if paused else "暂停", key="present_pause",
               on_click=lambda: st.session_state.update(present_paused=not paused))
else:   # the URL's auto, or this button: every 15 seconds
    bar.button("自动翻页", key="present_auto", help="每 15 秒翻到下一页（地址栏 auto=秒数 可改间隔）",
               on_click=lambda: st.query_params.update(auto="15"))
bar.html(f'<span class="present-note">第 {n} / {len(slides)} 页'
         + (f"　每 {auto} 秒翻页" + ("（已暂停）" if paused else "") if auto else "") + "</span>", width="content")
if bar.button("退出汇报模式", key="present_exit", type="tertiary"):
    for param in ("slide", "auto", "theme", "children", "present"):
        st.query_params.pop(param, None)
    st.switch_page("pages/overview.py", query_params=dict(st.query_params))
st.html(present.KEYS_JS, unsafe_allow_javascript=True)

st.session_state["present_shown_at"] = time.monotonic()
if auto and not paused:
    @st.fragment(run_every=auto)
    def advance() -> None:
        """Every `auto` seconds: the next slide (a whole rerun, so new data shows on it)."""
        if time.monotonic() - st.session_state["present_shown_at"] >= auto - 0.5:
            go(1)
            st.rerun(scope="app")

    advance()
