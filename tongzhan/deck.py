"""The PPTX deck of a view (python-pptx, 16:9): title, KPI cards, then one slide per chart as a
native, editable PowerPoint chart whose numbers sit in the chart's own data sheet (children
comparison, 24-month trend), the league table of the level below (top 10) and the region's
targets. The figures come from snapshot.take (the page's own functions); this module only lays
them out. Chinese text carries an East Asian font (<a:ea>), which PowerPoint and WPS use for it."""
from __future__ import annotations

import io
from contextlib import contextmanager

import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

from .catalog import Catalog
from .exports import number_format
from .fmt import fixed, fmt_value
from .periods import Period
from .picture import png
from .regions import Tree
from .snapshot import Snapshot, decimals, take, workbook
from .targets import LIGHT_NAMES
from .trend import span_label

FONT = "Noto Sans CJK SC"
RED, GREY, DARK = RGBColor(0xC0, 0x39, 0x2B), RGBColor(0x66, 0x66, 0x66), RGBColor(0x22, 0x22, 0x22)
LIGHT_COLORS = {"green": RGBColor(0x2E, 0x7D, 0x32), "amber": RGBColor(0xE6, 0xA1, 0x00),
                "red": RGBColor(0xC6, 0x28, 0x28)}
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
TOP_N = 10


def deck(con, tree: Tree, catalog: Catalog, region: str, period: Period,
         indicator_id: str | None = None) -> bytes:
    """The deck of region, period (as chosen; cut at the newest data like the pages) and
    indicator (default: the first headline indicator), as .pptx bytes."""
    return render(take(con, tree, catalog, region, period, indicator_id))


def render(snap: Snapshot) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    _title_slide(prs, snap)
    _kpi_slide(prs, snap)
    with_values = snap.children.dropna(subset=["value"]) if len(snap.children) else snap.children
    if len(with_values):
        missing = len(snap.children) - len(with_values)
        slide = _slide(prs, snap, f"各下级{snap.indicator_name}（{snap.unit}）· {snap.period.label}")
        _chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, with_values["region_name"].tolist(),
               with_values["value"].tolist(), snap)
        if missing:
            _text(slide, MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN, Inches(0.35),
                  [f"另有 {missing} 个下级在本期没有{snap.indicator_name}数据，未列入。"], 12, color=GREY)
    if snap.trend["value"].notna().any():
        slide = _slide(prs, snap, f"{snap.short_name}{snap.indicator_name}月度趋势（{snap.unit}）"
                                  f"· {span_label(snap.trend)}")
        _chart(slide, XL_CHART_TYPE.LINE_MARKERS, snap.trend["label"].tolist(),
               snap.trend["value"].tolist(), snap)
    if len(snap.league) and snap.league["value"].notna().any():
        _league_slide(prs, snap)
    if len(snap.targets):
        _targets_slide(prs, snap)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


FORMATS = {"pptx": render, "xlsx": workbook, "png": png}   # export formats: a snapshot's file bytes


