"""Bounds on the work one uploaded file may cause, checked before the readers build anything.

python-calamine builds the whole rectangle from A1 to the last filled cell of a sheet (about 32
bytes a cell: a 1.5 KB .xlsx with cells at A1 and XFD1048576 asks for 512 GiB and the process
aborts), and the importer then spends about a second per million cells. Real files stay far below
these bounds: the 100,000-row benchmark file is 0.8 M cells; a whole year of every township in
the country in the wide layout is about 470,000 rows × 10 columns (4.7 M cells); a template has
one column per indicator (22) plus 5 for region and period.
"""
from __future__ import annotations

import operator
import posixpath
import re
import struct
import zipfile
from xml.etree import ElementTree

MAX_ROWS = 1_048_576          # Excel's own limit
MAX_COLUMNS = 2_000           # 100 times a template's width
MAX_CELLS = 5_000_000         # rows × columns from A1 to the last filled cell (~1 GB, ~6 s to parse)
MAX_UNZIPPED = 400 * 2**20    # an .xlsx's XML: 5 M cells take ~250 MB; a zip bomb stops here

_HELP = "请删除数据区域以外的空白行和列（选中后右键“删除”），或把数据拆分成几个较小的文件分别导入。"


class FileError(Exception):
    """The file cannot be read at all, or is over a bound; the message is for the user."""


def _n(x: int) -> str:
    return f"{x:,}"


def check_grid_size(rows: int, columns: int, where: str) -> None:
    """FileError when a sheet of rows × columns is over the bounds."""
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise FileError(f"{where}的数据区域有 {_n(rows)} 行 × {_n(columns)} 列（{_n(rows * columns)} 个单元格），"
                       f"超过上限（最多 {_n(MAX_ROWS)} 行、{_n(MAX_COLUMNS)} 列、{_n(MAX_CELLS)} 个单元格）：{_HELP}")


def check_book_size(sizes: dict[str, tuple[int, int]]) -> None:
    """FileError when any sheet, or all sheets together (an .xls is built whole on opening), is
    over the bounds."""
    for name, size in sizes.items():
        check_grid_size(*size, f"工作表「{name}」")
    if (cells := sum(r * c for r, c in sizes.values())) > MAX_CELLS:
        raise FileError(f"这个 .xls 文件的 {len(sizes)} 个工作表合计有 {_n(cells)} 个单元格，超过上限 {_n(MAX_CELLS)}："
                        f"{_HELP}也可以只把要导入的工作表另存为 .xlsx 后上传。")


def text_size(text: str, delimiter: str) -> tuple[int, int]:
    """(rows, columns) of CSV text before it is split into cells, the header row counted as a
    sheet's rows are from A1. Rows are padded to the widest, so the cost is lines × (most
    delimiters in a line + 1), quoted delimiters counted too; the line break ending the last row
    starts no row."""
    lines = text.split("\n")
    return len(lines) - (lines[-1] == ""), max(map(operator.methodcaller("count", delimiter), lines)) + 1


# Cell references r="B2" (row elements have digits only) and cell starts, <c ...> or <x:c ...>.
# Empty cells (<c r="B2" s="1"/>, which calamine skips) are counted too: a sheet formatted far
# beyond its data is over the bounds as well, and deleting the blank rows and columns fixes it.
_REF = re.compile(rb' r="([A-Z]{1,4})([0-9]{1,9})"')
_CELL_STARTS = (b"<c ", b"<c>", b":c ", b":c>")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_CHUNK = 4 * 2**20


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _cells(xml: bytes) -> int:
    return sum(map(xml.count, _CELL_STARTS))


def _piece_size(piece: bytes) -> tuple[int, int]:
    """(last row, last column) of the cells of whole <row> elements. A cell without r="B2"
    follows the previous one, a row without r the previous row, as calamine reads them: then
    every row of the piece counts after the last numbered one, and a row's cells after the last
    numbered column."""
    refs = _REF.findall(piece)
    letters, numbers = zip(*refs) if refs else ((), ())
    rows = max(map(int, set(numbers)), default=0)
    columns = max(map(_column_number, set(letters)), default=0)
    if _cells(piece) > len(refs):   # rare writers leave r out
        row_xml = _ROW_END.split(piece)
        rows, columns = rows + len(row_xml), columns + max(map(_cells, row_xml))
    return rows, columns


