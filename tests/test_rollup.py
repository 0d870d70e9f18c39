"""Roll-up rules (tongzhan.rollup) on small hand-made databases over the real division tree.

Every expected number is worked out by hand in the comment next to it; nothing here computes an
expectation with the code under test.

One database with the schema, the official division tree and the catalog is built once per module
(init_db takes about a second); each test works on its own copy of that file, so facts never leak
from one test into another.
"""
from __future__ import annotations

import pandas as pd
import pytest

from facts import add, fact
from people import person
from test_batches import TODAY, csv_bytes
from test_completeness import add_village
from tongzhan import batches, rollup, store
from tongzhan.importer import parse_file
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import COLUMNS, compute, indicator_table

# Real codes of the official tree (checked in the `tree` fixture).
HUBEI = "420000"      # 湖北省
SHIYAN = "420300"     # 十堰市
MAOJIAN = "420302"    # 茅箭区
ZHANGWAN = "420303"   # 张湾区
T1 = "420302001"      # 茅箭区 武当路街道
T2 = "420302002"      # 茅箭区 二堰街道
T3 = "420303001"      # 张湾区 花果街道
XIANTAO = "429004"    # 仙桃市, directly under 湖北省
XT1 = "429004001"     # 仙桃市 沙嘴街道
GUANGDONG = "440000"  # 广东省
DONGGUAN = "441900"   # 东莞市, townships directly under it
DG1 = "441900003"     # 东莞市 东城街道
DG2 = "441900004"     # 东莞市 南城街道
COUNTRY = "000000"    # 全国, the root


# --------------------------------------------------------------------------- fixtures / helpers

@pytest.fixture(scope="module")
def tree(schema_db):
    t = schema_db[1]
    # The codes used below really are where these tests assume them to be.
    assert t.name[SHIYAN] == "十堰市" and t.parent[SHIYAN] == HUBEI
    assert {MAOJIAN, ZHANGWAN} <= set(t.children(SHIYAN))
    assert {T1, T2} <= set(t.children(MAOJIAN)) and T3 in t.children(ZHANGWAN)
    assert XT1 in t.children(XIANTAO) and XIANTAO in t.children(HUBEI)
    assert {DG1, DG2} <= set(t.children(DONGGUAN)) and DONGGUAN in t.children(GUANGDONG)
    return t


@pytest.fixture(scope="module")
def catalog(schema_db):
    return schema_db[2]


def one(con, tree, catalog, region, indicator, period):
    """The row of compute(..., by='self') for one indicator, or None when there is no data."""
    out = compute(con, tree, catalog, region, [indicator], Period.parse(period))
    assert set(out["region_code"]) <= {region}
    out = out[out["indicator_id"] == indicator]
    assert len(out) <= 1
    return None if out.empty else out.iloc[0]


def value(con, tree, catalog, region, indicator, period):
    row = one(con, tree, catalog, region, indicator, period)
    return None if row is None else row["value"]


def by_children(con, tree, catalog, region, indicator, period):
    """{child code: value} of the children that have a value (indicator_table lists all children)."""
    t = indicator_table(con, tree, catalog, region, indicator, Period.parse(period), "children")
    assert list(t["region_code"]) == tree.children(region)
    return {r.region_code: r.value for r in t.itertuples() if pd.notna(r.value)}


# --------------------------------------------------------------------------- flow

def test_flow_sums_subtree_and_period(con, tree, catalog):
    add(con, [
        fact(T1, "funds_raised", "2025-12", 1000),   # before the range
        fact(T1, "funds_raised", "2026-01", 1.5),
        fact(T1, "funds_raised", "2026-02", 2.0),
        fact(T1, "funds_raised", "2026-03", 3.0),
        fact(T1, "funds_raised", "2026-04", 2000),   # after the range
        fact(T2, "funds_raised", "2026-01", 4.0),
        fact(MAOJIAN, "funds_raised", "2026-02", 10.0),  # the county's own report
        fact(T3, "funds_raised", "2026-01", 100.0),  # other county
        fact(T1, "donations", "2026-01", 7.0),       # other indicator
    ])
    row = one(con, tree, catalog, MAOJIAN, "funds_raised", "2026Q1")
    assert row["value"] == pytest.approx(20.5)     # 1.5 + 2 + 3 (T1) + 4 (T2) + 10 (own)
    assert pd.isna(row["units"])                # flows do not count reporting units
    assert value(con, tree, catalog, SHIYAN, "funds_raised", "2026Q1") == pytest.approx(120.5)  # 20.5 + 100
    assert value(con, tree, catalog, HUBEI, "funds_raised", "2026Q1") == pytest.approx(120.5)   # same subtree data
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2026-02") == pytest.approx(12.0)  # 2 + 10
    assert value(con, tree, catalog, T1, "funds_raised", "2026Q1") == pytest.approx(6.5)        # 1.5 + 2 + 3
    # 2025-12 .. 2026-04: 1000 + 1.5 + 2 + 3 + 2000 + 4 + 10
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2025-12~2026-04") == pytest.approx(3020.5)
    assert value(con, tree, catalog, MAOJIAN, "donations", "2026Q1") == pytest.approx(7.0)
    assert value(con, tree, catalog, ZHANGWAN, "donations", "2026Q1") is None  # nothing reported

    # Children rows: a child's figure is its own subtree; the county's own report is in no child row.
    assert by_children(con, tree, catalog, MAOJIAN, "funds_raised", "2026Q1") == pytest.approx(
        {T1: 6.5, T2: 4.0})                        # T1: 1.5 + 2 + 3
    assert by_children(con, tree, catalog, SHIYAN, "funds_raised", "2026Q1") == pytest.approx(
        {MAOJIAN: 20.5, ZHANGWAN: 100.0})


