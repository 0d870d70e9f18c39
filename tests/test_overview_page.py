"""AppTest of the overview page on the demo database: KPIs, URL state, drill-down, period picker."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from conftest import open_app
from facts import add, fact
from tongzhan.catalog import Catalog
from tongzhan.fmt import fixed, fmt_delta, fmt_value
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import indicator_table
from tongzhan.store import connect, query



@pytest.fixture
def app(db_copy, monkeypatch):
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))

    return open_app


def expected(db, region, indicator, period, by="children"):
    con = connect(db)  # same configuration as the app, so both share one DuckDB instance
    try:
        tree, cat = Tree(query(con, "regions_all")), Catalog(query(con, "indicators_all"))
        return indicator_table(con, tree, cat, region, indicator, Period.parse(period), by)
    finally:
        con.close()


def figure(at) -> tuple[dict, pd.DataFrame]:
    """The overview's ECharts option and its dataset (sent beside the option as Arrow)."""
    chart = at.get("echarts_chart")[0].proto
    return json.loads(chart.spec), pa.ipc.open_stream(chart.datasets[0].data.data).read_pandas()


def test_shiyan_view_matches_the_rollup(app, db_copy):
    at = app(region="420300", ind="village_org_coverage", period="2025")
    assert not at.exception
    assert "十堰市" in at.subheader[0].value and "2025年" in at.subheader[0].value
    coverage = at.metric[0]
    assert coverage.label == "村(社区)统战组织覆盖率"
    own = expected(db_copy, "420300", "village_org_coverage", "2025", by="self").iloc[0]
    assert coverage.value == fmt_value(own["value"], "%")
    # The chart shows one bar per county of 十堰, with values from the roll-up.
    children = expected(db_copy, "420300", "village_org_coverage", "2025")
    spec, data = figure(at)
    assert list(data.columns) == ["区域", "数值（%）", "标签", "显示值"] and spec["yAxis"]["name"] == "%"
    assert sorted(data["区域"]) == sorted(children["region_name"])
    got = {name: (v, label, text) for name, v, label, text in data.itertuples(index=False)}
    for row in children.itertuples():   # the bar's label in the axis' unit, the tooltip's with it
        assert got[row.region_name] == (pytest.approx(row.value), fixed(row.value, 1), fmt_value(row.value, "%"))
    assert at.query_params["region"] == "420300"
    assert at.query_params["period"] == "2025"


def test_kpi_delta_compares_the_same_months_last_year(app, db_copy):
    # 2026 has data up to October: the year is cut to 2026-01~2026-10 and compared with 2025-01~10.
    at = app(region="420000", period="2026")
    assert "2026年1月—2026年10月" in at.subheader[0].value
    funds = next(m for m in at.metric if m.label == "募集资金")
    now = expected(db_copy, "420000", "funds_raised", "2026-01~2026-10", by="self").iloc[0]["value"]
    before = expected(db_copy, "420000", "funds_raised", "2025-01~2025-10", by="self").iloc[0]["value"]
    assert funds.value == fmt_value(now, "万元")
    assert funds.delta == fmt_delta(now, before, "万元")
    assert "箭头为同比：与2025年1月—2025年10月相比。" in [c.value for c in at.caption]


def test_drill_down_and_back_by_breadcrumb(app):
    at = app(region="420000")
    at.selectbox(key="drill_420000").set_value("429004").run()  # 仙桃市, directly under 湖北省
    assert at.query_params["region"] == "429004"
    assert "湖北省仙桃市" in at.subheader[0].value
    at.button(key="crumb_420000").click().run()
    assert at.query_params["region"] == "420000"


def test_period_and_indicator_pickers_update_the_url(app):
    at = app(region="330881")
    at.radio(key="period_mode").set_value("季度").run()
    at.selectbox(key="period_quarter").set_value("2025Q3").run()
    at.selectbox(key="indicator").set_value("assessment_score").run()
    assert at.query_params["period"] == "2025Q3"
    assert at.query_params["ind"] == "assessment_score"
    assert "2025年第三季度" in at.subheader[0].value
    assert not at.exception


def test_unknown_region_in_url_falls_back_to_the_country(app):
    at = app(region="999999")
    assert not at.exception
    assert at.query_params["region"] == "000000"


