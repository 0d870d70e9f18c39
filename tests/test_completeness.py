"""报送情况 (tongzhan.completeness) on a tiny hand-made database, and the page on the demo database.

The tiny database holds the official tree and catalog; facts are added per test. Expected numbers
are worked out by hand in the comments; nothing computes an expectation with the code under test.
"""
from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from facts import add, fact
from tongzhan import completeness, store
from tongzhan.exports import Table, csv_bytes, tables_xlsx
from tongzhan.catalog import Catalog
from tongzhan.periods import Period
from tongzhan.regions import Tree

ROOT = Path(__file__).resolve().parent.parent

# Real codes of the official tree (checked in the `tree` fixture).
HUBEI = "420000"      # 湖北省
YICHANG = "420500"    # 宜昌市, 13 counties, 110 townships
XIAOTING = "420505"   # 猇亭区, exactly three townships:
TA = "420505001"      #   古老背街道
TB = "420505002"      #   虎牙街道
TC = "420505003"      #   云池街道
VILLAGE = "420505003001"  # a village of 云池街道, added by the tests that need it
XIANTAO = "429004"    # 仙桃市, county level directly under 湖北省, townships below it
DONGGUAN = "441900"   # 东莞市, townships directly under a prefecture
N_STORED = 18         # stored indicators in data/indicators.csv (22 minus 4 ratios)


# --------------------------------------------------------------------------- fixtures / helpers

@pytest.fixture(scope="module")
def tree(schema_db):
    t = schema_db[1]
    assert t.name[XIAOTING] == "猇亭区" and t.parent[XIAOTING] == YICHANG
    assert t.children(XIAOTING) == [TA, TB, TC]
    assert [t.name[c] for c in (TA, TB, TC)] == ["古老背街道", "虎牙街道", "云池街道"]
    assert t.parent[XIANTAO] == HUBEI and t.level[XIANTAO] == 3
    assert len(t.children(YICHANG)) == 13
    return t


@pytest.fixture(scope="module")
def catalog(schema_db):
    c = schema_db[2]
    assert len(c.stored_ids()) == N_STORED
    return c


def add_village(con, code, name, parent):
    """A village under a township, the way an upload adds one (with no facts here)."""
    village = pd.DataFrame({"code": [code], "name": [name], "parent_code": [parent]})
    with store.registered(con, "new_villages", village), \
            store.registered(con, "new_facts", pd.DataFrame({"region_code": pd.Series([], dtype=str)})):
        store.execute(con, "file_regions")
        store.execute(con, "insert_villages", batch_id=1)


def reported(con, tree, catalog, region, period, indicators=None):
    """{unit: set of reported indicators} of every unit of region, from the facts (status); the
    page's report (above township level from unit_reports) must say the same."""
    p = Period.parse(period)
    st = completeness.status(con, tree, catalog, region, p, indicators)
    got = {u: set(g.loc[g["reported"], "indicator_id"]) for u, g in st.groupby("unit_code")}
    rep = completeness.report(con, tree, catalog, region, p, indicators)
    gaps = dict(zip(rep.missing["unit_code"], rep.missing["missing_ids"]))
    assert rep.totals["units"] == len(got)
    assert {u: set(rep.indicators) - set(gaps.get(u, ())) for u in got} == got
    return got


def rows(frame, columns):
    return [tuple(r) for r in frame[columns].itertuples(index=False)]


# --------------------------------------------------------------------------- units

def test_units_follow_the_tree_down_to_township_level(tree):
    u = completeness.units(tree, XIAOTING)
    assert rows(u, ["unit_code", "group_code"]) == [(TA, TA), (TB, TB), (TC, TC)]
    u = completeness.units(tree, YICHANG)
    assert len(u) == 110
    assert set(u.loc[u["group_code"] == XIAOTING, "unit_code"]) == {TA, TB, TC}
    assert set(u["group_code"]) == set(tree.children(YICHANG))
    # A township is its own single unit.
    assert rows(completeness.units(tree, TB), ["unit_code", "group_code"]) == [(TB, TB)]
    # 仙桃 (county level directly under the province) groups its townships; 东莞's townships are
    # its direct children, so each is its own group.
    hubei = completeness.units(tree, HUBEI)
    assert set(hubei.loc[hubei["group_code"] == XIANTAO, "unit_code"]) == set(tree.children(XIANTAO))
    dg = completeness.units(tree, DONGGUAN)
    assert list(dg["unit_code"]) == list(dg["group_code"]) == sorted(tree.children(DONGGUAN))