def test_flow_coarser_report_replaces_finer_ones(con, tree, catalog):
    ps = "people_served"
    add(con, [
        # 2025: a year report, a Q4 report and all twelve months (40 each) of the same township.
        fact(T1, ps, "2025", 500),
        fact(T1, ps, "2025Q4", 130),
        *[fact(T1, ps, f"2025-{m:02d}", 40) for m in range(1, 13)],
        # 2026: Q1 reported as a quarter (65) and as months (10, 20, 30); April only as a month.
        fact(T1, ps, "2026Q1", 65),
        fact(T1, ps, "2026-01", 10),
        fact(T1, ps, "2026-02", 20),
        fact(T1, ps, "2026-03", 30),
        fact(T1, ps, "2026-04", 7),
    ])
    v = lambda period: value(con, tree, catalog, T1, ps, period)  # noqa: E731
    assert v("2026Q1") == pytest.approx(65)             # the quarter, not 65 + 10 + 20 + 30
    assert v("2026-01~2026-02") == pytest.approx(30)    # quarter not inside the range: 10 + 20
    assert v("2026-02~2026-04") == pytest.approx(57)    # 20 + 30 + 7
    assert v("2026-01~2026-04") == pytest.approx(72)    # 65 + 7
    assert v("2025") == pytest.approx(500)              # the year replaces Q4 and all months
    assert v("2025Q4") == pytest.approx(130)            # the quarter replaces Oct..Dec
    assert v("2025-10~2025-11") == pytest.approx(80)    # 40 + 40
    assert v("2025-07~2026-03") == pytest.approx(315)   # Jul..Sep 3*40=120 + 2025Q4 130 + 2026Q1 65
    assert v("2025-01~2026-04") == pytest.approx(572)   # 500 + 65 + 7
    # Same at the county and the city (the township is their only reporter).
    assert value(con, tree, catalog, MAOJIAN, ps, "2025-07~2026-03") == pytest.approx(315)
    assert value(con, tree, catalog, SHIYAN, ps, "2026Q1") == pytest.approx(65)


def test_flow_coarser_report_of_another_region_or_indicator_replaces_nothing(con, tree, catalog):
    add(con, [
        fact(T1, "issues_resolved", "2026-01", 1),
        fact(T1, "issues_resolved", "2026-02", 2),
        fact(T1, "issues_resolved", "2026-03", 3),
        fact(MAOJIAN, "issues_resolved", "2026Q1", 6),   # the county's own quarter
        fact(T2, "issues_resolved", "2026Q1", 5),        # a sibling's quarter
        fact(T1, "activities", "2026Q1", 50),            # T1's quarter of another indicator
    ])
    # 1 + 2 + 3 (T1 months) + 6 (county) + 5 (T2)
    assert value(con, tree, catalog, MAOJIAN, "issues_resolved", "2026Q1") == pytest.approx(17)
    assert value(con, tree, catalog, T1, "issues_resolved", "2026Q1") == pytest.approx(6)  # 1 + 2 + 3
    assert value(con, tree, catalog, MAOJIAN, "activities", "2026Q1") == pytest.approx(50)


# --------------------------------------------------------------------------- stock

def test_stock_latest_value_per_region_summed_over_subtree(con, tree, catalog):
    add(con, [
        fact(T1, "org_count", "2026-01", 5),
        fact(T1, "org_count", "2026-02", 6),
        fact(T1, "org_count", "2026-03", 7),
        fact(T2, "org_count", "2026-01", 3),
        fact(T2, "org_count", "2026-02", 4),       # T2 did not report March
        fact(MAOJIAN, "org_count", "2026-01", 2),  # the county's own organisations
        fact(T3, "org_count", "2026-03", 20),
    ])
    row = one(con, tree, catalog, MAOJIAN, "org_count", "2026Q1")
    assert row["value"] == pytest.approx(13)       # 7 (T1 Mar) + 4 (T2 Feb) + 2 (own Jan); not 5+6+7+3+4+2=27
    assert row["units"] == 3
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026-03") == pytest.approx(13)  # same end
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026-02") == pytest.approx(12)  # 6 + 4 + 2
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026-01") == pytest.approx(10)  # 5 + 3 + 2
    # Monthly stocks are carried at most 2 months (catalog): in April the county's January value
    # has expired (7 + 4), in May T2's February one too (7), by December all of them.
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026-04") == pytest.approx(11)
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026-05") == pytest.approx(7)
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026") is None  # by Dec all have expired
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2025-12") is None               # nothing yet
    assert value(con, tree, catalog, SHIYAN, "org_count", "2026Q1") == pytest.approx(33)    # 13 + 20
    assert value(con, tree, catalog, SHIYAN, "org_count", "2026-02") == pytest.approx(12)   # T3 not yet
    assert by_children(con, tree, catalog, SHIYAN, "org_count", "2026Q1") == pytest.approx(
        {MAOJIAN: 13, ZHANGWAN: 20})
    assert by_children(con, tree, catalog, MAOJIAN, "org_count", "2026Q1") == pytest.approx(
        {T1: 7, T2: 4})

    # A later batch with T2's March report: validity is recomputed across batches.
    add(con, [fact(T2, "org_count", "2026-03", 9)], batch_id=2)
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026Q1") == pytest.approx(18)  # 7 + 9 + 2
    assert value(con, tree, catalog, MAOJIAN, "org_count", "2026-02") == pytest.approx(12)  # 6 + 4 + 2