def test_cards_without_a_comparison_show_no_delta_and_flat_is_neutral(app):
    # 武当路街道 in October 2026: coverage 100 % both years, other indicators not reported.
    at = app(region="420302001", period="2026-10")
    assert not at.exception
    cards = {m.label: m for m in at.metric}
    coverage = cards["村(社区)统战组织覆盖率"]
    assert coverage.value == "100.0%" and coverage.delta == "持平"
    assert coverage.proto.color == coverage.proto.MetricColor.GRAY
    assert coverage.proto.direction == coverage.proto.MetricDirection.NONE
    for label in ("募集资金", "落地项目数", "服务群众人次", "开展活动场次"):
        assert cards[label].value == "—"
        assert not cards[label].delta and not cards[label].proto.delta_description, label
    # what — means, in each of those four cards (the rate's card shows its parts instead)
    assert [c.value for c in at.caption].count("本期无上报数据") == 4


def test_chart_axis_counts_in_chinese_units(app, db_copy):
    at = app(region="000000", ind="people_served", period="2025")
    spec, data = figure(at)
    values = expected(db_copy, "000000", "people_served", "2025").dropna(subset=["value"])
    assert values["value"].max() > 1e6                            # 280万人次: was "2.5M" in plotly
    # ECharts labels the axis with the numbers drawn: the bars are drawn in 万人次.
    axis = spec["yAxis"]
    assert axis["name"] == "万人次" and axis["min"] == 0 and axis["max"] >= values["value"].max() / 1e4
    assert axis["max"] / axis["interval"] <= 5 and axis["interval"] in (1, 2, 5, 10, 20, 50, 100, 200, 500)
    got = dict(zip(data["区域"], data["数值（万人次）"]))
    for row in values.itertuples():
        assert got[row.region_name] == pytest.approx(row.value / 1e4)


def test_heading_says_which_months_of_the_chosen_period_are_shown(app):
    at = app(region="420300", period="2026Q4")
    assert at.selectbox(key="period_quarter").value == "2026Q4"   # the picker keeps the choice
    assert at.subheader[0].value == "湖北省十堰市 · 2026年10月"     # the heading shows what is shown
    assert "数据截至2026年10月，2026年第四季度只含10月。" in [c.value for c in at.caption]
    at = app(region="420300", period="2026Q3")
    assert not [c.value for c in at.caption if "数据截至" in c.value]


def plain(markdown: str) -> str:
    """Markdown as read: without the escapes (markup.md) of the brackets in 乡镇(街道)."""
    return markdown.replace("\\", "")


def test_a_month_still_coming_in_is_said(app, db_copy):
    """Three of 十堰市's townships send November: the year view now runs to November and says the
    month is not in yet (a warning: 3 of last month's units); October, where a few of them were
    missing, has a note. Counts from the facts: distinct townships with a month's figures."""
    con = connect(db_copy)
    try:
        def units(end):
            return con.execute("SELECT count(DISTINCT d4) FROM facts WHERE d2 = '420300' AND months = 1 "
                               "AND period_end = ?::DATE", [end]).fetchone()[0]
        september, october = units("2026-09-30"), units("2026-10-31")
        assert october < september and october >= 0.9 * september   # the demo: a few stop in October
        add(con, [fact(code, "funds_raised", "2026-11", 5.0) for code in ("420302002", "420302003", "420303001")],
            batch_id=99)
    finally:
        con.close()

    at = app(region="420300", period="2026")
    assert not at.exception
    assert "2026年1月—2026年11月" in at.subheader[0].value
    (warning,) = at.warning
    assert plain(warning.value).startswith(f"2026年11月已有 3 个乡镇(街道)报送月度数据，上月为 {october} 个：本月尚未报齐")

    at = app(region="420300", period="2026-10")
    assert not at.exception and not at.warning
    assert any(plain(c.value).startswith(f"2026年10月已有 {october} 个乡镇(街道)报送月度数据，上月为 {september} 个")
               for c in at.caption)

    # 趋势 (its last point is November), 目标 (actuals through November) and 汇报模式's cards say it too
    said = f"2026年11月已有 3 个乡镇(街道)报送月度数据，上月为 {october} 个：本月尚未报齐"
    for page in ("pages/trend.py", "pages/targets.py"):
        at = app(page, region="420300", ind="funds_raised")
        assert not at.exception and [plain(w.value)[:len(said)] for w in at.warning] == [said], page
    at = app("pages/present.py", region="420300", period="2026")
    said = f"2026年11月已有 3 个乡镇(街道)报送月度数据，上月为 {october} 个，本月尚未报齐。"
    assert not at.exception and any(said in h.proto.body for h in at.get("html"))


