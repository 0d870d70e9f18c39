"""数据来源 (tongzhan.sources): the facts a figure is made of, on small hand-made databases over the
real division tree, and on the demo database.

Each test states by hand which facts count and what the figure is, then rolls the `sources` rows
up by the indicator's rule (roll_up below: Σ for flows and stocks, Σnum/Σden for ratios, Σ weight ×
score for scores) and compares with rollup.compute for the same region, indicator and period.
"""
from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from facts import add, fact, saved_copy
from test_cli import assert_user_error, run
from tongzhan import store
from tongzhan.catalog import Catalog
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import compute
from tongzhan.sources import COLUMNS, REASONS, rule_text, sources

HUBEI, SHIYAN, MAOJIAN, ZHANGWAN = "420000", "420300", "420302", "420303"
T1, T2 = "420302001", "420302002"                            # 茅箭区 武当路街道, 二堰街道
T3, T4, T5, T6 = "420303001", "420303002", "420303003", "420303004"   # 张湾区 花果, 红卫, 车城路, 汉江路街道
CLI_COLUMNS = "region_code,region_name,period,value,batch_id,file_name,uploader,committed_at,carried"


@pytest.fixture(scope="module")
def tree(schema_db):
    t = schema_db[1]
    assert {T1, T2} <= set(t.children(MAOJIAN)) and {T3, T4, T5, T6} <= set(t.children(ZHANGWAN))
    return t


@pytest.fixture(scope="module")
def catalog(schema_db):
    return schema_db[2]


def roll_up(rows: pd.DataFrame, kind: str) -> float | None:
    """The figure the counted rows make by the rule of `kind`."""
    used = rows[rows["used"]]
    if used.empty:
        return None
    if kind in ("flow", "stock"):
        return used["value"].sum()
    if kind == "ratio":
        return 100 * used.loc[used["part"] == "分子", "value"].sum() / used.loc[used["part"] == "分母", "value"].sum()
    return (used["value"] * used["weight"]).sum()


def figure(con, tree, catalog, region, indicator, period):
    """rollup.compute's row for region itself, or None."""
    out = compute(con, tree, catalog, region, [indicator], Period.parse(period))
    return None if out.empty else out.iloc[0]


def listed(rows: pd.DataFrame) -> set[tuple]:
    """(region, period, value, used, carried, reason) of each row, to compare with a hand-made set."""
    return {(r.region_code, r.period, r.value, r.used, r.carried, r.reason) for r in rows.itertuples()}


def check(con, tree, catalog, region, indicator, period, expected):
    """sources rows for the view, their roll-up equal to `expected` and to rollup.compute."""
    rows = sources(con, tree, catalog, region, indicator, Period.parse(period))
    assert list(rows.columns) == COLUMNS
    got = roll_up(rows, catalog[indicator].kind)
    assert got == pytest.approx(expected)
    assert figure(con, tree, catalog, region, indicator, period)["value"] == pytest.approx(expected)
    return rows


# --------------------------------------------------------------------------- flows

def test_flow_over_a_quarter_from_monthly_facts(con, tree, catalog):
    add(con, [fact(T1, "funds_raised", "2026-07", 10), fact(T1, "funds_raised", "2026-08", 20),
              fact(T1, "funds_raised", "2026-09", 5), fact(T1, "funds_raised", "2026-10", 99),
              fact(T3, "funds_raised", "2026Q3", 100), fact(T3, "funds_raised", "2026-08", 40),
              fact(MAOJIAN, "funds_raised", "2026-08", 50), fact(T1, "donations", "2026-08", 7)],
        batch_id=3, file_name="七月至九月.xlsx", uploader="张三")
    # 10 + 20 + 5 (茅箭区's township, months) + 100 (张湾区's township, the quarter; its August is
    # inside the quarter and not counted again) + 50 (茅箭区's own) = 185; October and donations are out.
    rows = check(con, tree, catalog, SHIYAN, "funds_raised", "2026Q3", 185)
    covered = REASONS["covered"]
    assert listed(rows) == {(T1, "2026-07", 10, True, False, ""), (T1, "2026-08", 20, True, False, ""),
                            (T1, "2026-09", 5, True, False, ""), (T3, "2026Q3", 100, True, False, ""),
                            (MAOJIAN, "2026-08", 50, True, False, ""),
                            (T3, "2026-08", 40, False, False, covered)}
    assert rows["used"].tolist() == [True] * 5 + [False]   # counted rows first
    assert set(rows["batch_id"]) == {3} and set(rows["file_name"]) == {"七月至九月.xlsx"}
    assert set(rows["uploader"]) == {"张三"} and rows["committed_at"].notna().all()
    by_code = rows.drop_duplicates("region_code").set_index("region_code")
    assert by_code.loc[T1, "region_name"] == "武当路街道" and by_code.loc[T1, "level"] == "乡镇(街道)"
    assert by_code.loc[MAOJIAN, "level"] == "县(市、区)"
    # 茅箭区 alone: its own 50 and its township's 35
    check(con, tree, catalog, MAOJIAN, "funds_raised", "2026Q3", 85)