def test_stock_late_report_of_an_earlier_month(con, tree, catalog):
    add(con, [fact(T1, "member_count", "2026-01", 50), fact(T1, "member_count", "2026-03", 70)])
    assert value(con, tree, catalog, T1, "member_count", "2026-02") == pytest.approx(50)  # Jan still valid
    add(con, [fact(T1, "member_count", "2026-02", 60)], batch_id=2)   # February arrives late
    assert value(con, tree, catalog, T1, "member_count", "2026-01") == pytest.approx(50)
    assert value(con, tree, catalog, T1, "member_count", "2026-02") == pytest.approx(60)
    assert value(con, tree, catalog, T1, "member_count", "2026-03") == pytest.approx(70)  # not 60 + 70
    assert value(con, tree, catalog, MAOJIAN, "member_count", "2026Q1") == pytest.approx(70)


def test_stock_reported_as_quarter_and_as_months_counts_once(con, tree, catalog):
    add(con, [
        fact(T1, "villages_total", "2026Q1", 12),
        fact(T1, "villages_total", "2026-01", 10),
        fact(T1, "villages_total", "2026-02", 11),
        fact(T1, "villages_total", "2026-03", 12),
        fact(T2, "villages_total", "2026Q1", 8),   # T2 only reports quarters
    ])
    assert value(con, tree, catalog, MAOJIAN, "villages_total", "2026Q1") == pytest.approx(20)  # 12 + 8
    assert value(con, tree, catalog, MAOJIAN, "villages_total", "2026-02") == pytest.approx(11)  # T1 Feb; T2's Q1 ends later
    assert value(con, tree, catalog, MAOJIAN, "villages_total", "2026-05") == pytest.approx(20)  # still 12 + 8


# --------------------------------------------------------------------------- ratio

def test_ratio_is_ratio_of_sums_not_average_of_rates(con, tree, catalog):
    add(con, [
        fact(T1, "villages_total", "2026-01", 1), fact(T1, "villages_with_org", "2026-01", 0),
        fact(T1, "villages_total", "2026-03", 1), fact(T1, "villages_with_org", "2026-03", 1),
        fact(T2, "villages_total", "2026-01", 3), fact(T2, "villages_with_org", "2026-01", 0),
        fact(T2, "villages_total", "2026-02", 3), fact(T2, "villages_with_org", "2026-02", 1),
        fact(T3, "villages_total", "2026-03", 10), fact(T3, "villages_with_org", "2026-03", 9),
    ])
    cov = "village_org_coverage"
    row = one(con, tree, catalog, MAOJIAN, cov, "2026Q1")
    # T1 1/1 (Mar), T2 1/3 (Feb, not reported in Mar): (1 + 1) / (1 + 3) = 2/4 = 50 %,
    # not the mean of rates (100 % + 33.3 %) / 2 = 66.7 %.
    assert row["value"] == pytest.approx(50.0)
    assert row["numerator"] == pytest.approx(2) and row["denominator"] == pytest.approx(4)
    # January: (0 + 0) / (1 + 3) = 0 %
    assert value(con, tree, catalog, MAOJIAN, cov, "2026-01") == pytest.approx(0.0)
    # City: (2 + 9) / (4 + 10) = 11/14 = 78.5714... %, not the mean of county rates (50 + 90) / 2 = 70
    row = one(con, tree, catalog, SHIYAN, cov, "2026Q1")
    assert row["value"] == pytest.approx(100 * 11 / 14)
    assert row["numerator"] == pytest.approx(11) and row["denominator"] == pytest.approx(14)

    t = indicator_table(con, tree, catalog, MAOJIAN, cov, Period.parse("2026Q1"), "children")
    got = t.set_index("region_code").loc[[T1, T2], ["value", "numerator", "denominator"]]
    assert got.loc[T1].tolist() == pytest.approx([100.0, 1, 1])      # 1/1
    assert got.loc[T2].tolist() == pytest.approx([100 / 3, 1, 3])    # 1/3 = 33.33... %
    assert t[~t["region_code"].isin([T1, T2])]["value"].isna().all()
    assert ((t["value"].dropna() >= 0) & (t["value"].dropna() <= 100)).all()


