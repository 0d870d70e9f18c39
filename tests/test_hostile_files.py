"""Files built to hurt (issue 8): every one gets a Chinese message, in bounded time and memory.

Each file is real bytes written here: .xlsx parts rewritten by hand (cells far apart, a lying
size, a zip bomb), CSV with huge cells, unclosed quotes, UTF-16 without BOM, foreign digits.
The Excel bombs run through the command line in a subprocess, so that a regression aborts that
process (exit 134), not the test run.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tongzhan import batches, store
from tongzhan.catalog import Catalog
from tongzhan.importer import parse_file, problem_count
from tongzhan.limits import MAX_COLUMNS
from tongzhan.regions import Tree

from test_importer import MAOJIAN, env, facts_of, only_problem, parse, xls_bytes  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def xlsx_with_sheet_xml(sheet_xml: str | bytes, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A workbook saved by openpyxl whose first worksheet part is replaced by sheet_xml."""
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name in src.namelist():
            z.writestr(name, sheet_xml if name == "xl/worksheets/sheet1.xml" else src.read(name))
    return out.getvalue()


def rows_xml(rows: list[str]) -> str:
    return SHEET_HEAD + "<sheetData>" + "".join(rows) + "</sheetData></worksheet>"


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# The command line with its peak memory (VmHWM) printed last on stderr as it exits: the rusage
# of a child forked from this big test process would count the fork's memory too.
CLI_WITH_PEAK = ("import atexit, runpy, sys\n"
                 "atexit.register(lambda: print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')),"
                 " file=sys.stderr))\n"
                 "sys.argv[0] = 'tongzhan'\n"
                 "runpy.run_module('tongzhan', run_name='__main__')")