def _last_row_end(xml: bytes) -> int:
    """Where the last </row> or </x:row> ends, 0 if none."""
    end = len(xml)
    while (i := xml.rfind(b"row>", 0, end)) >= 0:
        if xml[xml.rfind(b"<", 0, i):i].startswith(b"</"):
            return i + 4
        end = i
    return 0


def _sheet_size(f) -> tuple[int, int]:
    """(rows, columns) of a worksheet part, read from the stream f in pieces of whole rows."""
    rows = columns = 0
    carry = b""
    while chunk := f.read(_CHUNK):
        text = carry + chunk
        cut = _last_row_end(text)
        r, c = _piece_size(text[:cut])
        rows, columns, carry = max(rows, r), max(columns, c), text[cut:]
    r, c = _piece_size(carry)
    return max(rows, r), max(columns, c)


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its worksheet part, from xl/workbook.xml and its relationships."""
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    targets = {r.get("Id"): r.get("Target", "") for r in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    parts = {}
    for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).iter():
        if sheet.tag.endswith("}sheet") and (target := targets.get(sheet.get(rel))):
            parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
    return parts


def xlsx_sheet_sizes(z: zipfile.ZipFile) -> dict[str, tuple[int, int]]:
    """Sheet name → (rows, columns) from A1 to its last filled cell, read from the XML without
    building anything. Every part is read through once: zipfile stops a part at its declared size
    and checks its CRC (BadZipFile when the part is bigger), so no more than the declared total,
    at most MAX_UNZIPPED, is decompressed."""
    if sum(i.file_size for i in z.infolist()) > MAX_UNZIPPED:
        raise FileError(f"Excel 文件解压后超过 {MAX_UNZIPPED // 2**20} MB（可能含有大量空白格式，或不是正常的文件）："
                        f"{_HELP}也可以另存为 CSV 后上传。")
    parts, sizes = _sheet_parts(z), {}
    for info in z.infolist():
        with z.open(info) as f:
            if info.filename in parts.values():
                sizes[info.filename] = _sheet_size(f)
            else:
                while f.read(_CHUNK):
                    pass
    return {name: sizes[part] for name, part in parts.items() if part in sizes}


# BIFF8 records of an .xls that place cells: FORMULA, MULRK, MULBLANK, LABELSST, RSTRING, BLANK,
# NUMBER, LABEL, BOOLERR, RK. Each starts with (row, column); MULRK and MULBLANK end with their
# last column. BOUNDSHEET (0x0085) names a sheet (type 0: a worksheet), BOF (0x0809) of type 0x10
# starts a worksheet's records, in the same order.
_XLS_CELLS = {0x0006, 0x00BD, 0x00BE, 0x00FD, 0x00D6, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}
_XLS_RANGES = {0x00BD, 0x00BE}


def xls_sheet_sizes(data: bytes) -> dict[str, tuple[int, int]]:
    """Sheet name → (rows, columns) from A1 to its last cell of an .xls, read from its records
    before calamine (which builds every sheet on opening) sees the file; {} when it is not an
    OLE2 file with a Workbook stream (calamine then says what is wrong)."""
    import olefile
    try:
        with olefile.OleFileIO(data) as ole:
            stream = ole.openstream("Workbook").read() if ole.exists("Workbook") else b""
    except (OSError, ValueError):   # olefile's NotOleFileError is an OSError
        return {}
    names, sizes, pos, unpack = [], [], 0, struct.unpack_from
    while pos + 4 <= len(stream):
        rtype, length = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype in _XLS_CELLS and length >= 4 and sizes:
            row, col = unpack("<HH", stream, body)
            if rtype in _XLS_RANGES:
                (col,) = unpack("<H", stream, body + length - 2)
            sizes[-1] = (max(sizes[-1][0], row + 1), max(sizes[-1][1], col + 1))
        elif rtype == 0x0809 and length >= 4 and unpack("<H", stream, body + 2)[0] == 0x10:
            sizes.append((0, 0))
        elif rtype == 0x0085 and length >= 8 and stream[body + 5] == 0:
            names.append(_biff_text(stream[body + 6:body + length]))
        pos = body + length
    return dict(zip(names, sizes))


def _biff_text(raw: bytes) -> str:
    """A BIFF8 short string: character count, a flags byte (bit 0: UTF-16), the characters."""
    count, wide = raw[0], raw[1] & 1
    return raw[2:2 + count * (2 if wide else 1)].decode("utf-16-le" if wide else "latin-1")