# --------------------------------------------------------------------------- stocks

def test_stock_carried_and_stale(con, tree, catalog):
    add(con, [fact(T1, "org_count", "2026-08", 3), fact(T1, "org_count", "2026-09", 5),
              fact(T2, "org_count", "2026-10", 7), fact(T3, "org_count", "2026-07", 4)], batch_id=1,
        file_name="组织.csv", uploader="李四")
    # At October (monthly, carried up to two months: August is the oldest that counts): 武当路街道's
    # September 5 carried one month (its August is replaced by it), 二堰街道's October 7; 花果街道's
    # July is too old. 5 + 7 = 12.
    rows = check(con, tree, catalog, SHIYAN, "org_count", "2026-10", 12)
    assert listed(rows) == {(T1, "2026-09", 5, True, True, ""), (T2, "2026-10", 7, True, False, ""),
                            (T3, "2026-07", 4, False, False, REASONS["stale"])}
    row = figure(con, tree, catalog, SHIYAN, "org_count", "2026-10")
    assert (row["units"], row["carried_units"]) == (2, 1)
    # At September, 花果街道's July is carried two months and counts: 5 + 4 = 9
    rows = check(con, tree, catalog, SHIYAN, "org_count", "2026-09", 9)
    assert listed(rows) == {(T1, "2026-09", 5, True, False, ""), (T3, "2026-07", 4, True, True, "")}


# --------------------------------------------------------------------------- ratios

def test_ratio_leaves_out_units_with_one_part(con, tree, catalog):
    num, den = "villages_with_org", "villages_total"
    add(con, [fact(T1, num, "2026-10", 8), fact(T1, den, "2026-10", 10),
              fact(T2, num, "2026-10", 3), fact(T2, den, "2026-09", 4),
              fact(T3, den, "2026-10", 20),
              fact(T4, num, "2026-10", 5), fact(T4, den, "2026-06", 10)], batch_id=2)
    # 武当路 8/10, 二堰 3/4 (its denominator carried a month); 花果 has no numerator and 红卫's
    # denominator is too old: both left out. (8 + 3) / (10 + 4) = 78.571…%
    rows = check(con, tree, catalog, SHIYAN, "village_org_coverage", "2026-10", 1100 / 14)
    one = REASONS["one_part"]
    assert {(r.region_code, r.part, r.value, r.used, r.carried, r.reason) for r in rows.itertuples()} == {
        (T1, "分子", 8, True, False, ""), (T1, "分母", 10, True, False, ""),
        (T2, "分子", 3, True, False, ""), (T2, "分母", 4, True, True, ""),
        (T3, "分母", 20, False, False, one),
        (T4, "分子", 5, False, False, one), (T4, "分母", 10, False, False, REASONS["stale"])}
    assert set(rows["indicator_id"]) == {num, den}
    row = figure(con, tree, catalog, SHIYAN, "village_org_coverage", "2026-10")
    assert (row["numerator"], row["denominator"], row["excluded_units"]) == (11, 14, 2)


# --------------------------------------------------------------------------- scores