def cli_import(schema_db, path, *args):
    """`python -m tongzhan import --dry-run` in a subprocess: (exit code, stderr, seconds, peak
    memory in MB)."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", CLI_WITH_PEAK, "--db", str(schema_db[0]), "import", str(path),
                          "--dry-run", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    err, _, peak = res.stderr.rstrip().rpartition("\n")
    return res.returncode, err, time.perf_counter() - t0, int(peak.split()[1]) / 1024


# --------------------------------------------------------------------------- sizes of Excel sheets

def test_cells_at_a1_and_xfd1048576_are_refused_before_calamine_reads_them(schema_db, tmp_path):
    # 1.5 KB: python-calamine would build the 1,048,576 × 16,384 rectangle (512 GiB) and abort
    xml = rows_xml(['<row r="1">' + inline("A1", "区域") + "</row>",
                    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])
    path = tmp_path / "far.xlsx"
    path.write_bytes(xlsx_with_sheet_xml(xml))
    assert path.stat().st_size < 6000
    code, err, seconds, _ = cli_import(schema_db, path)
    assert code == 1, (code, err[-2000:])
    assert "1,048,576 行 × 16,384 列" in err and "2,000 列" in err and "删除" in err
    assert seconds < 20


def test_xls_with_cells_far_apart_is_refused_before_calamine_opens_it(schema_db, tmp_path):
    # 6 KB: python-calamine builds every sheet of an .xls on opening, here 65,536 × 256 cells
    # (about 530 MB and half a second; ten such sheets, 5 GB)
    path = tmp_path / "far.xls"
    path.write_bytes(xls_bytes([["区域"]] + [[]] * 65_534 + [[None] * 255 + [1.0]], sheet="S"))
    assert path.stat().st_size < 8000
    code, err, _, peak_mb = cli_import(schema_db, path)
    assert code == 1, (code, err[-2000:])
    assert "工作表「S」的数据区域有 65,536 行 × 256 列" in err and "删除" in err
    assert peak_mb < 400, peak_mb


def test_xls_sheets_count_together(env):
    # calamine builds them all on opening: 3 sheets of 20,000 × 100 cells are 6 M cells
    corner = [["区域"]] + [[]] * 19_998 + [[None] * 99 + [1.0]]
    data = xls_bytes(corner, sheet="甲", more_sheets=[("乙", corner), ("丙", corner)])
    only_problem(parse(env, data, name="a.xls"), None, None, "3 个工作表合计有 6,000,000 个单元格", "5,000,000")


def test_a_lying_dimension_alone_is_harmless(env):
    # <dimension ref="A1:XFD1048576"/> over two real rows: calamine goes by the cells, so do we
    xml = (SHEET_HEAD + '<dimension ref="A1:XFD1048576"/><sheetData>'
           + '<row r="1">' + inline("A1", "区域") + inline("B1", "期间") + inline("C1", "募集资金") + "</row>"
           + '<row r="2">' + inline("A2", "茅箭区") + inline("B2", "2026-03") + '<c r="C2"><v>5</v></c></row>'
           + "</sheetData></worksheet>")
    r = parse(env, xlsx_with_sheet_xml(xml), name="a.xlsx")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 5.0, 2)}


def test_cells_without_references_count_in_order(env):
    # some writers leave out r="B2": cells then follow one another, as calamine reads them
    row = "<row>" + "<c><v>1</v></c>" * (MAX_COLUMNS + 1) + "</row>"
    r = parse(env, xlsx_with_sheet_xml(rows_xml([row])), name="a.xlsx")
    only_problem(r, None, None, f"{MAX_COLUMNS + 1:,} 列", "超过上限")


def test_zip_bomb_is_refused_before_it_is_inflated(env):
    # 10 M empty cells' worth of XML (about 250 MB) squeezed into a small file
    row = b"<row>" + b'<c s="0"/>' * 1000 + b"</row>"
    xml = SHEET_HEAD.encode() + b"<sheetData>" + row * 45_000 + b"</sheetData></worksheet>"
    data = xlsx_with_sheet_xml(xml)
    assert len(data) < 2 * 2**20 < 400 * 2**20 < len(xml)
    t0 = time.perf_counter()
    r = parse(env, data, name="bomb.xlsx")
    only_problem(r, None, None, "解压后超过 400 MB", "另存为 CSV")
    assert time.perf_counter() - t0 < 2


def test_a_part_bigger_than_it_claims_is_damaged(env):
    xml = rows_xml(['<row r="1">' + inline("A1", "区域") + "</row>"]).encode()
    raw = bytearray(xlsx_with_sheet_xml(xml, zipfile.ZIP_STORED))
    # halve the size the central directory declares for the sheet part
    entry = raw.rindex(b"PK\x01\x02", 0, raw.index(b"xl/worksheets/sheet1.xml", raw.index(b"PK\x01\x02")))
    assert int.from_bytes(raw[entry + 24:entry + 28], "little") == len(xml)
    raw[entry + 24:entry + 28] = (len(xml) // 2).to_bytes(4, "little")
    only_problem(parse(env, bytes(raw), name="a.xlsx"), None, None, "文件已损坏")


def test_xls_size_is_checked_before_its_cells_become_python_objects(env):
    big = [["区域"] + [None] * 255] + [[None] * 256 for _ in range(19_998)] + [[None] * 255 + [1.0]]
    r = parse(env, xls_bytes(big, sheet="S"), name="a.xls")
    only_problem(r, None, None, "工作表「S」", "20,000 行 × 256 列", "5,000,000 个单元格")


def test_ods_is_refused(env):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    only_problem(parse(env, buf.getvalue(), name="a.xlsx"), None, None, ".ods", "另存为 .xlsx")


# --------------------------------------------------------------------------- CSV

def test_csv_with_100k_columns_is_refused_quickly(env):
    header = "区域,期间," + ",".join(f"列{i}" for i in range(100_000))
    t0 = time.perf_counter()
    r = parse(env, header + "\n茅箭区,2026-03," + ",".join(["1"] * 100_000) + "\n")
    only_problem(r, None, None, "100,002 列", "2,000 列")
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize("rows", [1, 5])
@pytest.mark.parametrize("newline, end", [("\n", ""), ("\n", "\n"), ("\r\n", "\r\n")])
def test_csv_over_the_bounds_counts_its_rows_as_a_sheet_does(env, rows, newline, end):
    """The header and each data row are a row, as from A1 of a sheet; the last line break is none."""
    header = "区域,期间," + ",".join(f"列{i}" for i in range(3_007))
    line = "茅箭区,2026-03," + ",".join(["1"] * 3_007)
    r = parse(env, newline.join([header] + [line] * rows) + end)
    only_problem(r, None, None, f"文件的数据区域有 {rows + 1} 行 × 3,009 列（{(rows + 1) * 3_009:,} 个单元格）")


def test_csv_cell_over_the_field_limit(env):
    r = parse(env, "区域,期间,募集资金\n茅箭区,2026-03,5\n张湾区,2026-03," + "9" * 200_000 + "\n")
    only_problem(r, None, None, "第 3 行", "131,072 个字符")


def test_unclosed_quote_names_its_row(env):
    r = parse(env, '区域,期间,募集资金\n茅箭区,2026-03,5\n张湾区,"2026-03,6\n茅箭区,2026-04,7\n')
    only_problem(r, None, None, "第 3 行", "引号", "没有闭合")


def test_stray_quote_inside_a_cell_reads_as_excel_does(env):
    r = parse(env, '区域,期间,募集资金\n茅箭区,"2026-03"x,5\n')
    only_problem(r, 2, "期间", "无法识别期间「2026-03x」")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(env, encoding):
    r = parse(env, "区域,期间,募集资金\n茅箭区,2026-03,5\n".encode(encoding))
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 5.0, 2)}


def test_binary_is_still_binary(env):
    only_problem(parse(env, bytes(range(256)) * 40), None, None, "二进制")


# --------------------------------------------------------------------------- the problem list

def test_problem_list_is_capped(env, schema_db, tmp_path):
    # 3,000 rows, each with an unknown region: the first 1,000 and one line for the rest
    text = "区域,期间,募集资金\n" + "".join(f"无此区{i},2026-03,1\n" for i in range(3000))
    r = parse(env, text)
    assert len(r.problems) == 1001 and r.problems[0].row == 2 and r.problems[999].row == 1001
    assert r.problems[-1].row is None and "另有 2,000 个问题未列出" in r.problems[-1].message
    assert problem_count(r.problems) == 3000
    path = tmp_path / "many.csv"
    path.write_text(text, encoding="utf-8")
    code, err, _, _ = cli_import(schema_db, path)
    assert code == 1 and "有 3,000 处问题" in err, err[:500]


# --------------------------------------------------------------------------- wrong data

@pytest.mark.parametrize("cell", ["١٢٣", "१२३"])
def test_digits_of_other_scripts_are_refused(env, cell):
    only_problem(parse(env, f"区域,期间,服务群众人次\n茅箭区,2026-03,{cell}\n"), 2, "服务群众人次", "0—9")


def test_full_width_digits_still_read(env):
    r = parse(env, "区域,期间,服务群众人次\n茅箭区,２０２６-０３,１２３\n")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "people_served", "2026-03", 123.0, 2)}


@pytest.mark.parametrize("cell, indicator", [("1e308", "服务群众人次"), ("20000000000", "服务群众人次"),
                                             ("2亿", "落地项目数"), ("1e400", "募集资金")])
def test_values_over_the_catalog_maximum(env, cell, indicator):
    only_problem(parse(env, f"区域,期间,{indicator}\n茅箭区,2026-03,{cell}\n"), 2, indicator, "数值过大", "全国一年")


def test_catalog_requires_a_maximum(tmp_path):
    from tongzhan.catalog import CATALOG_CSV, read_catalog_csv
    text = CATALOG_CSV.read_text(encoding="utf-8").replace(",month,2,1e7\n", ",month,2,\n", 1)
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="max_value"):
        read_catalog_csv(tmp_path / "c.csv")


@pytest.mark.parametrize("cell, why", [("2026-02-30", "2026年2月没有30日"), ("2026/4/31", "2026年4月没有31日"),
                                       ("0001-01", "早于 2000 年"), ("1900-01", "早于 2000 年"), ("0000-01", "早于 2000 年"),
                                       ("٢٠٢٦-٠٣", "0—9")])
def test_impossible_and_too_early_periods(env, cell, why):
    only_problem(parse(env, f"区域,期间,募集资金\n茅箭区,{cell},5\n"), 2, "期间", why)


def test_first_year_is_configurable(env, monkeypatch):
    monkeypatch.setenv("TONGZHAN_FIRST_YEAR", "2020")
    only_problem(parse(env, "区域,期间,募集资金\n茅箭区,2019-12,5\n"), 2, "期间", "早于 2020 年")
    assert parse(env, "区域,期间,募集资金\n茅箭区,2020-01,5\n").problems == []


def test_leap_day_is_a_day(env):
    assert parse(env, "区域,期间,募集资金\n茅箭区,2024-02-29,5\n").problems == []


@pytest.mark.parametrize("header, row, first, second", [
    ("区划代码,区划代码,期间,募集资金", "420302,420303,2026-03,5", "区划代码」（第 A 列）", "区划代码」（第 B 列）"),
    ("代码,区划代码,期间,募集资金", "420302,420303,2026-03,5", "代码」（第 A 列）", "区划代码」（第 B 列）"),
    ("地区,地区,期间,募集资金", "茅箭区,张湾区,2026-03,5", "地区」（第 A 列）", "地区」（第 B 列）"),
    ("区域,期间,期间,募集资金", "茅箭区,2026-03,2026-04,5", "期间」（第 B 列）", "期间」（第 C 列）"),
    ("区域,期间,指标,数值,数值", "茅箭区,2026-03,募集资金,5,6", "数值」（第 D 列）", "数值」（第 E 列）"),
    ("区域,期间,指标,指标,数值", "茅箭区,2026-03,募集资金,捐赠金额,6", "指标」（第 C 列）", "指标」（第 D 列）"),
])
def test_two_columns_for_one_role_are_ambiguous(env, header, row, first, second):
    r = parse(env, f"{header}\n{row}\n")
    assert any(first in p.message and second in p.message and "无法确定" in p.message for p in r.problems), r.problems
    assert r.problems and r.facts.empty or all(p.row == 1 for p in r.problems[:1])


def test_code_and_name_and_year_and_month_columns_are_not_ambiguous(env):
    r = parse(env, "区划代码,区域,年份,月份,募集资金\n420302,茅箭区,2026,3,5\n")
    assert r.problems == [] and facts_of(r) == {(MAOJIAN, "funds_raised", "2026-03", 5.0, 2)}


# --------------------------------------------------------------------------- names that are stored

@pytest.mark.parametrize("name, why", [("新村\x1b[31m", "U+001B"), ("新\u202e村", "U+202E"), ("新\u200b村", "U+200B"),
                                       ("村" * 51, "51 个字")])
def test_new_village_names_must_be_printable_and_short(env, name, why):
    blank = "\n" * 9000   # control characters in the first 8 KB make the whole file binary
    r = parse(env, f"乡镇,村(社区),期间,募集资金{blank}\n武当路街道,{name},2026-03,5\n")
    only_problem(r, 9002, "村(社区)", why)
    r = parse(env, f"区划代码,村(社区),期间,募集资金{blank}\n420302001999,{name},2026-03,5\n")
    only_problem(r, 9002, "村(社区)", why)


@pytest.mark.parametrize("name", ["[点我领奖](http://x)", "<a href=x>村</a>", "  新村  "])
def test_printable_names_are_data(env, name):
    r = parse(env, f"乡镇,村(社区),期间,募集资金\n武当路街道,{name},2026-03,5\n")
    assert r.problems == [] and r.villages["name"].tolist() == [name.strip()]


def test_uploader_name_check():
    from tongzhan.importer import name_problem
    assert name_problem("张三", "上传人") is None and name_problem("<b>张三</b>", "上传人") is None
    assert "U+000A" in name_problem("张\n三", "上传人") and "超过 50 个字" in name_problem("张" * 60, "上传人")


def test_cli_refuses_a_bad_uploader(schema_db, tmp_path):
    """--user names an account: a name that is none (with control characters here) is refused."""
    path = tmp_path / "a.csv"
    path.write_text("区域,期间,募集资金\n茅箭区,2026-03,5\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(schema_db[0]), "import", str(path),
                          "--dry-run", "--user", "张\x1b三"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "TONGZHAN_PASSWORD": "test-password-1"})
    assert res.returncode == 2 and "用户名或密码错误" in res.stderr


# --------------------------------------------------------------------------- outliers in the preview

def test_preview_warns_of_values_far_outside_the_units_history(db_copy, tmp_path):
    con = store.connect(db_copy)
    try:
        tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
        high, low = con.execute("SELECT max(value), min(value) FILTER (WHERE value > 0) FROM facts "
                                "WHERE region_code = '420302001' AND indicator_id = 'funds_raised'").fetchall()[0]
        slip, normal, tiny = float(high) * 10_000, float(high), float(low) / 1000
        text = ("区划代码,期间,募集资金\n"
                f"420302001,2026-11,{slip:.2f}\n420302002,2026-11,1\n420302001,2026-10,{tiny:.6f}\n"
                f"420302001,2026-09,{normal}\n")
        data = text.encode()
        parsed = parse_file(data, "a.csv", tree, catalog, today=dt.date.today())
        assert parsed.problems == []
        p = batches.preview(con, parsed, data)
    finally:
        con.close()
    assert p.problems == [] and [(w.row, w.column) for w in p.warnings] == [(2, "募集资金"), (4, "募集资金")]
    assert "10,000 倍" in p.warnings[0].message and "万元与元" in p.warnings[0].message
    assert "百分之一" in p.warnings[1].message
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    res = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db_copy), "import", str(path), "--dry-run"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "提醒 第2行 募集资金" in res.stdout and "提醒 第4行" in res.stdout