# --------------------------------------------------------------------------- status, summary, missing

def test_one_full_one_partial_one_silent_township(con, tree, catalog):
    add(con, [fact(TA, i, "2026-10") for i in catalog.stored_ids()]      # TA: all 18
        + [fact(TB, "funds_raised", "2026-10"), fact(TB, "org_count", "2026-10")])  # TB: 2; TC: none
    oct_ = Period.parse("2026-10")

    st = completeness.status(con, tree, catalog, XIAOTING, oct_)
    assert len(st) == 3 * N_STORED                   # every unit × stored indicator, TC included
    assert st.groupby("unit_code")["reported"].sum().to_dict() == {TA: 18, TB: 2, TC: 0}
    assert set(st["indicator_id"]) == set(catalog.stored_ids())  # no ratio

    s = completeness.summary(con, tree, catalog, XIAOTING, oct_)
    assert rows(s, ["code", "units", "full", "partial", "none", "rate"]) == [
        (TA, 1, 1, 0, 0, 100.0), (TB, 1, 0, 1, 0, 0.0), (TC, 1, 0, 0, 1, 0.0)]
    assert completeness.totals(s) == {"units": 3, "full": 1, "partial": 1, "none": 1,
                                      "rate": pytest.approx(100 / 3)}

    # One level up, 猇亭区 is one row among 宜昌's 13 counties; the other 107 townships are silent.
    s = completeness.summary(con, tree, catalog, YICHANG, oct_).set_index("code")
    assert len(s) == 13 and s.loc[XIAOTING, "name"] == "猇亭区"
    assert tuple(s.loc[XIAOTING, ["units", "full", "partial", "none"]]) == (3, 1, 1, 1)
    assert s.loc[XIAOTING, "rate"] == pytest.approx(33.333333)
    assert s.drop(XIAOTING)["full"].sum() == 0 and s["units"].sum() == 110
    t = completeness.totals(s)
    assert (t["units"], t["full"], t["partial"], t["none"]) == (110, 1, 1, 108)
    assert t["rate"] == pytest.approx(100 / 110)

    m = completeness.missing_units(con, tree, catalog, XIAOTING, oct_)
    assert rows(m, ["province", "city", "county", "unit_code", "unit_name", "n_expected",
                    "n_missing", "all_missing"]) == [
        ("湖北省", "宜昌市", "猇亭区", TB, "虎牙街道", 18, 16, False),
        ("湖北省", "宜昌市", "猇亭区", TC, "云池街道", 18, 18, True)]
    tb, tc = m.iloc[0], m.iloc[1]
    assert set(tb["missing_ids"]) == set(catalog.stored_ids()) - {"funds_raised", "org_count"}
    assert "募集资金" not in tb["missing_names"] and "基层统战组织数" not in tb["missing_names"]
    assert tb["missing_names"].startswith("统战成员数、统战实践创新基地数、")  # catalog order
    assert tc["missing_names"] == "全部指标" and len(tc["missing_ids"]) == 18


def test_chosen_indicators_only(con, tree, catalog):
    add(con, [fact(TA, "funds_raised", "2026-10"), fact(TB, "org_count", "2026-10")])
    ids = ["funds_raised", "assessment_score"]
    s = completeness.summary(con, tree, catalog, XIAOTING, Period.parse("2026-10"), ids)
    # TA: 1 of 2 (partial); TB: org_count is not asked for, so 0 of 2 (none); TC: none.
    assert rows(s, ["code", "full", "partial", "none"]) == [(TA, 0, 1, 0), (TB, 0, 0, 1), (TC, 0, 0, 1)]
    m = completeness.missing_units(con, tree, catalog, XIAOTING, Period.parse("2026-10"), ids)
    assert rows(m, ["unit_code", "n_expected", "n_missing", "missing_names"]) == [
        (TA, 2, 1, "考核得分"), (TB, 2, 2, "全部指标"), (TC, 2, 2, "全部指标")]
    with pytest.raises(ValueError):
        completeness.status(con, tree, catalog, XIAOTING, Period.parse("2026-10"),
                            ["village_org_coverage"])


