"""Every download keeps user text as text: no formula cell in an .xlsx, no cell of a CSV that a
spreadsheet would run as a formula (OWASP: a quote before = + - @ TAB CR), numbers stay numbers."""
from __future__ import annotations

import csv
import io
import shutil

import openpyxl
import pandas as pd
import pytest

import hostile
from tongzhan import completeness, store
from tongzhan.exports import csv_bytes, xlsx_bytes
from tongzhan.importer import parse_file, problems_frame
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.templates import template_frame

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def villages_db(schema_db, tmp_path_factory):
    """The schema database with the hostile villages imported: (con, tree, catalog)."""
    path = tmp_path_factory.mktemp("hostile") / "h.duckdb"
    shutil.copyfile(schema_db[0], path)
    con = store.connect(path)
    hostile.commit(con, schema_db[1], schema_db[2])
    yield con, Tree(store.query(con, "regions_all")), schema_db[2]
    con.close()


def xlsx_cells(data: bytes) -> list[openpyxl.cell.Cell]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def assert_no_formula(data: bytes, expected_texts) -> None:
    cells = xlsx_cells(data)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert set(expected_texts) <= values        # the very text, not a changed one


def csv_cells(data: bytes) -> list[str]:
    return [v for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for v in row]


def assert_csv_neutral(data: bytes, expected_texts) -> None:
    cells = csv_cells(data)
    assert [v for v in cells if v.startswith(TRIGGERS)] == []
    for text in expected_texts:
        assert ("'" + text if text.startswith(TRIGGERS) else text) in cells


def test_template_downloads_keep_village_names_as_text(villages_db):
    con, tree, catalog = villages_db
    frame = template_frame(tree, catalog, hostile.TOWNSHIP, Period.parse("2026-11"), ["people_served"])
    assert set(frame["名称"]) == set(hostile.VILLAGES.values())
    assert_no_formula(xlsx_bytes(frame), hostile.VILLAGES.values())
    assert_csv_neutral(csv_bytes(frame), hostile.VILLAGES.values())


def test_problem_list_keeps_a_formula_header_as_text(schema_db):
    _, tree, catalog = schema_db
    header = '=HYPERLINK("http://example.com","点我")'
    data = f'区划代码,期间,"{header.replace(chr(34), chr(34) * 2)}"\n420302001,2026-10,5\n'.encode()
    parsed = parse_file(data, "x.csv", tree, catalog, today=pd.Timestamp("2026-12-01").date())
    report = problems_frame(parsed.problems)
    assert header in set(report["列"]) | set(report["问题"]), report
    shown = [v for v in report.to_numpy().ravel() if isinstance(v, str) and v.startswith("=")]
    assert shown, "the report should contain the header text as a cell"
    assert_no_formula(xlsx_bytes(report, "问题清单"), shown)
    assert_csv_neutral(csv_bytes(report), shown)


def test_missing_units_downloads_keep_a_village_name_as_text(villages_db):
    con, tree, catalog = villages_db
    village = f"{hostile.TOWNSHIP}906"                   # =cmd|' /C calc'!A0
    m = completeness.missing_units(con, tree, catalog, village, Period.parse("2026-11"),
                                   ["funds_raised", "people_served"])
    table = completeness.export_frame(m)
    assert list(table["乡镇(街道)"]) == [hostile.VILLAGES[village]]
    assert_no_formula(xlsx_bytes(table), [hostile.VILLAGES[village]])
    assert_csv_neutral(csv_bytes(table), [hostile.VILLAGES[village]])


def test_numbers_stay_numbers_and_text_gets_the_quote():
    frame = pd.DataFrame({"名称": ["-5", "+1", "@x", "\tx", "普通"], "数值": [-5, 1, -2.5, 0, 3],
                          "=表头": [None, "a", "b", "c", "d"]})
    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[0] == ["名称", "数值", "'=表头"]
    assert [r[0] for r in rows[1:]] == ["'-5", "'+1", "'@x", "'\tx", "普通"]
    assert [r[1] for r in rows[1:]] == ["-5.0", "1.0", "-2.5", "0.0", "3.0"]   # negative numbers untouched
    cells = {c.coordinate: c for c in xlsx_cells(xlsx_bytes(frame))}
    assert (cells["B2"].value, cells["B2"].data_type) == (-5, "n")
    assert (cells["A2"].value, cells["A2"].data_type) == ("-5", "s")
    assert (cells["C1"].value, cells["C1"].data_type) == ("=表头", "s")
