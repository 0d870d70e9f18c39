"""Files built to hurt (issue 8): every one gets a Chinese message, in bounded time and memory.

Each file is real bytes written here: .xlsx parts rewritten by hand (cells far apart, a lying
size, a zip bomb), CSV with huge cells, unclosed quotes, UTF-16 without BOM, foreign digits.
The Excel bombs run through the command line in a subprocess, so that a regression aborts that
process (exit 134), not the test run.
"""
from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest

from tongzhan.limits import MAX_COLUMNS

from test_importer import MAOJIAN, env, facts_of, only_problem, parse, xls_bytes  # noqa: F401

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
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


def cli_import(schema_db, path, *args, timeout=120):
    """`python -m tongzhan import --dry-run` in a subprocess: (exit code, stderr, seconds)."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(schema_db[0]), "import", str(path),
                          "--dry-run", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return res.returncode, res.stderr, time.perf_counter() - t0


# --------------------------------------------------------------------------- sizes of Excel sheets

def test_cells_at_a1_and_xfd1048576_are_refused_before_calamine_reads_them(schema_db, tmp_path):
    # 1.5 KB: python-calamine would build the 1,048,576 × 16,384 rectangle (512 GiB) and abort
    xml = rows_xml(['<row r="1">' + inline("A1", "区域") + "</row>",
                    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])
    path = tmp_path / "far.xlsx"
    path.write_bytes(xlsx_with_sheet_xml(xml))
    assert path.stat().st_size < 6000
    code, err, seconds = cli_import(schema_db, path)
    assert code == 1, (code, err[-2000:])
    assert "1,048,576 行 × 16,384 列" in err and "2,000 列" in err and "删除" in err
    assert seconds < 20


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
