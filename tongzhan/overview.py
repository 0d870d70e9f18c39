"""What the overview page shows: headline KPIs with last year, the children of a region, the bar
chart. Pure functions of a connection; the page only lays them out."""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from .catalog import Catalog
from .fmt import axis_scale, axis_ticks, fixed, fmt_delta, fmt_value
from .markup import plot_text
from .periods import Period
from .regions import Tree
from .rollup import compute, indicator_table
from .store import rows, side_by_side


KPI_COLUMNS = ["indicator_id", "name", "value", "text", "from", "to", "compare_from", "compare_to",
               "compare_value", "delta_text", "units", "carried_units", "excluded_units", "oldest"]


def view_period(con, tree: Tree, region: str, period: Period) -> Period:
    """The period as shown for region: cut at the newest month with data in the region's subtree
    (not anywhere), so that a year in progress is compared with the same months a year before."""
    last = last_end(con, tree, region)
    return period if last is None else period.clamp(last)


def last_end(con, tree: Tree, region: str) -> date | None:
    """The end of the newest period with data in region's subtree (None when it has none)."""
    return rows(con, "region_last_end", region=region, depth=int(tree.depth[region]))[0][0]


def last_ends(con, tree: Tree, catalog: Catalog, region: str, regions: list[str]) -> dict[str, date | None]:
    """last_end of each of regions, all in region's subtree: those at depth 1-3 in one statement
    over the county or city sums when there are more than a few (the red list's 372 parents for
    全国: 0.75 s one by one; the statement costs 7-13 ms, last_end 1-2 ms), the others one by one."""
    grouped = {r for r in regions if 1 <= tree.depth[r] <= 3}
    if len(grouped) < 8:
        grouped = set()
    found = dict(rows(con, "last_ends", codes=sorted(grouped), region=region, depth=int(tree.depth[region]),
                      level=3 if any(tree.depth[r] == 3 for r in grouped) else 2,
                      scores=[i for i in catalog.ids() if catalog[i].kind == "score"])) if grouped else {}
    return {r: found.get(r) if r in grouped else last_end(con, tree, r) for r in regions}


def kpis(con, tree: Tree, catalog: Catalog, region: str, period: Period) -> pd.DataFrame:
    """One row per headline indicator, what its card shows: KPI_COLUMNS, then unit, numerator,
    denominator, compare_label (which months are compared) and note (carried and excluded units).
    The period is cut like for like (view_period) and compared with the same months last year."""
    ids = catalog.headline()
    shown = view_period(con, tree, region, period)
    before = shown.last_year()
    now, then = (t.set_index("indicator_id") for t in side_by_side(
        con, lambda cur, p: compute(cur, tree, catalog, region, ids, p), [shown, before]))
    label = f"{shown.months_label} 同比" if "~" in shown.key else "同比"   # a cut or custom range
    out = []
    for i in ids:
        ind = catalog[i]
        r = now.loc[i] if i in now.index else pd.Series(dtype=object)
        v, b = r.get("value"), then["value"].get(i)
        oldest = (Period(r["oldest_start"], r["oldest_end"])
                  if pd.notna(r.get("oldest_end")) else None)
        out.append({
            "indicator_id": i, "name": ind.name_zh, "value": v, "text": fmt_value(v, ind.unit),
            "from": shown.start, "to": shown.end, "compare_from": before.start,
            "compare_to": before.end, "compare_value": b, "delta_text": fmt_delta(v, b, ind.unit) or "",
            "units": r.get("units"), "carried_units": r.get("carried_units"),
            "excluded_units": r.get("excluded_units"), "oldest": oldest and oldest.key,
            "unit": ind.unit,
            "numerator": r.get("numerator"), "denominator": r.get("denominator"),
            "compare_label": label, "note": coverage_note(r, oldest)})
    return pd.DataFrame(out)


def coverage_note(row: pd.Series, oldest: Period | None) -> str:
    """What a stock, rate or score rests on: 含 N 个单位沿用上期数（最早 X）; N 个单位只报了分子或分母."""
    notes = []
    if (n := row.get("carried_units")) is not None and pd.notna(n) and n > 0:
        notes.append(f"含 {n:,} 个单位沿用上期数（最早为{oldest.label}）")
    if (n := row.get("excluded_units")) is not None and pd.notna(n) and n > 0:
        notes.append(f"{n:,} 个单位只报了分子或分母，未计入")
    return "；".join(notes)