def _slide(prs, snap: Snapshot, title: str):
    """A blank slide with a title at the top and the footer (source, data time) at the bottom."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _text(slide, MARGIN, Inches(0.35), WIDTH - 2 * MARGIN, Inches(0.8), [title], 26, bold=True)
    _text(slide, MARGIN, HEIGHT - Inches(0.55), WIDTH - 2 * MARGIN, Inches(0.35), [snap.footer],
          10, color=GREY)
    return slide


def _title_slide(prs, snap: Snapshot) -> None:
    slide = _slide(prs, snap, "")
    _text(slide, MARGIN, Inches(2.2), WIDTH - 2 * MARGIN, Inches(1.2), [snap.region_name], 44,
          bold=True, align=PP_ALIGN.CENTER)
    _text(slide, MARGIN, Inches(3.5), WIDTH - 2 * MARGIN, Inches(1.4),
          [f"统战工作数据汇报 · {snap.period.label}", snap.data_time], 24, color=DARK,
          align=PP_ALIGN.CENTER)
    if snap.demo:
        _text(slide, MARGIN, Inches(5.1), WIDTH - 2 * MARGIN, Inches(0.6),
              ["演示数据（非真实统计）"], 20, bold=True, color=RGBColor(0xE6, 0x7E, 0x22),
              align=PP_ALIGN.CENTER)
    if snap.month_note:   # the month still coming in (every slide's footer says so too)
        _text(slide, MARGIN + Inches(1), Inches(5.8), WIDTH - 2 * MARGIN - Inches(2), Inches(0.9),
              [snap.month_note], 14, color=DARK, align=PP_ALIGN.CENTER)


def _kpi_slide(prs, snap: Snapshot) -> None:
    """The overview's cards: name, value text, 同比 (with the months compared when cut), note."""
    slide = _slide(prs, snap, f"主要指标 · {snap.period.label}")
    cards = snap.kpis.to_dict("records")
    per_row = min(len(cards), 3) or 1
    gap = Inches(0.3)
    w = (WIDTH - 2 * MARGIN - gap * (per_row - 1)) // per_row
    h = Inches(2.4)
    for i, k in enumerate(cards):
        x = MARGIN + (w + gap) * (i % per_row)
        y = Inches(1.4) + (h + gap) * (i // per_row)
        box = slide.shapes.add_shape(1, x, y, w, h)   # MSO_SHAPE.RECTANGLE
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(0xF7, 0xF4, 0xF2)
        box.line.color.rgb = RGBColor(0xDD, 0xD5, 0xD0)
        delta = f"{k['compare_label']} {k['delta_text']}" if k["delta_text"] else "同比 —"
        _text(slide, x + Inches(0.2), y + Inches(0.15), w - Inches(0.4), Inches(0.5), [k["name"]], 16,
              color=GREY)
        _text(slide, x + Inches(0.2), y + Inches(0.65), w - Inches(0.4), Inches(0.9), [k["text"]], 36,
              bold=True, color=RED)
        _text(slide, x + Inches(0.2), y + Inches(1.5), w - Inches(0.4), Inches(0.8),
              [delta] + ([k["note"]] if k["note"] else []), 13, color=DARK)


def _league_slide(prs, snap: Snapshot) -> None:
    g = snap.league.head(TOP_N)
    slide = _slide(prs, snap, f"{snap.level_name}{snap.indicator_name}排名（{snap.unit}）"
                              f"· 前 {len(g)} 名，共 {len(snap.league)} 个")
    rows = [["名次", "区域", "上级", f"{snap.indicator_name}（{snap.unit}）", "上期名次"]] + [
        [_int(r["rank"]), r["region_name"], r["parent_name"],
         "—" if pd.isna(r["value"]) else fixed(r["value"], decimals(snap.unit)), _int(r["prev_rank"])]
        for r in g.to_dict("records")]
    _table(slide, rows, [1.2, 4.2, 3.0, 2.6, 1.2])


def _targets_slide(prs, snap: Snapshot) -> None:
    t = snap.targets
    slide = _slide(prs, snap, f"{snap.period.end.year}年目标完成情况 · 实际{snap.data_time}")
    rows = [["指标", "目标", "实际", "应完成", "完成率", "进度灯"]]
    for r in t.to_dict("records"):
        u = r["unit"]
        rows.append([r["name"], fmt_value(r["target"], u), fmt_value(r["actual"], u), fmt_value(r["due"], u),
                     fmt_value(None if pd.isna(r["completion"]) else 100 * r["completion"], "%"),
                     LIGHT_NAMES.get(r["light"], "—")])
    table = _table(slide, rows, [3.6, 2.0, 2.0, 2.0, 1.3, 1.2])
    for i, lit in enumerate(t["light"], start=1):
        if lit in LIGHT_COLORS:
            cell = table.cell(i, 5)
            cell.fill.solid()
            cell.fill.fore_color.rgb = LIGHT_COLORS[lit]


def _int(v) -> str:
    return "—" if pd.isna(v) else str(int(v))


def _table(slide, rows: list[list[str]], widths: list[float]):
    """A table of text cells, header row first, column widths in inches."""
    shape = slide.shapes.add_table(len(rows), len(widths), MARGIN, Inches(1.3),
                                   Inches(sum(widths)), Inches(0.42) * len(rows))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            frame = table.cell(i, j).text_frame
            frame.text = str(value)
            for p in frame.paragraphs:
                p.alignment = PP_ALIGN.LEFT if j in (0, 1, 2) and i else PP_ALIGN.CENTER
                for run in p.runs:
                    _font(run.font, 14, bold=i == 0)
    return table


def _text(slide, x, y, w, h, lines: list[str], size: int, bold: bool = False, color=None,
          align=None) -> None:
    """A text box, one paragraph per line, every run with the East Asian font."""
    frame = slide.shapes.add_textbox(x, y, w, h).text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.text = str(line)
        if align is not None:
            p.alignment = align
        for run in p.runs:
            _font(run.font, size, bold, color)


def _font(font, size: int | None = None, bold: bool = False, color=None) -> None:
    if size:
        font.size = Pt(size)
    font.bold = bold or None
    if color is not None:
        font.color.rgb = color
    east_asian(font)


def east_asian(font) -> None:
    """Latin and East Asian typeface FONT: python-pptx's font.name sets only <a:latin>, and
    Chinese characters take the <a:ea> font, which must follow it in the run properties."""
    font.name = FONT
    rpr = font._rPr
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(rpr, qn("a:ea"))
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", FONT)


class _TextWorkbookWriter(CategoryWorkbookWriter):
    """The chart's data sheet with region names as text: XlsxWriter would write a name starting
    with = as a formula and one starting with http:// as a link."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
        yield workbook, workbook.add_worksheet()
        workbook.close()


class _ChartData(CategoryChartData):
    @property
    def _workbook_writer(self):
        return _TextWorkbookWriter(self)


def _chart(slide, kind, categories: list[str], values: list, snap: Snapshot) -> None:
    """A native chart of one series: the values in the indicator's unit, labelled as the page's
    figures are (decimals of the unit), axis and labels in the East Asian font."""
    fmt = number_format(decimals(snap.unit))
    data = _ChartData(number_format=fmt)
    data.categories = categories
    data.add_series(f"{snap.indicator_name}（{snap.unit}）",
                    [None if pd.isna(v) else float(v) for v in values])
    top = Inches(1.3)
    chart = slide.shapes.add_chart(kind, MARGIN, top, WIDTH - 2 * MARGIN,
                                   HEIGHT - top - Inches(1.15), data).chart
    chart.has_legend = False
    chart.font.size = Pt(12)
    east_asian(chart.font)
    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = fmt, False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END if kind == XL_CHART_TYPE.COLUMN_CLUSTERED \
        else XL_LABEL_POSITION.ABOVE
    labels.font.size = Pt(11)
    east_asian(labels.font)
    axis = chart.value_axis
    axis.tick_labels.number_format, axis.tick_labels.number_format_is_linked = fmt, False
    axis.has_major_gridlines = True
    series = plot.series[0]
    if kind == XL_CHART_TYPE.COLUMN_CLUSTERED:
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RED
    else:
        series.format.line.color.rgb = RED
        series.format.line.width = Emu(28575)
