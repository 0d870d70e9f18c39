"""趋势 (tongzhan.trend): series by month, quarter and year on small hand-made databases, the
trend command, and the page on the demo database.

Every expected number is worked out by hand in the comment next to it; nothing here computes an
expectation with the code under test.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd
import pytest

from conftest import open_app
from facts import add, fact, saved_copy
from test_cli import assert_user_error, run
from test_rollup import MAOJIAN, SHIYAN, T1, T2, ZHANGWAN   # 十堰市, 茅箭区 (武当路、二堰街道), 张湾区
from tongzhan import batches, store, trend
from tongzhan.importer import parse_file
from tongzhan.periods import Period
from tongzhan.regions import Tree
from people import person

T3 = "420302003"      # 茅箭区 五堰街道
Z1 = "420303001"      # 张湾区 花果街道


@pytest.fixture(scope="module")
def tree(schema_db):
    t = schema_db[1]
    assert {T1, T2, T3} <= set(t.children(MAOJIAN)) and Z1 in t.children(ZHANGWAN)
    assert t.name[T1] == "武当路街道" and t.children(T1) == []
    return t


@pytest.fixture(scope="module")
def catalog(schema_db):
    return schema_db[2]


def series(con, tree, catalog, region, indicator, span, grain="month", by="self"):
    """The series indexed by (period, region_code)."""
    out = trend.series(con, tree, catalog, region, indicator, Period.parse(span), grain, by)
    assert list(out.columns) == trend.COLUMNS
    return out.set_index(["period", "region_code"])


def col(frame, column):
    """{period: value} of a by="self" series, NaN as None."""
    return {p: (None if pd.isna(v) else v) for (p, _), v in frame[column].items()}


# --------------------------------------------------------------------------- flows

def test_yoy_of_a_year_in_progress_compares_the_same_months(con, tree, catalog):
    add(con, [fact(T1, "funds_raised", f"2025-{m:02d}", 10) for m in range(1, 13)]     # 2025: 120
        + [fact(T1, "funds_raised", f"2026-{m:02d}", 12) for m in range(1, 11)]       # 2026-01..10: 120
        + [fact(Z1, "funds_raised", "2026-11", 1000)])   # newer data elsewhere: does not cut 茅箭区 later
    s = series(con, tree, catalog, MAOJIAN, "funds_raised", "2025-01~2026-12", "year")
    assert list(s.index) == [("2025", MAOJIAN), ("2026", MAOJIAN)]
    assert col(s, "value") == pytest.approx({"2025": 120, "2026": 120})
    # 2026 is cut at October, its newest month: 120 against 2025-01..10 (10 × 10 = 100), +20 %,
    # not against the whole of 2025 (which would be 持平).
    assert col(s, "partial") == {"2025": False, "2026": True}
    assert (s.loc[("2026", MAOJIAN), "start"], s.loc[("2026", MAOJIAN), "end"]) == (
        date(2026, 1, 1), date(2026, 10, 31))
    assert col(s, "yoy") == {"2025": None, "2026": pytest.approx(0.2)}   # 2024: no data
    assert col(s, "yoy_text") == {"2025": None, "2026": "+20.0%"}
    assert col(s, "mom") == {"2025": None, "2026": None}                # a year's 环比 is its 同比
    assert col(s, "ytd") == pytest.approx({"2025": 120, "2026": 120})
    assert list(s["label"]) == ["2025年", "2026年"]


def test_mom_across_a_year_boundary_and_ytd(con, tree, catalog):
    add(con, [fact(T1, "funds_raised", "2025-11", 20), fact(T1, "funds_raised", "2025-12", 40),
              fact(T1, "funds_raised", "2026-01", 50), fact(T2, "funds_raised", "2026-02", 5)])
    s = series(con, tree, catalog, MAOJIAN, "funds_raised", "2025-12~2026-02")
    assert col(s, "value") == pytest.approx({"2025-12": 40, "2026-01": 50, "2026-02": 5})
    # 2025-12 against 2025-11: 40/20 - 1; 2026-01 against 2025-12: 50/40 - 1; 2026-02: 5/50 - 1
    assert col(s, "mom") == pytest.approx({"2025-12": 1.0, "2026-01": 0.25, "2026-02": -0.9})
    assert col(s, "mom_text") == {"2025-12": "+100.0%", "2026-01": "+25.0%", "2026-02": "-90.0%"}
    # 本年累计 starts again in January: 2025-11 + 2025-12 = 60; 50; 50 + 5 = 55
    assert col(s, "ytd") == pytest.approx({"2025-12": 60, "2026-01": 50, "2026-02": 55})
    assert col(s, "yoy") == {"2025-12": None, "2026-01": None, "2026-02": None}
    assert not s["partial"].any()


def test_ytd_counts_a_quarterly_report_once(con, tree, catalog):
    # T1 reports 2026Q1 as one quarter (90), then months: the January-to-date total is a roll-up
    # over that range, not a sum of the monthly points (March alone has no value).
    add(con, [fact(T1, "funds_raised", "2026Q1", 90), fact(T1, "funds_raised", "2026-04", 10),
              fact(T1, "funds_raised", "2026-05", 20)])
    s = series(con, tree, catalog, T1, "funds_raised", "2026-03~2026-05")
    assert col(s, "value") == pytest.approx({"2026-03": None, "2026-04": 10, "2026-05": 20})
    assert col(s, "ytd") == pytest.approx({"2026-03": 90, "2026-04": 100, "2026-05": 120})
    assert col(s, "mom") == pytest.approx({"2026-03": None, "2026-04": None, "2026-05": 1.0})


def test_mom_of_a_cut_quarter_compares_as_many_months_for_flows(con, tree, catalog):
    add(con, [fact(T1, "funds_raised", "2026-07", 10), fact(T1, "funds_raised", "2026-08", 20),
              fact(T1, "funds_raised", "2026-09", 30), fact(T1, "funds_raised", "2026-10", 15)])
    s = series(con, tree, catalog, T1, "funds_raised", "2026-07~2026-12", "quarter")
    assert col(s, "value") == pytest.approx({"2026Q3": 60, "2026Q4": 15})
    assert col(s, "partial") == {"2026Q3": False, "2026Q4": True}
    # 2026Q4 holds October only: against July (10), not the whole third quarter (60)
    assert col(s, "mom") == pytest.approx({"2026Q3": None, "2026Q4": 0.5})
    assert col(s, "ytd") == pytest.approx({"2026Q3": 60, "2026Q4": 75})


def test_no_comparison_against_zero_or_nothing(con, tree, catalog):
    add(con, [fact(T1, "funds_raised", "2025-03", 0), fact(T1, "funds_raised", "2026-02", 0),
              fact(T1, "funds_raised", "2026-03", 10)])
    s = series(con, tree, catalog, T1, "funds_raised", "2026-02~2026-03")
    assert col(s, "value") == pytest.approx({"2026-02": 0, "2026-03": 10})
    # 2026-03 against 0 (a year before and a month before): empty, never inf; 2026-02: no 2025-02
    assert col(s, "yoy") == {"2026-02": None, "2026-03": None}
    assert col(s, "mom") == {"2026-02": None, "2026-03": None}
    assert col(s, "yoy_text") == {"2026-02": None, "2026-03": None}


# --------------------------------------------------------------------------- stocks, ratios

def test_stock_values_are_carried_and_expire(con, tree, catalog):
    # org_count is monthly with carry 2: T1's January value counts through March, carried.
    add(con, [fact(T1, "org_count", "2026-01", 5), fact(T2, "org_count", "2026-01", 3),
              fact(T2, "org_count", "2026-02", 4), fact(T2, "org_count", "2026-03", 4),
              fact(T2, "org_count", "2026-04", 6)])
    s = series(con, tree, catalog, MAOJIAN, "org_count", "2026-01~2026-04")
    # Jan 5 + 3; Feb 5 (carried) + 4; Mar 5 (carried) + 4; Apr: T1's January value has expired
    assert col(s, "value") == pytest.approx({"2026-01": 8, "2026-02": 9, "2026-03": 9, "2026-04": 6})
    assert col(s, "carried_units") == {"2026-01": 0, "2026-02": 1, "2026-03": 1, "2026-04": 0}
    assert col(s, "mom") == pytest.approx({"2026-01": None, "2026-02": 0.125, "2026-03": 0.0,
                                           "2026-04": -1 / 3})
    assert col(s, "mom_text") == {"2026-01": None, "2026-02": "+12.5%", "2026-03": "持平",
                                  "2026-04": "-33.3%"}
    assert col(s, "ytd") == {p: None for p in ("2026-01", "2026-02", "2026-03", "2026-04")}
    # By quarter: 2026Q2 (April only) is the value at the end of April, against the end of the
    # whole first quarter (9): stocks compare end values.
    q = series(con, tree, catalog, MAOJIAN, "org_count", "2026-01~2026-06", "quarter")
    assert col(q, "value") == pytest.approx({"2026Q1": 9, "2026Q2": 6})
    assert col(q, "mom") == pytest.approx({"2026Q1": None, "2026Q2": -1 / 3})
    assert col(q, "partial") == {"2026Q1": False, "2026Q2": True}


def test_ratio_series_is_sum_of_numerators_over_sum_of_denominators(con, tree, catalog):
    add(con, [fact(T1, "villages_with_org", "2026-01", 3), fact(T1, "villages_total", "2026-01", 10),
              fact(T2, "villages_with_org", "2026-01", 6), fact(T2, "villages_total", "2026-01", 30),
              fact(T1, "villages_with_org", "2026-02", 6), fact(T1, "villages_total", "2026-02", 10),
              fact(T2, "villages_with_org", "2026-02", 6), fact(T2, "villages_total", "2026-02", 30),
              fact(T3, "villages_with_org", "2026-02", 7)])   # numerator only: left out
    s = series(con, tree, catalog, MAOJIAN, "village_org_coverage", "2026-01~2026-02")
    # Jan (3 + 6) / (10 + 30) = 22.5 % (the mean of 30 % and 20 % would be 25 %);
    # Feb (6 + 6) / 40 = 30 % (the mean of 60 % and 20 % would be 40 %)
    assert col(s, "value") == pytest.approx({"2026-01": 22.5, "2026-02": 30.0})
    assert col(s, "mom") == pytest.approx({"2026-01": None, "2026-02": 30 / 22.5 - 1})
    assert col(s, "mom_text") == {"2026-01": None, "2026-02": "+7.5个百分点"}
    assert col(s, "excluded_units") == {"2026-01": 0, "2026-02": 1}
    assert col(s, "yoy") == {"2026-01": None, "2026-02": None}   # nothing in 2025


# --------------------------------------------------------------------------- children

def test_children_lines_and_their_ranking(con, tree, catalog):
    add(con, [fact(T1, "funds_raised", "2026-01", 10), fact(T2, "funds_raised", "2026-01", 30),
              fact(T1, "funds_raised", "2026-02", 40), fact(T2, "funds_raised", "2026-02", 20),
              fact(T3, "funds_raised", "2026-01", 99)])
    s = series(con, tree, catalog, MAOJIAN, "funds_raised", "2026-01~2026-02", by="children")
    kids = tree.children(MAOJIAN)
    assert list(s.index) == [(p, c) for p in ("2026-01", "2026-02") for c in kids]
    assert s.loc[("2026-02", T1), "value"] == pytest.approx(40)
    assert s.loc[("2026-02", T1), "mom"] == pytest.approx(3.0)    # 40 / 10 - 1
    assert s.loc[("2026-02", T2), "ytd"] == pytest.approx(50)     # 30 + 20
    assert pd.isna(s.loc[("2026-02", T3), "value"]) and pd.isna(s.loc[("2026-02", T3), "mom"])
    # Ranked by February (the latest period with data): T1 40, T2 20, then the rest by code
    ranked = trend.ranked_regions(s.reset_index())
    assert ranked[:2] == [T1, T2] and ranked[2:] == sorted(set(kids) - {T1, T2})


def test_a_township_shows_its_villages(con, tree, catalog):
    text = ("区划代码,村(社区),期间,服务群众人次\n"
            "420302001201,堰口桥村,2026-01,100\n420302001201,堰口桥村,2026-02,150\n"
            "420302001001,顾家岗社区,2026-02,80\n")
    parsed = parse_file(text.encode(), "村.csv", tree, catalog, today=date(2026, 12, 1))
    assert parsed.problems == []
    batches.commit(con, parsed, text.encode(), "村.csv", person(con, "t"))
    with_villages = Tree(store.query(con, "regions_all"))
    s = series(con, with_villages, catalog, T1, "people_served", "2026-01~2026-02", by="children")
    assert s["value"].to_dict() == pytest.approx({
        ("2026-01", "420302001001"): float("nan"), ("2026-01", "420302001201"): 100,
        ("2026-02", "420302001001"): 80, ("2026-02", "420302001201"): 150}, nan_ok=True)
    assert set(s["region_name"]) == {"堰口桥村", "顾家岗社区"}
    own = series(con, with_villages, catalog, T1, "people_served", "2026-01~2026-02")
    assert col(own, "value") == pytest.approx({"2026-01": 100, "2026-02": 230})


def test_no_data_gives_empty_values(con, tree, catalog):
    s = series(con, tree, catalog, T1, "funds_raised", "2026-01~2026-03")
    assert len(s) == 3 and s["value"].isna().all() and s["yoy"].isna().all()


# --------------------------------------------------------------------------- CLI

@pytest.fixture
def small_db(schema_db, tmp_path):
    return saved_copy(schema_db, tmp_path / "t.duckdb",
                      [fact(T1, "funds_raised", "2025-01", 8), fact(T1, "funds_raised", "2025-12", 40),
                       fact(T1, "funds_raised", "2026-01", 10)])


def test_cli_trend_columns_and_values(small_db):
    res = run("trend", "--region", T1, "--indicator", "funds_raised", "--from", "2025-12",
              "--to", "2026-01", db=small_db)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert res.stdout.splitlines()[0] == "period,region_code,region_name,value,yoy,mom,ytd,label,partial"
    # 2026-01: 10 against 2025-01 (8) → +25 %, against 2025-12 (40) → -75 %
    assert rows[1] == {"period": "2026-01", "region_code": T1, "region_name": "武当路街道",
                       "value": "10", "yoy": "0.25", "mom": "-0.75", "ytd": "10",
                       "label": "2026年1月", "partial": "False"}
    assert rows[0]["yoy"] == "" and rows[0]["ytd"] == "48"   # 2024-12: no data; 8 + 40
    res = run("trend", "--region", T1, "--indicator", "funds_raised", "--from", "2025-01",
              "--to", "2026-12", "--grain", "year", "--format", "json", db=small_db)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert [(r["period"], r["value"], r["yoy"], r["mom"], r["partial"]) for r in got] == [
        ("2025", 48, None, None, False), ("2026", 10, 0.25, None, True)]   # 2026-01 against 2025-01


@pytest.mark.parametrize("args, message", [
    (["--region", "999999", "--indicator", "funds_raised"], "未知的区划代码"),
    (["--region", T1, "--indicator", "nope"], "未知的指标"),
])
def test_cli_trend_rejects_bad_input(small_db, args, message):
    res = run("trend", *args, "--from", "2026-01", "--to", "2026-02", db=small_db)
    assert res.returncode == 2
    assert_user_error(res, message)


def test_cli_trend_rejects_a_span_that_ends_before_it_starts(small_db):
    res = run("trend", "--region", T1, "--indicator", "funds_raised", "--from", "2026-03",
              "--to", "2026-01", db=small_db)
    assert res.returncode == 2
    assert_user_error(res, "期间有误", "结束早于开始")


# --------------------------------------------------------------------------- page

@pytest.fixture
def app(db_copy, monkeypatch):
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))

    return lambda **params: open_app("pages/trend.py", timeout=60, **params)


def cli_values(db, *args):
    """The trend command on the demo database (the app holds its own copy open)."""
    res = run("trend", *args, "--format", "json", db=db)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_page_draws_what_the_cli_says(app, demo_db):
    at = app(region=SHIYAN, ind="funds_raised")
    assert not at.exception
    assert at.query_params["span"] == "2024-11~2026-10" and at.query_params["grain"] == "month"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    (line,) = spec["data"]
    rows = cli_values(demo_db, "--region", SHIYAN, "--indicator", "funds_raised",
                      "--from", "2024-11", "--to", "2026-10")
    assert line["x"] == [r["label"] for r in rows] and len(rows) == 24
    assert line["y"] == pytest.approx([r["value"] for r in rows])
    assert spec["layout"]["title"]["text"].startswith("十堰市 · 募集资金 · 2024年11月—2026年10月")
    table = at.dataframe[0].value
    assert list(table.columns[:6]) == ["期间", "区域", "数值", "同比", "环比", "本年累计"]
    assert table.iloc[0]["期间"] == "2026年10月"
    at.select_slider(key="trend_span").set_range("2025-01", "2026-10").run()
    at.radio(key="trend_grain").set_value("year").run()
    assert (at.query_params["span"], at.query_params["grain"]) == ("2025-01~2026-10", "year")
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["x"] == ["2025年", "2026年"]


def test_page_children_lines_and_grain_in_the_url(app, demo_db):
    at = app(region=SHIYAN, ind="village_org_coverage", grain="quarter")
    assert [c.value for c in at.caption if "数据截至" in c.value] == [
        "数据截至2026年10月，2026年第四季度只含10月。图中以空心点表示。"]
    at.toggle(key="trend_children").set_value(True).run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    rows = cli_values(demo_db, "--region", SHIYAN, "--indicator", "village_org_coverage",
                      "--from", "2024-11", "--to", "2026-10", "--grain", "quarter", "--by", "children")
    latest = sorted((r for r in rows if r["period"] == "2026Q4"),
                    key=lambda r: (-(r["value"] or -1), r["region_code"]))
    assert [t["name"] for t in spec["data"]] == [r["region_name"] for r in latest[:5]]
    assert at.multiselect[0].value == [r["region_code"] for r in latest[:5]]


def test_page_says_when_there_is_no_data(app):
    at = app(region="110000", ind="funds_raised")   # 北京市: not in the demo data
    assert not at.exception
    assert [i.value for i in at.info] == ["本期尚无上报数据：北京市在2024年11月—2026年10月没有募集资金的数据。"]
    assert not at.get("plotly_chart")


def test_x_ticks_stay_upright_with_the_year_below_where_it_changes():
    """24 months: every month labelled, the year under the first and under each January; 36
    months: every other month up to the latest, the year where it changes (not under the first
    when the second starts the next year); quarters name the quarter."""
    def ticks(start: str, end: str, grain: str = "month") -> list[str]:
        periods = trend.grain_periods(Period.parse(f"{start}~{end}"), grain)
        frame = pd.DataFrame({"region_code": "420300", "region_name": "十堰市", "label": [p.label for p in periods],
                              "period": [p.key for p in periods], "value": 1.0, "partial": False,
                              "yoy_text": None, "mom_text": None})
        axis = trend.figure(frame, "t", "万元").layout.xaxis
        assert axis.tickangle == 0
        return list(axis.ticktext)
    got = ticks("2024-11", "2026-10")
    assert len(got) == 24 and got[:4] == ["11月<br>2024年", "12月", "1月<br>2025年", "2月"] and got[14] == "1月<br>2026年"
    got = ticks("2023-11", "2026-10")
    assert len(got) == 18 and got[:3] == ["12月", "2月<br>2024年", "4月"] and got[-1] == "10月"
    # a span from December: the first tick has no year beside the next one's (they overlapped)
    assert ticks("2024-12", "2026-10")[:3] == ["12月", "1月<br>2025年", "2月"]
    got = ticks("2024-01", "2026-12", "quarter")
    assert got[:2] == ["一季度<br>2024年", "二季度"] and got[4] == "一季度<br>2025年"


def test_hover_names_the_period_with_its_year():
    """The ticks say 10月 for both Octobers of 24 months: the hover says 2025年10月, 2026年10月."""
    periods = trend.grain_periods(Period.parse("2024-11~2026-10"), "month")
    frame = pd.DataFrame({"region_code": "420300", "region_name": "十堰市", "label": [p.label for p in periods],
                          "period": [p.key for p in periods], "value": 1.0, "partial": False,
                          "yoy_text": "+1.0%", "mom_text": None})
    (line,) = trend.figure(frame, "t", "万元").data
    assert "%{customdata[2]}" in line.hovertemplate and "%{x}" not in line.hovertemplate
    assert [d[2] for d in line.customdata][-13::12] == ["2025年10月", "2026年10月"]
    assert list(line.customdata[-1][:2]) == ["+1.0%", "—"]
