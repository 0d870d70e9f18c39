"""Reading an uploaded CSV or Excel file into facts, new villages and problems.

`parse_file` is a pure function of the file's bytes, the division tree and the catalog: it never
touches the database and never raises for a mistake in the file. Every problem is collected, in
Chinese, with the row number and the column header as the user sees them in the file.

    bytes ─→ grid (tongzhan.sheets: rows of cells; merged cells filled with their value)
          ─→ header (the first row with two known column names; a second header row is joined)
          ─→ columns (region / code / period / indicator / value / unit / one per indicator)
          ─→ rows column by column: skipped rows; region, period and value of each distinct
             cell (or combination of cells), spread over the rows ─→ candidate facts
          ─→ checks across rows as frame operations (duplicates, two period lengths of one
             unit's indicator, numerator > denominator, parent with descendant for overlapping
             periods)
          ─→ ParseResult (facts that passed every check, new villages, skipped rows, problems)

A fact involved in a problem is left out of `facts`, so a caller that imports despite problems
imports only clean cells; the intended use is to import when `problems` is empty.

The parts, in the order of the pipeline:
    result.py        the contract: Problem, ParseResult, problems_frame, FACT_COLUMNS
    text.py          text of a cell (NFKC, labels, match keys); the data rows column by column
    values.py        numbers with units in the catalog unit (parse_value, unit_scale)
    period_cells.py  periods of cells (parse_period); how two periods of one indicator overlap
    header.py        column names and the header rows
    formulas.py      formula cells of an .xlsx saved without their result: problems, not blanks
    region_names.py  region names and codes, new villages
    parser.py        the state of one parse (_Parser), whose methods are in
    columns.py       settling the columns
    rows.py          reading the rows
    checks.py        checks across rows
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..regions import ROOT_CODE, Tree
from ..sheets import FileError, sheets
from .formulas import formula_message, uncached_formulas
from .header import HEADER_SEARCH_ROWS, _find_header, _unit_note, _Vocabulary
from .parser import _Parser
from .period_cells import PERIOD_HELP, _months, granularity_reason, overlap_note, parse_period
from .region_names import _Regions
from .result import FACT_COLUMNS, MAX_PROBLEMS, Omitted, ParseResult, Problem, _empty_result, capped, problem_count, problems_frame
from .text import _Cells, _col_letter, _is_blank, _objects, name_problem
from .values import parse_value, unit_scale

__all__ = ["FACT_COLUMNS", "MAX_PROBLEMS", "Omitted", "PERIOD_HELP", "ParseResult", "Problem", "capped", "granularity_reason", "problem_count",
           "name_problem", "overlap_note", "parse_file", "parse_period", "parse_value", "problems_frame", "unit_scale"]


def parse_file(data: bytes, file_name: str, tree: Tree, catalog: Catalog, *, today: dt.date,
               period: str | None = None, sheet: str | None = None, scope: str = ROOT_CODE,
               allow_subtotals: bool = False, max_bytes: int = 50 * 2**20) -> ParseResult:
    """Normalised facts, new villages, skipped rows and every problem of an uploaded file.

    period: the period of the whole file (same syntaxes as a period cell), for a file without a
    period column; scope: the uploader's region, names resolve only inside it and codes must lie
    in it; today: periods starting after today's month are rejected; allow_subtotals: accept a
    parent and its descendant for the same indicator and period (the parent's own number).
    A file whose value columns are headed as targets (目标值, 2026年目标, 募集资金目标) is a targets
    file (kind "targets"): years or quarters, ratios as %, checked for regions, units, numbers
    and duplicates only (a target is not a fact: nothing to contradict)."""
    def file_problem(message, sheet_name=None, layout=""):
        return _empty_result([Problem(None, None, message)], layout, sheet_name)

    if scope not in tree:
        return file_problem(f"导入范围「{scope}」不是有效的区划代码。")
    default_period = None
    if period:
        try:
            default_period = parse_period(period)
        except ValueError as e:
            return file_problem(f"所选期间无效：{e}")
    try:
        candidates = sheets(data, file_name, max_bytes, sheet)
    except FileError as e:
        return file_problem(str(e))

    vocab = _Vocabulary(catalog)
    try:
        sheet_name, grid, found = _first_table(candidates, vocab)
    except _NoTable as e:
        return file_problem(str(e), e.sheet)
    formulas = uncached_formulas(data, sheet_name) if sheet_name is not None and data.startswith(b"PK") else []
    return _read_table(grid, found, sheet_name, catalog, vocab, _Regions(tree, scope), today, default_period,
                       allow_subtotals, formulas)


def _read_table(grid: list, found: tuple, sheet_name: str | None, catalog: Catalog, vocab: _Vocabulary,
                regions: _Regions, today: dt.date, default_period, allow_subtotals: bool,
                formulas: list) -> ParseResult:
    """parse_file's result for the table found in grid (header rows and columns, _first_table):
    its columns settled, every row read and checked; formulas without their result (formulas.py)
    in the header and data rows are problems."""
    header_rows, columns = found
    header_row = header_rows[-1] + 1
    body = grid[header_rows[-1] + 1:]
    while body and all(_is_blank(v) for v in body[-1]):
        body.pop()
    try:
        parser = _Parser(catalog, vocab, regions, today, *_file_period(columns, default_period),
                         allow_subtotals, sheet_unit=_unit_note(grid[:header_rows[0]]))
        if parser.default_period and (why := parser.period_problem(parser.default_period)):
            raise ValueError(f"所选期间无效：{why}")
    except ValueError as e:
        return _empty_result([Problem(None, None, str(e))], "", sheet_name)
    parser.problems += _formula_problems(formulas, columns, header_rows[0] + 1)
    parser.role = defaultdict(list)
    cells = _Cells(body, len(columns))
    for c in parser.settle_columns(columns, cells, header_row):
        parser.role[c.spec.role].append(c)
    layout = parser.layout

    missing = _missing_parts(parser, body, parser.default_period)
    if missing:
        problems = [Problem(None, None, m + "。") for m in missing] + parser.problems
        return _empty_result(capped(problems), layout, sheet_name)

    overlong = _overlong_rows(parser, body, len(columns), header_row) if sheet_name is None else []   # CSV only
    f = parser.read_rows(cells, header_row + 1)
    f = f[~f["row"].isin(overlong)].reset_index(drop=True)   # check_facts counts by position
    f = f[parser.check_facts(f)]
    if f.empty and not parser.problems:
        parser.problem(None, None, "文件中没有任何可导入的数值：所有数值单元格都是空的。")
    parser.problems.sort(key=lambda p: (p.row or 0))
    return _result(parser, f, catalog, sheet_name, allow_subtotals)


def _result(parser: _Parser, f: pd.DataFrame, catalog: Catalog, sheet_name: str | None,
            allow_subtotals: bool) -> ParseResult:
    """The ParseResult of the checked rows f: facts, the new villages they use, skipped rows."""
    regions, periods, pid = parser.region_codes[f.rid], parser.periods, f.pid.to_numpy()
    used = set(regions)
    villages = [(code, name, parent) for code, (name, parent) in parser.regions.new_villages.items() if code in used]
    if parser.targets and villages:
        return _empty_result([Problem(None, None, f"目标值只能填写已有区域的：「{villages[0][1]}」等 {len(villages)} 个"
                                      "村(社区)还不在系统中，请先随实际数据上报，再填写它们的目标。")], parser.layout, sheet_name)
    return ParseResult(
        facts=pd.DataFrame({"region_code": regions, "indicator_id": _objects(catalog.ids())[f.ind],
                            "period_start": _objects([p.start for p in periods])[pid],
                            "period_end": _objects([p.end for p in periods])[pid],
                            "months": np.array([_months(p) for p in periods], dtype=int)[pid],
                            "value": f.value.to_numpy(), "row": f.row.to_numpy()}),
        villages=pd.DataFrame(villages, columns=["code", "name", "parent_code"]),
        skipped=pd.DataFrame(parser.skipped, columns=["row", "reason"]),
        problems=capped(parser.problems), layout=parser.layout, sheet=sheet_name,
        allow_subtotals=allow_subtotals, kind="targets" if parser.targets else "facts")


def _formula_problems(formulas: list, columns: list, first_row: int) -> list[Problem]:
    """The problems of formulas without their result (row, column, text) from first_row on."""
    labels = {c.index: c.label for c in columns}
    return [Problem(None, None, formula_message("", text)) if row is None else
            Problem(row, labels.get(col) or None, formula_message(f"{_col_letter(col)}{row}", text))
            for row, col, text in formulas if row is None or row >= first_row]


def _file_period(columns: list, default_period):
    """(the whole file's period, whether the columns are targets): a period named by the target
    headers (2026年目标) is the whole file's. ValueError (Chinese) for targets beside actual
    values, headers naming different periods, or one other than the chosen period."""
    marked = [c for c in columns if c.spec and c.spec.target]
    if not marked:
        return default_period, False
    if plain := [c for c in columns if c.spec and c.spec.role in ("measure", "value") and not c.spec.target]:
        raise ValueError(f"「{marked[0].label}」是目标值，「{plain[0].label}」是实际数：目标值与实际数请分两个文件上传。")
    named = sorted({c.spec.period for c in marked if c.spec.period})
    if len(named) > 1:
        raise ValueError(f"目标列的表头写了不同的期间（{'、'.join(named)}）：一份文件请只填一个期间，或加一列「期间」。")
    if not named:
        return default_period, True
    try:
        period = parse_period(named[0])
    except ValueError as e:
        raise ValueError(f"表头「{marked[0].label}」中的期间无效：{e}") from None
    if default_period is not None and default_period != period:
        raise ValueError(f"所选期间「{default_period.label}」与表头「{marked[0].label}」的期间不一致：请只用其中一个。")
    return period, True


class _NoTable(Exception):
    """No sheet of the file has a header row; the message is for the user."""
    def __init__(self, message: str, sheet: str | None):
        super().__init__(message)
        self.sheet = sheet


def _first_table(candidates, vocab: _Vocabulary) -> tuple[str | None, list, tuple]:
    """(sheet name, grid, header) of the first sheet with a header row; _NoTable otherwise."""
    first_name, anything = candidates[0][0], False
    for sheet_name, load in candidates:
        try:
            grid = load()
        except FileError as e:
            raise _NoTable(str(e), sheet_name) from None
        except Exception as e:  # a damaged sheet
            raise _NoTable(f"无法读取工作表「{sheet_name}」（{e}）：请在 Excel 中另存为 .xlsx 后再上传。", sheet_name) from None
        if (found := _find_header(grid, vocab)) is not None:
            return sheet_name, grid, found
        anything = anything or any(not _is_blank(v) for row in grid for v in row)
    where = f"工作表「{first_name}」" if first_name is not None else "文件"
    if not anything:
        raise _NoTable(f"{where}是空的，没有任何数据。", first_name)
    raise _NoTable(f"在{where}的前 {HEADER_SEARCH_ROWS} 行没有找到表头：表头一行至少要有两个能识别的列名，"
                   "如「区域」「期间」「指标名称」「数值」或指标名称「募集资金(万元)」「服务群众人次」。", first_name)


def _missing_parts(parser: _Parser, body: list, default_period) -> list[str]:
    """What the file lacks as a whole: a region column, indicator columns, a period, data rows."""
    missing = []
    if not parser.region_columns:
        missing.append("没有区域列：请加一列「区域」，填写区域名称（如「茅箭区」）或区划代码")
    if parser.layout == "wide" and not parser.role["measure"] and not parser.problems:
        missing.append("没有可导入的指标列：表头应为指标名称（如「募集资金(万元)」「落地项目数」），"
                       "或采用“区域、期间、指标名称、数值”四列的格式")
    if not parser.role["period"] and default_period is None:
        missing.append("文件中没有期间列，也没有选择期间：请在页面上选择这份数据的期间，或在文件中加一列「期间」（如 2026-03）")
    if not body:
        missing.append("文件只有表头，没有数据行")
    return missing


def _overlong_rows(parser: _Parser, body: list, width: int, header_row: int) -> list[int]:
    """CSV rows with more values than the header has columns (an unquoted 1,200 splits a number),
    each a problem; their file row numbers."""
    if max(map(len, body)) <= width:
        return []
    overlong = [header_row + 1 + i for i, row in enumerate(body)
                if len(row) > width and any(not _is_blank(v) for v in row[width:])]
    for r in overlong:
        parser.problem(r, None, f"这一行有 {len(body[r - header_row - 1])} 个值，比表头的 {width} 列多："
                       "多半是数字中的千分位逗号（如 1,200）把一个数拆成了两格。请去掉千分位逗号，"
                       "或把这个数用英文双引号括起来（\"1,200\"）。")
    return overlong