def test_chamber_coverage_and_several_indicators_at_once(con, tree, catalog):
    add(con, [
        fact(T1, "townships_total", "2026-03", 1), fact(T1, "townships_with_chamber", "2026-03", 1),
        fact(T2, "townships_total", "2026-03", 1), fact(T2, "townships_with_chamber", "2026-03", 0),
        fact(T3, "townships_total", "2026-03", 1), fact(T3, "townships_with_chamber", "2026-03", 1),
        fact(T1, "funds_raised", "2026-03", 2.5),
        fact(T3, "funds_raised", "2026-02", 1.0),
    ])
    ids = ["funds_raised", "townships_total", "chamber_coverage"]
    out = compute(con, tree, catalog, SHIYAN, ids, Period.parse("2026Q1")).set_index("indicator_id")
    assert list(out.columns) == [c for c in COLUMNS if c != "indicator_id"]
    assert out.loc["chamber_coverage", "value"] == pytest.approx(100 * 2 / 3)  # (1+0+1)/(1+1+1) = 66.67 %
    assert out.loc["chamber_coverage", "numerator"] == pytest.approx(2)
    assert out.loc["chamber_coverage", "denominator"] == pytest.approx(3)
    assert out.loc["townships_total", "value"] == pytest.approx(3)             # 1 + 1 + 1
    assert out.loc["funds_raised", "value"] == pytest.approx(3.5)              # 2.5 + 1.0
    assert "townships_with_chamber" not in out.index                           # a part, not asked for
    # By children: 茅箭区 (1+0)/(1+1) = 50 %, 张湾区 1/1 = 100 %
    assert by_children(con, tree, catalog, SHIYAN, "chamber_coverage", "2026Q1") == pytest.approx(
        {MAOJIAN: 50.0, ZHANGWAN: 100.0})


def test_ratio_counts_only_units_with_both_parts(con, tree, catalog):
    cov = "village_org_coverage"
    add(con, [
        fact(T1, "villages_total", "2026-10", 10), fact(T1, "villages_with_org", "2026-10", 8),
        fact(T2, "villages_with_org", "2026-10", 50),   # numerator only: no village total
        fact(T3, "villages_total", "2026-10", 5),       # denominator only
        fact(DG1, "villages_with_org", "2026-10", 50),  # 东莞: one township, numerator only
    ])
    row = one(con, tree, catalog, MAOJIAN, cov, "2026-10")
    # T1 8/10 = 80 %; T2's 50 is left out (else (8 + 50) / 10 = 580 %)
    assert row["value"] == pytest.approx(80.0)
    assert (row["numerator"], row["denominator"]) == (8, 10)
    assert (row["units"], row["excluded_units"]) == (1, 1)
    row = one(con, tree, catalog, SHIYAN, cov, "2026-10")
    # T3's 5 villages without a numerator do not lower the rate: still 8/10, two units left out
    assert row["value"] == pytest.approx(80.0) and row["excluded_units"] == 2
    # 东莞 and 广东: nothing to divide (was 700 % after a village total elsewhere); the unit is counted
    for region in (DONGGUAN, GUANGDONG):
        row = one(con, tree, catalog, region, cov, "2026-10")
        assert pd.isna(row["value"]) and (row["units"], row["excluded_units"]) == (0, 1)
    kids = indicator_table(con, tree, catalog, MAOJIAN, cov, Period.parse("2026-10"), "children")
    kids = kids.set_index("region_code")
    assert kids.loc[T1, "value"] == pytest.approx(80.0) and kids.loc[T1, "excluded_units"] == 0
    assert pd.isna(kids.loc[T2, "value"]) and kids.loc[T2, "excluded_units"] == 1
    # The parts themselves, asked for as stocks, still count every unit that reported them.
    assert value(con, tree, catalog, MAOJIAN, "villages_with_org", "2026-10") == pytest.approx(58)


def test_stale_stocks_expire_and_carried_ones_are_flagged(con, tree, catalog):
    add(con, [
        fact(T1, "org_count", "2026-08", 5), fact(T1, "org_count", "2026-10", 7),
        fact(T2, "org_count", "2026-08", 3),            # T2 last reported August
        fact(T1, "villages_total", "2026-10", 10), fact(T1, "villages_with_org", "2026-10", 10),
        fact(T2, "villages_total", "2026-08", 4), fact(T2, "villages_with_org", "2026-10", 2),
    ])
    row = one(con, tree, catalog, MAOJIAN, "org_count", "2026-10")
    # October: 7 (T1 Oct) + 3 (T2 Aug, carried 2 months: the limit) = 10, one unit carried
    assert row["value"] == pytest.approx(10) and (row["units"], row["carried_units"]) == (2, 1)
    assert Period(row["oldest_start"], row["oldest_end"]).label == "2026年8月"
    row = one(con, tree, catalog, MAOJIAN, "org_count", "2026-11")
    # November: T2's August value has expired; T1's October one is carried
    assert row["value"] == pytest.approx(7) and (row["units"], row["carried_units"]) == (1, 1)
    assert one(con, tree, catalog, MAOJIAN, "org_count", "2030-12") is None     # was 12 forever
    row = one(con, tree, catalog, MAOJIAN, "village_org_coverage", "2026-10")
    # (10 + 2) / (10 + 4) = 85.7 %: T2's August total is carried, so T2 counts as carried
    assert row["value"] == pytest.approx(100 * 12 / 14) and row["carried_units"] == 1
    assert Period(row["oldest_start"], row["oldest_end"]).label == "2026年8月"
    row = one(con, tree, catalog, MAOJIAN, "village_org_coverage", "2026-11")
    # November: T2's total expired, so T2 has one part only and is left out: 10/10
    assert row["value"] == pytest.approx(100.0) and row["excluded_units"] == 1
    assert one(con, tree, catalog, MAOJIAN, "village_org_coverage", "2030-12") is None


