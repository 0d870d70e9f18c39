"""Reading uploaded files (tongzhan.importer) over the real division tree and catalog.

Every file is built here from real bytes: GBK, UTF-8 with BOM, tab- and semicolon-separated CSV,
an .xlsx written with openpyxl (merged title row, two-level merged header, date cells) and an .xls
written record by record in the BIFF8 format Excel 97-2003 uses (xlwt is not a dependency).
Expected numbers are worked out by hand in the comments.
"""
from __future__ import annotations

import collections
import datetime as dt
import io
import struct
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from tongzhan import build, store
from tongzhan.catalog import Catalog
from tongzhan.importer import FACT_COLUMNS, parse_file, parse_period, parse_value, problems_frame
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.sheets import excel_sheets

TODAY = dt.date(2026, 11, 23)
SHIYAN = "420300"     # 十堰市
MAOJIAN = "420302"    # 茅箭区
ZHANGWAN = "420303"   # 张湾区
WUDANG = "420302001"  # 茅箭区 武当路街道
ERYAN = "420302002"   # 茅箭区 二堰街道
JIANGSHAN = "330881"  # 浙江省衢州市江山市


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    con = store.connect(tmp_path_factory.mktemp("importer") / "t.duckdb")
    build.init_db(con)
    tree = Tree(store.query(con, "regions_all"))
    catalog = Catalog(store.query(con, "indicators_all"))
    con.close()
    assert tree.name[SHIYAN] == "十堰市" and tree.name[MAOJIAN] == "茅箭区"
    assert tree.name[WUDANG] == "武当路街道" and WUDANG in tree.children(MAOJIAN)
    assert tree.name[ERYAN] == "二堰街道" and tree.name[JIANGSHAN] == "江山市"
    return tree, catalog