def test_everybody_reported_means_no_missing_units(con, tree, catalog):
    add(con, [fact(t, "funds_raised", "2026-10") for t in (TA, TB, TC)])
    m = completeness.missing_units(con, tree, catalog, XIAOTING, Period.parse("2026-10"),
                                   ["funds_raised"])
    assert m.empty and list(m.columns) == completeness.MISSING_COLUMNS
    s = completeness.summary(con, tree, catalog, XIAOTING, Period.parse("2026-10"), ["funds_raised"])
    assert completeness.totals(s)["rate"] == 100.0


def test_a_village_fact_counts_for_its_township(con, tree, catalog):
    add_village(con, VILLAGE, "测试村", TC)
    add(con, [fact(VILLAGE, "funds_raised", "2026-10", 3.0)])
    got = reported(con, tree, catalog, XIAOTING, "2026-10", ["funds_raised", "activities"])
    assert got == {TA: set(), TB: set(), TC: {"funds_raised"}}
    # The township itself as the region, and the village as the region (its own single unit).
    assert reported(con, tree, catalog, TC, "2026-10", ["funds_raised"]) == {TC: {"funds_raised"}}
    village_tree = Tree(store.query(con, "regions_all"))  # the tree now knows the village
    assert reported(con, village_tree, catalog, VILLAGE, "2026-10", ["funds_raised"]) == {
        VILLAGE: {"funds_raised"}}


def test_only_facts_inside_the_period_count(con, tree, catalog):
    fr = "funds_raised"
    add(con, [
        fact(TA, fr, "2026-09"),         # the month before
        fact(TA, fr, "2026-11"),         # the month after
        fact(TA, fr, "2025-10"),         # the same month last year
        fact(TB, fr, "2026Q4"),          # a quarter that covers October but is not inside it
        fact(TC, fr, "2026"),            # a year, likewise
        fact(XIAOTING, fr, "2026-10"),   # the county's own report counts for no township
        fact("420506001", fr, "2026-10"),  # a township of another county (夷陵区)
    ])
    assert reported(con, tree, catalog, XIAOTING, "2026-10", [fr]) == {TA: set(), TB: set(), TC: set()}
    assert reported(con, tree, catalog, XIAOTING, "2026Q4", [fr]) == {TA: {fr}, TB: {fr}, TC: set()}
    assert reported(con, tree, catalog, XIAOTING, "2026", [fr]) == {TA: {fr}, TB: {fr}, TC: {fr}}
    assert reported(con, tree, catalog, XIAOTING, "2026-09~2026-10", [fr]) == {
        TA: {fr}, TB: set(), TC: set()}
    assert reported(con, tree, catalog, XIAOTING, "2025", [fr]) == {TA: {fr}, TB: set(), TC: set()}


def test_report_agrees_with_a_plain_count_of_the_demo_facts(demo_db):
    """report() (above township level from unit_reports) against the facts counted in pandas:
    each township's reported indicators (its own facts and its villages'), then the summary,
    heat map cells and missing list worked out from those sets."""
    con = store.connect(demo_db, read_only=True)
    tree, cat = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    regions = con.sql("SELECT code, level, parent_code FROM regions").df()
    facts = con.sql("SELECT region_code, indicator_id, period_start, period_end FROM facts").df()
    parent = dict(zip(regions["code"], regions["parent_code"].replace({float("nan"): None})))
    level = dict(zip(regions["code"], regions["level"]))

    def chain(code):                   # the region and its ancestors, nearest first
        while code is not None:
            yield code
            code = parent[code]
    township = {c: next((a for a in chain(c) if level[a] == 4), None) for c in regions["code"]}
    facts["unit"] = facts["region_code"].map(township)
    facts = facts.dropna(subset=["unit"])
    checked = 0
    for region in ["000000", "420000", "420300", "330800", "370400", "429004"]:
        units = sorted(c for c in regions["code"] if level[c] == 4 and region in chain(c))
        group = {u: next(a for a in chain(u) if parent[a] == region) for u in units}
        row = {u: u if len(units) <= completeness.MAX_UNIT_ROWS else group[u] for u in units}
        for key in ["2026-10", "2026Q3", "2026", "2025-11~2026-02", "2024-01"]:
            p = Period.parse(key)
            inside = facts[(facts["period_start"] >= pd.Timestamp(p.start))
                           & (facts["period_end"] <= pd.Timestamp(p.end))]
            done = inside.groupby("unit")["indicator_id"].agg(set).to_dict()
            for ids in (list(cat.stored_ids()), ["funds_raised", "assessment_score"]):
                rep = completeness.report(con, tree, cat, region, p, ids)
                gaps = {u: [i for i in ids if i not in done.get(u, set())] for u in units}
                assert list(zip(rep.missing["unit_code"], rep.missing["missing_ids"])) == [
                    (u, tuple(g)) for u, g in gaps.items() if g]
                s = rep.summary.set_index("code")
                assert len(s) == len(set(group.values()))
                for code in set(group.values()):
                    n = [len(gaps[u]) for u in units if group[u] == code]
                    assert tuple(s.loc[code, ["units", "full", "none"]]) == (
                        len(n), n.count(0), n.count(len(ids))), (region, key, code)
                h = rep.heat.set_index(["row_code", "indicator_id"])["reported"]
                assert len(h) == len(set(row.values())) * len(ids)
                for code in set(row.values()):
                    for i in ids:
                        assert h[(code, i)] == sum(i not in gaps[u] for u in units if row[u] == code)
                checked += len(units)
    con.close()
    assert checked > 20000


