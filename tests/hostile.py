"""User text that must stay text: villages named like Markdown links, images and HTML, created by a
real CSV import, an uploader and a file name of the same kind."""
from __future__ import annotations

from datetime import date

from tongzhan import batches
from tongzhan.importer import parse_file
from people import person

TOWNSHIP = "420302001"     # 武当路街道, 十堰市茅箭区
PERIOD = "2026-11"         # after the demo data: only the villages have data in this month
VILLAGES = {
    f"{TOWNSHIP}901": "[点我领奖](http://example.com/a)",
    f"{TOWNSHIP}902": "![t](http://127.0.0.2:9/x.png)",
    f"{TOWNSHIP}903": '<a href="http://example.com">链接</a>',
    f"{TOWNSHIP}904": "<img src=x onerror=alert(1)>",
    f"{TOWNSHIP}905": "=HYPERLINK(\"http://example.com\",\"点我\")",
    f"{TOWNSHIP}906": "=cmd|' /C calc'!A0",
    f"{TOWNSHIP}907": ":red[红色] :material/home: $x^2$ :smile:",   # names are at most 50 characters
    f"{TOWNSHIP}908": "www.example.com a@example.com",
}
UPLOADER = "**粗体** [x](http://example.com)"
FILE_NAME = "=cmd|' /C calc'!A0 [a](http://x).csv"


def csv_bytes() -> bytes:
    """A CSV that creates the villages, each with people served in PERIOD (quoted as CSV needs)."""
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'
    rows = ["区划代码,名称,期间,服务群众人次"] + [
        f"{code},{cell(name)},{PERIOD},{100 + i}" for i, (code, name) in enumerate(VILLAGES.items())]
    return ("\n".join(rows) + "\n").encode("utf-8")


def commit(con, tree, catalog) -> int:
    """Import csv_bytes() as FILE_NAME by UPLOADER, as the upload page does; the batch id."""
    data = csv_bytes()
    parsed = parse_file(data, FILE_NAME, tree, catalog, today=date(2026, 12, 1))
    assert not parsed.problems, parsed.problems
    assert dict(zip(parsed.villages["code"], parsed.villages["name"])) == VILLAGES
    return batches.commit(con, parsed, data, FILE_NAME, person(con, UPLOADER))
