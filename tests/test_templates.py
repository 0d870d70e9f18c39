"""Templates: downloaded for a region and period, filled in, uploaded back unchanged."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd

from tongzhan.importer import parse_file
from tongzhan.periods import Period
from tongzhan.exports import csv_bytes, xlsx_bytes
from tongzhan.templates import template_columns, template_frame

MAOJIAN = "420302"


def test_ratio_asks_for_its_parts(schema_db):
    _, _, catalog = schema_db
    cols = template_columns(catalog, ["village_org_coverage", "funds_raised", "villages_total"])
    assert cols == ["建有统战组织的村(社区)数(个)", "村(社区)总数(个)", "募集资金(万元)"]


def test_excel_template_filled_in_reads_back(schema_db):
    _, tree, catalog = schema_db
    frame = template_frame(tree, catalog, MAOJIAN, Period.parse("2026-03"),
                           ["funds_raised", "village_org_coverage"])
    assert list(frame["区划代码"]) == tree.children(MAOJIAN)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame)))
    ws = wb.active
    for r in range(2, ws.max_row + 1):          # a person fills in every row
        ws.cell(r, 4, 10.5)                      # 募集资金(万元)
        ws.cell(r, 5, 3)                         # villages with an organisation
        ws.cell(r, 6, 4)                         # villages in total
    buf = io.BytesIO()
    wb.save(buf)
    parsed = parse_file(buf.getvalue(), "填报模板.xlsx", tree, catalog, today=date(2026, 11, 23))
    assert parsed.problems == []
    n = len(tree.children(MAOJIAN))
    assert len(parsed.facts) == 3 * n
    funds = parsed.facts[parsed.facts["indicator_id"] == "funds_raised"]
    assert set(funds["value"]) == {10.5}
    assert set(parsed.facts["period_start"]) == {date(2026, 3, 1)}


def test_csv_template_reads_back(schema_db):
    _, tree, catalog = schema_db
    frame = template_frame(tree, catalog, MAOJIAN, Period.parse("2026Q1"), ["people_served"])
    data = csv_bytes(frame)
    assert data.startswith("\ufeff".encode())   # BOM, so Excel on Windows reads UTF-8
    filled = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")
    filled["服务群众人次(人次)"] = "120"
    parsed = parse_file(csv_bytes(filled), "t.csv", tree, catalog, today=date(2026, 11, 23))
    assert parsed.problems == []
    assert set(parsed.facts["months"]) == {3} and set(parsed.facts["value"]) == {120.0}


def test_a_city_template_lists_its_townships_where_data_is_reported(schema_db):
    """十堰市's template at township level: its 119 townships (the seeds' figure), each a row, in
    the order of the tree's walk: 茅箭区's first; the default stays its 8 counties."""
    _, tree, catalog = schema_db
    frame = template_frame(tree, catalog, "420300", Period.parse("2026-10"), ["funds_raised"], level=4)
    codes = list(frame["区划代码"])
    assert len(codes) == len(set(codes)) == 119
    assert all(tree.level[c] == 4 and c.startswith("4203") for c in codes)
    assert codes[:2] == ["420302001", "420302002"] and frame["名称"][0] == "武当路街道"
    assert len(template_frame(tree, catalog, "420300", Period.parse("2026-10"), ["funds_raised"])) == 8
