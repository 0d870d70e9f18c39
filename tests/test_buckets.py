"""County sums (bucket_totals): the country, a province and a city read them instead of the facts,
so every figure there must equal the same roll-up over the facts, and every write (import, undo)
must leave them equal to a rebuild from scratch."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from facts import add, fact
from test_batches import TODAY, csv_bytes
from tongzhan import accounts, audit, batches, buckets, build, store
from tongzhan.catalog import Catalog
from tongzhan.importer import parse_file
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import compute
from people import person

T1, T2 = "420302001", "420302002"   # 武当路街道, 二堰街道 of 茅箭区 (十堰市, 湖北省)
T3 = "420303001"                    # a township of 张湾区, 十堰市
GD1 = "441900003"                   # a township of 东莞市 (a city without counties: at depth 3, its own bucket)


def both(con, tree, catalog, region, ids, period, by, monkeypatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    """compute() from the county sums (as the pages do above county level) and from the facts."""
    p = Period.parse(period)
    sums = compute(con, tree, catalog, region, ids, p, by)
    with monkeypatch.context() as m:
        m.setattr(buckets, "serves", lambda at: False)   # every target from the facts
        facts = compute(con, tree, catalog, region, ids, p, by)
    key = ["region_code", "indicator_id"]
    return (sums.sort_values(key, ignore_index=True), facts.sort_values(key, ignore_index=True))


def assert_agree(con, tree, catalog, regions, periods, monkeypatch) -> int:
    ids = [i for i in catalog.ids() if catalog[i].kind != "score"]   # scores read the facts
    n = 0
    for region in regions:
        for period in periods:
            for by in ("self", "children", *range(tree.depth[region] + 2, buckets.MAX_DEPTH + 1)):
                sums, facts = both(con, tree, catalog, region, ids, period, by, monkeypatch)
                pd.testing.assert_frame_equal(sums, facts, check_dtype=False, obj=f"{region} {period} {by}")
                n += len(sums)
    return n


FIRST = csv_bytes([   # two imports: 茅箭区's October, with a new village of another township
    "区划代码,名称,期间,募集资金(万元),村(社区)总数,建有统战组织的村(社区)数",
    f"{T1},武当路街道,2026-10,12.5,30,20",
    f"{T2},二堰街道,2026-10,7.5,28,",
    "420302003201,幸福村,2026-10,1,,"])
CORRECTION = csv_bytes([   # replaces two values of FIRST
    "区划代码,名称,期间,募集资金(万元),村(社区)总数",
    f"{T1},武当路街道,2026-10,20,31"])


def load(con, tree, catalog, data: bytes, name="上报.csv") -> int:
    """Import data; the demo data's townships report everything, so a new village's value is
    confirmed as not a subtotal."""
    parsed = parse_file(data, name, tree, catalog, today=TODAY, allow_subtotals=True)
    assert not parsed.problems, parsed.problems
    return batches.commit(con, parsed, data, name, person(con, "张三"))


def table(con) -> pd.DataFrame:
    """The derived tables kept by buckets.refresh: the county sums and the units' reports."""
    return pd.concat({t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").df()
                      for t in ("bucket_totals", "unit_reports")})


def assert_rebuild_changes_nothing(con) -> None:
    kept = table(con)
    con.execute("BEGIN")
    buckets.rebuild(con, [None, *(c for c, in store.rows(con, "provinces"))])
    rebuilt = table(con)
    con.execute("ROLLBACK")
    pd.testing.assert_frame_equal(kept, rebuilt)