def test_flow_sums_are_exact_whatever_the_order(con, tree, catalog):
    # Ten months of 0.1: in binary floating point 0.1 added ten times is 0.9999999999999999.
    add(con, [fact(T1, "funds_raised", f"2026-{m:02d}", 0.1) for m in range(10, 0, -1)])
    assert value(con, tree, catalog, T1, "funds_raised", "2026") == 1.0
    add(con, [fact(T2, "funds_raised", "2026-01", 404.55), fact(T3, "funds_raised", "2026-01", 0.1)],
        batch_id=2)
    assert value(con, tree, catalog, SHIYAN, "funds_raised", "2026") == 405.65   # 1.0 + 404.55 + 0.1


# --------------------------------------------------------------------------- score

def test_score_mean_of_children_recursively_not_flat_mean(con, tree, catalog):
    sc = "assessment_score"
    add(con, [
        fact(T1, sc, "2025Q4", 50),
        fact(T1, sc, "2026Q1", 80),
        fact(T2, sc, "2026Q1", 90),
        fact(T3, sc, "2026Q1", 60),
    ])
    row = one(con, tree, catalog, MAOJIAN, sc, "2026Q1")
    assert row["value"] == pytest.approx(85.0) and row["units"] == 2   # (80 + 90) / 2
    row = one(con, tree, catalog, SHIYAN, sc, "2026Q1")
    # mean of county means (85 + 60) / 2 = 72.5, not the flat mean (80 + 90 + 60) / 3 = 76.67
    assert row["value"] == pytest.approx(72.5) and row["units"] == 2
    assert value(con, tree, catalog, HUBEI, sc, "2026Q1") == pytest.approx(72.5)  # only child with a score
    row = one(con, tree, catalog, T1, sc, "2026Q1")
    assert row["value"] == pytest.approx(80.0) and row["units"] == 1   # own score
    # Before Q1 is over only T1's 2025Q4 score exists: 50 all the way up, one scored child each.
    row = one(con, tree, catalog, SHIYAN, sc, "2026-02")
    assert row["value"] == pytest.approx(50.0) and row["units"] == 1
    assert value(con, tree, catalog, SHIYAN, sc, "2025") == pytest.approx(50.0)
    assert value(con, tree, catalog, SHIYAN, sc, "2025Q3") is None
    # Latest own score: in June T1 still has its Q1 score 80 (not 50, not 80 + 50).
    assert value(con, tree, catalog, T1, sc, "2026-06") == pytest.approx(80.0)
    assert by_children(con, tree, catalog, SHIYAN, sc, "2026Q1") == pytest.approx(
        {MAOJIAN: 85.0, ZHANGWAN: 60.0})
    assert by_children(con, tree, catalog, MAOJIAN, sc, "2026Q1") == pytest.approx({T1: 80.0, T2: 90.0})


def test_score_mean_is_exact_whatever_the_order_of_the_rows(con, tree, catalog):
    """A parent's score is the exact mean, the same figure whichever order the rows are added in:
    summed as doubles in this order, 87.1 + 86.3 + 88.9 + 90.7 gives 88.24999999999999 (which a
    display rounding to 0.1 at the half would show as 88.2), in another order 88.25000000000001."""
    towns = tree.children(MAOJIAN)[:4]
    scores = [87.1, 86.3, 88.9, 90.7]
    assert sum(scores) / 4 != 88.25   # the trap is real
    add(con, [fact(t, "assessment_score", "2026Q1", v) for t, v in zip(towns, scores)])
    assert value(con, tree, catalog, MAOJIAN, "assessment_score", "2026Q1") == 88.25   # exactly
    assert value(con, tree, catalog, HUBEI, "assessment_score", "2026Q1") == 88.25


def test_score_own_score_wins_over_children(con, tree, catalog):
    sc = "assessment_score"
    add(con, [
        fact(T1, sc, "2026Q1", 80),
        fact(T2, sc, "2026Q1", 90),
        fact(T3, sc, "2026Q1", 60),
        fact(ZHANGWAN, sc, "2026Q1", 70),   # the county's own score
        fact(MAOJIAN, sc, "2026Q2", 95),    # 茅箭区's own score, but only from Q2 on
    ])
    row = one(con, tree, catalog, MAOJIAN, sc, "2026Q1")
    assert row["value"] == pytest.approx(85.0) and row["units"] == 2   # no own score yet: (80 + 90) / 2
    row = one(con, tree, catalog, MAOJIAN, sc, "2026Q2")
    assert row["value"] == pytest.approx(95.0) and row["units"] == 1   # own score from Q2
    row = one(con, tree, catalog, ZHANGWAN, sc, "2026Q1")
    assert row["value"] == pytest.approx(70.0) and row["units"] == 1   # own, not T3's 60
    assert value(con, tree, catalog, SHIYAN, sc, "2026Q1") == pytest.approx(77.5)  # (85 + 70) / 2
    add(con, [fact(SHIYAN, sc, "2026Q1", 88)], batch_id=2)
    row = one(con, tree, catalog, SHIYAN, sc, "2026Q1")
    assert row["value"] == pytest.approx(88.0) and row["units"] == 1
    # The children rows are unaffected by the city's own score.
    assert by_children(con, tree, catalog, SHIYAN, sc, "2026Q1") == pytest.approx(
        {MAOJIAN: 85.0, ZHANGWAN: 70.0})


