"""汇报模式 (presentation mode): the playlist of slides for a region, moving through it, and the
large type that a 1920×1080 projector needs (charts restyled, tables as plain HTML). Figures come
from the other modules; this one only chooses slides and styles them."""
from __future__ import annotations

import html
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from .fmt import fixed
from .league import levels_below
from .regions import Tree

KINDS = {"kpis": "主要指标", "children": "各下级对比", "trend": "趋势", "league": "排名",
         "targets": "目标完成情况", "index": "综合指数", "completeness": "报送情况"}
THEMES = {  # background, text, grid lines, secondary text
    "light": ("#ffffff", "#1a1a1a", "#dddddd", "#555555"),
    "dark": ("#111418", "#f2f2f2", "#3a3f47", "#b8bec8"),
}
FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
CHART_FONT = 22     # px: tick labels, legends, bar texts (readable from the back of a room)
TITLE_FONT = 30
KPI_FONT = 72       # px: the KPI numbers
TABLE_FONT = 28
AUTO_RANGE = (5, 3600)   # seconds between slides allowed in the URL's auto


@dataclass(frozen=True)
class Slide:
    kind: str      # a key of KINDS
    region: str

    @property
    def title(self) -> str:
        return KINDS[self.kind]


def slides_of(tree: Tree, region: str, has_targets: bool) -> list[Slide]:
    """The slides of one region, in order: KPIs; the children compared (when it has children);
    the trend; the league table of the next level and the index (when a level lies below);
    targets (when it has any); 报送情况 (above township level, where townships report)."""
    below = bool(levels_below(tree, region))
    kinds = ["kpis", *(["children"] if tree.children(region) else []), "trend",
             *(["league"] if below else []), *(["targets"] if has_targets else []),
             *(["index"] if below else []), *(["completeness"] if tree.level[region] < 4 else [])]
    return [Slide(k, region) for k in kinds]


def playlist(tree: Tree, region: str, has_targets: Callable[[str], bool],
             with_children: bool = False) -> list[Slide]:
    """The slides of region, then (with_children) those of each of its children in tree order."""
    regions = [region, *(tree.children(region) if with_children else [])]
    return [s for r in regions for s in slides_of(tree, r, has_targets(r))]


def position(text: str | None, count: int) -> int:
    """The URL's slide (1-based) when it is a number within 1..count, else 1."""
    return int(text) if text and text.isdigit() and 1 <= int(text) <= count else 1


def step(n: int, count: int, delta: int) -> int:
    """The slide delta places from n (1-based), wrapping around at either end."""
    return (n - 1 + delta) % count + 1


def seconds(text: str | None) -> int | None:
    """The URL's auto (seconds between slides) when it is a whole number in AUTO_RANGE, else None."""
    ok = text is not None and text.isdigit() and AUTO_RANGE[0] <= int(text) <= AUTO_RANGE[1]
    return int(text) if ok else None


def large(fig: go.Figure, theme: str, height: int | None = None) -> go.Figure:
    """fig restyled for a projector: fonts of CHART_FONT px (ticks, legend, texts), a TITLE_FONT
    title, the theme's colours, and the given height (None: the container's, on the page the screen
    less the title bar and the buttons; the width follows the screen)."""
    bg, fg, grid, _ = THEMES[theme]
    fig.update_layout(
        height=height, font=dict(family=FONT, size=CHART_FONT, color=fg),
        title_font_size=TITLE_FONT, legend_font_size=CHART_FONT, hoverlabel_font_size=CHART_FONT,
        paper_bgcolor=bg, plot_bgcolor=bg, margin=dict(t=90, b=60, l=20, r=40))
    for axes in (fig.update_xaxes, fig.update_yaxes):
        axes(tickfont_size=CHART_FONT, title_font_size=CHART_FONT, gridcolor=grid, zerolinecolor=grid,
             automargin=True)
    return fig.update_traces(textfont_size=CHART_FONT)


