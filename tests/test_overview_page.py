"""AppTest of the overview page on the demo database: KPIs, URL state, drill-down, period picker."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tongzhan.catalog import Catalog
from tongzhan.fmt import fmt_delta, fmt_value
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import indicator_table
from tongzhan.store import connect, query

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(db_copy, monkeypatch):
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))

    def open_app(**params) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
        for k, v in params.items():
            at.query_params[k] = v
        return at.run()
    return open_app


def expected(db, region, indicator, period, by="children"):
    con = connect(db)  # same configuration as the app, so both share one DuckDB instance
    try:
        tree, cat = Tree(query(con, "regions_all")), Catalog(query(con, "indicators_all"))
        return indicator_table(con, tree, cat, region, indicator, Period.parse(period), by)
    finally:
        con.close()


def figure(at):
    return at.get("plotly_chart")[0].proto.spec


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
    spec = json.loads(figure(at))
    bars = spec["data"][0]
    assert sorted(bars["customdata"]) == sorted(children["region_code"])
    got = dict(zip(bars["customdata"], bars["y"]))
    for row in children.itertuples():
        assert got[row.region_code] == pytest.approx(row.value)
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
