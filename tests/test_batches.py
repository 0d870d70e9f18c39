"""Upload batches with real file bytes: preview, one-transaction commit, duplicates, undo, CLI,
and an import killed half-way."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tongzhan import batches, store
from tongzhan.importer import parse_file
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import compute
from tongzhan.store import StoreError
from people import PASSWORD, person

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
MAOJIAN = "420302"
T1, T2 = "420302001", "420302002"  # 武当路街道, 二堰街道 of 茅箭区


@pytest.fixture(scope="module")
def empty_db(schema_db):
    return schema_db[0]


@pytest.fixture
def db(con, schema_db):
    return con, schema_db[1], schema_db[2]


def csv_bytes(rows: list[str], encoding="utf-8") -> bytes:
    return ("\n".join(rows) + "\n").encode(encoding)


def snapshot(con) -> dict[str, pd.DataFrame]:
    """Everything an import may change, in a stable order."""
    return {
        "facts": con.sql("SELECT * FROM facts ORDER BY ALL").df(),
        "history": con.sql("SELECT * FROM fact_history ORDER BY ALL").df(),
        "villages": con.sql("SELECT * FROM regions WHERE batch_id IS NOT NULL ORDER BY ALL").df(),
        "buckets": con.sql("SELECT * FROM bucket_totals ORDER BY ALL").df(),   # county sums
        "unit_reports": con.sql("SELECT * FROM unit_reports ORDER BY ALL").df(),
    }


def assert_same(a: dict, b: dict) -> None:
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], check_dtype=False, obj=k)


def load(con, tree, catalog, data: bytes, name="上报.csv", user="张三") -> int:
    parsed = parse_file(data, name, tree, catalog, today=TODAY)
    assert not parsed.problems, parsed.problems
    return batches.commit(con, parsed, data, name, person(con, user))


def conflicts(con, tree, catalog, data: bytes, **kw) -> list:
    """What the preview says a clean file contradicts in the stored data."""
    parsed = parse_file(data, "上报.csv", tree, catalog, today=TODAY, **kw)
    assert parsed.problems == [], parsed.problems
    return batches.preview(con, parsed, data).problems


def value(con, tree, catalog, region, ind, period) -> float | None:
    got = compute(con, tree, catalog, region, [ind], Period.parse(period))
    return float(got["value"].iloc[0]) if len(got) else None


WIDE = ["区划代码,名称,期间,募集资金(万元),服务群众人次,村(社区)总数,建有统战组织的村(社区)数",
        f"{T1},武当路街道,2026-03,12.5,300,10,8",
        f"{T2},二堰街道,2026-03,7.5,200,6,6"]


def test_commit_then_replace_then_undo_restores_exactly(db):
    con, tree, catalog = db
    empty = snapshot(con)
    b1 = load(con, tree, catalog, csv_bytes(WIDE))
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2026-03") == 20.0        # 12.5 + 7.5
    assert value(con, tree, catalog, MAOJIAN, "village_org_coverage", "2026-03") == pytest.approx(
        100 * 14 / 16)                                                                 # (8+6)/(10+6)
    after_b1 = snapshot(con)

    # A corrected file: 武当路 funds 12.5 → 20, villages_with_org 8 → 9; the rest unchanged.
    fixed = csv_bytes([WIDE[0], f"{T1},武当路街道,2026-03,20,300,10,9", WIDE[2]], "gbk")
    parsed = parse_file(fixed, "更正.csv", tree, catalog, today=TODAY)
    p = batches.preview(con, parsed, fixed)
    assert len(p.insert) == 0 and len(p.unchanged) == 6
    changes = {(r.region_code, r.indicator_id): (r.old_value, r.value) for r in p.replace.itertuples()}
    assert changes == {(T1, "funds_raised"): (12.5, 20.0), (T1, "villages_with_org"): (8.0, 9.0)}
    b2 = batches.commit(con, parsed, fixed, "更正.csv", person(con, "李四"))
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2026-03") == 27.5        # 20 + 7.5
    hist = batches.history(con).set_index("batch_id")
    assert (hist.at[b2, "inserted"], hist.at[b2, "replaced"], hist.at[b2, "skipped"]) == (0, 2, 6)
    assert hist.at[b2, "uploader"] == "李四"

    batches.undo(con, b2, person(con))
    assert_same(snapshot(con), after_b1)
    batches.undo(con, b1, person(con))
    assert_same(snapshot(con), empty)
    assert batches.history(con)["undone_at"].notna().all()


def test_undo_of_a_later_report_restores_the_stock_validity_of_earlier_ones(db):
    con, tree, catalog = db
    head = "区划代码,期间,建有统战组织的村(社区)数"
    b1 = load(con, tree, catalog, csv_bytes([head, f"{T1},2026-03,8", f"{T2},2026-03,6"]))
    after_b1 = snapshot(con)
    # June: T1 reports again (a new cell), T2 corrects March (a replaced cell) and reports June.
    b2 = load(con, tree, catalog, csv_bytes([head, f"{T1},2026-06,9", f"{T2},2026-03,5",
                                             f"{T2},2026-06,7"]))
    valid_to = dict(con.sql("SELECT region_code || ' ' || period_end, valid_to FROM facts").fetchall())
    assert valid_to == {f"{T1} 2026-03-31": date(2026, 6, 30), f"{T1} 2026-06-30": None,
                        f"{T2} 2026-03-31": date(2026, 6, 30), f"{T2} 2026-06-30": None}
    # A stock holds its latest report: 2026 H1 is June's 9 + 7; March alone is 8 + 5.
    assert value(con, tree, catalog, MAOJIAN, "villages_with_org", "2026-01~2026-06") == 16
    assert value(con, tree, catalog, MAOJIAN, "villages_with_org", "2026-03") == 13
    batches.undo(con, b2, person(con))
    assert_same(snapshot(con), after_b1)    # valid_to of both March reports back to NULL
    # March's 8 + 6 again, while they are in effect (monthly stocks are carried 2 months)
    assert value(con, tree, catalog, MAOJIAN, "villages_with_org", "2026-01~2026-05") == 14
    assert value(con, tree, catalog, MAOJIAN, "villages_with_org", "2026-01~2026-06") is None
    batches.undo(con, b1, person(con))


def test_numerator_above_the_stored_denominator_is_refused(db, tmp_path):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes(WIDE))               # 武当路: 10 villages, 8 with an organisation
    before = snapshot(con)
    more = csv_bytes(["区划代码,期间,建有统战组织的村(社区)数", f"{T1},2026-03,12"])   # 12 of 10
    parsed = parse_file(more, "更正.csv", tree, catalog, today=TODAY)
    assert parsed.problems == []                             # the file alone is fine ...
    [p] = batches.preview(con, parsed, more).problems        # ... but not with what is stored
    assert (p.row, p.column) == (2, "建有统战组织的村(社区)数")
    assert "12（2026年3月）大于已导入的「村(社区)总数」10（2026年3月）" in p.message
    with pytest.raises(StoreError, match="矛盾"):
        batches.commit(con, parsed, more, "更正.csv", person(con, "李四"))
    assert_same(snapshot(con), before)
    # Both parts in one file are checked against each other instead: 12 of 15 is fine.
    both = csv_bytes(["区划代码,期间,村(社区)总数,建有统战组织的村(社区)数", f"{T1},2026-03,15,12"])
    assert batches.preview(con, parse_file(both, "b.csv", tree, catalog, today=TODAY), both).problems == []
    # A stored denominator lowered below the stored numerator.
    fewer = csv_bytes(["区划代码,期间,村(社区)总数", f"{T1},2026-03,5"])
    [p] = conflicts(con, tree, catalog, fewer)
    assert "「村(社区)总数」5（2026年3月）小于已导入的「建有统战组织的村(社区)数」8（2026年3月）" in p.message
    # The denominator in effect carries over: 10 villages reported in March still hold in June ...
    later = csv_bytes(["区划代码,期间,建有统战组织的村(社区)数", f"{T1},2026-06,11"])
    [p] = conflicts(con, tree, catalog, later)
    assert "11（2026年6月）大于已导入的「村(社区)总数」10（2026年3月）" in p.message
    # ... unless the file reports a newer one, in an earlier row or month of its own.
    both = csv_bytes(["区划代码,期间,村(社区)总数,建有统战组织的村(社区)数", f"{T1},2026-05,12,", f"{T1},2026-06,,11"])
    assert conflicts(con, tree, catalog, both) == []
    small = csv_bytes(["区划代码,期间,村(社区)总数,建有统战组织的村(社区)数", f"{T1},2026-05,9,", f"{T1},2026-06,,11"])
    [p] = conflicts(con, tree, catalog, small)
    assert p.row == 3 and "11（2026年6月）大于第 2 行的「村(社区)总数」9（2026年5月）" in p.message


def test_parent_and_child_across_files_would_count_twice(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes(WIDE))               # 武当路 and 二堰 (茅箭区's townships), March
    county = csv_bytes(["区域,期间,募集资金(万元),考核得分", "茅箭区,2026-03,20,90"])
    parsed = parse_file(county, "县.csv", tree, catalog, today=TODAY)
    assert parsed.problems == []                             # alone, the file is fine
    [p] = conflicts(con, tree, catalog, county)              # scores are no subtotal: one problem
    assert (p.row, p.column) == (2, "募集资金") and "已导入了下级「二堰街道」等 2 个单位2026年3月的「募集资金」" in p.message
    with pytest.raises(batches.Rejected):
        batches.commit(con, parsed, county, "县.csv", person(con, "王五"))
    # The county's own number, confirmed: accepted.
    own = parse_file(county, "县.csv", tree, catalog, today=TODAY, allow_subtotals=True)
    assert conflicts(con, tree, catalog, county, allow_subtotals=True) == []
    batches.commit(con, own, county, "县.csv", person(con, "王五"))
    # And the other way round: a township after its county.
    town = csv_bytes(["区划代码,期间,募集资金(万元)", f"{T1},2026-03,13"])
    [p] = conflicts(con, tree, catalog, town)
    assert "已导入的上级「茅箭区」也有2026年3月的「募集资金」" in p.message


def test_same_file_twice_names_the_batch(db):
    con, tree, catalog = db
    data = csv_bytes(WIDE)
    b1 = load(con, tree, catalog, data)
    parsed = parse_file(data, "again.csv", tree, catalog, today=TODAY)
    assert batches.preview(con, parsed, data).duplicate_of == b1
    before = snapshot(con)
    with pytest.raises(StoreError, match=f"批次 {b1}"):
        batches.commit(con, parsed, data, "again.csv", person(con, "王五"))
    assert_same(snapshot(con), before)
    batches.undo(con, b1, person(con))   # once undone, the same file may come again
    assert load(con, tree, catalog, data) == b1 + 1


def test_a_file_that_changes_nothing_makes_no_batch(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes(WIDE))
    before = snapshot(con), batches.history(con)
    same = csv_bytes(WIDE, "gbk")          # the same cells, other bytes: not a duplicate file
    assert batches.commit(con, parse_file(same, "再次.csv", tree, catalog, today=TODAY), same, "再次.csv", person(con, "王五")) is None
    assert_same(snapshot(con), before[0])
    pd.testing.assert_frame_equal(batches.history(con), before[1])


def test_undo_of_an_overwritten_batch_is_refused_until_the_later_one_is_undone(db):
    con, tree, catalog = db
    b1 = load(con, tree, catalog, csv_bytes(WIDE))
    b2 = load(con, tree, catalog, csv_bytes([WIDE[0], f"{T1},武当路街道,2026-03,1,1,10,8"]))
    with pytest.raises(StoreError, match=f"之后的批次 {b2}"):
        batches.undo(con, b1, person(con))
    batches.undo(con, b2, person(con))
    batches.undo(con, b1, person(con))
    assert con.sql("SELECT count(*) FROM facts").fetchall() == [(0,)]
    with pytest.raises(StoreError, match="已于"):
        batches.undo(con, b1, person(con))
    with pytest.raises(StoreError, match="没有批次 99"):
        batches.undo(con, 99, person(con))


def test_rejected_file_writes_nothing(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes(WIDE))
    before = snapshot(con)
    bad = csv_bytes([WIDE[0], f"{T1},武当路街道,2026-03,abc,300,10,8"])
    parsed = parse_file(bad, "bad.csv", tree, catalog, today=TODAY)
    assert parsed.problems
    with pytest.raises(StoreError, match="未导入任何数据"):
        batches.commit(con, parsed, bad, "bad.csv", person(con, "x"))
    assert_same(snapshot(con), before)


def test_villages_are_created_and_removed_on_undo(db):
    con, tree, catalog = db
    data = csv_bytes(["区划代码,名称,期间,服务群众人次", f"{T1}901,新建社区,2026-03,40"])
    parsed = parse_file(data, "v.csv", tree, catalog, today=TODAY)
    assert list(parsed.villages["code"]) == [f"{T1}901"]
    b = batches.commit(con, parsed, data, "v.csv", person(con, "x"))
    tree2 = Tree(store.query(con, "regions_all"))
    assert tree2.parent[f"{T1}901"] == T1 and tree2.level[f"{T1}901"] == 5
    assert value(con, tree2, catalog, MAOJIAN, "people_served", "2026-03") == 40.0
    batches.undo(con, b, person(con))
    assert f"{T1}901" not in Tree(store.query(con, "regions_all"))


# --------------------------------------------------------------------------- CLI

def cli(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """python -m tongzhan --db db *args; import and undo act as test admin 张三 unless --user or
    --token is given (the password in TONGZHAN_PASSWORD)."""
    if args[0] in ("import", "undo") and "--dry-run" not in args and not {"--user", "--token"} & set(args):
        args = (*args, "--user", "张三")
    return subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db), *args], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TONGZHAN_PASSWORD": PASSWORD, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def db_file(empty_db, tmp_path) -> Path:
    return Path(shutil.copyfile(empty_db, tmp_path / "cli.duckdb"))


def test_cli_import_dry_run_batches_undo(db_file, tmp_path):
    f = tmp_path / "上报.csv"
    f.write_bytes(csv_bytes(WIDE, "gbk"))
    res = cli(db_file, "import", str(f), "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "新增 8 条" in res.stdout and "未写入" in res.stdout
    assert cli(db_file, "batches").stdout.count("\n") == 1          # header only: nothing written
    res = cli(db_file, "import", str(f), "--user", "张三")
    assert res.returncode == 0 and "批次 1" in res.stdout
    res = cli(db_file, "import", str(f))
    assert res.returncode != 0 and "批次 1" in res.stderr and "Traceback" not in res.stderr
    listing = cli(db_file, "batches").stdout
    assert "上报.csv" in listing and "张三" in listing
    res = cli(db_file, "undo", "1")
    assert res.returncode == 0 and "已撤销" in res.stdout


def test_cli_rejects_with_every_problem_listed(db_file, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes(csv_bytes([WIDE[0], f"{T1},武当路街道,2026-03,abc,300,10,8",
                             f"{T2},二堰街道,2026-03,5,-3,6,9"]))
    res = cli(db_file, "import", str(f))
    assert res.returncode != 0 and "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert "处问题" in lines[0]
    body = "\n".join(lines[1:])
    assert "2," in body and "3," in body          # file rows 2 and 3 are both reported
    assert cli(db_file, "batches").stdout.count("\n") == 1


def test_import_killed_half_way_leaves_all_or_nothing(db_file, tmp_path):
    """Kill the importing process at several moments; the database holds the batch wholly or not
    at all each time."""
    tree = Tree(_regions(db_file))
    towns = [t for c in tree.children("420300") for t in tree.children(c)]
    rows = ["区划代码,期间,募集资金(万元),服务群众人次,开展活动场次"]
    for y in range(2021, 2026):
        for m in range(1, 13):
            rows += [f"{t},{y}-{m:02d},1.5,10,2" for t in towns]
    f = tmp_path / "big.csv"
    f.write_bytes(csv_bytes(rows))
    expected = 3 * (len(rows) - 1)
    outcomes = set()
    for delay in (0.5, 1.5, 2.5, 3.5, 5.0):
        proc = subprocess.Popen([sys.executable, "-m", "tongzhan", "--db", str(db_file), "import",
                                 str(f)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        con = store.connect(db_file)
        n_facts = con.sql("SELECT count(*) FROM facts").fetchall()[0][0]
        n_batches = con.sql("SELECT count(*) FROM batches WHERE undone_at IS NULL").fetchall()[0][0]
        con.close()
        assert (n_facts, n_batches) in {(0, 0), (expected, 1)}, (delay, n_facts, n_batches)
        outcomes.add(n_batches)
    assert 0 in outcomes   # at least one kill really landed before the commit


def _regions(path: Path) -> pd.DataFrame:
    con = store.connect(path, read_only=True)
    try:
        return store.query(con, "regions_all")
    finally:
        con.close()


def test_cli_size_limit_is_configurable(db_file, tmp_path):
    f = tmp_path / "上报.csv"
    f.write_bytes(csv_bytes(WIDE))            # about 200 bytes
    res = cli(db_file, "import", str(f), "--dry-run", TONGZHAN_MAX_UPLOAD_MB="0.0001")   # 104 bytes
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "MB" in res.stderr and "超过" in res.stderr
    res = cli(db_file, "import", str(f), "--dry-run", TONGZHAN_MAX_UPLOAD_MB="abc")
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "TONGZHAN_MAX_UPLOAD_MB 应为正数" in res.stderr and "「abc」" in res.stderr


def test_cli_scope_resolves_names_inside_it(db_file, tmp_path):
    f = tmp_path / "双塔.csv"
    f.write_bytes(csv_bytes(["区域,期间,开展活动场次", "双塔街道,2026-09,3"], "gbk"))
    res = cli(db_file, "import", str(f), "--dry-run")
    assert res.returncode == 1 and "个同名单位" in res.stderr          # six 双塔街道 in the country
    res = cli(db_file, "import", str(f), "--scope", "330881")         # 江山市
    assert res.returncode == 0 and "新增 1 条" in res.stdout, res.stderr


def test_cli_lists_contradictions_with_stored_data(db_file, tmp_path):
    f, g = tmp_path / "总数.csv", tmp_path / "已建.csv"
    f.write_bytes(csv_bytes(["区划代码,期间,村(社区)总数", f"{T1},2026-03,10"], "gbk"))
    g.write_bytes(csv_bytes(["区划代码,期间,建有统战组织的村(社区)数", f"{T1},2026-03,12"], "gbk"))
    assert cli(db_file, "import", str(f)).returncode == 0
    for args in ([], ["--dry-run"]):
        res = cli(db_file, "import", str(g), *args)
        assert res.returncode == 1 and "2,建有统战组织的村(社区)数,「建有统战组织的村(社区)数」12（2026年3月）大于" in res.stderr
    con = store.connect(db_file, read_only=True)
    try:   # nothing written: the first file's one fact and one batch
        assert con.sql("SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM batches)").fetchall() == [(1, 1)]
    finally:
        con.close()


def test_every_kpi_text_is_the_same_after_an_upload_and_its_undo(db_copy):
    """Figures never depend on the order rows are summed in: replacing a value of 十堰 and undoing
    it moves the restored row to the end of the table, and every card reads the same afterwards."""
    from tongzhan.catalog import Catalog
    from tongzhan.overview import kpis
    con = store.connect(db_copy)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    regions = ["000000", "420000", "420300", *tree.children("420300"), "330881"]
    periods = [Period.parse(k) for k in ("2026-10", "2026Q3", "2026", "2025-11~2026-10")]
    columns = ["value", "text", "compare_value", "delta_text", "units", "carried_units"]

    def cards():
        return pd.concat([kpis(con, tree, catalog, r, p)[columns] for r in regions for p in periods],
                         ignore_index=True)

    before = cards()
    code, old = con.sql("SELECT region_code, value FROM facts WHERE d2 = '420300' AND period_start = "
                        "DATE '2026-10-01' AND indicator_id = 'funds_raised' ORDER BY ALL LIMIT 1").fetchall()[0]
    data = csv_bytes(["区划代码,期间,募集资金(万元)", f"{code},2026-10,{old + 1}"])
    b = load(con, tree, catalog, data)
    assert not cards().equals(before)          # the upload does change 十堰's figures
    batches.undo(con, b, person(con))
    pd.testing.assert_frame_equal(cards(), before)   # exactly: values, texts and deltas
    con.close()