def children(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str,
             period: Period) -> pd.DataFrame:
    """Children of region with the indicator's value (all children, those without data last)."""
    t = indicator_table(con, tree, catalog, region, indicator_id, period, by="children")
    unit = catalog[indicator_id].unit
    t["text"] = [fmt_value(v, unit) for v in t["value"]]
    return t.sort_values(["value", "region_code"], ascending=[False, True], na_position="last",
                         ignore_index=True)


def value_axis(fig: go.Figure, values, unit: str, axis: str = "y") -> go.Figure:
    """Count the value axis (y, or x for horizontal bars) in 万/亿 like the labels
    (fmt.axis_ticks), never in plotly's k/M. Every chart of a value goes through it; hover
    texts should show fmt_value texts."""
    tickvals, ticktext, title = axis_ticks(values, unit)
    return fig.update(layout={f"{axis}axis": dict(tickmode="array", tickvals=tickvals,
                                                  ticktext=ticktext, title_text=title)})


BAR_COLOR, BAR_HOVER, BAR_PICKED = "#c0392b", "#e74c3c", "#922b21"   # a bar, pointed at, clicked


def bars(table: pd.DataFrame) -> pd.DataFrame:
    """The children drawn as bars (those with data), in children()'s order: a click on the
    chart names a bar by its position in these rows."""
    return table.dropna(subset=["value"]).reset_index(drop=True)


def bar_chart(table: pd.DataFrame, title: str, unit: str, hint: str) -> dict:
    """The children's bars on the page, as an Apache ECharts option (st.echarts_chart: a much
    smaller script than plotly's for a first page; bar_figure draws the same for the exports).
    An option carries no formatter functions, so the bars are drawn in the value axis' unit
    (227.15 under 亿元 for 2,271,500 万元, fmt.axis_scale) and labelled in it without the unit
    (short labels: 17 bars at 1366×768 do not overlap); the tooltip says fmt_value's text. Names
    are plain text to ECharts; the tooltip is HTML, with the names and values that Streamlit
    puts in for {@…} escaped. hint: the tooltip's last line (what a click does)."""
    t = bars(table)
    axis = axis_scale(t["value"], unit)
    value = f"数值（{axis.title}）"
    data = pd.DataFrame({"区域": t["region_name"], value: t["value"] / axis.divisor,
                         "标签": [fixed(v / axis.divisor, axis.decimals) for v in t["value"]],
                         "显示值": t["text"]})
    return {
        "animation": False,
        "title": {"text": title, "textStyle": {"fontSize": 16}},
        "grid": {"left": 10, "right": 20, "top": 70, "bottom": 10, "containLabel": True},
        "tooltip": {"trigger": "item", "formatter": f"{{@区域}}<br/>{{@显示值}}<br/>{hint}"},
        "dataset": {"source": data},
        "xAxis": {"type": "category", "axisLabel": {"interval": 0, "rotate": 30 if len(t) > 8 else 0}},
        "yAxis": {"type": "value", "name": axis.title, "min": axis.ticks[0], "max": axis.ticks[-1],
                  "interval": axis.ticks[1] - axis.ticks[0]},
        "series": [{"type": "bar", "encode": {"x": "区域", "y": value}, "selectedMode": "single",
                    "itemStyle": {"color": BAR_COLOR}, "emphasis": {"itemStyle": {"color": BAR_HOVER}},
                    "select": {"itemStyle": {"color": BAR_PICKED}},
                    "label": {"show": True, "position": "top", "formatter": "{@标签}", "fontSize": 11}}],
    }


def bar_figure(table: pd.DataFrame, title: str, unit: str) -> go.Figure:
    """bar_chart as a plotly figure, for the PNG and PPT exports and 汇报模式 (kaleido draws
    plotly figures on the server). Region names are data: plot_text, since plotly reads tags in
    its texts."""
    t = bars(table)
    fig = go.Figure(go.Bar(
        x=[plot_text(n) for n in t["region_name"]], y=t["value"].tolist(),
        customdata=t["region_code"].tolist(), text=t["text"].tolist(),
        textposition="outside", cliponaxis=False, marker_color=BAR_COLOR,
        hovertemplate="%{x}<br>%{text}<extra></extra>"))   # no click: nothing to say about one
    fig.update_layout(
        title=plot_text(title), margin=dict(t=60, b=40, l=40, r=20), height=420,
        xaxis_tickangle=-30 if len(t) > 8 else None,   # None: plotly tilts long names
        font_family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
    return value_axis(fig, t["value"], unit)
