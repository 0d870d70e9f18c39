"""汇报模式: the playlist (which slides for a region, per child), moving through it, large type,
escaping; and the page in AppTest on the demo database."""
from __future__ import annotations

import json
import math

import plotly.graph_objects as go
import pytest

from conftest import open_app
from tongzhan import present
from tongzhan.catalog import Catalog
from tongzhan.fmt import fmt_value
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import indicator_table
from tongzhan.store import connect, query

SHIYAN = "420300"      # 十堰市: 8 counties
MAOJIAN = "420302"     # 茅箭区, a county of 十堰市


def kinds(slides):
    return [s.kind for s in slides]


def test_slides_of_a_city_and_of_a_township(schema_db):
    _, tree, _ = schema_db
    assert kinds(present.slides_of(tree, SHIYAN, has_targets=False)) == [
        "kpis", "children", "trend", "league", "index", "completeness"]
    assert kinds(present.slides_of(tree, SHIYAN, has_targets=True)) == [
        "kpis", "children", "trend", "league", "targets", "index", "completeness"]
    township = tree.children(MAOJIAN)[0]   # no villages in a database without uploads
    assert kinds(present.slides_of(tree, township, has_targets=True)) == ["kpis", "trend", "targets"]


def test_playlist_repeats_for_each_child_in_tree_order(schema_db):
    _, tree, _ = schema_db
    asked = []

    def has_targets(code):
        asked.append(code)
        return code == MAOJIAN

    counties = tree.children(SHIYAN)
    assert len(counties) == 8
    slides = present.playlist(tree, SHIYAN, has_targets, with_children=True)
    assert asked == [SHIYAN, *counties]
    assert len(slides) == 6 + 6 * 8 + 1          # 茅箭区 alone has targets
    assert [s.region for s in slides[:7]] == [SHIYAN] * 6 + [counties[0]]
    own = [s for s in slides if s.region == MAOJIAN]
    assert kinds(own) == ["kpis", "children", "trend", "league", "targets", "index", "completeness"]
    assert present.playlist(tree, SHIYAN, lambda c: False) == present.slides_of(tree, SHIYAN, False)


def test_step_wraps_and_url_values_are_checked():
    assert present.step(3, 6, 1) == 4
    assert present.step(6, 6, 1) == 1
    assert present.step(1, 6, -1) == 6
    assert present.step(1, 1, 1) == 1
    assert [present.position(t, 6) for t in ("3", "6", "7", "0", "-1", "x", "", None)] == [3, 6, 1, 1, 1, 1, 1, 1]
    assert [present.seconds(t) for t in ("15", "5", "4", "3601", "1.5", "x", None)] == [15, 5, None, None, None, None, None]


def test_large_type_and_theme():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], text=["1", "2"]))
    fig.update_layout(font_size=12, height=420)
    out = present.large(fig, "dark")
    assert out.layout.font.size == present.CHART_FONT >= 20
    assert out.layout.xaxis.tickfont.size >= 20 and out.layout.yaxis.tickfont.size >= 20
    assert out.layout.title.font.size == 30 and out.layout.height is None   # the screen's, on the page
    assert present.large(go.Figure(), "dark", height=1080).layout.height == 1080   # a picture's
    assert out.data[0].textfont.size >= 20
    assert out.layout.paper_bgcolor == "#111418" and out.layout.font.color == "#f2f2f2"
    assert present.large(go.Figure(), "light").layout.paper_bgcolor == "#ffffff"


def test_region_names_are_text_in_tables_and_title_bar():
    import pandas as pd
    frame = pd.DataFrame({"区域": ["<b>新村</b>", "A&B"], "数值": ["1.00万元", math.nan]})
    html = present.table_html(frame, numeric=("数值",))
    assert "<b>新村</b>" not in html and "&lt;b&gt;新村&lt;/b&gt;" in html and "A&amp;B" in html
    assert '<td class="num">1.00万元</td>' in html and '<td class="num">—</td>' in html
    bar = present.title_bar("<img src=x>市 · 2026年10月", "趋势", "2026年10月", demo=True)
    assert "<img" not in bar and "演示数据" in bar and "数据截至2026年10月" in bar
    assert "演示数据" not in present.title_bar("十堰市", "趋势", "2026年10月", demo=False)


@pytest.fixture
def app(db_copy, monkeypatch):
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    return open_app


def rollup(db, region, indicator, period, by):
    con = connect(db)
    try:
        tree, cat = Tree(query(con, "regions_all")), Catalog(query(con, "indicators_all"))
        return indicator_table(con, tree, cat, region, indicator, Period.parse(period), by)
    finally:
        con.close()


def test_page_kpis_then_children_by_the_next_button(app, db_copy):
    at = app("pages/present.py", region=SHIYAN, period="2026-10", ind="funds_raised")
    assert not at.exception
    assert at.query_params["slide"] == "1"
    own = rollup(db_copy, SHIYAN, "funds_raised", "2026-10", "self").iloc[0]
    funds = next(m for m in at.metric if m.label == "募集资金")
    assert funds.value == fmt_value(own["value"], "万元")

    at.button(key="present_next").click().run()
    assert at.query_params["slide"] == "2"
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    children = rollup(db_copy, SHIYAN, "funds_raised", "2026-10", "children")
    assert dict(zip(bars["customdata"], bars["y"])) == pytest.approx(
        dict(zip(children["region_code"], children["value"])))

    at.button(key="present_prev").click().run()
    at.button(key="present_prev").click().run()
    assert at.query_params["slide"] == "7"     # wraps round to the last slide (报送情况)
    at.button(key="present_auto").click().run()   # no auto in the URL: the button starts it
    assert at.query_params["auto"] == "15"
    assert at.button(key="present_pause").label == "暂停"


def test_present_flag_switches_any_page(app):
    at = app(region=SHIYAN, period="2026-10", present="1", slide="3")
    assert not at.exception
    assert at.query_params["slide"] == "3" and at.query_params["region"] == SHIYAN
    assert len(at.get("plotly_chart")) == 1     # 趋势: one chart, no KPI cards
    assert not at.metric


def test_league_slide_compares_like_for_like(app):
    """2026 cut at October: a stock's ranks compare with the end of 2025, a flow's with January to
    October 2025 (periods.comparable of the period as chosen, not of the cut one)."""
    for ind, before in (("village_org_coverage", "上期：2025年）"), ("funds_raised", "上期：2025年1月—2025年10月）")):
        at = app("pages/present.py", region=SHIYAN, period="2026", ind=ind, slide="4")
        assert not at.exception
        note = next(h.proto.body for h in at.get("html") if "上期" in h.proto.body)
        assert before in note, note


def test_index_slide_charts_the_units_with_data(app):
    """全国's provinces in the demo: only 湖北省, 浙江省 (衢州市) and 山东省 (枣庄市) have data; the 30
    others score 0 for want of it and are left out of the bars, as on the 综合指数 page."""
    at = app("pages/present.py", region="000000", period="2026-10", slide="5")
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "各省综合指数（前 3 名，分）" in spec["layout"]["title"]["text"]
    assert sorted(spec["data"][0]["y"]) == ["330000", "370000", "420000"]
