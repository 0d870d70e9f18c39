"""Command line (python -m tongzhan): demo, query, errors; and a sanity check of the demo data."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import hostile
from facts import add, fact
from tongzhan import build, store
from tongzhan.catalog import Catalog
from tongzhan.regions import Tree

ROOT = Path(__file__).resolve().parent.parent
HEADER = "region_code,region_name,value,numerator,denominator,units,carried_units,excluded_units,oldest"
# 茅箭区 张湾区 郧阳区 郧西县 竹山县 竹溪县 房县 丹江口市
SHIYAN_CHILDREN = ["420302", "420303", "420304", "420322", "420323", "420324", "420325", "420381"]


def run(*args, db=None, env_db=None):
    """Run python -m tongzhan [--db db] args...; TONGZHAN_DB is set only when env_db is given."""
    env = {k: v for k, v in os.environ.items() if k != "TONGZHAN_DB"}
    env["PYTHONPATH"] = str(ROOT)
    if env_db is not None:
        env["TONGZHAN_DB"] = str(env_db)
    cmd = [sys.executable, "-m", "tongzhan"] + (["--db", str(db)] if db is not None else []) + list(args)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)


def query_args(region, indicator, start, end, *extra):
    return ["query", "--region", region, "--indicator", indicator, "--from", start, "--to", end, *extra]


def assert_user_error(res, *fragments):
    assert res.returncode != 0
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert res.stderr.startswith("错误：")
    for f in fragments:
        assert f in res.stderr
    assert res.stdout == ""


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def cli_demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    res = run("demo", db=path)
    assert res.returncode == 0, res.stderr
    assert "演示数据库已生成" in res.stdout and str(path) in res.stdout
    assert path.exists()
    assert not Path(str(path) + ".tmp").exists()
    return path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """十堰市: 茅箭区 two townships, 张湾区 one township; nothing elsewhere."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    rows = [
        # village coverage (stocks), 2026-03 unless noted
        fact("420302001", "villages_total", "2026-03", 1), fact("420302001", "villages_with_org", "2026-03", 1),
        fact("420302002", "villages_total", "2026-02", 3), fact("420302002", "villages_with_org", "2026-02", 1),
        fact("420303001", "villages_total", "2026-01", 10), fact("420303001", "villages_with_org", "2026-01", 8),
        fact("420303001", "villages_total", "2026-03", 10), fact("420303001", "villages_with_org", "2026-03", 9),
        # funds (flow): months, and for 420303001 a quarter as well as its months
        fact("420302001", "funds_raised", "2026-01", 1.25),
        fact("420302001", "funds_raised", "2026-02", 2.5),
        fact("420302002", "funds_raised", "2026-04", 99),      # outside 2026Q1
        fact("420303001", "funds_raised", "2026Q1", 4),
        fact("420303001", "funds_raised", "2026-01", 1),
        fact("420303001", "funds_raised", "2026-02", 1),
        fact("420303001", "funds_raised", "2026-03", 1),
    ]
    con = store.connect(path)
    try:
        build.init_db(con)
        add(con, rows)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


# --------------------------------------------------------------------------- query on a hand-made DB

def test_query_children_csv_matches_hand_computation(small_db):
    res = run(*query_args("420300", "village_org_coverage", "2026-01", "2026-03", "--by", "children"),
              db=small_db)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == HEADER
    assert lines[1:3] == [
        # (1 + 1) / (1 + 3) = 2/4 = 50 %, not (100 % + 33.3 %) / 2; two units, 420302002's
        # February values carried into March, none with one part only; the oldest is February
        "420302,茅箭区,50,2,4,2,1,0,2026-02",
        "420303,张湾区,90,9,10,1,0,0,2026-03",     # March 9/10 = 90 % (not Jan + Mar)
    ]
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["region_code"] for r in rows] == SHIYAN_CHILDREN
    for r in rows[2:]:   # children without data are listed with empty values
        assert set(list(r.values())[2:]) == {""}


