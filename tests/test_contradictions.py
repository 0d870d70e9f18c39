"""Contradictions an import must catch (issue 7), on real CSV bytes through parse_file and the
batches preview / commit, and through the CLI: subtotals across periods, new villages under a
township that reported, ratio parts across files, two granularities of one unit's indicator,
period labels, values too large for the store. Expected numbers are worked out by hand."""
from __future__ import annotations

import pytest

from test_batches import TODAY, assert_same, cli, conflicts, csv_bytes, db, db_file, empty_db, load, snapshot, value  # noqa: F401
from tongzhan import batches
from tongzhan.importer import parse_file
from people import person

MAOJIAN, ZHANGWAN = "420302", "420303"   # 茅箭区, 张湾区
WUDANG, ERYAN = "420302001", "420302002"   # 武当路街道, 二堰街道 of 茅箭区
DACHUAN = "420302100"                  # 大川镇 of 茅箭区
DACHUAN_VILLAGE = "420302100200"       # 大川村委会 (NBS village code, not in the tree yet)
DONGGUAN, WANJIANG = "441900", "441900005"  # 东莞市, a city with townships directly under it; 万江街道

FUNDS = "区划代码,期间,募集资金(万元)"
WITH_ORG = "区划代码,期间,建有统战组织的村(社区)数"
TOTAL = "区划代码,期间,村(社区)总数"


def parsed_of(db, rows, **kw):
    _, tree, catalog = db
    data = csv_bytes(rows)
    return parse_file(data, "上报.csv", tree, catalog, today=TODAY, **kw), data


def rejected(db, rows, **kw):
    """The problems of a clean file against stored data; committing it raises and writes nothing."""
    con = db[0]
    parsed, data = parsed_of(db, rows, **kw)
    assert parsed.problems == [], parsed.problems
    before = snapshot(con)
    problems = batches.preview(con, parsed, data).problems
    assert problems
    with pytest.raises(batches.Rejected):
        batches.commit(con, parsed, data, "上报.csv", person(con, "张三"))
    assert_same(snapshot(con), before)
    return problems


# --------------------------------------------------------------------------- 1 subtotals across periods

def test_county_quarter_over_townships_months(db):
    con, tree, catalog = db
    # 武当路 July 20 + August 25, 二堰 September 26: the townships hold 71 for 2026Q3.
    load(con, tree, catalog, csv_bytes([FUNDS, f"{WUDANG},2026-07,20", f"{WUDANG},2026-08,25", f"{ERYAN},2026-09,26"]))
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2026Q3") == 71
    county = [FUNDS, f"{MAOJIAN},2026Q3,1070"]
    [p] = rejected(db, county)
    assert (p.row, p.column) == (2, "募集资金") and "已导入了下级「二堰街道」等 2 个单位2026年9月等期间的「募集资金」" in p.message
    assert "2026年第三季度与2026年9月有重叠的月份" in p.message and "--allow-subtotals" in p.message
    # Confirmed as the county's own number: 1070 of its own + 71 = 1141.
    parsed, data = parsed_of(db, county, allow_subtotals=True)
    assert batches.commit(con, parsed, data, "县.csv", person(con, "张三")) is not None
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2026Q3") == 1141


def test_county_year_over_townships_months_and_township_under_a_county_year(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes([FUNDS, f"{WUDANG},2025-03,5"]))
    [p] = rejected(db, [FUNDS, f"{MAOJIAN},2025,100"])
    assert "已导入了下级「武当路街道」2025年3月的「募集资金」（2025年与2025年3月有重叠的月份）" in p.message
    load(con, tree, catalog, csv_bytes([FUNDS, f"{MAOJIAN},2024,100"]))   # the county's 2024
    [p] = rejected(db, [FUNDS, f"{ERYAN},2024-06,3"])
    assert "已导入的上级「茅箭区」也有2024年的「募集资金」（2024年6月与2024年有重叠的月份）" in p.message
    # Another year does not overlap.
    assert conflicts(con, tree, catalog, csv_bytes([FUNDS, f"{ERYAN},2026-06,3"])) == []


