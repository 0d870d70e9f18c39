"""Formula cells of an .xlsx sheet saved without their result.

Excel and LibreOffice save a formula with the value it computed; a program writing .xlsx (openpyxl,
some exporters) may save the formula alone, for Excel to compute on opening. calamine reads such
a cell as empty, so its value would pass for not reported: the importer lists these cells as
problems instead. The sheet's XML is read through once more, in pieces of whole rows (~0.1 s for
100,000 rows); only a piece with a formula saved otherwise than Excel saves it is searched cell by
cell.
"""
from __future__ import annotations

import html
import io
import re
import zipfile

from ..limits import _CHUNK, _column_number, _last_row_end, _sheet_parts

_CELL = re.compile(rb"<((?:\w+:)?)c\b([^>]*)(?<!/)>(.*?)</\1c>", re.DOTALL)   # cells with content
_REF = re.compile(rb'\br="([A-Z]{1,4})([0-9]{1,9})"')
_STRING = re.compile(rb'\bt="str"')    # a text result, even an empty one, was saved
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>\s*[^<\s]")


def uncached_formulas(data: bytes, sheet: str) -> list[tuple[int | None, int | None, str]]:
    """(row from 1, column from 0, formula text) of every formula cell of the .xlsx sheet named
    sheet saved without its result; row and column are None for a cell without a reference."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        part = _sheet_parts(z).get(sheet)
        if part is None:
            return []
        found, carry = [], b""
        with z.open(part) as f:
            while chunk := f.read(_CHUNK):
                text = carry + chunk
                cut = _last_row_end(text)
                found += _piece_formulas(text[:cut])
                carry = text[cut:]
        return found + _piece_formulas(carry)


def _piece_formulas(piece: bytes) -> list[tuple[int | None, int | None, str]]:
    """uncached_formulas of a piece of whole rows. Counting comes first (a search cell by cell
    takes ~10 times longer): a piece without a formula tag, or with each tag followed by its
    result as Excel writes it (<f>E4-40</f><v>80</v>, <f t="shared" si="0"/><v>80</v>), has
    none. Other tags beginning with f (<family> of rich text) only send a piece to the search."""
    tags = piece.count(b"<f") + piece.count(b":f")
    if tags == 0 or tags == piece.count(b"f><v>") + piece.count(b"/><v>") - piece.count(b"><v></v>"):
        return []
    found = []
    for attributes, content in (m.groups()[1:] for m in _CELL.finditer(piece)):
        formula = _FORMULA.search(content)
        if formula is None or _VALUE.search(content) or _STRING.search(attributes):
            continue
        text = html.unescape((formula.group(1) or b"").decode("utf-8", errors="replace"))
        ref = _REF.search(attributes)
        found.append((int(ref.group(2)), _column_number(ref.group(1)) - 1, text) if ref else (None, None, text))
    return found


def formula_message(ref: str, text: str) -> str:
    """The problem of a formula cell without its result; ref is where it is (D5), or ''."""
    shown = f"（={text[:40]}{'…' if len(text) > 40 else ''}）" if text else ""
    where = f"{ref} 单元格" if ref else "工作表中有单元格"
    return (f"{where}是公式{shown}，文件中没有保存计算结果，无法读取它的数值：请在 Excel 或 WPS 中打开此文件、"
            "保存后再上传，或把公式改为数值。")