def test_score_of_a_township_over_its_villages(con, tree, catalog):
    """Villages' scores: a township's own score wins over them; without one, their mean counts."""
    data = csv_bytes(["区划代码,名称,期间,考核得分",
                      f"{T1},武当路街道,2026Q1,90",
                      f"{T1}201,甲村,2026Q1,40",       # under T1's own score: not counted
                      f"{T2}201,乙村,2026Q1,70",       # T2 has no own score: (70 + 80) / 2
                      f"{T2}202,丙村,2026Q1,80"])
    parsed = parse_file(data, "得分.csv", tree, catalog, today=TODAY, allow_subtotals=True)
    assert not parsed.problems, parsed.problems
    batches.commit(con, parsed, data, "得分.csv", person(con))
    tree = Tree(store.query(con, "regions_all"))   # with the new villages
    sc = "assessment_score"
    assert by_children(con, tree, catalog, MAOJIAN, sc, "2026Q1") == pytest.approx({T1: 90.0, T2: 75.0})
    assert by_children(con, tree, catalog, T2, sc, "2026Q1") == pytest.approx(
        {f"{T2}201": 70.0, f"{T2}202": 80.0})
    row = one(con, tree, catalog, MAOJIAN, sc, "2026Q1")
    assert row["value"] == pytest.approx(82.5) and row["units"] == 2    # (90 + 75) / 2
    assert one(con, tree, catalog, T2, sc, "2026Q1")["units"] == 2


# --------------------------------------------------------------------------- skipped levels

def test_xiantao_township_rolls_up_to_hubei_as_child_row(con, tree, catalog):
    add(con, [
        fact(XT1, "funds_raised", "2026-01", 5.5),
        fact(T1, "funds_raised", "2026-01", 1.0),
        fact(XT1, "villages_total", "2026-01", 4), fact(XT1, "villages_with_org", "2026-01", 3),
        fact(T1, "villages_total", "2026-01", 4), fact(T1, "villages_with_org", "2026-01", 1),
        fact(XT1, "assessment_score", "2026Q1", 70),
        fact(T1, "assessment_score", "2026Q1", 90),
    ])
    assert value(con, tree, catalog, HUBEI, "funds_raised", "2026Q1") == pytest.approx(6.5)   # 5.5 + 1.0
    assert value(con, tree, catalog, XIANTAO, "funds_raised", "2026Q1") == pytest.approx(5.5)
    kids = by_children(con, tree, catalog, HUBEI, "funds_raised", "2026Q1")
    assert kids == pytest.approx({XIANTAO: 5.5, SHIYAN: 1.0})
    assert by_children(con, tree, catalog, XIANTAO, "funds_raised", "2026Q1") == pytest.approx({XT1: 5.5})
    # Ratio: Hubei (3 + 1) / (4 + 4) = 50 %; 仙桃 row 3/4 = 75 %, 十堰 row 1/4 = 25 %
    assert value(con, tree, catalog, HUBEI, "village_org_coverage", "2026Q1") == pytest.approx(50.0)
    assert by_children(con, tree, catalog, HUBEI, "village_org_coverage", "2026Q1") == pytest.approx(
        {XIANTAO: 75.0, SHIYAN: 25.0})
    # Score: 仙桃 70 (its township), 十堰 90 (茅箭区 ← T1); Hubei (70 + 90) / 2 = 80
    row = one(con, tree, catalog, HUBEI, "assessment_score", "2026Q1")
    assert row["value"] == pytest.approx(80.0) and row["units"] == 2
    assert by_children(con, tree, catalog, HUBEI, "assessment_score", "2026Q1") == pytest.approx(
        {XIANTAO: 70.0, SHIYAN: 90.0})


def test_dongguan_townships_directly_under_the_city(con, tree, catalog):
    add(con, [
        fact(DG1, "funds_raised", "2026-02", 2.0),
        fact(DG2, "funds_raised", "2026-02", 3.0),
        fact(DG1, "org_count", "2026-02", 4),
        fact(DG2, "org_count", "2026-01", 6),
        fact(DG1, "assessment_score", "2026Q1", 80),
        fact(DG2, "assessment_score", "2026Q1", 90),
    ])
    assert by_children(con, tree, catalog, DONGGUAN, "funds_raised", "2026Q1") == pytest.approx(
        {DG1: 2.0, DG2: 3.0})
    assert by_children(con, tree, catalog, GUANGDONG, "funds_raised", "2026Q1") == pytest.approx(
        {DONGGUAN: 5.0})                                                     # 2 + 3
    assert value(con, tree, catalog, GUANGDONG, "org_count", "2026Q1") == pytest.approx(10)  # 4 + 6
    assert by_children(con, tree, catalog, DONGGUAN, "org_count", "2026Q1") == pytest.approx(
        {DG1: 4, DG2: 6})
    row = one(con, tree, catalog, DONGGUAN, "assessment_score", "2026Q1")
    assert row["value"] == pytest.approx(85.0) and row["units"] == 2      # (80 + 90) / 2
    row = one(con, tree, catalog, GUANGDONG, "assessment_score", "2026Q1")
    assert row["value"] == pytest.approx(85.0) and row["units"] == 1      # only 东莞 scored
    # The country root (depth 0) sees the same data, as its 广东省 child row.
    assert value(con, tree, catalog, COUNTRY, "funds_raised", "2026Q1") == pytest.approx(5.0)
    assert by_children(con, tree, catalog, COUNTRY, "funds_raised", "2026Q1") == pytest.approx(
        {GUANGDONG: 5.0})
    assert value(con, tree, catalog, COUNTRY, "org_count", "2026Q1") == pytest.approx(10)
    assert value(con, tree, catalog, COUNTRY, "assessment_score", "2026Q1") == pytest.approx(85.0)