def test_county_stock_over_townships_values_still_in_effect(db):
    con, tree, catalog = db
    # 武当路 reported 8 in October; it holds in November until 武当路 reports again.
    load(con, tree, catalog, csv_bytes([WITH_ORG, f"{WUDANG},2026-10,8"]))
    [p] = rejected(db, [WITH_ORG, f"{MAOJIAN},2026-11,30"])
    assert "已导入了下级「武当路街道」2026年10月的「建有统战组织的村(社区)数」" in p.message
    assert "2026年11月与2026年10月的数在2026年11月同时有效" in p.message
    # The other way round: a township's October after the county's November; both hold in November.
    load(con, tree, catalog, csv_bytes(["区划代码,期间,基层统战组织数", f"{MAOJIAN},2026-11,30"]))
    [p] = rejected(db, ["区划代码,期间,基层统战组织数", f"{ERYAN},2026-10,4"])
    assert "已导入的上级「茅箭区」也有2026年11月的「基层统战组织数」" in p.message
    assert "2026年10月与2026年11月的数在2026年11月同时有效" in p.message


def test_stock_that_ends_before_the_other_unit_reports_is_no_subtotal(db):
    con, tree, catalog = db
    # The county reported for February; 武当路 first reports in March (confirmed as own numbers).
    parsed, data = parsed_of(db, [WITH_ORG, f"{MAOJIAN},2026-02,30", f"{WUDANG},2026-03,8"], allow_subtotals=True)
    batches.commit(con, parsed, data, "a.csv", person(con, "张三"))
    # A county January value holds only until its February report: no overlap with 武当路's March.
    assert conflicts(con, tree, catalog, csv_bytes([WITH_ORG, f"{MAOJIAN},2026-01,29"])) == []
    # A township January value holds on (no later report of 二堰): it overlaps the county's February.
    [p] = conflicts(con, tree, catalog, csv_bytes([WITH_ORG, f"{ERYAN},2026-01,3"]))
    assert "已导入的上级「茅箭区」也有2026年2月的" in p.message


def test_city_quarter_and_its_townships_months_in_one_file(db):
    con, tree, catalog = db
    parsed, _ = parsed_of(db, ["区域,期间,募集资金", "东莞市,2026Q3,300", "万江街道,2026-07,10", "万江街道,2026-08,12"])
    [p] = parsed.problems
    assert (p.row, p.column) == (2, "区域")
    assert "「东莞市」和它的下级「万江街道」（第 3 行）同时填报了「募集资金」（2026年第三季度与2026年7月有重叠的月份）" in p.message
    assert sorted(parsed.facts["row"]) == [3, 4]
    # Stocks in one file: the county's November over a township's October.
    parsed, _ = parsed_of(db, [WITH_ORG, f"{MAOJIAN},2026-11,30", f"{WUDANG},2026-10,8"])
    [p] = parsed.problems
    assert p.row == 2 and "2026年11月与2026年10月的数在2026年11月同时有效" in p.message
    # The county's August holds on through 武当路's September and October: the county row is
    # reported once, naming the first of them.
    parsed, _ = parsed_of(db, [WITH_ORG, f"{WUDANG},2026-09,8", f"{WUDANG},2026-10,8", f"{MAOJIAN},2026-08,30"])
    [p] = parsed.problems
    assert p.row == 4 and "（第 2 行）" in p.message and "2026年8月与2026年9月的数在2026年9月同时有效" in p.message