def test_edge_cases_agree_with_the_facts(con, schema_db, monkeypatch):
    tree, catalog = schema_db[1], schema_db[2]
    add(con, [
        fact(T1, "funds_raised", "2026Q3", 30), fact(T1, "funds_raised", "2026-08", 7),  # a quarter over a month
        fact(T2, "funds_raised", "2026-07", 2), fact(T2, "funds_raised", "2026", 100),   # a year over a month
        fact("000000", "funds_raised", "2026-08", 1000),     # the country's own report
        fact(T1, "villages_total", "2026-08", 10), fact(T1, "villages_with_org", "2026-09", 8),
        fact(T2, "villages_with_org", "2026-09", 5),         # one part only
        fact(T3, "villages_total", "2026-09", 4), fact(T3, "villages_with_org", "2026-07", 1),
        fact(T3, "villages_total", "2026-11", 6),
        fact("420000", "org_count", "2026-09", 50),          # a province's own stock
        fact(T1, "org_count", "2026-05", 3), fact(T1, "org_count", "2026-09", 4),
        fact(GD1, "org_count", "2026-08", 9), fact(GD1, "people_served", "2026-08", 90),
    ])
    rows = assert_agree(con, tree, catalog, ["000000", "420000", "420300", "420302", "440000", "441900", GD1],
                        ["2026-07", "2026-08", "2026Q3", "2026-07~2026-08", "2026-09", "2026-10",
                         "2026-11", "2026-12", "2026"], monkeypatch)
    assert rows > 300
    assert_rebuild_changes_nothing(con)
    # The sums do hold what the facts say (not two equal wrong answers): hand-computed.
    got = compute(con, tree, catalog, "420300", ["funds_raised", "village_org_coverage"], Period.parse("2026Q3"))
    got = got.set_index("indicator_id")
    assert got.loc["funds_raised", "value"] == 32        # T1's quarter (not + its August), T2's July
    cov = got.loc["village_org_coverage"]                # T1 8/10 (10 carried from August), T3 1/4 (1 from July); T2 one part
    assert (cov["numerator"], cov["denominator"], cov["units"], cov["carried_units"], cov["excluded_units"]) == (
        9, 14, 2, 2, 1)
    assert compute(con, tree, catalog, "000000", ["funds_raised"], Period.parse("2026"))["value"].iloc[0] == 1130


def test_demo_data_agree_with_the_facts(demo_db, monkeypatch):
    con = store.connect(demo_db, read_only=True)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    upper = con.sql("SELECT DISTINCT d1, d2 FROM facts WHERE d1 IS NOT NULL ORDER BY ALL").fetchall()
    counties = con.sql("SELECT DISTINCT d3 FROM facts WHERE d3 IS NOT NULL ORDER BY 1 LIMIT 4").fetchall()
    regions = ["000000", *sorted({d1 for d1, _ in upper}), *sorted({d2 for _, d2 in upper if d2})[:6],
               *(c for c, in counties)]
    periods = ["2026-10", "2026Q3", "2026", "2025-11~2026-10", "2025-06", "2024"]
    assert assert_agree(con, tree, catalog, regions, periods, monkeypatch) > 1000
    con.close()


def test_imports_and_undos_keep_the_sums_as_a_rebuild_gives_them(db_copy):
    con = store.connect(db_copy)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    before = table(con)
    b1 = load(con, tree, catalog, FIRST)
    assert not table(con).equals(before)
    assert_rebuild_changes_nothing(con)
    b2 = load(con, tree, catalog, CORRECTION, name="更正.csv")
    assert_rebuild_changes_nothing(con)
    batches.undo(con, b2, person(con))
    assert_rebuild_changes_nothing(con)
    batches.undo(con, b1, person(con))   # also deletes the village
    pd.testing.assert_frame_equal(table(con), before)
    con.close()


def test_sums_of_the_previous_shape_are_rebuilt_once(db_copy):
    """A database whose sums lack the ratios' lone parts (column lone, macro held_sums: before
    2026-12-02) is rebuilt as it opens: the same sums as before, and the same figures."""
    con = store.connect(db_copy)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    ids, october = [i for i in catalog.ids() if catalog[i].kind != "score"], Period.parse("2026-10")
    def figures():
        got = compute(con, tree, catalog, "420000", ids, october, "children")
        return got.sort_values(["region_code", "indicator_id"], ignore_index=True)
    sums, before = table(con), figures()
    con.execute("DROP MACRO TABLE held_sums; ALTER TABLE bucket_totals DROP COLUMN lone")
    assert not build.is_outdated(con)   # trusted: stamped by this version (build.SCHEMA_STAMP)
    store.execute(con, "set_meta", key="schema_checked", value="an earlier version's")
    assert build.is_outdated(con)
    con.close()
    build.ensure_db(db_copy)
    con = store.connect(db_copy, read_only=True)
    assert not build.is_outdated(con)
    assert store.rows(con, "meta_get", key="schema_checked") == [(build.SCHEMA_STAMP,)]
    pd.testing.assert_frame_equal(table(con), sums)
    pd.testing.assert_frame_equal(figures(), before)
    con.close()