# --------------------------------------------------------------------------- due indicators

def test_is_due():
    q = Period.parse
    assert completeness.is_due(q("2026-10"), 1)
    assert not completeness.is_due(q("2026-10"), 3)
    assert completeness.is_due(q("2026Q3"), 3)
    assert not completeness.is_due(q("2026-08~2026-10"), 3)   # three months, but no whole quarter
    assert completeness.is_due(q("2026-06~2026-10"), 3)       # holds Q3
    assert completeness.is_due(q("2025-11~2026-03"), 3)       # holds 2026Q1
    assert not completeness.is_due(q("2026-01~2026-10"), 12)
    assert completeness.is_due(q("2026"), 12)


def test_due_indicators_follow_the_catalogs_frequency(con, tree, catalog):
    add(con, [
        fact(TA, "funds_raised", "2026-09"),
        fact(TA, "assessment_score", "2026Q2", 80), fact(TB, "assessment_score", "2026Q3", 85),
        fact(TC, "assessment_score", "2026-09", 90),  # an odd monthly score: quarterly in the catalog
    ])                                                # org_count etc.: never reported, never due
    due = lambda p: completeness.due_indicators(con, catalog, Period.parse(p))  # noqa: E731
    assert due("2026-10") == ["funds_raised"]
    assert due("2026Q4") == ["funds_raised", "assessment_score"]
    assert due("2026-01~2026-10") == ["funds_raised", "assessment_score"]


# --------------------------------------------------------------------------- heat map and export

def test_heat_rows_are_units_when_few_else_the_children(con, tree, catalog):
    add(con, [fact(TA, "funds_raised", "2026-10"), fact(TB, "funds_raised", "2026-10"),
              fact(TA, "activities", "2026-10")])
    ids = ["funds_raised", "activities"]
    st = completeness.status(con, tree, catalog, YICHANG, Period.parse("2026-10"), ids)
    h = completeness.heat(st, tree, catalog)          # 110 units > 40: one row per county
    assert h["row_code"].nunique() == 13
    x = h[h["row_code"] == XIAOTING].set_index("indicator_id")
    assert x.loc["funds_raised", "row_label"] == "猇亭区"
    assert tuple(x.loc["funds_raised", ["units", "reported"]]) == (3, 2)
    assert x.loc["funds_raised", "share"] == pytest.approx(200 / 3)
    assert x.loc["activities", "share"] == pytest.approx(100 / 3)
    assert x.loc["activities", "indicator_name"] == "开展活动场次"
    assert h.loc[h["row_code"] != XIAOTING, "share"].eq(0).all()
    # Forced to list units: units of other counties are labelled with their county.
    h = completeness.heat(st, tree, catalog, max_units=200)
    assert h["row_code"].nunique() == 110
    assert set(h.loc[h["row_code"] == TA, "row_label"]) == {"猇亭区·古老背街道"}
    assert set(h.loc[h["row_code"] == TA, "share"]) == {100.0}
    # At the county the three townships are the rows and the children: plain names.
    st = completeness.status(con, tree, catalog, XIAOTING, Period.parse("2026-10"), ids)
    h = completeness.heat(st, tree, catalog)
    assert list(dict.fromkeys(h["row_label"])) == ["古老背街道", "虎牙街道", "云池街道"]
    fig = completeness.heat_figure(h)
    assert list(fig.data[0].y) == ["古老背街道", "虎牙街道", "云池街道"]
    assert list(fig.data[0].x) == ["募集资金", "开展活动场次"]
    assert [list(r) for r in fig.data[0].z] == [[100.0, 100.0], [100.0, 0.0], [0.0, 0.0]]