def test_cli_refuses_a_county_quarter_over_townships_months(db_file, tmp_path):
    f, g = tmp_path / "乡镇.csv", tmp_path / "县.csv"
    f.write_bytes(csv_bytes([FUNDS, f"{WUDANG},2026-07,20", f"{WUDANG},2026-08,25", f"{ERYAN},2026-09,26"], "gbk"))
    g.write_bytes(csv_bytes([FUNDS, f"{MAOJIAN},2026Q3,1070"], "gbk"))
    assert cli(db_file, "import", str(f)).returncode == 0
    for args in (["--dry-run"], []):
        res = cli(db_file, "import", str(g), *args)
        assert res.returncode == 1 and "2,募集资金,已导入了下级「二堰街道」等 2 个单位" in res.stderr, res.stderr
    res = cli(db_file, "import", str(g), "--allow-subtotals")
    assert res.returncode == 0 and "新增 1 条" in res.stdout, res.stderr


# --------------------------------------------------------------------------- 2 new villages

@pytest.mark.parametrize("rows", [
    ["区划代码,村(社区),期间,募集资金(万元)", f"{DACHUAN_VILLAGE},大川村委会,2026-09,7"],   # by its 12-digit code
    ["县(市、区),乡镇(街道),村(社区),期间,募集资金(万元)", "茅箭区,大川镇,大川村,2026-09,7"],  # by name
])
def test_new_village_under_a_township_that_reported(db, rows):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes([FUNDS, f"{DACHUAN},2026-09,1.77"]))
    [p] = rejected(db, rows)
    assert p.row == 2 and "已导入的上级「大川镇」也有2026年9月的「募集资金」" in p.message
    assert value(con, tree, catalog, MAOJIAN, "funds_raised", "2026-09") == 1.77   # not 8.77


def test_cli_new_village_by_name_in_scope(db_file, tmp_path):
    f, g = tmp_path / "镇.csv", tmp_path / "村.csv"
    f.write_bytes(csv_bytes(["区域,期间,募集资金(万元)", "大川镇,2026-09,1.77"]))
    g.write_bytes(csv_bytes(["乡镇(街道),村(社区),期间,募集资金(万元)", "大川镇,大川村,2026-09,7"]))
    assert cli(db_file, "import", str(f), "--scope", MAOJIAN).returncode == 0
    res = cli(db_file, "import", str(g), "--scope", MAOJIAN)
    assert res.returncode == 1 and "已导入的上级「大川镇」也有2026年9月的「募集资金」" in res.stderr, res.stderr


# --------------------------------------------------------------------------- 3 ratio parts across files

def test_denominator_below_a_numerator_still_in_effect(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes([WITH_ORG, f"{WUDANG},2026-10,12"]))
    # 10 villages in November, while October's 12 with an organisation still hold: 120 %.
    [p] = rejected(db, [TOTAL, f"{WUDANG},2026-11,10"])
    assert (p.row, p.column) == (2, "村(社区)总数")
    assert "「村(社区)总数」10（2026年11月）小于已导入的「建有统战组织的村(社区)数」12（2026年10月）" in p.message
    assert "2026年11月同一区域的村(社区)统战组织覆盖率会超过 100%" in p.message
    # With a newer numerator in the same file (9 in November), 9 of 10 is fine.
    assert conflicts(con, tree, catalog, csv_bytes([TOTAL + ",建有统战组织的村(社区)数", f"{WUDANG},2026-11,10,9"])) == []
    # Both in one file, the numerator a month before the denominator: the same 120 % in November.
    [p] = conflicts(con, tree, catalog, csv_bytes([TOTAL + ",建有统战组织的村(社区)数", f"{ERYAN},2026-10,,12",
                                                   f"{ERYAN},2026-11,10,"]))
    assert p.row == 2 and "12（2026年10月）大于第 3 行的「村(社区)总数」10（2026年11月）" in p.message
    # A stored newer numerator does as well.
    load(con, tree, catalog, csv_bytes([WITH_ORG, f"{WUDANG},2026-11,9"]))
    assert conflicts(con, tree, catalog, csv_bytes([TOTAL, f"{WUDANG},2026-11,10"])) == []