def parse(env, content, name="data.csv", tree=None, **kw):
    """parse_file on a str (encoded as UTF-8) or bytes, with today = TODAY."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    t, catalog = env
    return parse_file(data, name, tree or t, catalog, today=kw.pop("today", TODAY), **kw)


def facts_of(result) -> set[tuple]:
    """(region, indicator, period key, value, row) of every fact."""
    return {(f.region_code, f.indicator_id, Period(f.period_start, f.period_end).key, f.value, f.row)
            for f in result.facts.itertuples()}


def only_problem(result, row, column, *phrases):
    """The single problem of the result, at row and column, containing every phrase."""
    assert len(result.problems) == 1, result.problems
    p = result.problems[0]
    assert (p.row, p.column) == (row, column), p
    for phrase in phrases:
        assert phrase in p.message, p.message
    return p


def problem_at(result, row, column):
    found = [p for p in result.problems if (p.row, p.column) == (row, column)]
    assert len(found) == 1, result.problems
    return found[0].message


def xlsx_bytes(rows, merges=(), title="数据", extra_sheets=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    for name, sheet_rows in extra_sheets:
        other = wb.create_sheet(name)
        for row in sheet_rows:
            other.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls_bytes(rows, merges=(), sheet="Sheet1", more_sheets=()):
    """A BIFF8 workbook (text and number cells, merged ranges: (r1, c1, r2, c2), 0-based) in an
    OLE2 compound file, the bytes of an Excel 97-2003 .xls: the sheet, then more_sheets given as
    (name, rows)."""
    def rec(rtype, data=b""):
        return struct.pack("<HH", rtype, len(data)) + data

    def bof(kind):
        return rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    def sheet_stream(rows, merges=()):
        cells = []
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if isinstance(v, str):
                    cells.append(rec(0x0204, struct.pack("<HHHHB", r, c, 15, len(v), 1) + v.encode("utf-16-le")))
                elif v is not None:
                    cells.append(rec(0x0203, struct.pack("<HHHd", r, c, 15, float(v))))
        merged = rec(0x00E5, struct.pack("<H", len(merges)) + b"".join(
            struct.pack("<HHHH", r1, r2, c1, c2) for r1, c1, r2, c2 in merges))
        return (bof(0x10) + rec(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, max(map(len, rows)), 0))
                + b"".join(cells) + merged + rec(0x000A))

    font = rec(0x0031, struct.pack("<HHHHHBBBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0, 5, 1)
               + "Arial".encode("utf-16-le"))
    xfs = b"".join(rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5 if i < 15 else 1, 0x20, 0, 0, 0,
                                           0, 0, 0x20C0)) for i in range(16))
    named = [(sheet, sheet_stream(rows, merges))] + [(n, sheet_stream(r)) for n, r in more_sheets]

    def workbook_globals(offsets):
        return (bof(0x05) + font * 5 + xfs
                + b"".join(rec(0x0085, struct.pack("<IBBBB", at, 0, 0, len(name), 1) + name.encode("utf-16-le"))
                           for at, (name, _) in zip(offsets, named))
                + rec(0x000A))

    at = len(workbook_globals([0] * len(named)))
    offsets = [at + sum(len(s) for _, s in named[:i]) for i in range(len(named))]
    stream = workbook_globals(offsets) + b"".join(s for _, s in named)
    stream += b"\0" * (max(4096, -(-len(stream) // 512) * 512) - len(stream))  # no mini stream
    n = len(stream) // 512
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end] + list(range(3, n + 2)) + [end]   # sector 0 FAT, 1 directory, 2.. stream
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(6) + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0) + struct.pack("<109I", 0, *[free] * 108))

    def entry(name, kind, child, start, size):
        n16 = (name + "\0").encode("utf-16-le") if name else b""
        return (n16.ljust(64, b"\0") + struct.pack("<HBBIII", len(n16), kind, 1, free, free, child)
                + bytes(36) + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, free, 2, len(stream))
                 + entry("", 0, free, 0, 0) * 2)
    return header + struct.pack("<128I", *fat, *[free] * (128 - len(fat))) + directory + stream


# --------------------------------------------------------------------------- encodings and layouts

def test_gbk_csv_long_layout(env):
    text = ("地区,统计期,指标名称,数值,单位\n"
            "茅箭区,2026年3月,募集资金,212,万元\n"
            "茅箭区,2026年3月,服务群众人次,3.5,万人次\n"      # 3.5 万人次 = 35000
            "茅箭区,2026年3月,落地项目数,12,个\n"
            "张湾区,2026Q1,筹集资金,1.63亿元,\n"            # alias of 募集资金; 1.63 亿元 = 16300 万元
            "张湾区,2026Q1,考核得分,92.5,\n")
    r = parse(env, text.encode("gbk"))
    assert r.problems == [] and r.layout == "long" and r.sheet is None
    assert facts_of(r) == {
        (MAOJIAN, "funds_raised", "2026-03", 212.0, 2),
        (MAOJIAN, "people_served", "2026-03", 35000.0, 3),
        (MAOJIAN, "projects_landed", "2026-03", 12.0, 4),
        (ZHANGWAN, "funds_raised", "2026Q1", 16300.0, 5),
        (ZHANGWAN, "assessment_score", "2026Q1", 92.5, 6),
    }
    assert list(r.facts.columns) == FACT_COLUMNS
    f = r.facts.iloc[0]
    assert (f.period_start, f.period_end, f.months) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31), 1)
    assert set(r.facts["months"]) == {1, 3}


def test_utf8_bom_wide_layout_units_in_headers_and_cells(env):
    text = ("\ufeff区划代码,月份,募集资金（亿元）,捐赠金额(万元),服务人次,落地项目投资额,开展活动场次（万场次）\n"
            "420302,2026-03,1.63,212万,3.5万人次,500万元,0.0012\n"    # 1.63 亿元 = 16300; 0.0012 万 = 12
            "420303,2026-03,０.５,\"1,234.5\",\"２，０００\",3000元,\n")  # full-width digits; 3000 元 = 0.3 万元
    r = parse(env, text)
    assert r.problems == [] and r.layout == "wide"
    assert facts_of(r) == {
        (MAOJIAN, "funds_raised", "2026-03", 16300.0, 2),
        (MAOJIAN, "donations", "2026-03", 212.0, 2),
        (MAOJIAN, "people_served", "2026-03", 35000.0, 2),
        (MAOJIAN, "project_investment", "2026-03", 500.0, 2),
        (MAOJIAN, "activities", "2026-03", 12.0, 2),
        (ZHANGWAN, "funds_raised", "2026-03", 5000.0, 3),
        (ZHANGWAN, "donations", "2026-03", 1234.5, 3),
        (ZHANGWAN, "people_served", "2026-03", 2000.0, 3),
        (ZHANGWAN, "project_investment", "2026-03", 0.3, 3),
    }


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_tab_and_semicolon_separated(env, sep):
    rows = [["区域", "期间", "募集资金", "服务群众人次"], ["茅箭区", "2026-03", "1,200", "3000"]]
    r = parse(env, "\n".join(sep.join(row) for row in rows), name="data.txt")
    assert r.problems == []
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 1200.0, 2),
                           (MAOJIAN, "people_served", "2026-03", 3000.0, 2)}


def test_csv_two_level_header_without_merge_information(env):
    # A CSV export of a merged header: the group name stands over its first column only.
    text = ("区域,期间,助力发展,,服务群众\n"
            ",,募集资金(万元),落地项目数,服务人次\n"
            "茅箭区,2026-03,212,3,100\n")
    r = parse(env, text)
    assert r.problems == []
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 212.0, 3),
                           (MAOJIAN, "projects_landed", "2026-03", 3.0, 3),
                           (MAOJIAN, "people_served", "2026-03", 100.0, 3)}


def test_xlsx_merged_title_and_two_level_header(env):
    rows = [
        ["十堰市 2026 年统战工作月报", None, None, None, None, None],
        ["区域", "期间", "助力发展", None, "服务群众", None],
        [None, None, "募集资金(万元)", "落地项目数", "服务人次", "开展活动场次"],
        ["茅箭区", dt.datetime(2026, 3, 1), 212, 3, 35000, 12],   # an Excel date cell = that month
        ["张湾区", "2026年3月", "1.63亿", 2, "3.5万", 8],
        ["全市合计", None, 16512, 5, 70000, 20],
        [None] * 6,
        ["420302001", 202603, 10, None, None, None],              # 武当路街道: township under 茅箭区
    ]
    data = xlsx_bytes(rows, merges=["A1:F1", "A2:A3", "B2:B3", "C2:D2", "E2:F2"], title="月报")
    r = parse(env, data, name="月报.xlsx", allow_subtotals=True)
    assert r.problems == [] and r.sheet == "月报" and r.layout == "wide"
    assert facts_of(r) == {
        (MAOJIAN, "funds_raised", "2026-03", 212.0, 4),
        (MAOJIAN, "projects_landed", "2026-03", 3.0, 4),
        (MAOJIAN, "people_served", "2026-03", 35000.0, 4),
        (MAOJIAN, "activities", "2026-03", 12.0, 4),
        (ZHANGWAN, "funds_raised", "2026-03", 16300.0, 5),
        (ZHANGWAN, "projects_landed", "2026-03", 2.0, 5),
        (ZHANGWAN, "people_served", "2026-03", 35000.0, 5),
        (ZHANGWAN, "activities", "2026-03", 8.0, 5),
        (WUDANG, "funds_raised", "2026-03", 10.0, 8),
    }
    assert r.skipped.values.tolist() == [[6, "合计行「全市合计」：合计由系统从各单位汇总，不导入"], [7, "空行"]]


def test_unit_note_above_the_header(env):
    rows = [["茅箭区统战工作月报", None, "单位：元"],
            ["区域", "期间", "募集资金", "服务群众人次"],
            ["茅箭区", "2026-03", 2120000, 300]]     # 2120000 元 = 212 万元; 人次 keep their own unit
    r = parse(env, xlsx_bytes(rows), name="a.xlsx")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 212.0, 3),
                                                (MAOJIAN, "people_served", "2026-03", 300.0, 3)}


def test_xlsx_indicator_merged_over_month_and_cumulative(env):
    rows = [["区域", "期间", "募集资金（万元）", None, "落地项目数"],
            [None, None, "本月", "本年累计", None],
            ["茅箭区", "2026-03", 212, 500, 3]]
    r = parse(env, xlsx_bytes(rows, merges=["A1:A2", "B1:B2", "C1:D1", "E1:E2"]), name="a.xlsx")
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 212.0, 3),
                           (MAOJIAN, "projects_landed", "2026-03", 3.0, 3)}
    only_problem(r, 2, "募集资金（万元）/本年累计", "累计数", "请删除这一列")


def test_xlsx_sheet_choice(env):
    data = xlsx_bytes([["填表说明：请在第二张表填写"]], title="说明",
                      extra_sheets=[("数据", [["区域", "期间", "募集资金"], ["茅箭区", "2026-03", 5]])])
    r = parse(env, data, name="a.xlsx")                  # the first sheet has no header: the next is read
    assert r.sheet == "数据" and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 5.0, 2)}
    r = parse(env, data, name="a.xlsx", sheet="数据")
    assert r.sheet == "数据" and len(r.facts) == 1
    r = parse(env, data, name="a.xlsx", sheet="Sheet9")
    only_problem(r, None, None, "找不到工作表「Sheet9」", "「说明」", "「数据」")
    assert excel_sheets(data, "a.xlsx") == ["说明", "数据"]
    assert excel_sheets(b"a,b\n1,2\n", "a.csv") == [] and excel_sheets(b"\x89PNG", "a.png") == []


def test_xls_biff8(env):
    rows = [["2026年3月统战工作统计表", None, None, None],
            ["区划代码", "名称", "募集资金(万元)", "服务人次"],
            [420302001000, "武当路街道", 212, "3.5万"],      # 12-digit code ending 000 = the township
            [420303000000, "张湾区", None, 100]]              # ending 000000 = the county
    r = parse(env, xls_bytes(rows, merges=[(0, 0, 0, 3)], sheet="三月"), name="月报.xls", period="2026-03")
    assert r.problems == [] and r.sheet == "三月"
    assert facts_of(r) == {(WUDANG, "funds_raised", "2026-03", 212.0, 3),
                           (WUDANG, "people_served", "2026-03", 35000.0, 3),
                           (ZHANGWAN, "people_served", "2026-03", 100.0, 4)}


# --------------------------------------------------------------------------- periods

@pytest.mark.parametrize("text, key", [
    ("2026-03", "2026-03"), ("2026/3", "2026-03"), ("2026.3", "2026-03"), ("2026.10", "2026-10"),
    ("2026年3月", "2026-03"), ("2026 年 03 月", "2026-03"), ("202603", "2026-03"), ("２０２６年３月", "2026-03"),
    ("2026-03-01", "2026-03"), ("2026Q1", "2026Q1"), ("2026q4", "2026Q4"), ("2026年第一季度", "2026Q1"),
    ("2026年一季度", "2026Q1"), ("2026年1季度", "2026Q1"), ("2026年第四季度", "2026Q4"), ("2026", "2026"),
    ("2026年", "2026"), ("2026年度", "2026"), ("2026-04~2026-06", "2026Q2"),
    ("2026/10/1 0:00", "2026-10"), ("2026-10-01 00:00:00", "2026-10"),   # dates with a time, as exported
    ("2026年03月份", "2026-03"), ("2026年1-3月", "2026Q1"), ("2026年4—6月", "2026Q2"), ("2026年1-12月", "2026"),
    (dt.datetime(2026, 3, 15), "2026-03"), (dt.date(2025, 12, 1), "2025-12"), (202603.0, "2026-03"), (2026, "2026"),
])
def test_period_syntaxes(text, key):
    assert parse_period(text).key == key


@pytest.mark.parametrize("text", ["2026-13", "2026年13月", "2026Q5", "2026年第五季度", "26年3月", "三月",
                                  "2026-02~2026-04", "2026-01~2026-05"])
def test_period_rejects(text):
    with pytest.raises(ValueError, match="期间"):
        parse_period(text)


def test_period_column_rows_as_in_file(env):
    text = ("区域,期间,募集资金\n"
            "茅箭区,2026年第二季度,1\n"
            "茅箭区,2026/7,2\n"
            "茅箭区,2025年,3\n")
    r = parse(env, text)
    assert r.problems == []
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026Q2", 1.0, 2), (MAOJIAN, "funds_raised", "2026-07", 2.0, 3),
                           (MAOJIAN, "funds_raised", "2025", 3.0, 4)}
    assert sorted(r.facts["months"]) == [1, 3, 12]


def test_year_and_month_in_two_columns(env):
    r = parse(env, "区域,年份,月份,募集资金\n茅箭区,2026,3,7\n")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 7.0, 2)}


def test_period_argument_for_a_file_without_period_column(env):
    r = parse(env, "区域,募集资金\n茅箭区,7\n", period="2026年第一季度")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026Q1", 7.0, 2)}
    r = parse(env, "区域,期间,募集资金\n茅箭区,,7\n张湾区,2026-05,8\n", period="2026-03")   # a blank cell takes it
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 7.0, 2), (ZHANGWAN, "funds_raised", "2026-05", 8.0, 3)}
    r = parse(env, "区域,募集资金\n茅箭区,7\n", period="下个月")
    only_problem(r, None, None, "所选期间无效", "下个月")


def test_no_period_at_all(env):
    r = parse(env, "区域,募集资金\n茅箭区,7\n")
    only_problem(r, None, None, "没有期间列", "选择")
    assert r.facts.empty


def test_blank_period_cell_without_default(env):
    r = parse(env, "区域,期间,募集资金\n茅箭区,,7\n")
    only_problem(r, 2, "期间", "缺少期间")


def test_future_unfinished_and_unparseable_periods(env):
    text = ("区域,期间,募集资金\n"
            "茅箭区,2026-11,1\n"     # the current month is accepted
            "茅箭区,2026-12,2\n"     # next month: rejected
            "张湾区,2026Q4,3\n"      # the quarter has started but not ended: rejected
            "张湾区,2027,4\n"
            "张湾区,明年三月,5\n"
            "张湾区,2026年7-9月,6\n"  # a quarter that is over
            "张湾区,2026年度,7\n")   # the year is not over
    r = parse(env, text)
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-11", 1.0, 2), (ZHANGWAN, "funds_raised", "2026Q3", 6.0, 7)}
    assert "未来" in problem_at(r, 3, "期间") and "2026年12月" in problem_at(r, 3, "期间")
    assert "还没有结束" in problem_at(r, 4, "期间") and "2026年第四季度" in problem_at(r, 4, "期间")
    assert "未来" in problem_at(r, 5, "期间")
    assert "无法识别期间「明年三月」" in problem_at(r, 6, "期间")
    assert "还没有结束" in problem_at(r, 8, "期间")
    assert len(r.problems) == 5


@pytest.mark.parametrize("chosen, message", [("2027-01", "还没有到"), ("2026Q4", "还没有结束"), ("2026", "还没有结束")])
def test_period_chosen_for_the_whole_file_must_be_over(env, chosen, message):
    r = parse(env, "区域,募集资金\n茅箭区,7\n", period=chosen)
    assert [p.message.split("：")[0] for p in r.problems] == ["所选期间无效"] and message in r.problems[0].message


# --------------------------------------------------------------------------- values

@pytest.mark.parametrize("cell, unit, indicator, expected", [
    ("212万", "", "funds_raised", 212), ("1.63亿", "", "funds_raised", 16300), ("1.63亿元", "", "funds_raised", 16300),
    ("500万元", "万元", "funds_raised", 500), ("3000元", "", "funds_raised", 0.3), (1.63, "亿元", "funds_raised", 16300),
    ("212", "元", "funds_raised", 0.0212), ("3.5万人次", "", "people_served", 35000), ("3.5万", "", "people_served", 35000),
    ("1,234", "", "activities", 1234), ("１２", "", "projects_landed", 12), (" 7 个 ", "", "projects_landed", 7),
    ("95.5分", "", "assessment_score", 95.5), ("0", "", "assessment_score", 0), (100, "", "assessment_score", 100),
])
def test_value_conversion(env, cell, unit, indicator, expected):
    assert parse_value(cell, env[1][indicator], unit) == Decimal(str(expected))


@pytest.mark.parametrize("cell", ["", None, "  ", "—", "-", "/"])
def test_blank_values_are_not_reported(env, cell):
    assert parse_value(cell, env[1]["funds_raised"]) is None


def test_blank_cells_make_no_fact_and_no_problem(env):
    r = parse(env, "区域,期间,募集资金,落地项目数\n茅箭区,2026-03,,—\n张湾区,2026-03,5,\n")
    assert r.problems == [] and facts_of(r) == {(ZHANGWAN, "funds_raised", "2026-03", 5.0, 3)}


def test_value_rejections(env):
    text = ("区域,期间,募集资金(万元),落地项目数,考核得分,服务人次\n"
            "茅箭区,2026-03,约200,2.5,101,-3\n"
            "张湾区,2026-03,95%,3,99,5人\n")
    r = parse(env, text)
    assert "不是数字" in problem_at(r, 2, "募集资金(万元)") and "约200" in problem_at(r, 2, "募集资金(万元)")
    assert "不是整数" in problem_at(r, 2, "落地项目数")
    assert "0—100" in problem_at(r, 2, "考核得分")
    assert "负数" in problem_at(r, 2, "服务人次")
    assert "百分比" in problem_at(r, 3, "募集资金(万元)")
    assert "单位「人」" in problem_at(r, 3, "服务人次")
    assert len(r.problems) == 6
    # cells of the same rows that passed still come out; rejected cells do not
    assert facts_of(r) == {(ZHANGWAN, "projects_landed", "2026-03", 3.0, 3),
                           (ZHANGWAN, "assessment_score", "2026-03", 99.0, 3)}


@pytest.mark.parametrize("cell, ok", [("1,234", 1234), ("12,345,678", 12345678), ("1,234万", 12340000),
                                       ("12,5", None), ("1,20", None), ("1234,567", None)])
def test_thousands_separators_must_group_by_three(env, cell, ok):
    r = parse(env, f'区域,期间,服务群众人次\n茅箭区,2026-03,"{cell}"\n')
    if ok is None:
        only_problem(r, 2, "服务群众人次", "千分位逗号位置不对")
    else:
        assert r.problems == [] and r.facts["value"].tolist() == [ok]


def test_header_unit_that_does_not_fit(env):
    r = parse(env, "区域,期间,募集资金(人),落地项目数\n茅箭区,2026-03,5,1\n")
    only_problem(r, 1, "募集资金(人)", "表头单位「人」", "万元")


# --------------------------------------------------------------------------- regions

def test_region_by_codes_and_names(env):
    text = ("区域,期间,募集资金\n"
            "420302,2026-01,1\n"               # county code
            "420302001,2026-02,2\n"            # township code
            "420303000000,2026-03,3\n"         # 12-digit code of the county
            "420302002000,2026-04,4\n"         # 12-digit code of a township
            "十堰市茅箭区,2026-05,5\n"          # path name
            "湖北省十堰市张湾区,2026-06,6\n"
            "二堰街道,2026-07,7\n"
            "江山市,2026-08,8\n")
    r = parse(env, text)
    assert r.problems == []
    assert [(f.region_code, f.value) for f in r.facts.itertuples()] == [
        (MAOJIAN, 1), (WUDANG, 2), (ZHANGWAN, 3), (ERYAN, 4), (MAOJIAN, 5), (ZHANGWAN, 6), (ERYAN, 7), (JIANGSHAN, 8)]


def test_code_and_name_columns(env):
    r = parse(env, "区划代码,名称,期间,募集资金\n420302,茅箭区,2026-03,1\n,张湾区,2026-03,2\n")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 1.0, 2),
                                                (ZHANGWAN, "funds_raised", "2026-03", 2.0, 3)}


def test_code_and_name_that_disagree(env):
    # The code wins only when the name names the same unit or one above it, written loosely.
    r = parse(env, "区划代码,名称,期间,开展活动场次\n"
                   f"{WUDANG},二堰街道,2026-03,1\n"          # another township: rejected
                   f"{WUDANG},武当路,2026-03,2\n"            # short form
                   f"{ERYAN},茅箭区二堰街道办事处,2026-03,3\n"  # long form
                   f"{MAOJIAN},十堰市,2026-04,4\n")          # a unit above it
    assert "区划代码「420302001」是「湖北省十堰市茅箭区武当路街道」，与「二堰街道」不符" in problem_at(r, 2, "名称")
    assert len(r.problems) == 1
    assert facts_of(r) == {(WUDANG, "activities", "2026-03", 2.0, 3), (ERYAN, "activities", "2026-03", 3.0, 4),
                           (MAOJIAN, "activities", "2026-04", 4.0, 5)}


def test_codes_as_excel_leaves_them(env):
    r = parse(env, '区划代码,期间,开展活动场次\n4.20302E+11,2026-03,1\n="420302002",2026-03,2\n')
    assert "科学计数法" in problem_at(r, 2, "区划代码") and "文本" in problem_at(r, 2, "区划代码")
    assert len(r.problems) == 1 and facts_of(r) == {(ERYAN, "activities", "2026-03", 2.0, 3)}


def test_unknown_region_and_code(env):
    r = parse(env, "区域,期间,募集资金\n茅剑区,2026-03,1\n429999,2026-03,2\n茅箭区,2026-03,3\n")
    assert "找不到区域「茅剑区」" in problem_at(r, 2, "区域") and "茅箭区" in problem_at(r, 2, "区域")
    assert "区划代码「429999」不存在" in problem_at(r, 3, "区域")
    assert len(r.problems) == 2 and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 3.0, 4)}


def test_ambiguous_township_name(env):
    tree, _ = env
    hubei = [c for c in tree.name if c.startswith("42") and tree.level[c] == 4]
    counts = collections.Counter(tree.name[c] for c in hubei)
    name = next(n for n, k in sorted(counts.items()) if k == 2)
    codes = [c for c in hubei if tree.name[c] == name]
    r = parse(env, f"乡镇(街道),期间,募集资金\n{name},2026-03,1\n", scope="420000")
    msg = only_problem(r, 2, "乡镇(街道)", "2 个同名单位", "区划代码").message
    assert all(tree.full_name(c) in msg for c in codes)
    # the county column tells them apart
    county = tree.name[tree.parent[codes[0]]]
    r = parse(env, f"县(市、区),乡镇(街道),期间,募集资金\n{county},{name},2026-03,1\n", scope="420000")
    assert r.problems == [] and r.facts["region_code"].tolist() == [codes[0]]
    # and so does a narrower scope
    r = parse(env, f"乡镇(街道),期间,募集资金\n{name},2026-03,1\n", scope=tree.parent[codes[1]])
    assert r.problems == [] and r.facts["region_code"].tolist() == [codes[1]]


def test_scope(env):
    text = "区域,期间,募集资金\n茅箭区,2026-03,1\n江山市,2026-03,2\n330881,2026-03,3\n"
    r = parse(env, text, scope=SHIYAN)
    assert "不在本次导入范围「湖北省十堰市」内" in problem_at(r, 3, "区域")
    assert "不在本次导入范围" in problem_at(r, 4, "区域")
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 1.0, 2)}


def test_new_village_by_12_digit_code(env):
    text = ("区划代码,村(社区),期间,募集资金\n"
            "420302001201,幸福村,2026-03,1\n"
            "420302001201,幸福村,2026-04,2\n")
    r = parse(env, text)
    assert r.problems == []
    assert r.villages.values.tolist() == [["420302001201", "幸福村", WUDANG]]
    assert set(r.facts["region_code"]) == {"420302001201"}
    r = parse(env, "区划代码,期间,募集资金\n420302001201,2026-03,1\n")
    only_problem(r, 2, "区划代码", "新的村(社区)", "名称")


def test_new_villages_by_name_and_township(env):
    tree, _ = env
    frame = pd.concat([tree.frame.reset_index(drop=True), pd.DataFrame(
        [{"code": WUDANG + "V001", "name": "和平社区", "level": 5, "parent_code": WUDANG, "depth": 5}])])
    with_village = Tree(frame)
    text = ("乡镇(街道),村(社区),期间,募集资金\n"
            "武当路街道,幸福村,2026-03,1\n"     # new: V001 is taken by 和平社区, so V002
            "武当路街道,和平社区,2026-03,2\n"   # already in the tree
            "武当路街道,幸福村,2026-04,3\n"     # the same new village again
            "武当路街道,光明村,2026-03,4\n"
            "二堰街道,光明村,2026-03,5\n"       # same name, other township: another village
            "武当路街道,,2026-05,6\n")          # the township itself
    r = parse(env, text, tree=with_village)
    assert r.problems == []
    assert r.villages.values.tolist() == [[WUDANG + "V002", "幸福村", WUDANG], [WUDANG + "V003", "光明村", WUDANG],
                                          [ERYAN + "V001", "光明村", ERYAN]]
    assert r.facts["region_code"].tolist() == [WUDANG + "V002", WUDANG + "V001", WUDANG + "V002",
                                              WUDANG + "V003", ERYAN + "V001", WUDANG]


def test_new_village_needs_its_township(env):
    r = parse(env, "村(社区),期间,募集资金\n幸福村,2026-03,1\n")
    only_problem(r, 2, "村(社区)", "乡镇(街道)")


# --------------------------------------------------------------------------- skipped rows

def test_subtotal_label_in_the_serial_number_column(env):
    r = parse(env, "序号,区域,期间,募集资金\n1,茅箭区,2026-03,1\n2,张湾区,2026-03,2\n合计,,,3\n")
    assert r.problems == [] and len(r.facts) == 2
    assert r.skipped.values.tolist() == [[4, "合计行「合计」：合计由系统从各单位汇总，不导入"]]


def test_unquoted_thousands_separator_splits_a_row(env):
    # 1,200 without quotes makes 7 cells under a 6-column header: never read as 1 and 200.
    r = parse(env, "区划代码,名称,期间,服务群众人次,开展活动场次,落地项目数\n"
                   f"{WUDANG},武当路街道,2026-09,1,200,6,2\n{ERYAN},二堰街道,2026-09,300,5,1\n")
    only_problem(r, 2, None, "有 7 个值，比表头的 6 列多", "千分位逗号")
    assert r.facts.empty or 2 not in set(r.facts["row"])


def test_subtotal_and_blank_rows_are_skipped(env):
    text = ("区域,期间,募集资金\n"
            "茅箭区,2026-03,1\n"
            ",,\n"
            "张湾区,2026-03,2\n"
            "合计,2026-03,3\n"
            "全市总计,2026-03,3\n"
            "小计,2026-03,3\n"
            "注：数据截至3月31日,,\n"
            ",,\n")
    r = parse(env, text)
    assert r.problems == [] and len(r.facts) == 2
    assert r.skipped["row"].tolist() == [3, 5, 6, 7, 8]
    assert r.skipped["reason"].tolist()[:2] == ["空行", "合计行「合计」：合计由系统从各单位汇总，不导入"]
    # a footer needs its colon: real townships start with 注
    tree, _ = env
    zhuzikou = [c for c, n in tree.name.items() if n == "注滋口镇"]
    r = parse(env, "区域,期间,募集资金\n注滋口镇,2026-03,4\n")
    assert r.problems == [] and r.facts["region_code"].tolist() == zhuzikou


# --------------------------------------------------------------------------- rules across rows

def test_ratio_given_as_a_value(env):
    r = parse(env, "区域,期间,村(社区)统战组织覆盖率\n茅箭区,2026-03,95%\n")
    only_problem(r, 1, "村(社区)统战组织覆盖率", "比率", "建有统战组织的村(社区)数", "村(社区)总数")
    r = parse(env, "区域,期间,指标,数值\n茅箭区,2026-03,商会覆盖率,90\n茅箭区,2026-03,募集资金,1\n")
    only_problem(r, 2, "指标", "比率", "建有商会的乡镇(街道)数", "乡镇(街道)总数")
    assert len(r.facts) == 1


def test_numerator_above_denominator(env):
    text = ("区域,期间,建有统战组织的村(社区)数,村(社区)总数,配备统战联络员的村(社区)数\n"
            "茅箭区,2026-03,12,10,9\n"
            "张湾区,2026-03,8,10,10\n")
    r = parse(env, text)
    only_problem(r, 2, "建有统战组织的村(社区)数", "分子不能大于分母", "12", "10")
    assert facts_of(r) == {(MAOJIAN, "villages_with_liaison", "2026-03", 9.0, 2),
                           (ZHANGWAN, "villages_with_org", "2026-03", 8.0, 3),
                           (ZHANGWAN, "villages_total", "2026-03", 10.0, 3),
                           (ZHANGWAN, "villages_with_liaison", "2026-03", 10.0, 3)}
    # in the long layout the two parts are on different rows
    r = parse(env, "区域,期间,指标,数值\n茅箭区,2026-03,村(社区)总数,10\n茅箭区,2026-03,建有统战组织的村(社区)数,11\n")
    only_problem(r, 3, "数值", "第 2 行", "分子不能大于分母")


def test_duplicate_cells(env):
    text = ("区域,期间,指标,数值\n"
            "茅箭区,2026-03,募集资金,212\n"
            "420302,2026-03,募集资金,212万\n"     # the same cell, same value: kept once, no problem
            "茅箭区,2026-03,落地项目数,3\n"
            "茅箭区,2026-03,落地项目数,4\n")
    r = parse(env, text)
    only_problem(r, 5, "数值", "与第 4 行重复", "3 和 4")
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 212.0, 2)}


def test_parent_and_descendant_in_one_file(env):
    text = ("区域,期间,募集资金,考核得分\n"
            "十堰市,2026-03,30,90\n"
            "茅箭区,2026-03,10,88\n"
            "武当路街道,2026-03,5,\n"
            "张湾区,2026-04,20,\n")          # another period: no conflict
    r = parse(env, text)
    assert "「十堰市」和它的下级" in problem_at(r, 2, "区域")
    assert "「茅箭区」和它的下级「武当路街道」（第 4 行）" in problem_at(r, 3, "区域")
    assert "重复计算" in problem_at(r, 3, "区域") and "--allow-subtotals" in problem_at(r, 3, "区域")
    assert len(r.problems) == 2
    assert facts_of(r) == {(WUDANG, "funds_raised", "2026-03", 5.0, 4), (ZHANGWAN, "funds_raised", "2026-04", 20.0, 5)}
    r = parse(env, text, allow_subtotals=True)
    assert r.problems == [] and len(r.facts) == 6


def test_scores_of_parent_and_child_are_no_subtotal(env):
    r = parse(env, "区域,期间,考核得分\n十堰市,2025,90\n茅箭区,2025,88\n")
    assert r.problems == [] and len(r.facts) == 2


# --------------------------------------------------------------------------- headers and columns

def test_unknown_columns(env):
    text = ("序号,区域,期间,募集资金,募资总额,备注,\n"
            "1,茅箭区,2026-03,5,7,已核实,9\n")
    r = parse(env, text)
    assert "无法识别的列「募资总额」" in problem_at(r, 1, "募资总额")
    assert "第 G 列有数据但没有表头" in problem_at(r, 1, None)
    assert len(r.problems) == 2           # 序号 and the text column 备注 are ignored
    assert facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 5.0, 2)}


def test_unknown_indicator_in_long_layout(env):
    r = parse(env, "区域,期间,指标名称,数值\n茅箭区,2026-03,募集资,5\n茅箭区,2026-03,,6\n")
    assert "无法识别的指标「募集资」" in problem_at(r, 2, "指标名称") and "募集资金" in problem_at(r, 2, "指标名称")
    assert "缺少指标名称" in problem_at(r, 3, "指标名称")


def test_english_headers_and_ids(env):
    r = parse(env, "region,period,indicator,value,unit\n420302,2026-03,funds_raised,1.5,亿元\n")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 15000.0, 2)}


def test_units_of_the_long_layout(env):
    text = ("区域,期间,指标,数值(亿元)\n"
            "茅箭区,2026-03,募集资金,1.5\n"            # the value header's unit: 1.5 亿元 = 15000 万元
            "茅箭区,2026-03,捐赠金额(万元),7\n"       # the indicator cell's unit wins over the header's
            "茅箭区,2026-03,落地项目投资额,300万\n")   # and the cell's own unit over both
    r = parse(env, text)
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 15000.0, 2),
                                                (MAOJIAN, "donations", "2026-03", 7.0, 3),
                                                (MAOJIAN, "project_investment", "2026-03", 300.0, 4)}


def test_utf16_text_export(env):
    r = parse(env, "区域\t期间\t募集资金\n茅箭区\t2026-03\t5\n".encode("utf-16"), name="a.txt")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 5.0, 2)}


def test_missing_region_cell(env):
    r = parse(env, "区域,期间,募集资金\n,2026-03,5\n")
    only_problem(r, 2, "区域", "缺少区域")


# --------------------------------------------------------------------------- files that cannot be read

def test_empty_file_and_header_only(env):
    only_problem(parse(env, b""), None, None, "文件是空的")
    only_problem(parse(env, "\ufeff\n\n"), None, None, "是空的")
    only_problem(parse(env, "区域,期间,募集资金\n"), None, None, "没有数据行")
    only_problem(parse(env, xlsx_bytes([]), name="a.xlsx"), None, None, "是空的")
    only_problem(parse(env, "姓名,电话\n张三,1\n"), None, None, "没有找到表头")


def test_not_a_table(env):
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    only_problem(parse(env, png, name="data.csv"), None, None, "PNG 图片")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    only_problem(parse(env, buf.getvalue(), name="data.xlsx"), None, None, "Word 文档")
    only_problem(parse(env, "区域,期间\n", name="photo.png"), None, None, "不支持的文件类型「.png」")
    only_problem(parse(env, "区域,期间,募集资金\n", name="a.xlsx"), None, None, "不是 Excel")
    only_problem(parse(env, "<html><table><tr><td>区域</td></tr></table></html>", name="a.xls"), None, None, "网页")


def test_file_too_large(env):
    data = b"a" * int(1.5 * 2**20)
    only_problem(parse(env, data, max_bytes=2**20), None, None, "1.5 MB", "上限 1 MB")


def test_problems_frame(env):
    r = parse(env, "区域,期间,募集资金\n茅剑区,2026-03,1\n")
    frame = problems_frame(r.problems)
    assert list(frame.columns) == ["行号", "列", "问题"]
    assert frame.iloc[0]["行号"] == 2 and frame.iloc[0]["列"] == "区域"
    frame = problems_frame(parse(env, b"").problems)
    assert pd.isna(frame.iloc[0]["行号"]) and frame.iloc[0]["列"] == ""