# --------------------------------------------------------------------------- no data

def test_no_data_gives_empty_frame_and_all_children_listed(con, tree, catalog):
    add(con, [fact(T3, "funds_raised", "2026-01", 1.0)])
    out = compute(con, tree, catalog, MAOJIAN,
                  ["funds_raised", "org_count", "village_org_coverage", "assessment_score"],
                  Period.parse("2026Q1"))
    assert out.empty and list(out.columns) == COLUMNS
    t = indicator_table(con, tree, catalog, MAOJIAN, "village_org_coverage", Period.parse("2026Q1"),
                        "children")
    assert list(t["region_code"]) == tree.children(MAOJIAN)
    assert list(t["region_name"]) == [tree.name[c] for c in tree.children(MAOJIAN)]
    assert t[["value", "numerator", "denominator"]].isna().all().all()
    t = indicator_table(con, tree, catalog, MAOJIAN, "funds_raised", Period.parse("2026Q1"))
    assert list(t["region_code"]) == [MAOJIAN] and t["value"].isna().all()


def test_stale_scores_expire_and_the_childrens_mean_takes_over(con, tree, catalog):
    sc = "assessment_score"
    add(con, [fact(ZHANGWAN, sc, "2025Q1", 50), fact(T3, sc, "2026Q3", 80)])
    row = one(con, tree, catalog, ZHANGWAN, sc, "2026Q3")
    assert row["value"] == pytest.approx(80.0)      # was 50: the county's own 2025Q1 score had won
    assert (row["units"], row["carried_units"]) == (1, 0)
    row = one(con, tree, catalog, ZHANGWAN, sc, "2025-06")
    # Quarterly scores are carried one quarter: in June the Q1 score is still used, flagged
    assert row["value"] == pytest.approx(50.0) and row["carried_units"] == 1
    assert Period(row["oldest_start"], row["oldest_end"]).label == "2025年第一季度"
    assert one(con, tree, catalog, ZHANGWAN, sc, "2025Q3") is None   # by September it has expired
    # In November the 2026Q3 score is the latest due, not carried
    row = one(con, tree, catalog, SHIYAN, sc, "2026-11")
    assert row["value"] == pytest.approx(80.0) and row["carried_units"] == 0


# --------------------------------------------------------------------------- administrative levels

GZ1 = "440103001"     # a township of 广州市荔湾区 (depth 4), beside 东莞市's (depth 3)


def at_level(con, tree, catalog, region, indicator, period, level):
    """{code: value} of the regions of that level with a value; every region of the level listed."""
    t = indicator_table(con, tree, catalog, region, indicator, Period.parse(period), level=level)
    assert list(t["region_code"]) == tree.at_level(region, level)
    return {r.region_code: r.value for r in t.itertuples() if pd.notna(r.value)}


