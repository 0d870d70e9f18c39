"""Formula cells of .xlsx files. Excel and LibreOffice save a formula with its result, which is
read as the cell's value; openpyxl and some exporters save the formula alone, which calamine
reads as an empty cell: each such cell is a problem, never a value taken as not reported.

The files are real bytes: written by openpyxl (formulas without results), or a worksheet part
written here as Excel writes it (formulas with their results)."""
from __future__ import annotations

from test_hostile_files import inline, rows_xml, xlsx_with_sheet_xml
from test_importer import ERYAN, WUDANG, env, facts_of, parse, problem_at, xlsx_bytes  # noqa: F401

HEADER = ["区划代码", "名称", "期间", "募集资金(万元)", "服务群众人次"]
HELP = "文件中没有保存计算结果，无法读取它的数值：请在 Excel 或 WPS 中打开此文件、保存后再上传，或把公式改为数值。"
HYPERLINK = 'HYPERLINK("http://evil.example/","二堰街道")'


def test_formulas_saved_without_their_results_are_problems(env):
    data = xlsx_bytes([HEADER, [int(WUDANG), "武当路街道", "2026年10月", "=6+7", 5],
                       [int(ERYAN), "=" + HYPERLINK, "2026年10月", 3, 4]])
    r = parse(env, data, name="a.xlsx")
    assert [(p.row, p.column) for p in r.problems] == [(2, "募集资金(万元)"), (3, "名称")]
    assert problem_at(r, 2, "募集资金(万元)") == "D2 单元格是公式（=6+7），" + HELP
    assert problem_at(r, 3, "名称") == f"B3 单元格是公式（={HYPERLINK}），" + HELP
    assert r.skipped.empty


def test_formulas_saved_with_their_results_read_as_values(env):
    cells = [f'<row r="1">{"".join(inline(f"{c}1", h) for c, h in zip("ABCDE", HEADER))}</row>',
             (f'<row r="2"><c r="A2"><v>{WUDANG}</v></c>{inline("B2", "武当路街道")}{inline("C2", "2026年10月")}'
              '<c r="D2"><f>6+7</f><v>13</v></c><c r="E2" t="str"><f>IF(1,"")</f><v></v></c></row>'),
             (f'<row r="3"><c r="A3"><v>{ERYAN}</v></c><c r="B3" t="str"><f>{HYPERLINK}</f><v>二堰街道</v></c>'
              f'{inline("C3", "2026年10月")}<c r="D3"><v>3</v></c></row>')]
    r = parse(env, xlsx_with_sheet_xml(rows_xml(cells)), name="a.xlsx")
    assert r.problems == []
    assert facts_of(r) == {(WUDANG, "funds_raised", "2026-10", 13.0, 2), (ERYAN, "funds_raised", "2026-10", 3.0, 3)}


def test_formulas_from_the_header_down_are_problems(env):
    """A title above the header is not read; a row of formulas only, which calamine leaves out of
    the sheet, is read; a shared formula's other cells have no text of their own."""
    title = '<row r="1"><c r="A1"><f>"十堰市"&amp;"月报"</f><v></v></c></row>'
    header = f'<row r="2">{"".join(inline(f"{c}2", h) for c, h in zip("ABCDE", HEADER))}</row>'
    row3 = (f'<row r="3"><c r="A3"><v>{WUDANG}</v></c>{inline("B3", "武当路街道")}{inline("C3", "2026年10月")}'
            '<c r="D3"><v>1</v></c><c r="E3"><f t="shared" ref="E3:E4" si="0">D3*2</f></c></row>')
    row4 = '<row r="4"><c r="A4"><f>A3</f><v></v></c><c r="E4"><f t="shared" si="0"/></c></row>'
    r = parse(env, xlsx_with_sheet_xml(rows_xml([title, header, row3, row4])), name="a.xlsx")
    assert [(p.row, p.column) for p in r.problems] == [(3, "服务群众人次"), (4, "区划代码"), (4, "服务群众人次")]
    assert problem_at(r, 3, "服务群众人次") == "E3 单元格是公式（=D3*2），" + HELP
    assert problem_at(r, 4, "区划代码") == "A4 单元格是公式（=A3），" + HELP
    assert problem_at(r, 4, "服务群众人次") == "E4 单元格是公式，" + HELP


def test_formula_cells_of_a_prefixed_sheet_and_without_references(env):
    """Some writers prefix the elements (<x:c>) or leave out r="D2": such cells count too."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    head = "".join(f'<x:c r="{c}1" t="inlineStr"><x:is><x:t>{h}</x:t></x:is></x:c>' for c, h in zip("ABCD", HEADER))
    xml = (f'<x:worksheet xmlns:x="{ns}"><x:sheetData><x:row r="1">{head}</x:row>'
           f'<x:row r="2"><x:c r="A2"><x:v>{WUDANG}</x:v></x:c><x:c r="B2" t="inlineStr"><x:is><x:t>武当路街道</x:t></x:is></x:c>'
           '<x:c r="C2" t="inlineStr"><x:is><x:t>2026年10月</x:t></x:is></x:c><x:c r="D2"><x:f>6+7</x:f></x:c></x:row>'
           '<x:row r="3"><x:c><x:f>1+1</x:f><x:v></x:v></x:c></x:row></x:sheetData></x:worksheet>')
    r = parse(env, xlsx_with_sheet_xml(xml), name="a.xlsx")
    assert [(p.row, p.column, p.message) for p in r.problems] == [
        (None, None, "工作表中有单元格是公式（=1+1），" + HELP), (2, "募集资金(万元)", "D2 单元格是公式（=6+7），" + HELP)]
