"""Targets (目标值): import through the importer as targets batches, undo, completion against the
roll-ups with hand-computed expectations, lights from the config file, explicit splits, CLI."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from facts import add, fact
from tongzhan import batches, build, overview, store, targets
from tongzhan.importer import parse_file
from tongzhan.overview import kpis
from tongzhan.periods import Period
from tongzhan.rollup import indicator_table
from tongzhan.store import StoreError
from conftest import open_app
from people import person

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
MAOJIAN, T1, T2 = "420302", "420302001", "420302002"   # 茅箭区, 武当路街道, 二堰街道


@pytest.fixture
def db(con, schema_db):
    """茅箭区 with data through October 2026: 武当路街道 raises 9万元 a month (90 in January–
    October), both townships report organisations and villages in October."""
    rows = [fact(T1, "funds_raised", f"2026-{m:02d}", 9) for m in range(1, 11)]
    rows += [fact(T1, "org_count", "2026-03", 3), fact(T1, "org_count", "2026-10", 7),
             fact(T2, "org_count", "2026-10", 5),
             fact(T1, "villages_total", "2026-10", 10), fact(T1, "villages_with_org", "2026-10", 8),
             fact(T2, "villages_total", "2026-10", 10), fact(T2, "villages_with_org", "2026-10", 9)]
    add(con, rows)
    return con, schema_db[1], schema_db[2]


def load(con, tree, catalog, text: str, encoding="utf-8", name="目标.csv") -> int | None:
    data = text.encode(encoding)
    parsed = parse_file(data, name, tree, catalog, today=TODAY)
    assert not parsed.problems, parsed.problems
    assert parsed.kind == "targets"
    return batches.commit(con, parsed, data, name, person(con, "张三"))


def row(table: pd.DataFrame, region: str, indicator: str) -> dict:
    (r,) = table[(table["region_code"] == region) & (table["indicator_id"] == indicator)].to_dict("records")
    return r


def test_flow_target_prorated_by_the_months_with_data(db):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,120\n")
    r = row(targets.completion(con, tree, catalog, MAOJIAN, 2026), MAOJIAN, "funds_raised")
    # data through October: 120 × 10/12 = 100 due; 90 raised → 90 % of due (amber), 75 % of the year
    assert (r["target"], r["actual"], r["due"]) == (120, 90, 100)
    assert r["progress"] == pytest.approx(0.9) and r["completion"] == pytest.approx(0.75)
    assert (r["light"], r["period"], r["through"]) == ("amber", "2026", "2026-10")


def test_quarter_target_within_the_quarter(db):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026年第四季度,30\n"
                             f"{MAOJIAN},募集资金,2026Q3,30\n")
    q4 = row(targets.completion(con, tree, catalog, MAOJIAN, 2026, quarter=4), MAOJIAN, "funds_raised")
    assert (q4["actual"], q4["due"], q4["light"]) == (9, 10, "amber")   # October only: 30 × 1/3
    q3 = row(targets.completion(con, tree, catalog, MAOJIAN, 2026, quarter=3), MAOJIAN, "funds_raised")
    assert (q3["actual"], q3["due"], q3["progress"], q3["light"]) == (27, 30, 0.9, "amber")
    # the year's targets are apart from the quarters'
    assert targets.completion(con, tree, catalog, MAOJIAN, 2026).empty


def test_stock_and_ratio_targets_are_levels(db):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},基层统战组织数,2026,15\n"
                             f"{MAOJIAN},村(社区)统战组织覆盖率,2026,100%\n")
    t = targets.completion(con, tree, catalog, MAOJIAN, 2026)
    org, cov = row(t, MAOJIAN, "org_count"), row(t, MAOJIAN, "village_org_coverage")
    assert (org["actual"], org["due"], org["progress"], org["light"]) == (12, 15, 0.8, "amber")   # 7 + 5, never + 3
    assert (cov["actual"], cov["due"], cov["light"]) == (85, 100, "amber")   # 17 / 20
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},村(社区)统战组织覆盖率,2026,85\n")
    assert row(targets.completion(con, tree, catalog, MAOJIAN, 2026), MAOJIAN, "village_org_coverage")["light"] == "green"


def test_future_target_has_nothing_due_yet(db):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2027,120\n")
    r = row(targets.completion(con, tree, catalog, MAOJIAN, 2027), MAOJIAN, "funds_raised")
    assert (r["due"], r["light"], r["through"]) == (0, None, "") and pd.isna(r["actual"])


def test_thresholds_come_from_the_config_file(db, tmp_path):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,120\n"
                             f"{MAOJIAN},基层统战组织数,2026,15\n")
    config = tmp_path / "lights.csv"
    config.write_text("indicator_id,green,amber\n*,100,85\nfunds_raised,90,50\n", encoding="utf-8")
    t = targets.completion(con, tree, catalog, MAOJIAN, 2026, thresholds=targets.read_thresholds(config))
    assert row(t, MAOJIAN, "funds_raised")["light"] == "green"   # 90 % ≥ its own 90
    assert row(t, MAOJIAN, "org_count")["light"] == "red"        # 80 % < the default's 85
    assert targets.read_thresholds()["*"] == targets.Thresholds(1.0, 0.8)   # the shipped file
    config.write_text("indicator_id,green,amber\n*,80,100\n", encoding="utf-8")
    with pytest.raises(StoreError, match="amber ≤ green"):
        targets.read_thresholds(config)
    config.write_text("indicator_id,green,amber\nfunds_raised,90,50\n", encoding="utf-8")
    with pytest.raises(StoreError, match="默认行"):
        targets.read_thresholds(config)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_import_of_targets_files_with_units(db, encoding):
    con, tree, catalog = db
    load(con, tree, catalog, "区域,指标,期间,目标值(亿元)\n茅箭区,募集资金,2026,0.012\n", encoding)
    load(con, tree, catalog, "区域,期间,募集资金目标(万元),落地项目数目标\n十堰市,2026,1.5亿,80\n", encoding)
    load(con, tree, catalog, "区域,指标,2026年第一季度目标\n茅箭区,服务群众人次,1.2万人次\n", encoding)
    got = con.sql("SELECT region_code, indicator_id, year, quarter, value::DOUBLE FROM targets ORDER BY ALL").fetchall()
    assert got == [("420300", "funds_raised", 2026, None, 15000.0), ("420300", "projects_landed", 2026, None, 80.0),
                   (MAOJIAN, "funds_raised", 2026, None, 120.0), (MAOJIAN, "people_served", 2026, 1, 12000.0)]
    kinds = con.sql("SELECT kind FROM batches ORDER BY batch_id").fetchall()
    assert kinds == [("facts",), ("targets",), ("targets",), ("targets",)]


def test_targets_files_keep_the_importers_checks(db):
    con, tree, catalog = db

    def problems(text):
        parsed = parse_file(text.encode(), "目标.csv", tree, catalog, today=TODAY)
        return " ".join(p.message for p in parsed.problems)

    assert "年度或季度" in problems("区域,指标,期间,目标值\n茅箭区,募集资金,2026-03,1\n")
    assert "最多填到明年" in problems("区域,指标,期间,目标值\n茅箭区,募集资金,2028,1\n")
    assert "0—100%" in problems("区域,指标,期间,目标值\n茅箭区,村(社区)统战组织覆盖率,2026,120%\n")
    assert "不是整数" in problems("区域,指标,期间,目标值\n茅箭区,落地项目数,2026,5.5\n")
    assert "单位" in problems("区域,指标,期间,目标值\n茅箭区,服务群众人次,2026,5万元\n")
    assert "找不到区域" in problems("区域,指标,期间,目标值\n无此区,募集资金,2026,5\n")
    assert "两个不同的数" in problems("区域,指标,期间,目标值\n茅箭区,募集资金,2026,5\n茅箭区,募集资金,2026,6\n")
    assert "分两个文件" in problems("区域,期间,募集资金目标,落地项目数\n茅箭区,2026,5,6\n")
    # a parent and its child, a year and its quarters: targets side by side, no subtotal check
    assert problems("区域,指标,期间,目标值\n十堰市,募集资金,2026,50\n茅箭区,募集资金,2026,5\n"
                    "茅箭区,募集资金,2026Q1,1\n") == ""


def test_undo_restores_replaced_targets_exactly(db):
    con, tree, catalog = db
    first = load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,120\n"
                                     f"{MAOJIAN},募集资金,2026Q1,30\n")
    before = con.sql("SELECT * FROM targets ORDER BY ALL").df()
    second = load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,150\n"
                                      f"{MAOJIAN},募集资金,2026Q1,30\n{T1},募集资金,2026,60\n", name="改.csv")
    hist = batches.history(con).set_index("batch_id").loc[second]
    assert (hist.inserted, hist.replaced, hist.skipped, hist.kind) == (1, 1, 1, "targets")
    with pytest.raises(StoreError, match=f"批次 {second}"):
        batches.undo(con, first, person(con))   # its target was replaced by the second batch since
    batches.undo(con, second, person(con))
    pd.testing.assert_frame_equal(con.sql("SELECT * FROM targets ORDER BY ALL").df(), before)
    assert con.sql("SELECT count(*) FROM target_history").fetchall() == [(0,)]
    batches.undo(con, first, person(con))
    assert con.sql("SELECT count(*) FROM targets").fetchall() == [(0,)]


def test_targets_never_change_the_figures(db):
    con, tree, catalog = db

    def figures():
        return (indicator_table(con, tree, catalog, MAOJIAN, "funds_raised", Period.parse("2026"), "children"),
                kpis(con, tree, catalog, MAOJIAN, Period.parse("2026")),
                *(con.sql(f"SELECT * FROM {t} ORDER BY ALL").df() for t in ("facts", "bucket_totals", "unit_reports")))

    before = figures()
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,120\n{T1},募集资金,2026,1000\n"
                             f"{T2},基层统战组织数,2026,99\n")
    for a, b in zip(before, figures()):
        pd.testing.assert_frame_equal(a, b)


def test_a_child_without_target_stays_without_until_an_explicit_split(db):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},落地项目数,2026,10\n"
                             f"{MAOJIAN},村(社区)统战组织覆盖率,2026,95\n")
    assert targets.completion(con, tree, catalog, MAOJIAN, 2026, by="children").empty
    n = len(tree.children(MAOJIAN))
    batch = targets.split_target(con, tree, catalog, MAOJIAN, "projects_landed", 2026, None, None, person(con, "李四"), TODAY)
    kids = targets.stored(con, tree.children(MAOJIAN), 2026, indicator="projects_landed")
    assert len(kids) == n and kids["value"].sum() == 10 and set(kids["value"]) <= {10 // n, 10 // n + 1}
    shares = {T1: 3, T2: 1, "420302003": 0}
    targets.split_target(con, tree, catalog, MAOJIAN, "projects_landed", 2026, None, shares, person(con, "李四"), TODAY)
    got = {r.region_code: r.value for r in
           targets.stored(con, [T1, T2, "420302003"], 2026, indicator="projects_landed").itertuples()}
    assert got == {T1: 8, T2: 2, "420302003": 0}   # 7.5, 2.5, 0 as whole projects, summing to 10
    targets.split_target(con, tree, catalog, MAOJIAN, "village_org_coverage", 2026, None, None, person(con, "李四"), TODAY)
    cov = targets.stored(con, tree.children(MAOJIAN), 2026, indicator="village_org_coverage")
    assert len(cov) == n and set(cov["value"]) == {95}   # a level: each child the same
    assert batches.history(con).set_index("batch_id").loc[batch, "kind"] == "targets"


def test_split_values_add_up_exactly():
    from decimal import Decimal
    assert targets.split_values(Decimal(10), [1, 1, 1], whole=True) == [4, 3, 3]
    assert sum(targets.split_values(Decimal(100), [1, 1, 1], whole=False)) == 100
    with pytest.raises(StoreError):
        targets.split_values(Decimal(10), [0, 0], whole=True)


def test_entering_a_target_is_a_one_row_batch(db):
    con, tree, catalog = db
    b = targets.enter(con, tree, catalog, MAOJIAN, "funds_raised", 2026, None, "1.2亿", person(con, "王五"), TODAY)
    assert targets.stored(con, [MAOJIAN], 2026)["value"].tolist() == [12000]
    assert targets.enter(con, tree, catalog, MAOJIAN, "funds_raised", 2026, None, "12000", person(con, "王五"), TODAY) is None
    with pytest.raises(StoreError, match="不是数字"):
        targets.enter(con, tree, catalog, MAOJIAN, "funds_raised", 2026, None, "很多", person(con, "王五"), TODAY)
    batches.undo(con, b, person(con))
    assert targets.stored(con, [MAOJIAN], 2026).empty


def test_red_list_covers_the_units_below(db):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,120\n{T1},募集资金,2026,200\n"
                             f"{T2},募集资金,2026,10\n")
    red = targets.red_units(con, tree, catalog, "420300", 2026)
    # 武当路街道: 90 of 200 × 10/12 due = 54 %; 二堰街道 has no data (no light); 茅箭区 amber
    assert red["region_code"].tolist() == [T1] and red["progress"].iloc[0] == pytest.approx(0.54)


def test_newest_data_of_many_regions_at_once(db):
    """overview.last_ends (one statement over the county and city sums, plus the scores, which
    those sums do not hold) agrees with last_end region by region, at every depth it serves."""
    con, tree, catalog = db
    add(con, [fact("420303", "assessment_score", "2026Q4", 88),   # 张湾区's own score, the newest
              fact("420300", "org_count", "2026-11", 40),         # 十堰市's own count
              fact("420000", "funds_raised", "2025-06", 1)], batch_id=2)   # 湖北省's own, older
    regions = [c for c in tree.name if 1 <= tree.depth[c] <= 3 and c[:2] in ("42", "11")]
    for scope in ("000000", "420000", "420300"):
        inside = [c for c in regions if c != scope and (scope == "000000" or c.startswith(scope[:2 if scope.endswith("0000") else 4]))]
        assert overview.last_ends(con, tree, catalog, scope, inside) == {c: overview.last_end(con, tree, c) for c in inside}
    named = [MAOJIAN, "420303", "420300", "420000", "110000", "000000"]
    for few in (named, named + [c for c in tree.children("420300") if c not in named]):   # one by one, one statement
        ends = overview.last_ends(con, tree, catalog, "000000", few)
        assert {c: ends[c] for c in named} == {
            MAOJIAN: date(2026, 10, 31), "420303": date(2026, 12, 31), "420300": date(2026, 12, 31),
            "420000": date(2026, 12, 31), "110000": None, "000000": date(2026, 12, 31)}


def test_old_database_gets_the_targets_tables(schema_db, tmp_path):
    path = shutil.copyfile(schema_db[0], tmp_path / "old.duckdb")
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE targets; DROP TABLE target_history; ALTER TABLE batches DROP COLUMN kind;"
                "INSERT INTO batches (batch_id, file_name) VALUES (1, 'old.csv');"
                "DELETE FROM meta WHERE key = 'schema_checked'")   # made before the stamp
    con.close()
    build.ensure_db(path)
    con = store.connect(path)
    assert not build.is_outdated(con)
    assert con.sql("SELECT kind FROM batches").fetchall() == [("facts",)]
    assert con.sql("SELECT count(*) FROM targets").fetchall() == [(0,)]
    con.close()


def run(*args, db):
    return subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_targets(db, tmp_path):
    con, tree, catalog = db
    load(con, tree, catalog, f"区划代码,指标,期间,目标值\n{MAOJIAN},募集资金,2026,120\n{T1},募集资金,2026,100\n")
    path = con.sql("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    con.execute("CHECKPOINT")
    con.close()
    res = run("targets", "--region", MAOJIAN, "--year", "2026", db=path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [",".join(targets.COLUMNS),
                                       f"{MAOJIAN},funds_raised,120,90,100,0.75,amber,茅箭区,0.9,2026,2026-10"]
    res = run("targets", "--region", MAOJIAN, "--year", "2026", "--by", "children", "--format", "json", db=path)
    (child,) = json.loads(res.stdout)
    assert (child["region_code"], child["due"], child["light"]) == (T1, pytest.approx(250 / 3), "green")
    for bad, word in ((("--region", "999999", "--year", "2026"), "未知的区划代码"),
                      (("--region", MAOJIAN, "--year", "26"), "年度有误"),
                      (("--region", MAOJIAN, "--year", "2026", "--indicator", "nope"), "未知的指标")):
        res = run("targets", *bad, db=path)
        assert res.returncode == 2 and word in res.stderr and res.stdout == ""


def test_leaders_pages_run_with_several_tables(db_copy, monkeypatch):
    """目标 for 十堰市 shows its own targets and its counties' (two tables, each with a print
    twin): every page with tables runs without an exception (two twins once shared one key)."""
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    at = open_app("pages/targets.py", region="420300")
    assert not at.exception, at.exception
    assert len(at.dataframe) >= 2 and len(at.get("html")) >= 2
    for page in ("pages/trend.py", "pages/rank.py", "pages/index.py"):
        at = open_app(page, region="420300", period="2026-10")
        assert not at.exception, page
        # no plotly toolbar: its tooltips (Zoom, Pan, Download plot as a png) are English
        assert all(json.loads(c.proto.config)["displayModeBar"] is False for c in at.get("plotly_chart")), page