def test_scores_own_value_over_townships(con, tree, catalog):
    s = "assessment_score"
    add(con, [fact(MAOJIAN, s, "2026Q3", 80), fact(T1, s, "2026Q3", 90), fact(T2, s, "2026Q3", 70),
              fact(T3, s, "2026Q3", 60), fact(T5, s, "2026Q2", 90), fact(T6, s, "2026Q1", 10)])
    # 茅箭区 has its own 80 (its townships' 90 and 70 are not used); 张湾区 has none: the mean of
    # 花果 60 and 车城路 90 (carried one quarter) = 75; 汉江路's 2026Q1 is too old. 十堰市 = (80 + 75) / 2
    # = 77.5, i.e. 80 × 1/2 + 60 × 1/4 + 90 × 1/4.
    rows = check(con, tree, catalog, SHIYAN, s, "2026Q3", 77.5)
    over, stale = REASONS["overridden"], REASONS["stale"]
    assert {(r.region_code, r.value, r.used, r.carried, r.reason, r.weight) for r in rows.fillna({"weight": -1}).itertuples()} == {
        (MAOJIAN, 80, True, False, "", 0.5), (T3, 60, True, False, "", 0.25),
        (T5, 90, True, True, "", 0.25), (T1, 90, False, False, over, -1),
        (T2, 70, False, False, over, -1), (T6, 10, False, False, stale, -1)}
    assert rows["region_code"].tolist() == [MAOJIAN, T3, T5, T1, T2, T6]   # counted first, by depth
    # the province: only 十堰市 is scored, so the same shares
    check(con, tree, catalog, HUBEI, s, "2026Q3", 77.5)
    # 茅箭区 itself: its own score alone
    rows = check(con, tree, catalog, MAOJIAN, s, "2026Q3", 80)
    assert rows.loc[rows["used"], "region_code"].tolist() == [MAOJIAN]
    assert rows.loc[rows["used"], "weight"].tolist() == [1.0]
    # a township's own score, the region's own value: nothing below it
    check(con, tree, catalog, T3, s, "2026Q3", 60)


def test_no_facts_no_rows(con, tree, catalog):
    for ind in ("funds_raised", "org_count", "village_org_coverage", "assessment_score"):
        rows = sources(con, tree, catalog, SHIYAN, ind, Period.parse("2026-10"))
        assert rows.empty and list(rows.columns) == COLUMNS


def test_rule_texts(catalog):
    assert rule_text(catalog["funds_raised"]).startswith("流量：")
    assert "最多沿用 2 个月" in rule_text(catalog["org_count"])
    assert "Σ分子 ÷ Σ分母" in rule_text(catalog["village_org_coverage"])
    assert "最多沿用 1 个季度" in rule_text(catalog["assessment_score"])


# --------------------------------------------------------------------------- the demo database

def test_demo_sources_add_up_to_the_figures(demo_db):
    """Property check over many (region, indicator, period): the counted rows roll up to compute's
    value, and their counts (units, carried, excluded) agree with compute's."""
    con = store.connect(demo_db, read_only=True)
    try:
        tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
        rng = random.Random(12)
        townships = [c for c in tree.at_level(HUBEI, 4)]
        regions = ["000000", HUBEI, SHIYAN, "330800", MAOJIAN, "429004", *rng.sample(townships, 4)]
        periods = ["2026-10", "2026-09", "2026Q3", "2026Q4", "2025", "2026", "2025-11~2026-04", "2024-02"]
        reasons, checked = set(), 0
        for region in regions:
            for indicator in catalog.ids():
                period = rng.choice(periods)
                rows = sources(con, tree, catalog, region, indicator, Period.parse(period))
                row = figure(con, tree, catalog, region, indicator, period)
                kind = catalog[indicator].kind
                got = roll_up(rows, kind)
                assert (got is None) == (row is None or pd.isna(row["value"])), (region, indicator, period)
                if got is None:
                    continue
                assert got == pytest.approx(row["value"], rel=1e-9), (region, indicator, period)
                used = rows[rows["used"]]
                if kind == "stock":
                    assert (len(used), used["carried"].sum()) == (row["units"], row["carried_units"])
                if kind == "ratio":
                    units = used.groupby("region_code")["carried"].any()
                    assert (len(units), units.sum()) == (row["units"], row["carried_units"])
                    one_part = rows.loc[rows["reason"] == REASONS["one_part"], "region_code"]
                    assert one_part.nunique() == row["excluded_units"]
                reasons |= set(rows["reason"])
                checked += 1
        assert checked > 100
        assert {"", REASONS["stale"]} <= reasons, reasons   # the demo has units that stopped reporting
    finally:
        con.close()


# --------------------------------------------------------------------------- command line

