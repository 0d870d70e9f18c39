"""Exports of a view: the PPTX deck (native charts whose categories and values are the page's
figures, East Asian fonts, 16:9, footer), the workbook of its tables (numbers as numbers, number
formats, codes and hostile names as text, title row, frozen header), file names, the export CLI."""
from __future__ import annotations

import argparse
import io
import threading

import openpyxl
import pytest
from PIL import Image
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Inches

import hostile
from tongzhan import cli, cli_analysis, completeness, exports, picture, snapshot
from tongzhan.deck import FONT, FORMATS, deck, render
from tongzhan.league import league
from tongzhan.overview import kpis
from tongzhan.periods import Period
from tongzhan.regions import Tree
from tongzhan.rollup import indicator_table
from tongzhan.store import StoreError, query
from tongzhan.trend import default_span, series

SHIYAN = "420300"


@pytest.fixture(scope="module")
def view(demo_db):
    con, tree, catalog = cli.open_db(argparse.Namespace(db=str(demo_db)), read_only=True)
    yield con, tree, catalog
    con.close()


@pytest.fixture
def hostile_view(db_copy):
    """The demo with villages named like formulas and links, each with 服务群众人次 100, 101, …
    in 2026-11 (the only data of that month)."""
    con, tree, catalog = cli.open_db(argparse.Namespace(db=str(db_copy)), read_only=False)
    hostile.commit(con, tree, catalog)
    yield con, Tree(query(con, "regions_all")), catalog   # with the new villages
    con.close()


def charts(prs) -> list:
    return [s.chart for slide in prs.slides for s in slide.shapes if s.has_chart]


def chart_points(chart) -> tuple[list, list]:
    plot = chart.plots[0]
    return list(plot.categories), list(plot.series[0].values)


def data_sheet(chart) -> list[tuple]:
    """The rows of the chart's embedded workbook (what PowerPoint's 编辑数据 opens)."""
    blob = chart.part.chart_workbook.xlsx_part.blob
    return list(openpyxl.load_workbook(io.BytesIO(blob)).active.iter_rows(values_only=True))


def slide_text(slide) -> str:
    parts = []
    for s in slide.shapes:
        if s.has_text_frame:
            parts.append(s.text_frame.text)
        if s.has_table:
            parts += [c.text for row in s.table.rows for c in row.cells]
    return "\n".join(parts)


def test_deck_charts_are_the_views_figures(view):
    con, tree, catalog = view
    chosen = Period.parse("2026")
    shown = Period.parse("2026-01~2026-10")   # the demo's newest data is 2026-10
    prs = Presentation(io.BytesIO(deck(con, tree, catalog, SHIYAN, chosen, "funds_raised")))
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))

    bars, line = charts(prs)
    table = indicator_table(con, tree, catalog, SHIYAN, "funds_raised", shown, by="children")
    expected = table.sort_values("value", ascending=False)
    assert len(expected) == 8 and expected["value"].notna().all()
    cats, values = chart_points(bars)
    assert cats == expected["region_name"].tolist()
    assert values == pytest.approx(expected["value"].astype(float).tolist())
    sheet = data_sheet(bars)
    assert sheet[0][1] == "募集资金（万元）"
    assert [r[0] for r in sheet[1:]] == cats and [r[1] for r in sheet[1:]] == pytest.approx(values)

    trend = series(con, tree, catalog, SHIYAN, "funds_raised", default_span(shown.end))
    cats, values = chart_points(line)
    assert len(cats) == 24 and cats[0] == "2024年11月" and cats[-1] == "2026年10月"
    assert cats == trend["label"].tolist()
    assert values == pytest.approx(trend["value"].astype(float).tolist())
    assert chart_points(line)[1][-1] == pytest.approx(indicator_table(
        con, tree, catalog, SHIYAN, "funds_raised", Period.parse("2026-10"))["value"].iloc[0])


def test_deck_slides_say_what_they_show(view):
    con, tree, catalog = view
    prs = Presentation(io.BytesIO(deck(con, tree, catalog, SHIYAN, Period.parse("2026-10"),
                                       "funds_raised")))
    slides = [slide_text(s) for s in prs.slides]
    assert len(slides) == 6   # title, KPIs, bars, trend, league, targets
    assert "湖北省十堰市" in slides[0] and "2026年10月" in slides[0]
    assert "数据截至2026年10月" in slides[0] and "演示数据" in slides[0]
    assert all("来源：同心数据看板 · 数据截至2026年10月" in t for t in slides)
    cards = kpis(con, tree, catalog, SHIYAN, Period.parse("2026-10"))
    for row in cards.itertuples():
        assert row.name in slides[1] and row.text in slides[1] and row.delta_text in slides[1]
    assert "募集资金（万元）" in slides[2] and "募集资金月度趋势（万元）" in slides[3]
    ranked = league(con, tree, catalog, SHIYAN, "funds_raised", Period.parse("2026-10"), 3)
    rows = next(s for s in prs.slides[4].shapes if s.has_table).table.rows
    names = [r.cells[1].text for r in list(rows)[1:]]
    assert names == ranked["region_name"].head(10).tolist()
    assert [r.cells[0].text for r in list(rows)[1:]] == [str(r) for r in ranked["rank"].head(10)]
    assert "2026年目标完成情况" in slides[5] and "募集资金" in slides[5]