def test_downloads_open_in_excel(con, tree, catalog):
    add(con, [fact(TA, "funds_raised", "2026-10")])
    m = completeness.missing_units(con, tree, catalog, XIAOTING, Period.parse("2026-10"),
                                   ["funds_raised", "activities"])
    table = completeness.export_frame(m)
    assert list(table.columns) == ["省", "市(州)", "县(市、区)", "乡镇(街道)", "区划代码", "状态",
                                   "未报指标数", "应报指标数", "未报指标"]
    assert rows(table, ["乡镇(街道)", "区划代码", "状态", "未报指标"]) == [
        ("古老背街道", TA, "部分未报", "开展活动场次"), ("虎牙街道", TB, "全部未报", "全部指标"),
        ("云池街道", TC, "全部未报", "全部指标")]

    raw = csv_bytes(table)
    assert raw.startswith(b"\xef\xbb\xbf")            # BOM: Excel on Windows reads UTF-8
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "省,市(州),县(市、区),乡镇(街道),区划代码,状态,未报指标数,应报指标数,未报指标"
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    assert list(back["区划代码"]) == [TA, TB, TC] and back.iloc[1]["乡镇(街道)"] == "虎牙街道"

    data = tables_xlsx([Table("未报送单位", table)], "湖北省宜昌市 · 未报送单位 · 2026年10月")   # as the page
    assert pd.read_excel(io.BytesIO(data), header=None, nrows=1, engine="openpyxl").iloc[0, 0].startswith("湖北省宜昌市")
    xlsx = pd.read_excel(io.BytesIO(data), header=1, dtype=str, engine="openpyxl")
    assert list(xlsx.columns) == list(table.columns)
    assert list(xlsx["区划代码"]) == [TA, TB, TC] and list(xlsx["未报指标数"]) == ["1", "2", "2"]

    assert completeness.path_columns(tree, YICHANG) == ["county"]
    assert completeness.path_columns(tree, HUBEI) == ["city", "county"]


# --------------------------------------------------------------------------- the page (demo data)

@pytest.fixture
def app(db_copy, monkeypatch):
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))

    def open_app(**params) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / "completeness.py"), default_timeout=30)
        for k, v in params.items():
            at.query_params[k] = v
        return at.run()
    return open_app


def expected(db, region, period, due=True):
    con = store.connect(db)  # same configuration as the app, so both share one DuckDB instance
    try:
        tree, cat = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
        p = Period.parse(period)
        ids = completeness.due_indicators(con, cat, p) if due else None
        return (completeness.summary(con, tree, cat, region, p, ids),
                completeness.missing_units(con, tree, cat, region, p, ids), ids)
    finally:
        con.close()


def test_page_shows_shiyan_october_as_the_summary_says(app, db_copy):
    at = app(region="420300")                      # no period: the latest month with data
    assert not at.exception
    assert at.query_params["period"] == "2026-10" and at.query_params["region"] == "420300"
    assert at.subheader[0].value == "湖北省十堰市 · 2026年10月"
    summary, missing, ids = expected(db_copy, "420300", "2026-10")
    assert "assessment_score" not in ids and len(ids) == N_STORED - 1  # quarterly, not due in a month
    units, full, none = summary["units"].sum(), summary["full"].sum(), summary["none"].sum()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"应报单位": f"{units:,}个", "全部报送": f"{full:,}个",
                       "报送率": f"{100 * full / units:.1f}%", "全部未报": f"{none:,}个"}
    # The demo leaves about 8 % of townships without October figures.
    assert 0 < none < 0.2 * units and full + none == units

    heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert heat["y"] == list(summary["name"])    # 119 townships > 40: one row per county
    assert len(heat["x"]) == len(ids)
    by_county = dict(zip(summary["name"], summary["rate"]))
    for name, zs in zip(heat["y"], heat["z"]):
        assert zs == pytest.approx([by_county[name]] * len(ids))  # silent townships miss everything

    table = at.dataframe[-1].value
    assert list(table["区划代码"]) == list(missing["unit_code"])
    assert set(table["状态"]) == {"全部未报"}
    assert f"#### 未报送单位（{len(missing)} 个）" in [m.value for m in at.markdown]

    at.selectbox(key="drill_420300").set_value("420381").run()   # 丹江口市
    assert at.query_params["region"] == "420381" and at.query_params["period"] == "2026-10"
    assert at.subheader[0].value == "湖北省十堰市丹江口市 · 2026年10月"


