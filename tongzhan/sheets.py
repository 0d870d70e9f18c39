"""Reading an uploaded file's bytes into grids of cells: CSV (UTF-8 with or without BOM, UTF-16
with or without BOM, GBK/GB18030; comma, tab or semicolon) and Excel (.xlsx, .xlsm, .xls via
python-calamine, merged cells filled with their value). Anything else, and any file over the
bounds of limits.py, is a FileError with a Chinese message."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from xml.etree import ElementTree
from pathlib import PurePath

from .limits import FileError, check_book_size, check_grid_size, text_size, xls_sheet_sizes, xlsx_sheet_sizes

TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f}".rstrip("0").rstrip(".")


_SIGNATURES = [(b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"), (b"GIF8", "GIF 图片"),
               (b"%PDF", "PDF 文档"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf", "7z 压缩包"),
               (b"\x1f\x8b", "gzip 压缩包")]
_OLE = bytes.fromhex("D0CF11E0A1B11AE1")
_NOT_TABLE = "请上传 CSV（.csv）或 Excel（.xlsx、.xls）表格文件"


def _content_kind(data: bytes) -> str:
    """'excel' or 'text' by the bytes themselves; FileError for anything else."""
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            raise FileError(f"文件已损坏，无法作为 Excel 表格打开：{_NOT_TABLE}。") from None
        if any(n.startswith("xl/") for n in names):
            return "excel"
        if "content.xml" in names:   # calamine expands its repeated cells before any check could run
            raise FileError("暂不支持 OpenDocument 表格（.ods）：请在 WPS 或 LibreOffice 中另存为 .xlsx 后再上传。")
        kind = ("Word 文档" if any(n.startswith("word/") for n in names) else
                "PowerPoint 演示文稿" if any(n.startswith("ppt/") for n in names) else "ZIP 压缩包")
        raise FileError(f"文件内容是{kind}，不是表格：{_NOT_TABLE}。")
    if data.startswith(_OLE):
        if "WordDocument".encode("utf-16-le") in data:
            raise FileError(f"文件内容是 Word 文档，不是表格：{_NOT_TABLE}。")
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return "excel"
        raise FileError(f"文件内容是 Office 文档，但不是 Excel 表格：{_NOT_TABLE}。")
    for sig, kind in _SIGNATURES:
        if data.startswith(sig):
            raise FileError(f"文件内容是{kind}，不是表格：{_NOT_TABLE}。")
    if re.match(rb"(\xef\xbb\xbf)?\s*<(!doctype|html|\?xml|table)", data[:200], re.IGNORECASE):
        raise FileError("文件内容是网页（HTML/XML），不是真正的 Excel 表格（有些系统导出的 .xls 就是这样）："
                         "请用 Excel 打开后“另存为” .xlsx 再上传。")
    return "text"


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's 'Unicode text') or without (told by
    the zero bytes of its ASCII characters), else GBK/GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:8192]
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if min(even, odd) == 0 and max(even, odd) >= len(head) // 8:   # delimiters, digits, line ends
            try:
                return data.decode("utf-16-le" if odd else "utf-16-be")
            except UnicodeDecodeError:
                pass
        raise FileError(f"文件不是文本表格（含有二进制内容）：{_NOT_TABLE}。")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise FileError("无法识别文件的文字编码：请另存为 UTF-8 或 GBK 编码的 CSV 后再上传。")


def _sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: the one splitting the most lines into the same number of cells."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]

    def score(d):
        counts = [ln.count(d) for ln in lines if ln.count(d)]
        if not counts:
            return (0, 0)
        mode = max(set(counts), key=counts.count)
        return (counts.count(mode), mode)

    return max([",", "\t", ";"], key=score)


def _read_text(data: bytes) -> list[list]:
    text = _decode(data)
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:8192]):
        raise FileError(f"文件不是文本表格（含有二进制内容）：{_NOT_TABLE}。")
    delimiter = _sniff_delimiter(text)
    check_grid_size(*text_size(text, delimiter), "文件")
    return _csv_rows(text, delimiter)


def _csv_rows(text: str, delimiter: str, strict: bool = True) -> list[list]:
    """The rows of CSV text; an unclosed quote (the rest of the file in one cell) is a FileError."""
    rows: list[list] = []
    try:
        rows.extend(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict))
    except csv.Error as e:   # the rows read before the error stay in the list
        row = len(rows) + 1
        if "field larger" in str(e):
            raise FileError(f"第 {row} 行有一个单元格超过 {csv.field_size_limit():,} 个字符：多半是这一行有没有配对的"
                            "英文双引号（\"），其后的内容都被当成了一格。请检查这一行的引号，或删除过长的内容。") from None
        if "end of data" in str(e):
            raise FileError(f"第 {row} 行的英文双引号（\"）没有闭合，其后的内容都被当成了一格："
                            "请在这一行补上配对的引号，或删除多余的引号。") from None
        if strict:   # "1"2 and the like: read as Excel reads them
            return _csv_rows(text, delimiter, strict=False)
        raise FileError(f"第 {row} 行无法读取（{e}）：请在 Excel 中打开后另存为 CSV 再上传。") from None
    return rows


def _fill_merged(grid: list[list], merged) -> None:
    """Give every cell of a merged range the value of its top-left cell, as a reader sees it."""
    for (r1, c1), (r2, c2) in merged or ():
        if r1 >= len(grid) or c1 >= len(grid[r1]):
            continue
        value = grid[r1][c1]
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            for c in range(c1, min(c2, len(grid[r]) - 1) + 1):
                grid[r][c] = value


def _read_workbook(data: bytes):
    """[(sheet name, function returning its grid)] via python-calamine (.xlsx, .xlsm, .xls), each
    sheet's size checked before calamine builds it (.xlsx: read from the XML; .xls: from its
    records, before opening, since calamine builds every sheet of an .xls on opening)."""
    from python_calamine import CalamineWorkbook
    if data.startswith(b"PK"):
        sizes = _xlsx_sizes(data)
    else:
        check_book_size(sizes := xls_sheet_sizes(data))
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # calamine raises several error types for damaged or locked files
        raise FileError(f"无法打开该 Excel 文件（{e}）：如果文件设置了打开密码，请取消密码；"
                         "或在 Excel 中另存为 .xlsx 后再上传。") from None

    def grid_of(name):
        def read():
            check_grid_size(*sizes.get(name, (0, 0)), f"工作表「{name}」")
            sheet = book.get_sheet_by_name(name)
            check_grid_size(*(sheet.end and (sheet.end[0] + 1, sheet.end[1] + 1) or (0, 0)), f"工作表「{name}」")
            grid = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            _fill_merged(grid, sheet.merged_cell_ranges)
            return grid
        return read

    return [(name, grid_of(name)) for name in book.sheet_names]


def _xlsx_sizes(data: bytes) -> dict[str, tuple[int, int]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return xlsx_sheet_sizes(z)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, RuntimeError, NotImplementedError,
            OSError, EOFError) as e:   # damaged, encrypted or of an unknown compression
        raise FileError(f"文件已损坏，无法作为 Excel 表格打开（{e}）：请在 Excel 中另存为 .xlsx 后再上传。") from None


def excel_sheets(data: bytes, file_name: str = "") -> list[str]:
    """The sheet names of an Excel file, for choosing one; [] for CSV or an unreadable file."""
    try:
        return [name for name, _ in sheets(data, file_name, len(data), None) if name is not None]
    except FileError:
        return []


def sheets(data: bytes, file_name: str, max_bytes: int, sheet: str | None):
    """[(sheet name or None, grid loader)] to try in order; FileError if none can be read."""
    if len(data) > max_bytes:
        raise FileError(f"文件大小为 {_mb(len(data))} MB，超过上限 {_mb(max_bytes)} MB："
                         "请把数据拆分成几个较小的文件分别导入。")
    ext = PurePath(file_name or "").suffix.lower()
    if ext and ext not in TEXT_EXTENSIONS | EXCEL_EXTENSIONS:
        raise FileError(f"不支持的文件类型「{ext}」：{_NOT_TABLE}。")
    if not data.strip():
        raise FileError("文件是空的：请检查是否选错了文件。")
    if _content_kind(data) == "text":
        if ext in EXCEL_EXTENSIONS and ext != ".xls":  # a real .xlsx is a ZIP; some systems export CSV as .xls
            raise FileError(f"文件扩展名是「{ext}」，但内容不是 Excel 表格：请在 Excel 中重新另存为 .xlsx。")
        grid = _read_text(data)
        return [(None, lambda: grid)]
    sheets = _read_workbook(data)
    if sheet is not None:
        chosen = [s for s in sheets if s[0] == sheet]
        if not chosen:
            raise FileError(f"找不到工作表「{sheet}」：文件中的工作表有 {'、'.join(f'「{s[0]}」' for s in sheets)}。")
        return chosen
    return sheets