def test_cli_denominator_after_numerator(db_file, tmp_path):
    f, g = tmp_path / "已建.csv", tmp_path / "总数.csv"
    f.write_bytes(csv_bytes([WITH_ORG, f"{WUDANG},2026-10,12"]))
    g.write_bytes(csv_bytes([TOTAL, f"{WUDANG},2026-11,10"]))
    assert cli(db_file, "import", str(f)).returncode == 0
    res = cli(db_file, "import", str(g))
    assert res.returncode == 1 and "10（2026年11月）小于已导入的" in res.stderr, res.stderr


# --------------------------------------------------------------------------- 4 two granularities of one cell

def test_quarter_and_month_of_a_flow_in_one_file(db):
    parsed, _ = parsed_of(db, ["区域,期间,募集资金", "茅箭区,2026Q3,30", "茅箭区,2026-08,10"])
    [p] = parsed.problems
    assert (p.row, p.column) == (3, "募集资金")
    assert "第 2 行填了2026年第三季度的「募集资金」30，本行又填了2026年8月的 10" in p.message
    assert "只按一种期间" in p.message
    assert parsed.facts.empty


def test_quarter_and_month_of_a_flow_across_files(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes([FUNDS, f"{MAOJIAN},2026Q3,30"]))
    [p] = rejected(db, [FUNDS, f"{MAOJIAN},2026-08,10"])
    assert "已导入了2026年第三季度的「募集资金」30万元（批次 1），与本行的2026年8月重叠" in p.message
    assert "撤销批次 1" in p.message and "请把本行改按季度上报" in p.message
    # The other way round, and a year over a month; another year does not overlap.
    load(con, tree, catalog, csv_bytes([FUNDS, f"{ZHANGWAN},2025-08,10"]))
    [p] = rejected(db, [FUNDS, f"{ZHANGWAN},2025Q3,30"])
    assert "已导入了2025年8月的「募集资金」10万元（批次 2），与本行的2025年第三季度重叠" in p.message
    assert "请把本行改按月度上报" in p.message
    [p] = rejected(db, [FUNDS, f"{ZHANGWAN},2025,30"])
    assert "已导入了2025年8月的「募集资金」10万元（批次 2），与本行的2025年重叠" in p.message
    assert conflicts(con, tree, catalog, csv_bytes([FUNDS, f"{ZHANGWAN},2024,30"])) == []


def test_quarter_and_month_of_a_stock_across_files(db):
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes([WITH_ORG, f"{WUDANG},2026Q2,8"]))
    [p] = rejected(db, [WITH_ORG, f"{WUDANG},2026-06,9"])
    assert "已导入了2026年第二季度的「建有统战组织的村(社区)数」8个（批次 1），与本行的2026年6月期末相同" in p.message
    # The same cell again is a normal replacement; another month is a new report.
    ok = csv_bytes([WITH_ORG, f"{WUDANG},2026Q2,9", f"{WUDANG},2026-05,7"])
    p = batches.preview(con, parse_file(ok, "a.csv", tree, catalog, today=TODAY), ok)
    assert p.problems == [] and len(p.replace) == 1 and len(p.insert) == 1


# --------------------------------------------------------------------------- 5 labels; values

def test_cli_dry_run_labels_a_quarter_as_entered(db_file, tmp_path):
    f, g = tmp_path / "一.csv", tmp_path / "二.csv"
    f.write_bytes(csv_bytes([FUNDS, f"{MAOJIAN},2026Q3,30"]))
    g.write_bytes(csv_bytes([FUNDS, f"{MAOJIAN},2026年第三季度,40"]))
    assert cli(db_file, "import", str(f)).returncode == 0
    res = cli(db_file, "import", str(g), "--dry-run")
    assert res.returncode == 0 and "覆盖 第2行 湖北省十堰市茅箭区 募集资金 2026年第三季度: 30 → 40" in res.stdout, res.stdout


