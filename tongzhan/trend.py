"""趋势: a region's indicator as a time series by month, quarter or year, with 同比, 环比 and
本年累计 (flows), for the region itself or for each of its children. Every point is a roll-up of
rollup.indicator_table, one call per distinct period; this module only picks the periods and compares."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .catalog import Catalog
from .fmt import axis_ticks, fmt_delta, fmt_value
from .markup import plot_text
from .overview import value_axis, view_period
from .periods import Period, comparable, month_end, months_before
from .regions import Tree
from .rollup import indicator_table
from .store import side_by_side

GRAINS = {"month": ("M", 1), "quarter": ("Q", 3), "year": ("Y", 12)}   # pandas frequency, months
SPAN_MONTHS = 24
COLUMNS = ["period", "label", "start", "end", "region_code", "region_name", "value", "yoy", "mom",
           "ytd", "yoy_text", "mom_text", "carried_units", "excluded_units", "partial"]


def default_span(last: date, months: int = SPAN_MONTHS) -> Period:
    """The `months` months up to the month of `last` (the newest data)."""
    return Period(months_before(last, months - 1).replace(day=1), month_end(last.year, last.month))


def grain_periods(span: Period, grain: str) -> list[Period]:
    """The calendar months, quarters or years that overlap span, whole."""
    return [Period(p.start_time.date(), p.end_time.date())
            for p in pd.period_range(span.start, span.end, freq=GRAINS[grain][0])]


def change(now: pd.Series, before: pd.Series) -> np.ndarray:
    """Relative change now / before - 1 as a fraction; NaN when before is missing or 0."""
    b = before.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(b) | (b == 0), np.nan, (now.to_numpy(dtype=float) - b) / np.abs(b))


def series(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str, span: Period,
           grain: str = "month", by: str = "self") -> pd.DataFrame:
    """COLUMNS, one row per period of `grain` overlapping span (whole periods) and per target:
    the region itself (by="self") or each of its children (by="children", villages of a township
    where present). Periods after the newest data in region's subtree are left out and the last
    one is cut there (partial, start/end say what is shown), like for like:
    yoy  同比 against the same months a year earlier;
    mom  环比 against the previous period (periods.comparable); empty for years (the 同比);
    ytd  本年累计 of a flow: January through the end of the period.
    Comparisons are empty, never 0 or inf, when the earlier value is missing or 0."""
    kind, unit = catalog[indicator_id].kind, catalog[indicator_id].unit
    periods = grain_periods(span, grain)
    end = view_period(con, tree, region, Period(periods[0].start, periods[-1].end)).end
    shown = {full: full.clamp(end) for full in periods if full.start <= end}
    before = {full: (s.last_year(), comparable(full, s, kind) if grain != "year" else None,
                     Period(date(s.end.year, 1, 1), s.end) if kind == "flow" else None)
              for full, s in shown.items()}
    tables = _tables(con, tree, catalog, region, indicator_id, by,
                     [*shown.values(), *(p for ps in before.values() for p in ps if p is not None)])

    def values(p: Period | None, index: pd.Index) -> pd.Series:
        return pd.Series(np.nan, index=index) if p is None else tables[p]["value"].reindex(index)

    frames = []
    for full, cut in shown.items():
        now = tables[cut]
        then, prev, ytd = (values(p, now.index) for p in before[full])
        frames.append(pd.DataFrame({
            "period": full.key, "label": full.label, "start": cut.start, "end": cut.end,
            "region_code": now.index, "region_name": now["region_name"].to_numpy(),
            "value": now["value"].to_numpy(), "yoy": change(now["value"], then),
            "mom": change(now["value"], prev), "ytd": ytd.to_numpy(),
            "yoy_text": [fmt_delta(v, b, unit) for v, b in zip(now["value"], then)],
            "mom_text": [fmt_delta(v, b, unit) for v, b in zip(now["value"], prev)],
            "carried_units": now["carried_units"].array, "excluded_units": now["excluded_units"].array,
            "partial": cut != full}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def _tables(con, tree: Tree, catalog: Catalog, region: str, indicator_id: str, by: str,
            wanted: list[Period]) -> dict[Period, pd.DataFrame]:
    """indicator_table of each distinct period, indexed by region code, side by side (24 months of
    a flow: about 60 roll-ups, 0.38–0.53 → 0.25–0.34 s)."""
    distinct = list(dict.fromkeys(wanted))
    found = side_by_side(con, lambda cur, p: indicator_table(cur, tree, catalog, region, indicator_id, p, by)
                         .set_index("region_code"), distinct)
    return dict(zip(distinct, found))


def ranked_regions(frame: pd.DataFrame) -> list[str]:
    """The regions of a series by their value in the latest period with any data, highest first
    (those without a value there last, by code): the page draws the first few as lines."""
    known = frame.dropna(subset=["value"])
    latest = frame[frame["period"] == known["period"].iloc[-1]] if len(known) else frame
    latest = latest.drop_duplicates("region_code", keep="last")
    return latest.sort_values(["value", "region_code"], ascending=[False, True],
                              na_position="last")["region_code"].tolist()


def span_label(frame: pd.DataFrame) -> str:
    """What a series covers, as shown: 2024年11月—2026年10月."""
    return Period(frame["start"].min(), frame["end"].max()).label


def figure(frame: pd.DataFrame, title: str, unit: str) -> go.Figure:
    """One line per region of frame (in frame's order), x the period labels, hovers in fmt texts,
    the y axis in 万/亿 (overview.value_axis), a hollow marker where a period is cut at the newest
    data. Region names are data: plot_text."""
    fig = go.Figure()
    for code, rows in frame.groupby("region_code", sort=False):
        fig.add_trace(go.Scatter(
            x=rows["label"].tolist(), y=rows["value"].tolist(), mode="lines+markers", cliponaxis=False,
            marker_symbol=["circle-open" if cut else "circle" for cut in rows["partial"]],
            name=plot_text(rows["region_name"].iloc[0]),
            text=[fmt_value(v, unit) for v in rows["value"]],
            # the period's full label: %{x} shows the tick's text (10月), the same for two Octobers
            customdata=[[c or "—", m or "—", lb] for c, m, lb in zip(rows["yoy_text"], rows["mom_text"], rows["label"])],
            hovertemplate="%{fullData.name} · %{customdata[2]}<br>%{text}<br>同比 %{customdata[0]}"
                          "　环比 %{customdata[1]}<extra></extra>"))
    fig.update_layout(
        title=plot_text(title), margin=dict(t=50, b=30, l=40, r=20), height=380,
        hovermode="closest", legend=dict(orientation="h", y=-0.15),
        font_family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
    labels = list(dict.fromkeys(frame["label"]))
    periods = [Period.parse(k) for k in dict.fromkeys(frame["period"])]
    step = -(-len(labels) // MOST_TICKS)   # every step-th period labelled, the latest always
    at = range((len(labels) - 1) % step, len(labels), step)
    shown = [periods[i] for i in at]
    years = [p.start.year for p in shown]
    # the year under each tick where a new one begins, and under the first unless the second
    # begins the next (12月 beside 1月 over 2025年: two years side by side overlapped)
    with_year = [i > 0 and y != years[i - 1] for i, y in enumerate(years)]
    with_year[0] = len(years) == 1 or years[1] == years[0]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels, tickangle=0,
                     tickmode="array", tickvals=[labels[i] for i in at],
                     ticktext=[tick_text(p, w) for p, w in zip(shown, with_year)])
    value_axis(fig, frame["value"], unit)
    ticks = fig.layout.yaxis.tickvals   # from 0 (or below) up past the highest value
    return fig.update_yaxes(range=[ticks[0], ticks[-1]])


MOST_TICKS = 24   # x ticks labelled at most: 24 months fit 1366 px upright


def tick_text(p: Period, with_year: bool) -> str:
    """A short x tick, with the year below it when with_year (1月 over 2025年, 2月, …; 一季度 over
    2025年, 二季度, …; 2025年)."""
    year = f"<br>{p.start.year}年" if with_year else ""
    if "Q" in p.key:
        return f"{'一二三四'[(p.start.month - 1) // 3]}季度{year}"
    return f"{p.start.month}月{year}" if "-" in p.key else f"{p.start.year}年"


def axis_unit(frame: pd.DataFrame, unit: str) -> str:
    """The unit the y axis counts in (万元 or 亿元, 人次 or 万人次), for the chart's title."""
    return axis_ticks(frame["value"], unit)[2]


def table_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The series' points in the order of display_table's rows: newest first."""
    return frame.sort_values("start", ascending=False, kind="stable")


def display_table(frame: pd.DataFrame, unit: str, kind: str) -> pd.DataFrame:
    """The series as the page's table, newest first (table_order): 期间, 区域, the value, 同比 and
    环比 in fmt texts (个百分点 for rates, like the overview's cards), 本年累计 for flows, and the
    units carried forward or left out where there are any."""
    f = table_order(frame)
    out = pd.DataFrame({
        "期间": [f"{lb}（{Period(a, b).months_label}）" if cut else lb
                 for lb, a, b, cut in zip(f["label"], f["start"], f["end"], f["partial"])],
        "区域": f["region_name"].to_numpy(),
        "数值": [fmt_value(v, unit) for v in f["value"]],
        "同比": f["yoy_text"].fillna("—").to_numpy(), "环比": f["mom_text"].fillna("—").to_numpy()})
    if kind == "flow":
        out["本年累计"] = [fmt_value(v, unit) for v in f["ytd"]]
    if f["carried_units"].fillna(0).gt(0).any():
        out["沿用上期的单位"] = f["carried_units"].to_numpy()
    if f["excluded_units"].fillna(0).gt(0).any():
        out["只报分子或分母（未计入）"] = f["excluded_units"].to_numpy()
    return out