def test_a_card_without_a_value_says_so(view):
    """A township that did not report the month: its cards of flows show — and 同比 —, never nan
    (the page shows no 同比 there)."""
    con, tree, catalog = view
    (town,), = con.sql("""SELECT d4 FROM facts WHERE d3 = '420302' AND d5 IS NULL GROUP BY d4
                          HAVING count(*) FILTER (WHERE indicator_id = 'funds_raised' AND period_end = DATE '2026-10-31') = 0
                          ORDER BY d4 LIMIT 1""").fetchall()
    cards = kpis(con, tree, catalog, town, Period.parse("2026-10")).set_index("indicator_id")
    assert cards.at["funds_raised", "text"] == "—" and cards.at["funds_raised", "delta_text"] == ""
    prs = Presentation(io.BytesIO(deck(con, tree, catalog, town, Period.parse("2026-10"), "funds_raised")))
    text = slide_text(prs.slides[1])
    assert "nan" not in text and "募集资金\n—\n同比 —" in text


def test_a_month_still_coming_in_is_said_in_the_exports(view):
    """十堰市's October in the demo: 113 of last month's 119 townships reported. The deck's title
    slide says what the page says under its title, every slide's footer and the workbook's
    title rows say how many reported; September (all 119) says nothing of the kind."""
    con, tree, catalog = view
    now, before = completeness.month_reporting(con, tree, SHIYAN, Period.parse("2026-10").end)
    assert now < before
    head = f"2026年10月已有 {now} 个乡镇(街道)报送月度数据，上月为 {before} 个，本月尚未报齐"
    snap = snapshot.take(con, tree, catalog, SHIYAN, Period.parse("2026-10"))
    assert snap.month_note == completeness.month_note(tree, SHIYAN, snap.period.end, (now, before))[0]
    prs = Presentation(io.BytesIO(deck(con, tree, catalog, SHIYAN, Period.parse("2026-10"))))
    slides = [slide_text(s) for s in prs.slides]
    assert snap.month_note in slides[0] and all(head in t for t in slides)
    book = openpyxl.load_workbook(io.BytesIO(snapshot.workbook(snap)))
    assert all(ws["A1"].value.endswith(" · " + head) for ws in book.worksheets)
    september = snapshot.take(con, tree, catalog, SHIYAN, Period.parse("2026-09"))
    assert (september.month_note, september.month_head, september.caveat) == ("", "", "")
    assert "尚未报齐" not in september.footer + september.title

def test_every_run_has_the_east_asian_font(view):
    con, tree, catalog = view
    prs = Presentation(io.BytesIO(deck(con, tree, catalog, SHIYAN, Period.parse("2026-10"))))
    runs = [r for slide in prs.slides for s in slide.shapes for r in s.element.iter(qn("a:r"))]
    assert len(runs) > 50
    for r in runs:
        ea = r.find(qn("a:rPr")).find(qn("a:ea"))
        assert ea is not None and ea.get("typeface") == FONT, r.findtext(qn("a:t"))
    for chart in charts(prs):
        ea = chart._chartSpace.find(".//" + qn("a:defRPr")).find(qn("a:ea"))
        assert ea.get("typeface") == FONT


def test_hostile_village_names_stay_text_in_deck_and_workbook(hostile_view):
    con, tree, catalog = hostile_view
    snap = snapshot.take(con, tree, catalog, hostile.TOWNSHIP, Period.parse(hostile.PERIOD),
                         "people_served")
    names = list(hostile.VILLAGES.values())
    bars = charts(Presentation(io.BytesIO(render(snap))))[0]
    cats, values = chart_points(bars)
    assert cats == names[::-1] and values == [107, 106, 105, 104, 103, 102, 101, 100]
    blob = bars.part.chart_workbook.xlsx_part.blob
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(blob)).active.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells[2::2]] == names[::-1]

    book = openpyxl.load_workbook(io.BytesIO(snapshot.workbook(snap)))
    ws = book["下级对比"]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=3) if r[2].value is not None}
    assert len(rows) == 8
    for i, (code, name) in enumerate(hostile.VILLAGES.items()):
        region, code_cell, value = rows[code]
        assert (region.value, region.data_type) == (name, "s")
        assert (code_cell.data_type, code_cell.number_format) == ("s", "@")
        assert (value.value, value.data_type, value.number_format) == (100 + i, "n", "#,##0")
    formulas = [c.coordinate for s in book for row in s.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_workbook_of_a_view(view):
    con, tree, catalog = view
    snap = snapshot.take(con, tree, catalog, SHIYAN, Period.parse("2026-10"), "funds_raised")
    book = openpyxl.load_workbook(io.BytesIO(snapshot.workbook(snap)))
    assert book.sheetnames == ["指标概览", "下级对比", "县(市、区)排名", "月度趋势", "2026年目标"]
    for ws in book:
        assert ws["A1"].value == "湖北省十堰市 · 2026年10月 · 数据截至2026年10月 · 演示数据" + snap.caveat
        assert ws.freeze_panes == "A3"
    ws = book["下级对比"]
    assert [c.value for c in ws[2]] == ["区域", "代码", "募集资金（万元）"]
    table = indicator_table(con, tree, catalog, SHIYAN, "funds_raised", Period.parse("2026-10"),
                            by="children").set_index("region_code")["value"]
    for name, code, value in ws.iter_rows(min_row=3):
        assert (code.data_type, len(code.value)) == ("s", 6)
        assert value.number_format == "#,##0.00" and value.value == pytest.approx(table[code.value])
    ws = book["指标概览"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3)}
    assert rows["募集资金"][2].value == pytest.approx(404.65)
    assert rows["募集资金"][2].number_format == "#,##0.00"
    assert rows["服务群众人次"][2].value == 26074 and rows["服务群众人次"][2].number_format == "#,##0"
    assert rows["村(社区)统战组织覆盖率"][2].number_format == "#,##0.0"
    ws = book["2026年目标"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3)}
    assert rows["募集资金"][2].value == 3630 and rows["募集资金"][5].number_format == "0.0%"