def physical_order(con) -> list[tuple]:
    """The facts' keys in the order they are stored (rowid), which zone maps depend on."""
    return con.sql("SELECT indicator_id, region_code, period_start FROM facts ORDER BY rowid").fetchall()


def test_compact_restores_the_storage_order_and_changes_no_figure(db_copy, tmp_path):
    """Imports append their rows after the stored ones; compact (整理存储) rewrites the facts and
    the sums in order, in one audited transaction, and nothing else changes: not the values, the
    history, the figures, nor what undo restores afterwards. Only an admin may run it."""
    from test_accounts import cli
    from test_batches import snapshot
    from people import PASSWORD
    con = store.connect(db_copy)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    before_imports = table(con)
    b1 = load(con, tree, catalog, FIRST)
    b2 = load(con, tree, catalog, CORRECTION, name="更正.csv")
    stored = physical_order(con)
    assert stored != sorted(stored)   # the imports' rows sit after the demo's
    def figures():   # every indicator of 十堰市's counties
        got = compute(con, tree, catalog, "420300", catalog.ids(), Period.parse("2026-10"), "children")
        return got.sort_values(["region_code", "indicator_id"], ignore_index=True)
    kept, before = snapshot(con), figures()
    # what the admin page and `compact --check` say: the demo's own batch was written in order;
    # the two imports wrote 6 cells (FIRST: 3 + 2 + the village's 1) and 2 corrections
    assert build.storage_state(con) == (len(stored), 8, 2, None)

    with pytest.raises(accounts.Denied, match="此操作需要管理员权限"):
        build.compact(con, person(con, "十堰干事", "staff", "420300"))
    assert physical_order(con) == stored
    assert build.compact(con, person(con)) == len(stored)

    assert physical_order(con) == sorted(stored)
    assert all(kept[k].equals(v) for k, v in snapshot(con).items())
    pd.testing.assert_frame_equal(figures(), before)
    assert_rebuild_changes_nothing(con)
    assert audit.log(con, person(con)).query("action == 'compact'")["detail"].tolist() == [f'{{"facts": {len(stored)}}}']
    compacted = audit.log(con, person(con)).query("action == 'compact'")["logged_at"].iloc[0]
    assert build.storage_state(con) == (len(stored), 0, 0, compacted)
    batches.undo(con, b2, person(con))
    batches.undo(con, b1, person(con))
    pd.testing.assert_frame_equal(table(con), before_imports)
    con.close()

    # the command line: an admin's compact, and a clear Chinese error without an account
    res = cli(db_copy, "compact")
    assert res.returncode == 2 and "此操作需要账号" in res.stderr
    res = cli(db_copy, "compact", "--user", "张三", TONGZHAN_PASSWORD=PASSWORD)
    assert res.returncode == 0 and re.search(r"存储已整理：[\d,]+ 条数据按区划重排", res.stdout), res.stderr
    res = cli(db_copy, "compact", "--check")   # an admin's, like the page's tab
    assert res.returncode == 2 and "此操作需要账号" in res.stderr
    res = cli(db_copy, "compact", "--check", "--user", "张三", TONGZHAN_PASSWORD=PASSWORD)
    assert res.returncode == 0 and re.search(r"上次整理：[-\d]+ [:\d]+；此后 0 次导入写入 0 条", res.stdout), res.stderr
    assert "暂不需要整理" in res.stdout


def test_compact_is_advised_for_a_large_database_with_a_tenth_written_since():
    state = build.StorageState(1_000_000, 100_000, 12, None)
    assert state.advised and "建议整理存储" in state.lines()[1]
    assert "共 1,000,000 条数据；尚未整理过；此后 12 次导入写入 100,000 条（占 10.0%）。" == state.lines()[0]
    assert not build.StorageState(1_000_000, 99_999, 12, None).advised     # less than a tenth
    assert not build.StorageState(999_999, 999_999, 12, None).advised      # a small database
    assert "暂不需要整理" in build.StorageState(999_999, 999_999, 12, None).lines()[1]