def test_values_too_large_for_the_store_are_refused(db):
    parsed, _ = parsed_of(db, ["区域,期间,募集资金,服务群众人次", "茅箭区,2026-03,1000000000000,9999999999",
                               "张湾区,2026-03,100000000亿,1e12"])
    # 10^12 万元; 10^8 亿 = 10^12 万元; 1e12 人次: over the catalog's max_value (10^9 万元, 10^10 人次,
    # all below the store's 10^12). 9,999,999,999 人次 is under it.
    assert {(p.row, p.column) for p in parsed.problems} == {(2, "募集资金"), (3, "募集资金"), (3, "服务群众人次")}
    assert all("数值过大" in p.message for p in parsed.problems)
    assert parsed.facts["value"].tolist() == [9999999999.0]


def test_values_are_rounded_to_six_decimals(db):
    con, tree, catalog = db
    parsed, _ = parsed_of(db, ["区域,期间,募集资金,捐赠金额", "茅箭区,2026-03,0.1234567,1.0000004"])
    assert parsed.problems == [] and parsed.facts["value"].tolist() == [0.123457, 1.0]
    load(con, tree, catalog, csv_bytes(["区域,期间,募集资金", "茅箭区,2026-03,0.123457"]))
    again = csv_bytes(["区域,期间,募集资金", "茅箭区,2026-03,0.12345699"])
    p = batches.preview(con, parse_file(again, "a.csv", tree, catalog, today=TODAY), again)
    assert (len(p.insert), len(p.replace), len(p.unchanged)) == (0, 0, 1)


def test_a_file_with_problems_of_its_own_shows_its_clean_cells_contradictions_too(db, db_file, tmp_path):
    """One round of corrections: row 2's unknown region, row 3's month under a stored quarter and
    row 4's county quarter over stored townships' months are all said at once (page and CLI),
    by row; a numerator above a denominator waits for the clean file (its pair could be on a row
    with a problem)."""
    con, tree, catalog = db
    load(con, tree, catalog, csv_bytes([FUNDS, f"{ZHANGWAN},2026Q3,30", f"{WUDANG},2026-07,20"]))
    rows = [FUNDS, "999999999,2026-08,5", f"{ZHANGWAN},2026-08,10", f"{MAOJIAN},2026Q3,1070"]
    parsed, _ = parsed_of(db, rows)
    [own] = parsed.problems
    problems = batches.file_problems(con, parsed)
    assert [p.row for p in problems] == [2, 3, 4] and problems[0] == own
    assert "已导入了2026年第三季度的「募集资金」30万元（批次 1），与本行的2026年8月重叠" in problems[1].message
    assert "已导入了下级「武当路街道」2026年7月的「募集资金」" in problems[2].message
    # confirmed as the county's own number, the subtotal is no problem
    parsed, _ = parsed_of(db, rows, allow_subtotals=True)
    assert [p.row for p in batches.file_problems(con, parsed)] == [2, 3]
    # a ratio part beside a row with a problem: only the row's own problem
    load(con, tree, catalog, csv_bytes([TOTAL, f"{WUDANG},2026-06,10"]))
    parsed, _ = parsed_of(db, [WITH_ORG, "999999999,2026-07,5", f"{WUDANG},2026-07,12"])
    assert [p.row for p in batches.file_problems(con, parsed)] == [2]
    # the command line lists the same problems, dry run or not
    f, g = tmp_path / "季度.csv", tmp_path / "月度.csv"
    f.write_bytes(csv_bytes([FUNDS, f"{ZHANGWAN},2026Q3,30"]))
    g.write_bytes(csv_bytes([FUNDS, "999999999,2026-08,5", f"{ZHANGWAN},2026-08,10"]))
    assert cli(db_file, "import", str(f)).returncode == 0
    for args in (["--dry-run"], []):
        res = cli(db_file, "import", str(g), *args)
        lines = res.stderr.splitlines()
        assert res.returncode == 1 and "2 处问题" in lines[0], res.stderr
        assert lines[2].startswith("2,") and lines[3].startswith("3,募集资金,已导入了2026年第三季度的「募集资金」30"), lines