@pytest.fixture
def db_file(schema_db, tmp_path):
    """A file copy of schema_db with a few facts, closed (for the command line)."""
    return saved_copy(schema_db, tmp_path / "s.duckdb",
                      ([fact(T1, "funds_raised", "2026-07", 10), fact(T3, "funds_raised", "2026Q3", 100),
                        fact(T3, "funds_raised", "2026-08", 40)],
                       dict(batch_id=5, file_name="=HYPERLINK(x).csv", uploader="王五")),
                      ([fact(T1, "org_count", "2026-09", 5), fact(T2, "org_count", "2026-10", 7)], dict(batch_id=6)))


def test_cli_sources_csv_and_json(db_file):
    res = run("sources", "--region", SHIYAN, "--indicator", "funds_raised", "--period", "2026Q3", db=db_file)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith(CLI_COLUMNS + ",used,reason,level,indicator_id,part,weight")
    assert lines[1].startswith(f"{T1},武当路街道,2026-07,10,5,'=HYPERLINK(x).csv,王五,")   # text, not a formula
    assert lines[2].startswith(f"{T3},花果街道,2026Q3,100,5,")
    assert lines[3].startswith(f"{T3},花果街道,2026-08,40,5,") and REASONS["covered"] in lines[3]
    assert len(lines) == 4
    res = run("sources", "--region", SHIYAN, "--indicator", "org_count", "--period", "2026-10",
              "--format", "json", db=db_file)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert [(r["region_code"], r["period"], r["value"], r["carried"], r["used"]) for r in out] == [
        (T1, "2026-09", 5, True, True), (T2, "2026-10", 7, False, True)]
    assert out[0]["batch_id"] == 6 and out[0]["committed_at"][:2] == "20"
    # the same figure as query: 5 + 7
    res = run("query", "--region", SHIYAN, "--indicator", "org_count", "--from", "2026-10", "--to", "2026-10",
              "--format", "json", db=db_file)
    assert json.loads(res.stdout)[0]["value"] == 12


@pytest.mark.parametrize("args, message", [
    (["--region", "999999", "--indicator", "funds_raised", "--period", "2026"], "未知的区划代码"),
    (["--region", SHIYAN, "--indicator", "nope", "--period", "2026"], "未知的指标"),
    (["--region", SHIYAN, "--indicator", "funds_raised", "--period", "2026-13"], "期间有误"),
])
def test_cli_sources_bad_input(db_file, args, message):
    assert_user_error(run("sources", *args, db=db_file), message)


def test_dialog_table_and_excel_keep_user_text_as_text(con, tree, catalog):
    """The dialog's table and its Excel file: Chinese headers, numbers as numbers, a file name or
    uploader that looks like a formula stays text."""
    import io

    import openpyxl

    from tongzhan import provenance_ui
    add(con, [fact(T1, "assessment_score", "2026Q3", 90), fact(T3, "assessment_score", "2026Q2", 60)],
        batch_id=4, file_name="=HYPERLINK(\"http://x\",\"点我\").xlsx", uploader="@SUM(A1)")
    found = sources(con, tree, catalog, SHIYAN, "assessment_score", Period.parse("2026Q3"))
    shown = provenance_ui.table(found, catalog, "assessment_score")
    assert list(shown.columns) == ["区域", "代码", "层级", "期间", "数值", "单位", "权重", "沿用上期数", "是否计入",
                                   "未计入原因", "批次", "文件", "上传人", "导入时间"]
    # 茅箭区 (武当路 90) and 张湾区 (花果 60, carried a quarter): each half of 十堰市's 75
    assert shown[["代码", "期间", "数值", "权重", "沿用上期数"]].values.tolist() == [
        [T1, "2026年第三季度", 90, 0.5, ""], [T3, "2026年第二季度", 60, 0.5, "沿用"]]
    ws = openpyxl.load_workbook(io.BytesIO(provenance_ui.xlsx(shown, catalog, "十堰市 · 数据来源"))).active
    assert ws["A1"].value == "十堰市 · 数据来源" and ws["A2"].value == "区域"
    cells = {ws.cell(2, c).value: ws.cell(3, c) for c in range(1, ws.max_column + 1)}
    assert cells["文件"].value == "=HYPERLINK(\"http://x\",\"点我\").xlsx" and cells["文件"].data_type == "s"
    assert cells["上传人"].value == "@SUM(A1)" and cells["上传人"].data_type == "s"
    assert cells["数值"].value == 90 and cells["权重"].number_format == "0.00%"