def test_file_names_say_what_they_hold():
    """Every download is named region_…_period, a period by its label, user text without the
    characters Windows forbids."""
    october = Period.parse("2026-10")
    assert exports.file_name("十堰市", "募集资金", october, ext="xlsx") == "十堰市_募集资金_2026年10月.xlsx"
    odd = 'a/b\\c:d*e?f"g<h>i|j\x01'
    assert exports.file_name(odd, "募集资金", october, ext="pptx") == "abcdefghij_募集资金_2026年10月.pptx"
    assert exports.file_name("x", "y", Period.parse("2026"), ext="pptx") == "x_y_2026年.pptx"
    assert exports.file_name("十堰市", "目标", Period.parse("2025-11~2026-10"), ext="xlsx") == \
        "十堰市_目标_2025年11月—2026年10月.xlsx"
    assert exports.file_name("问题清单", " ../上报 ", ext="csv") == "问题清单_ ..上报.csv"


def test_export_cli(demo_db, tmp_path, capsys):
    base = ["--db", str(demo_db), "export", "--region", SHIYAN, "--period", "2026-10"]
    out = tmp_path / "deck.pptx"
    assert cli.main(base + ["--format", "pptx", "--out", str(out)]) == 0
    assert len(Presentation(str(out)).slides) == 6
    assert cli.main(base + ["--format", "xlsx", "--out", str(tmp_path),
                            "--indicator", "people_served"]) == 0
    named = tmp_path / "十堰市_服务群众人次_2026年10月.xlsx"
    assert openpyxl.load_workbook(named)["下级对比"]["C2"].value == "服务群众人次（人次）"
    assert "已导出" in capsys.readouterr().out
    bad = {"--region=999999": "未知的区划代码：999999", "--period=2026-13": "期间有误",
           "--indicator=nope": "未知的指标：nope", f"--out={tmp_path}/no/x.pptx": "输出文件夹不存在"}
    for arg, message in bad.items():
        args = base + ["--format", "pptx", "--out", str(out)] + [arg]
        assert cli.main(args) == 2, arg
        assert message in capsys.readouterr().err
    assert cli_analysis.EXPORT_FORMATS == list(FORMATS)   # the CLI names the formats without importing the deck
    with pytest.raises(SystemExit):   # argparse: not one of the formats
        cli.main(base + ["--format", "gif", "--out", str(out)])


def test_png_of_a_view(view, demo_db, tmp_path, monkeypatch):
    con, tree, catalog = view
    snap = snapshot.take(con, tree, catalog, SHIYAN, Period.parse("2026-10"), "funds_raised")
    img = Image.open(io.BytesIO(picture.png(snap)))
    assert (img.format, img.size) == ("PNG", (1920, 1080))
    # The 8 counties' bars in the overview's red (#c0392b) fill a good part of the picture.
    red = sum(n for n, c in img.convert("RGB").getcolors(1920 * 1080) if c == (0xC0, 0x39, 0x2B))
    assert red > 0.1 * 1920 * 1080
    assert cli.main(["--db", str(demo_db), "export", "--region", SHIYAN, "--period", "2026-10",
                     "--format", "png", "--out", str(tmp_path)]) == 0
    assert Image.open(tmp_path / "十堰市_村(社区)统战组织覆盖率_2026年10月.png").size == (1920, 1080)
    monkeypatch.setattr(picture, "available", lambda: False)   # a server without Chromium
    monkeypatch.setattr(picture, "_started", (threading.Lock(), []))
    with pytest.raises(StoreError, match="apt-get install chromium"):
        picture.png(snap)
