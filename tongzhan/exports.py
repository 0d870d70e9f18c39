"""Downloads (templates, problem lists, missing-unit lists): user text stays text in a spreadsheet.

- .xlsx: every text cell, headers included, is written as a string cell in text format, so that a
  village named `=HYPERLINK(…)` is never a formula (openpyxl makes any text starting with = one).
- .csv: the OWASP rule for CSV injection: a text cell starting with = + - @ TAB or CR gets a single
  quote in front; numbers (negative ones too) are written as they are.
"""
from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field

import pandas as pd

from .markup import text_cells
from .periods import Period

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters Windows forbids in file names (and control characters).
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def file_name(*parts: str | Period, ext: str) -> str:
    """A download's name: the parts joined by _, a period by its label (十堰市_募集资金_2026年10月.xlsx),
    without the characters Windows forbids in file names (region and file names are user text)."""
    stem = "_".join(p.label if isinstance(p, Period) else p for p in parts)
    return _FORBIDDEN.sub("", stem).strip(" .") + "." + ext


def _quoted(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """frame for a CSV file: a text cell or header that a spreadsheet would take for a formula
    (=, +, -, @ first: a village named =HYPERLINK(…)) starts with ' instead; numbers untouched."""
    return text_cells(frame, _quoted)


def csv_bytes(frame: pd.DataFrame, float_format: str | None = None) -> bytes:
    """UTF-8 with a byte order mark (Excel on Chinese Windows reads it right), CRLF lines;
    float_format (e.g. "%.2f"): every decimal number written alike."""
    return formula_safe(frame).to_csv(index=False, lineterminator="\r\n",
                                      float_format=float_format).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """One sheet: a frozen header row, fitted column widths, text cells as text (codes keep their
    leading digits and length in Excel). Characters an .xlsx cannot hold are dropped."""
    frame = _storable(frame)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        frame.to_excel(xw, sheet_name=sheet[:31], index=False)
        ws = xw.sheets[sheet[:31]]
        ws.freeze_panes = "A2"
        _text_as_text(ws)
        _fit_widths(ws, frame, header_row=1)
    return buf.getvalue()


@dataclass(frozen=True)
class Table:
    """One sheet of a workbook: its name, the table (headers say the unit), and the number format
    of numeric columns: one for the column, or a list with one per row (rows of mixed units)."""
    name: str
    frame: pd.DataFrame
    formats: dict[str, str | list[str]] = field(default_factory=dict)


def number_format(decimals: int) -> str:
    """#,##0 or #,##0.00 (two decimals): numbers stay numbers, shown as the labels write them."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def tables_xlsx(tables: list[Table], title: str) -> bytes:
    """One sheet per table: the title in row 1 (region, period, data time), the header in row 2,
    frozen below it; numbers as numbers with their formats, text cells as text."""
    from openpyxl import Workbook   # 0.2 s to import: loaded by the first file made, not by every start
    from openpyxl.styles import Font
    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(t.name[:31])
        frame = _storable(t.frame)
        ws.append([_xlsx_text(title)])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(list(frame.columns))
        for row in frame.astype(object).itertuples(index=False):
            ws.append([None if pd.isna(v) else v for v in row])
        for i, col in enumerate(frame.columns, start=1):
            fmt = t.formats.get(col)
            for r in range(len(frame)) if fmt is not None else ():
                ws.cell(r + 3, i).number_format = fmt[r] if isinstance(fmt, list) else fmt
        ws.freeze_panes = "A3"
        _text_as_text(ws)
        _fit_widths(ws, frame, header_row=2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    return text_cells(frame, _xlsx_text)


def _xlsx_text(text: str) -> str:
    """Without the characters an .xlsx cannot hold."""
    return _illegal_characters().sub("", text)


@functools.cache
def _illegal_characters() -> re.Pattern:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE   # looked up once, not per cell
    return ILLEGAL_CHARACTERS_RE


def _text_as_text(ws) -> None:
    """Every text cell a string cell in text format: openpyxl makes any text starting with = a
    formula."""
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                c.data_type, c.number_format = "s", "@"


def _fit_widths(ws, frame: pd.DataFrame, header_row: int) -> None:
    for i, col in enumerate(frame.columns, start=1):
        longest = max([len(str(col))] + [len(str(v)) for v in frame[col].head(500)])
        ws.column_dimensions[ws.cell(header_row, i).column_letter].width = min(60, max(12, 2.2 * longest + 2))