def table_html(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    """frame as a plain HTML table in large type (CSS class present-table), every cell escaped
    (region names are data); the `numeric` columns right-aligned. Also what print shows whole."""
    def cell(tag: str, column: str, v) -> str:
        align = ' class="num"' if column in numeric or is_number(v) else ""
        return f"<{tag}{align}>{html.escape(text(v))}</{tag}>"
    head = "".join(cell("th", c, c) for c in frame.columns)
    body = "".join("<tr>" + "".join(cell("td", c, v) for c, v in zip(frame.columns, row)) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f'<table class="present-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def text(v) -> str:
    """A cell as printed: — for blanks, whole numbers with thousands separators, others with two
    decimals; texts as they are."""
    if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
        return "—"
    if is_number(v):
        return fixed(v, 0 if float(v).is_integer() else 2)
    return str(v)


def is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def css(theme: str) -> str:
    """The page's style: no Streamlit chrome, no sidebar, the theme's colours, large KPI numbers
    and tables, the title bar."""
    bg, fg, grid, muted = THEMES[theme]
    return f"""<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] {{display: none !important}}
.stApp, [data-testid="stMain"] {{background: {bg} !important; color: {fg}}}
[data-testid="stMainBlockContainer"] {{padding: 1rem 2.5rem 1rem !important; max-width: none !important}}
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] p {{font-size: {KPI_FONT}px !important; line-height: 1.15; color: {fg}}}
.stApp [data-testid="stMetricLabel"] p {{font-size: 32px !important; color: {fg}}}
.stApp [data-testid="stMetricDelta"], .stApp [data-testid="stMetricDelta"] p {{font-size: 28px !important}}
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stCaptionContainer"] p {{font-size: 22px !important; color: {muted}}}
.stApp [data-testid="stVerticalBlockBorderWrapper"] {{border-color: {grid}}}
.stApp {{--slide-height: max(400px, calc(100vh - 190px))}}   /* the screen less the title bar and buttons */
.st-key-present_body {{max-height: var(--slide-height); overflow-y: auto; overflow-x: hidden}}
@media print {{.st-key-present_body {{max-height: none; overflow: visible}}}}
.st-key-present_chart_box {{height: var(--slide-height) !important; min-height: var(--slide-height); flex: none !important}}
.present-bar {{display: flex; align-items: baseline; gap: 1.5rem; font-family: {FONT}; color: {fg};
  border-bottom: 3px solid #c0392b; padding-bottom: .4rem}}
.present-bar .where {{font-size: 40px; font-weight: 700}}
.present-bar .what {{font-size: 34px}}
.present-bar .when {{font-size: 24px; color: {muted}; margin-left: auto}}
.present-bar .demo {{font-size: 22px; background: #f39c12; color: #000; padding: 2px 10px; border-radius: 6px}}
.present-bar .what, .present-bar .demo, .present-bar .when {{white-space: nowrap}}
@media (max-width: 1600px) {{
  .present-bar .where {{font-size: 30px}} .present-bar .what {{font-size: 26px}}
  .present-bar .when, .present-bar .demo {{font-size: 18px}}
}}
.present-note {{font-size: 26px; color: {muted}; font-family: {FONT}}}
.present-table {{border-collapse: collapse; width: 100%; font-size: {TABLE_FONT}px; font-family: {FONT}; color: {fg}}}
.present-table th, .present-table td {{border-bottom: 1px solid {grid}; padding: 6px 14px; text-align: left}}
.present-table .num {{text-align: right; font-variant-numeric: tabular-nums}}
.stApp button {{background: transparent; color: {fg}; border-color: {muted}}}
.stApp button p {{font-size: 22px}}
</style>"""


def title_bar(where: str, what: str, through: str, demo: bool) -> str:
    """The title bar: region and period, the slide's title, 数据截至 …, and the 演示数据 mark.
    Texts are escaped (region names are data)."""
    mark = '<span class="demo">演示数据</span>' if demo else ""
    return (f'<div class="present-bar"><span class="where">{html.escape(where)}</span>'
            f'<span class="what">{html.escape(what)}</span>{mark}'
            f'<span class="when">数据截至{html.escape(through)}</span></div>')


# Presenter clickers send ←/→, PageUp/PageDown or space: each clicks the 上一页/下一页 button.
# Runs in the page itself (st.html, not iframed); a rerun replaces the listener, never adds one.
KEYS_JS = """<script>
(() => {
  const keys = {ArrowRight: "下一页", " ": "下一页", PageDown: "下一页", ArrowLeft: "上一页", PageUp: "上一页"};
  if (window.__presentKeys) document.removeEventListener("keydown", window.__presentKeys);
  window.__presentKeys = (e) => {
    const t = e.target;
    if (e.repeat || !keys[e.key] || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
    const button = [...document.querySelectorAll("button")].find(b => b.innerText.trim() === keys[e.key]);
    if (button) { e.preventDefault(); button.click(); }
  };
  document.addEventListener("keydown", window.__presentKeys);
})();
</script>"""