def test_a_linked_period_without_data_is_replaced_and_said(app):
    """A bookmark of 2023年5月 (the demo starts in 2024): the newest month is shown, the address
    says so, and a toast says what was replaced; the next run says nothing more."""
    at = app(region="420300", period="2023-05")
    assert not at.exception
    assert [t.value for t in at.toast] == ["2023年5月没有数据（数据为2024年1月—2026年10月），已改为2026年10月。"]
    assert at.query_params["period"] == "2026-10" and "2026年10月" in at.subheader[0].value
    at.run()
    assert not at.toast and at.query_params["period"] == "2026-10"


@pytest.mark.parametrize("start, steps", [
    ("2025-03", [("季度", "period_quarter", "2025Q1"), ("年度", "period_year", "2025"),
                 ("月度", "period_month", "2025-12"), ("年度", "period_year", "2025")]),
    ("2025-03", [("年度", "period_year", "2025")]),
    ("2026", [("月度", "period_month", "2026-10"), ("季度", "period_quarter", "2026Q4")]),
    ("2025Q2", [("自定义", "period_range", ("2025-04", "2025-06")), ("月度", "period_month", "2025-06")]),
])
def test_switching_the_period_type_keeps_the_chosen_period(app, start, steps):
    at = app(region="420300", ind="people_served", period=start)
    for mode, key, value in steps:
        at.radio(key="period_mode").set_value(mode).run()
        assert not at.exception
        widget = at.select_slider(key=key) if mode == "自定义" else at.selectbox(key=key)
        assert widget.value == value, (mode, widget.value)
        assert at.query_params["period"] == Period.parse("~".join(value) if mode == "自定义" else value).key
    assert at.query_params["region"] == "420300" and at.query_params["ind"] == "people_served"
    assert at.selectbox(key="indicator").value == "people_served"


def test_a_custom_range_stays_a_range_and_goes_to_the_url(app):
    at = app(region="420300", period="2025-01~2025-06")
    assert at.radio(key="period_mode").value == "自定义"
    at.select_slider(key="period_range").set_range("2025-03", "2025-03").run()
    assert at.query_params["period"] == "2025-03"
    assert at.radio(key="period_mode").value == "自定义"         # one month, still as a range
    assert at.select_slider(key="period_range").value == ("2025-03", "2025-03")
    assert "湖北省十堰市 · 2025年3月" == at.subheader[0].value


def test_a_failing_warm_up_does_not_keep_the_server_from_starting(monkeypatch, caplog):
    # serve.py warms the caches before the server answers: a failure there is logged, and the
    # server starts all the same (the first visit computes the view instead).
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import serve

    def fails():
        raise RuntimeError("预热出错")
    monkeypatch.setattr(serve.ui, "open_at_start", lambda: None)
    monkeypatch.setattr(serve.ui, "warm_first_view", fails)

    async def start() -> bool:
        async with serve.lifespan(None):
            return True
    with ThreadPoolExecutor(1) as thread:   # a thread of its own: the browser tests leave a loop running here
        assert thread.submit(asyncio.run, start()).result()
    assert "预热首页失败" in caplog.text and "预热出错" in caplog.text


def test_first_view_is_computed_at_start(app, monkeypatch):
    # serve.py warms the caches with what a first visit shows (总览 of 全国, newest year, headline
    # chart): the page then finds every figure cached, with the keys it computes itself.
    import streamlit as st

    from tongzhan import overview, ui
    st.cache_data.clear()
    ui.warm_first_view()

    def not_again(*_args, **_kwargs):
        raise AssertionError("computed again: the warm-up missed this figure")
    for name in ("view_period", "kpis", "children"):
        monkeypatch.setattr(overview, name, not_again)
    at = app()
    assert not at.exception, at.exception
    assert "全国 · 2026年" in at.subheader[0].value and len(at.metric) == 5


@pytest.mark.parametrize("selection, code", [
    ({"selected": [{"series_index": 0, "data_indices": [1]}], "areas": []}, "420303"),
    ({"selected": [{"series_index": 0, "data_indices": [7]}], "areas": []}, None),   # names no bar
    ({"selected": [{"series_index": 0, "data_indices": [-1]}], "areas": []}, None),
    ({"selected": [{"series_index": 0, "data_indices": []}], "areas": []}, None),   # a click that unselects
    ({"selected": [], "areas": []}, None),
    (None, None),
])
def test_a_bar_click_names_a_region_only_by_a_bar_it_drew(selection, code):
    # The position comes from the browser: one that names no bar goes nowhere (no crash).
    from tongzhan.ui import clicked_bar
    assert clicked_bar(selection, ["420302", "420303"]) == code