def test_query_self_and_flow(small_db):
    res = run(*query_args("420300", "village_org_coverage", "2026-01", "2026-03"), db=small_db)
    assert res.returncode == 0, res.stderr
    # (2 + 9) / (4 + 10) = 11/14 = 78.5714285... %, rounded to 6 places; the mean of the county rates
    # would be (50 + 90) / 2 = 70.
    assert res.stdout.splitlines() == [HEADER, "420300,十堰市,78.571429,11,14,3,1,0,2026-02"]

    res = run(*query_args("420300", "funds_raised", "2026-01", "2026-03", "--by", "children"), db=small_db)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[:3] == [
        HEADER,
        "420302,茅箭区,3.75,,,,,,",      # 1.25 + 2.5 (April's 99 is outside the range)
        "420303,张湾区,4,,,,,,",         # the quarter (4), not 4 + 1 + 1 + 1
    ]
    # Periods may be quarters too: --from 2026Q1 --to 2026Q2 is 2026-01..2026-06,
    # 茅箭区: 1.25 + 2.5 + 99 (April) = 102.75
    res = run(*query_args("420302", "funds_raised", "2026Q1", "2026Q2"), db=small_db)
    assert res.stdout.splitlines() == [HEADER, "420302,茅箭区,102.75,,,,,,"]


def test_query_json(small_db):
    res = run(*query_args("420300", "village_org_coverage", "2026-01", "2026-03", "--by", "children",
                          "--format", "json"), db=small_db)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["region_code"] for r in rows] == SHIYAN_CHILDREN
    assert rows[0] == {"region_code": "420302", "region_name": "茅箭区", "value": 50.0,
                       "numerator": 2.0, "denominator": 4.0, "units": 2, "carried_units": 1,
                       "excluded_units": 0, "oldest": "2026-02"}          # 2/4
    assert rows[1] == {"region_code": "420303", "region_name": "张湾区", "value": 90.0,
                       "numerator": 9.0, "denominator": 10.0, "units": 1, "carried_units": 0,
                       "excluded_units": 0, "oldest": "2026-03"}          # 9/10
    assert all(set(list(r.values())[2:]) == {None} for r in rows[2:])
    assert "郧阳区" in res.stdout   # not \\u-escaped


def test_tongzhan_db_env_var(small_db, tmp_path):
    res = run(*query_args("420303", "village_org_coverage", "2026-01", "2026-01"), env_db=small_db)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [HEADER, "420303,张湾区,80,8,10,1,0,0,2026-01"]   # January 8/10
    missing = tmp_path / "missing.duckdb"
    res = run(*query_args("420303", "village_org_coverage", "2026-01", "2026-01"), env_db=missing)
    assert_user_error(res, "不存在", str(missing))


KPI_HEADER = ["indicator_id", "name", "value", "text", "from", "to", "compare_from", "compare_to",
              "compare_value", "delta_text", "units", "carried_units", "excluded_units", "oldest"]


def test_kpis_cut_like_for_like_at_the_regions_newest_month(small_db):
    res = run("kpis", "--region", "420302", "--period", "2026", db=small_db)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == KPI_HEADER
    assert [r["indicator_id"] for r in rows] == [
        "village_org_coverage", "funds_raised", "projects_landed", "people_served", "activities"]
    cov, funds = rows[0], rows[1]
    # 茅箭区's newest fact is April (420302002's funds), so 2026 is January–April, against
    # January–April 2025 (nothing then: no change shown).
    assert [cov[k] for k in ("from", "to", "compare_from", "compare_to")] == [
        "2026-01-01", "2026-04-30", "2025-01-01", "2025-04-30"]
    assert (cov["compare_value"], cov["delta_text"]) == ("", "")
    # April: 420302001 March 1/1 and 420302002 February 1/3, both carried: 2/4 = 50 %
    assert (cov["value"], cov["units"], cov["carried_units"], cov["excluded_units"], cov["oldest"]) == (
        "50", "2", "2", "0", "2026-02")
    assert cov["text"] == "50.0%"
    assert funds["value"] == "102.75" and funds["units"] == ""    # 1.25 + 2.5 + 99 (April)
    # 张湾区's newest fact is March: its 2026 is January–March, whatever 茅箭区 reported since.
    res = run("kpis", "--region", "420303", "--period", "2026", "--format", "json", db=small_db)
    assert res.returncode == 0, res.stderr
    cov = json.loads(res.stdout)[0]
    assert (cov["from"], cov["to"], cov["compare_to"]) == ("2026-01-01", "2026-03-31", "2025-03-31")
    assert (cov["value"], cov["carried_units"], cov["compare_value"]) == (90.0, 0, None)   # 9/10


def test_kpis_bad_arguments(small_db):
    assert_user_error(run("kpis", "--region", "999999", "--period", "2026", db=small_db), "999999")
    assert_user_error(run("kpis", "--region", "420302", "--period", "2026Q5", db=small_db), "期间")


