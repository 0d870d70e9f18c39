"""Text of cells: normalised text, labels, match keys; the data rows column by column."""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd


def _text(value) -> str:
    """A cell as normalised text: NFKC (full-width digits, letters and brackets become ASCII),
    trimmed; whole floats lose their '.0' (Excel stores 420302 and 202603 as floats)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text[2:-1] if text.startswith('="') and text.endswith('"') else text   # Excel's ="0012"


MAX_NAME = 50   # official names of townships and villages have at most ~20 characters
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}   # control, format (zero-width, right-to-left), separators


def name_problem(name: str, what: str) -> str | None:
    """Why a name to be stored (a new village, the uploader) cannot be, or None: control or
    invisible characters, or over MAX_NAME characters. Whitespace at the ends is not counted;
    printable text, even [链接](http://x) or <a href=x>, is data (the pages escape it)."""
    text = str(name).strip()
    if bad := sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in _INVISIBLE}):
        return f"{what}含有控制字符或不可见字符（{'、'.join(bad[:3])}）：请删除这些字符后重新填写。"
    if len(text) > MAX_NAME:
        return f"{what}「{text[:20]}…」有 {len(text)} 个字，超过 {MAX_NAME} 个字的上限：请填写正确的名称。"
    return None


def _label(value) -> str:
    """A header cell as written (line breaks and runs of spaces collapsed), for messages."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if _is_blank(value) else re.sub(r"\s+", " ", str(value)).strip()


def _key(value) -> str:
    """Text for matching names: _text without any whitespace, lower case, no '*' markers."""
    return re.sub(r"\s+", "", _text(value)).lower().strip("*")


def _is_blank(value) -> bool:
    return _text(value) == ""


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


# The rows are read column by column: each function of a cell (text, value) or of a row's cells
# (region, period) is evaluated once per distinct value or combination, then spread over the rows.

def _objects(items: list) -> np.ndarray:
    return np.fromiter(items, dtype=object, count=len(items))


def _distinct(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of a column of cells, in order of first appearance. Beyond text
    (CSV, mostly), values count as equal only with the same type: True == 1 == 1.0 in Python."""
    if pd.api.types.infer_dtype(cells) in ("string", "empty"):
        codes, uniques = pd.factorize(cells)   # None: code -1, made the code of a last unique
        return np.where(codes < 0, len(uniques), codes), np.append(uniques, None)
    seen: dict = {}
    codes = np.array([seen.setdefault((type(v), v), len(seen)) for v in cells], dtype=np.intp)
    return codes, _objects([v for _, v in seen])


class _Cells:
    """The data rows column by column: raw cells, codes of their distinct values, text, blankness."""

    def __init__(self, body: list[list], width: int):
        self.n, width = len(body), max([width, *map(len, body)])
        grid = np.empty((self.n, width), dtype=object)
        if body:
            grid[:] = [r if len(r) == width else list(r) + [None] * (width - len(r)) for r in body]
        self.raw = list(grid.T.copy())
        self.codes, self.texts = [], []
        for raw in self.raw:
            codes, uniques = _distinct(raw)
            self.codes.append(codes)
            self.texts.append(_objects([_text(u) for u in uniques]))
        self.text = [t[c] for t, c in zip(self.texts, self.codes)]
        self.blank = [t == "" for t in self.text]
        self.text_codes = [pd.factorize(t)[0][c] for t, c in zip(self.texts, self.codes)]

    def test(self, j: int, predicate) -> np.ndarray:
        """predicate(text) of every cell of column j."""
        return np.array([bool(predicate(t)) for t in self.texts[j]], dtype=bool)[self.codes[j]]