def test_page_counts_all_stored_indicators_when_asked(app, db_copy):
    at = app(region="420300", period="2026Q3")
    summary, missing, _ = expected(db_copy, "420300", "2026Q3")
    assert {m.label: m.value for m in at.metric}["全部报送"] == f"{summary['full'].sum()}个"
    assert set(at.dataframe[-1].value["未报指标"]) == {"考核得分"}  # 10 % never report scores
    # October with every stored indicator: the quarterly score cannot be inside a month.
    at = app(region="420300", period="2026-10")
    at.toggle(key="only_due").set_value(False).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["全部报送"] == "0个"
    summary, _, _ = expected(db_copy, "420300", "2026-10", due=False)
    assert summary["full"].sum() == 0


def test_page_of_a_single_township(app):
    at = app(region="420302001", period="2026-09")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["应报单位"] == "1个"


def test_a_month_still_coming_in(con, tree, catalog):
    """month_reporting counts the units with a month's figures in the month and the month before;
    month_note speaks when fewer reported the month: a note, and a warning below 90 %."""
    fr = "funds_raised"
    add_village(con, VILLAGE, "测试村", TC)
    add(con, [
        fact(TA, fr, "2026-09"), fact(TB, fr, "2026-09"), fact(TC, fr, "2026-09"),
        fact(TA, fr, "2026-10"),
        fact(VILLAGE, "activities", "2026-10"),    # a village's month counts for its township (TC)
        fact(TB, "assessment_score", "2026Q4"),    # a quarter is no month's report
        fact(TB, fr, "2026"),                      # nor is a year
        fact("420506001", fr, "2026-10"),          # another county's township
    ])
    oct_end, sep_end = date(2026, 10, 31), date(2026, 9, 30)
    assert completeness.month_reporting(con, tree, XIAOTING, oct_end) == (2, 3)     # TA, TC of TA, TB, TC
    assert completeness.month_reporting(con, tree, YICHANG, oct_end) == (3, 3)      # 夷陵区's as well
    assert completeness.month_reporting(con, tree, TB, oct_end) == (0, 1)
    assert completeness.month_reporting(con, tree, TA, oct_end) == (1, 1)
    assert completeness.month_reporting(con, tree, XIAOTING, sep_end) == (3, 0)
    village_tree = Tree(store.query(con, "regions_all"))
    assert completeness.month_reporting(con, village_tree, VILLAGE, oct_end) is None

    text, serious = completeness.month_note(tree, XIAOTING, oct_end, (2, 3))
    assert text.startswith("2026年10月已有 2 个乡镇(街道)报送月度数据，上月为 3 个：本月尚未报齐") and serious
    assert text.endswith("未报送的单位见“报送情况”页。")
    assert completeness.month_note(tree, XIAOTING, oct_end, (2, 3), listed_below=True)[0].endswith("见下方清单。")
    text, serious = completeness.month_note(tree, TB, oct_end, (0, 1))
    assert text.startswith("虎牙街道尚未报送2026年10月的月度数据（上月已报送）") and serious
    assert completeness.month_note(tree, HUBEI, oct_end, (1_315, 1_425))[1] is False   # 92 %: a note
    assert completeness.month_note(tree, HUBEI, oct_end, (1_282, 1_425))[1] is True    # 89.96 %
    assert completeness.month_note(tree, XIAOTING, oct_end, (3, 3)) is None
    assert completeness.month_note(tree, XIAOTING, sep_end, (3, 0)) is None
    assert completeness.month_note(tree, XIAOTING, oct_end, None) is None