def test_regions_of_a_level_at_any_depth(con, tree, catalog):
    assert tree.level[XIANTAO] == 3 and tree.depth[XIANTAO] == 2     # a county-level city under 湖北省
    assert tree.level[DG1] == 4 and tree.depth[DG1] == 3             # a township under 东莞市
    add(con, [
        fact(T1, "funds_raised", "2026-01", 1.0), fact(T2, "funds_raised", "2026-02", 2.0),
        fact(T3, "funds_raised", "2026-03", 3.0), fact(XT1, "funds_raised", "2026-01", 5.5),
        fact(MAOJIAN, "funds_raised", "2026-02", 10.0),              # the county's own report
        fact(SHIYAN, "funds_raised", "2026-02", 100.0),              # the city's own report
        fact(T1, "villages_total", "2026-03", 4), fact(T1, "villages_with_org", "2026-03", 3),
        fact(T2, "villages_with_org", "2026-03", 1),                 # one part only
        fact(XT1, "villages_total", "2026-03", 4), fact(XT1, "villages_with_org", "2026-03", 2),
        fact(T1, "assessment_score", "2026Q1", 90), fact(T2, "assessment_score", "2026Q1", 70),
        fact(XT1, "assessment_score", "2026Q1", 60),
        fact(DG1, "org_count", "2026-03", 4), fact(DG2, "org_count", "2026-02", 6),
        fact(GZ1, "org_count", "2026-03", 5),
    ])
    # Counties of 湖北省: 茅箭区 1 + 2 + 10 (own), 张湾区 3, 仙桃市 5.5; 十堰市 (a city beside
    # 仙桃市 at depth 2) is no county, and its own 100 is in no county's row.
    assert at_level(con, tree, catalog, HUBEI, "funds_raised", "2026Q1", 3) == pytest.approx(
        {MAOJIAN: 13.0, ZHANGWAN: 3.0, XIANTAO: 5.5})
    assert at_level(con, tree, catalog, COUNTRY, "funds_raised", "2026Q1", 3) == pytest.approx(
        {MAOJIAN: 13.0, ZHANGWAN: 3.0, XIANTAO: 5.5})
    rows = rollup.at_level(con, tree, catalog, HUBEI, ["funds_raised", "org_count"], Period.parse("2026Q1"), 3)
    assert sorted(rows["region_code"]) == [MAOJIAN, ZHANGWAN, XIANTAO]   # only regions with data
    # Townships of 湖北省: the county's and the city's own reports are in no township's row.
    assert at_level(con, tree, catalog, HUBEI, "funds_raised", "2026Q1", 4) == pytest.approx(
        {T1: 1.0, T2: 2.0, T3: 3.0, XT1: 5.5})
    # Rates per township: T1 3/4 = 75 %, 沙嘴 2/4 = 50 %; T2 has a numerator only: no rate, counted.
    t = indicator_table(con, tree, catalog, HUBEI, "village_org_coverage", Period.parse("2026Q1"), level=4)
    t = t.set_index("region_code")
    assert t.loc[[T1, XT1], "value"].tolist() == pytest.approx([75.0, 50.0])
    assert pd.isna(t.loc[T2, "value"]) and t.loc[T2, "excluded_units"] == 1
    # Scores per county: 茅箭区 (90 + 70) / 2 = 80 from 2 townships, 仙桃市 60.
    assert at_level(con, tree, catalog, HUBEI, "assessment_score", "2026Q1", 3) == pytest.approx(
        {MAOJIAN: 80.0, XIANTAO: 60.0})
    # Townships of 广东省 at depth 3 (东莞市) and 4 (广州市): stocks.
    assert at_level(con, tree, catalog, GUANGDONG, "org_count", "2026Q1", 4) == pytest.approx(
        {GZ1: 5, DG1: 4, DG2: 6})
    # A city's townships, one depth only.
    assert at_level(con, tree, catalog, SHIYAN, "funds_raised", "2026Q1", 4) == pytest.approx(
        {T1: 1.0, T2: 2.0, T3: 3.0})
    # Cities of 湖北省, all at depth 2 beside 仙桃市 (a county at the same depth): 十堰市 1 + 2 + 3
    # + 10 + 100 = 116 only; 仙桃市's 5.5 is no city's figure (it was put in the last city's row).
    assert at_level(con, tree, catalog, HUBEI, "funds_raised", "2026Q1", 2) == pytest.approx({SHIYAN: 116.0})
    rows = rollup.at_level(con, tree, catalog, COUNTRY, ["funds_raised"], Period.parse("2026Q1"), 2)
    assert list(rows["region_code"]) == [SHIYAN]


def test_townships_at_two_depths_lifted_into_one_statement(con, tree, catalog, monkeypatch):
    """黑龙江省's townships sit at depth 4 (漠河市's 西林吉镇) and at depth 3 (卫东街道, directly under
    大兴安岭地区, which also has counties). level_rows reads both from the facts in one statement
    (the shallow ones lifted) and gives what a statement per depth gives; the village's value
    counts for its township, the county's townships stay townships."""
    HLJ, DXAL, MOHE = "230000", "232700", "232701"
    DX1, MH1, DX1_VILLAGE = "232700002", "232701100", "232700002201"
    assert tree.parent[DX1] == DXAL and tree.parent[MH1] == MOHE and tree.parent[MOHE] == DXAL
    add_village(con, DX1_VILLAGE, "测试村", DX1)
    add(con, [fact(DX1, "funds_raised", "2026-10", 2.0), fact(DX1_VILLAGE, "funds_raised", "2026-10", 1.0),
              fact(MH1, "funds_raised", "2026-10", 5.0),
              fact(DX1, "villages_total", "2026-10", 4), fact(DX1, "villages_with_org", "2026-10", 3),
              fact(MH1, "villages_total", "2026-10", 10), fact(MH1, "villages_with_org", "2026-10", 10),
              fact(DX1, "org_count", "2026-10", 7), fact(MH1, "org_count", "2026-09", 8)])
    statements = []
    monkeypatch.setattr(rollup, "arrow_table",
                        lambda c, name, **p: statements.append(name) or store.arrow_table(c, name, **p))
    ids = ["funds_raised", "village_org_coverage", "org_count"]

    def values() -> dict:
        t = rollup.at_level(con, tree, catalog, HLJ, ids, Period.parse("2026-10"), 4)
        return {(r.region_code, r.indicator_id): r.value for r in t.itertuples()}

    # 卫东街道: 2 + its village's 1; coverage 3 / 4; 西林吉镇: 5, 10 / 10, its September count
    expected = {(DX1, "funds_raised"): 3.0, (MH1, "funds_raised"): 5.0, (DX1, "village_org_coverage"): 75.0,
                (MH1, "village_org_coverage"): 100.0, (DX1, "org_count"): 7, (MH1, "org_count"): 8}
    assert values() == pytest.approx(expected)
    assert statements == ["flow_totals", "stock_totals", "ratio_totals"]   # no statement over the sums
    statements.clear()
    monkeypatch.setattr(rollup, "MOST_LIFTED", 0)   # as for 全国: one statement per depth
    assert values() == pytest.approx(expected)
    assert len(statements) == 6 and "flow_totals_buckets" in statements
