"""What the overview page shows: headline KPIs with last year, the children of a region, the bar
chart. Pure functions of a connection; the page only lays them out."""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from .catalog import Catalog
from .fmt import axis_ticks, fmt_delta, fmt_value
from .periods import Period
from .regions import Tree
from .rollup import compute, indicator_table


def kpis(con, tree: Tree, catalog: Catalog, region: str, period: Period) -> pd.DataFrame:
    """One row per headline indicator: value, last year's value, numerator, denominator, texts."""
    ids = catalog.headline()
    now = compute(con, tree, catalog, region, ids, period).set_index("indicator_id")
    before = compute(con, tree, catalog, region, ids, period.last_year()).set_index("indicator_id")
    rows = []
    for i in ids:
        ind = catalog[i]
        v = now["value"].get(i)
        b = before["value"].get(i)
        rows.append({
            "indicator_id": i, "name": ind.name_zh, "unit": ind.unit, "value": v, "last_year": b,
            "numerator": now["numerator"].get(i), "denominator": now["denominator"].get(i),
            "text": fmt_value(v, ind.unit), "delta": fmt_delta(v, b, ind.unit),
        })
    return pd.DataFrame(rows)


def children(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str,
             period: Period) -> pd.DataFrame:
    """Children of region with the indicator's value (all children, those without data last)."""
    t = indicator_table(con, tree, catalog, region, indicator_id, period, by="children")
    unit = catalog[indicator_id].unit
    t["text"] = [fmt_value(v, unit) for v in t["value"]]
    return t.sort_values(["value", "region_code"], ascending=[False, True], na_position="last",
                         ignore_index=True)


def value_axis(fig: go.Figure, values, unit: str) -> go.Figure:
    """Count the y axis in 万/亿 like the labels (fmt.axis_ticks), never in plotly's k/M. Every
    chart of a value goes through it; hover texts should show fmt_value texts."""
    tickvals, ticktext, title = axis_ticks(values, unit)
    return fig.update_yaxes(tickmode="array", tickvals=tickvals, ticktext=ticktext,
                            title_text=title)


def bar_figure(table: pd.DataFrame, title: str, unit: str) -> go.Figure:
    """Bars of the children that have data; customdata carries the region code for drill-down.
    Region names are data: escaped, since plotly reads tags in its texts."""
    t = table.dropna(subset=["value"])
    fig = go.Figure(go.Bar(
        x=[html.escape(n, quote=False) for n in t["region_name"]], y=t["value"].tolist(),
        customdata=t["region_code"].tolist(), text=t["text"].tolist(),
        textposition="outside", cliponaxis=False, marker_color="#c0392b",
        hovertemplate="%{x}<br>%{text}<extra>点击下钻</extra>"))
    fig.update_layout(
        title=html.escape(title, quote=False), margin=dict(t=60, b=40, l=40, r=20), height=420,
        clickmode="event+select", xaxis_tickangle=-30 if len(t) > 8 else 0,
        font_family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
    return value_axis(fig, t["value"], unit)
