"""Downloads (templates, problem lists, missing-unit lists): user text stays text in a spreadsheet.

- .xlsx: every text cell, headers included, is written as a string cell in text format, so that a
  village named `=HYPERLINK(…)` is never a formula (openpyxl makes any text starting with = one).
- .csv: the OWASP rule for CSV injection: a text cell starting with = + - @ TAB or CR gets a single
  quote in front; numbers (negative ones too) are written as they are.
"""
from __future__ import annotations

import io

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .markup import text_cells

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _quoted(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte order mark (Excel on Chinese Windows reads it right), CRLF lines."""
    return text_cells(frame, _quoted).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """One sheet: a frozen header row, fitted column widths, text cells as text (codes keep their
    leading digits and length in Excel). Characters an .xlsx cannot hold are dropped."""
    frame = text_cells(frame, lambda v: ILLEGAL_CHARACTERS_RE.sub("", v))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        frame.to_excel(xw, sheet_name=sheet[:31], index=False)
        ws = xw.sheets[sheet[:31]]
        ws.freeze_panes = "A2"
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.data_type, c.number_format = "s", "@"
        for i, col in enumerate(frame.columns, start=1):
            longest = max([len(str(col))] + [len(str(v)) for v in frame[col].head(500)])
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, max(12, 2.2 * longest + 2))
    return buf.getvalue()