@pytest.mark.parametrize("args, said", [
    (["rank", "--region", "420300", "--level", "town", "--indicator", "funds_raised", "--period", "2026"],
     "参数 --level 的取值 'town' 无效，可选：'province'"),
    (["rank", "--level", "county"], "缺少参数：--region, --indicator, --period"),
    (["kpis", "--region", "420300", "--period", "2026", "--bogus"], "无法识别的参数：--bogus"),
    (["kpis", "--region"], "参数 --region 后面需要一个值"),
    (["report"], "没有命令 'report'，可用的命令：'demo'"),
])
def test_argument_errors_in_chinese(small_db, args, said):
    """Mistyped commands and options are told in Chinese (argparse's own messages are English)."""
    res = run(*args, db=small_db)
    assert res.returncode == 2 and said in res.stderr, res.stderr
    assert "error:" not in res.stderr and "invalid choice" not in res.stderr


def test_database_of_an_earlier_version_is_upgraded(small_db, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copyfile(small_db, old)
    con = duckdb.connect(str(old))   # as an earlier version made it: DOUBLE values, no frequency,
    sums = con.sql("SELECT * FROM bucket_totals ORDER BY ALL").df()   # no maximum, no county sums
    facts = con.sql("SELECT * FROM facts ORDER BY ALL").df()
    con.execute("ALTER TABLE facts ALTER value TYPE DOUBLE; ALTER TABLE fact_history ALTER value TYPE DOUBLE;"
                "ALTER TABLE indicators DROP COLUMN frequency; ALTER TABLE indicators DROP COLUMN carry;"
                "ALTER TABLE indicators DROP COLUMN max_value; DROP TABLE bucket_totals;"
                "DELETE FROM meta WHERE key IN ('buckets_built', 'schema_checked')")   # no stamp either
    con.close()
    res = run(*query_args("420303", "village_org_coverage", "2026-01", "2026-01"), db=old)
    assert res.stdout.splitlines() == [HEADER, "420303,张湾区,80,8,10,1,0,0,2026-01"], res.stderr
    con = duckdb.connect(str(old), read_only=True)
    types = dict(con.sql("SELECT table_name, data_type FROM duckdb_columns() WHERE column_name = 'value'"
                         " AND table_name IN ('facts', 'fact_history')").fetchall())
    carry = con.sql("SELECT carry, max_value FROM indicators WHERE id = 'org_count'").fetchall()
    new_sums = con.sql("SELECT * FROM bucket_totals ORDER BY ALL").df()
    new_facts = con.sql("SELECT * FROM facts ORDER BY ALL").df()
    con.close()
    assert types == {"facts": "DECIMAL(18,6)", "fact_history": "DECIMAL(18,6)"} and carry == [(2, 10_000_000)]
    assert len(sums) > 10
    pd.testing.assert_frame_equal(new_sums, sums)     # rebuilt from the facts, as imports keep them
    pd.testing.assert_frame_equal(new_facts, facts)   # rewritten in the new order, the same rows


# --------------------------------------------------------------------------- errors

def test_unknown_region(small_db):
    res = run(*query_args("999999", "funds_raised", "2026-01", "2026-03"), db=small_db)
    assert_user_error(res, "未知的区划代码", "999999")


def test_unknown_indicator(small_db):
    res = run(*query_args("420300", "no_such_indicator", "2026-01", "2026-03"), db=small_db)
    assert_user_error(res, "未知的指标", "no_such_indicator")


def test_bad_period(small_db):
    res = run(*query_args("420300", "funds_raised", "2026-03", "2026-01"), db=small_db)
    assert_user_error(res, "期间有误")


def test_missing_db(tmp_path):
    path = tmp_path / "nope.duckdb"
    res = run(*query_args("420300", "funds_raised", "2026-01", "2026-03"), db=path)
    assert_user_error(res, "不存在")
    assert not path.exists()   # a query never creates a database


def test_db_without_tables(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    res = run(*query_args("420300", "funds_raised", "2026-01", "2026-03"), db=path)
    assert_user_error(res, "缺少数据表")


def test_locked_db(small_db):
    holder = duckdb.connect(str(small_db))   # read-write: holds the file lock
    try:
        res = run(*query_args("420300", "funds_raised", "2026-01", "2026-03"), db=small_db)
    finally:
        holder.close()
    assert_user_error(res, "占用")


def test_wal_left_from_another_database(small_db, tmp_path):
    """Someone copies a database file over another one and leaves the old .wal beside it."""
    other = tmp_path / "other.duckdb"
    shutil.copyfile(small_db, other)
    writer = ("import duckdb, os, signal, sys\n"
              "c = duckdb.connect(sys.argv[1]); c.execute(\"SET checkpoint_threshold = '1TB'\")\n"
              "c.execute('INSERT INTO meta VALUES (\\'x\\', \\'y\\')')\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", writer, str(other)])
    assert Path(f"{other}.wal").stat().st_size > 0
    copied = tmp_path / "copied.duckdb"
    duckdb.connect(str(copied)).close()     # a different database file ...
    shutil.copyfile(f"{other}.wal", f"{copied}.wal")   # ... with the other one's log beside it
    res = run(*query_args("420300", "funds_raised", "2026-01", "2026-03"), db=copied)
    assert_user_error(res, "copied.duckdb.wal 与它不匹配", "移走")


# --------------------------------------------------------------------------- demo data

def test_demo_shiyan_2026(cli_demo_db):
    res = run(*query_args("420300", "village_org_coverage", "2026-01", "2026-12", "--format", "json"),
              db=cli_demo_db)
    assert res.returncode == 0, res.stderr
    [row] = json.loads(res.stdout)
    assert row["region_code"] == "420300" and row["value"] == 100.0
    assert row["numerator"] == row["denominator"] > 0

    res = run(*query_args("420300", "chamber_coverage", "2026-01", "2026-12", "--format", "json"),
              db=cli_demo_db)
    assert res.returncode == 0, res.stderr
    [row] = json.loads(res.stdout)
    assert 90.0 <= row["value"] <= 100.0
    assert row["value"] == pytest.approx(100 * row["numerator"] / row["denominator"])


def test_demo_children_of_hubei_include_xiantao(cli_demo_db):
    res = run(*query_args("420000", "funds_raised", "2026-01", "2026-03", "--by", "children"),
              db=cli_demo_db)
    assert res.returncode == 0, res.stderr
    rows = {r["region_code"]: r for r in csv.DictReader(io.StringIO(res.stdout))}
    assert res.stdout.splitlines()[0] == HEADER
    assert rows["429004"]["region_name"] == "仙桃市" and float(rows["429004"]["value"]) > 0
    assert float(rows["420300"]["value"]) > 0


def test_demo_facts_consistent(cli_demo_db):
    con = duckdb.connect(str(cli_demo_db), read_only=True)
    try:
        pairs, bad = con.execute("""
            SELECT count(*), count(*) FILTER (WHERE w.value > t.value)
            FROM facts w JOIN facts t
              ON t.region_code = w.region_code AND t.period_start = w.period_start
             AND t.period_end = w.period_end AND t.indicator_id = 'villages_total'
            WHERE w.indicator_id = 'villages_with_org'""").fetchone()
        # The same for the parts of every ratio of the catalog (liaison, chamber, officer, ...).
        bad_parts = con.execute("""
            SELECT i.id, count(*) FILTER (WHERE n.value > d.value), count(*)
            FROM indicators i
            JOIN facts n ON n.indicator_id = i.numerator
            JOIN facts d ON d.indicator_id = i.denominator AND d.region_code = n.region_code
                        AND d.period_start = n.period_start AND d.period_end = n.period_end
            WHERE i.kind = 'ratio' GROUP BY i.id ORDER BY i.id""").fetchall()
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        levels = con.execute("""
            SELECT DISTINCT r.level FROM facts f JOIN regions r ON r.code = f.region_code
            WHERE f.indicator_id IN ('villages_with_org', 'villages_total')""").fetchall()
        with_org, total = con.execute("""
            SELECT count(*) FILTER (WHERE indicator_id = 'villages_with_org'),
                   count(*) FILTER (WHERE indicator_id = 'villages_total')
            FROM facts WHERE months = 1""").fetchone()
    finally:
        con.close()
    assert meta.get("demo") == "1"
    assert levels == [(4,)]                       # township facts
    assert pairs > 1000 and pairs == with_org == total   # every township-month has both parts
    assert bad == 0                               # villages_with_org <= villages_total everywhere
    assert [r[0] for r in bad_parts] == ["chamber_coverage", "liaison_coverage", "officer_coverage",
                                         "village_org_coverage"]
    assert all(r[1] == 0 and r[2] > 1000 for r in bad_parts), bad_parts


def test_reporting_counts_units_as_the_page_does(small_db):
    """报送情况 for 十堰市, 2026-03: the indicators due are those ever reported (villages_total,
    villages_with_org, funds_raised); of its 119 townships 420303001 reported all three in March,
    420302001 its two stocks, the others nothing; March's figures came from 2 units, February's
    from 3 (420302002's stocks of February included)."""
    res = run("reporting", "--region", "420300", "--period", "2026-03", db=small_db)
    assert res.returncode == 0, res.stderr
    (total,) = list(csv.DictReader(io.StringIO(res.stdout)))
    assert total == {"region_code": "420300", "region_name": "十堰市", "indicators": "3", "units": "119",
                     "full": "1", "partial": "1", "none": "117", "rate": "0.840336", "month": "2026-03",
                     "month_units": "2", "month_units_before": "3"}   # rate: 1 / 119
    res = run("reporting", "--region", "420300", "--period", "2026-03", "--table", "children",
              "--format", "json", db=small_db)
    children = {r["code"]: r for r in json.loads(res.stdout)}
    assert len(children) == 8 and sum(r["units"] for r in children.values()) == 119
    assert (children["420302"]["name"], children["420302"]["partial"], children["420302"]["none"]) == ("茅箭区", 1, 6)
    assert (children["420303"]["full"], children["420303"]["units"], children["420303"]["rate"]) == (1, 8, 12.5)
    res = run("reporting", "--region", "420302", "--period", "2026-03", "--table", "missing", db=small_db)
    missing = {r["unit_code"]: r for r in csv.DictReader(io.StringIO(res.stdout))}
    assert len(missing) == 7 and missing["420302002"]["all_missing"] == "True"
    assert missing["420302002"]["missing_ids"] == "villages_total|villages_with_org|funds_raised"
    assert (missing["420302001"]["missing_ids"], missing["420302001"]["n_missing"]) == ("funds_raised", "1")
    # every stored indicator, those nobody reported too: 420302001 still reported 2
    res = run("reporting", "--region", "420302001", "--period", "2026-03", "--all-indicators", "--format", "json",
              db=small_db)
    (unit,) = json.loads(res.stdout)
    assert (unit["indicators"], unit["units"], unit["partial"], unit["month_units"]) == (18, 1, 1, 1)
    assert_user_error(run("reporting", "--region", "420300", "--period", "2026-13", db=small_db), "期间有误")
    # cut at the newest month with data (April: 420302002's funds), as the page cuts it
    res = run("reporting", "--region", "420302", "--period", "2026Q2", "--format", "json", db=small_db)
    (cut,) = json.loads(res.stdout)
    assert (cut["month"], cut["month_units"], cut["month_units_before"], cut["partial"]) == ("2026-04", 1, 1, 1)
    assert_user_error(run("reporting", "--region", "420300", "--period", "2026-05", db=small_db),
                      "期间2026年5月晚于数据库中最新的数据（2026年4月）")


def test_a_reader_that_stops_early_gets_no_traceback(small_db):
    """… | head: the command stops quietly (exit 1) when its reader closes the pipe."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tongzhan", "--db", str(small_db), "reporting", "--region",
                             "000000", "--period", "2026-03", "--table", "missing"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"province,city,county,unit_code")
    proc.stdout.close()   # 38,723 rows follow: far more than the pipe holds
    assert proc.wait(timeout=120) == 1
    assert b"Traceback" not in proc.stderr.read()


def test_csv_keeps_formula_like_names_as_text_and_json_as_they_are(db_copy):
    """Villages named like formulas (=HYPERLINK(…), =cmd|…) in rank's CSV start with ' as in the
    pages' CSV downloads (a redirected CSV is opened in a spreadsheet); JSON keeps the names."""
    con = store.connect(db_copy)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    hostile.commit(con, tree, catalog)
    con.close()
    args = ["rank", "--region", hostile.TOWNSHIP, "--level", "village", "--indicator", "people_served",
            "--period", hostile.PERIOD]
    res = run(*args, "--format", "csv", db=db_copy)
    assert res.returncode == 0, res.stderr
    names = {r["region_code"]: r["region_name"] for r in csv.DictReader(io.StringIO(res.stdout))}
    assert names == {code: ("'" + name if name.startswith("=") else name) for code, name in hostile.VILLAGES.items()}
    res = run(*args, "--format", "json", db=db_copy)
    assert {r["region_code"]: r["region_name"] for r in json.loads(res.stdout)} == hostile.VILLAGES
