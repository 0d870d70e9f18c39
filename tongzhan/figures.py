"""The figures the pages show, cached per database file and data version (st.cache_data; the
version changes with every import and undo): each a call of the package function that computes
it, on a cursor of its own. Pages call these; the CLI calls the package functions directly."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from . import completeness, exports, index, league, overview, picture, snapshot, targets, trend
from .periods import Period
from .store import cursor, query
from .ui import Context, chosen_period


def view_period(ctx: Context, region: str, period: Period) -> Period:
    """The period cut at the newest month with data in region's subtree (overview.view_period)."""
    return Period.parse(_view_period(ctx, ctx.path, ctx.version, region, period.key))


@st.cache_data(max_entries=256, show_spinner=False)
def _view_period(_ctx: Context, path: str, version: str, region: str, period_key: str) -> str:
    with cursor(_ctx.con) as cur:
        return overview.view_period(cur, _ctx.tree, region, Period.parse(period_key)).key


@st.cache_data(max_entries=256, show_spinner=False)
def kpis(_ctx: Context, path: str, version: str, region: str, period_key: str) -> pd.DataFrame:
    with cursor(_ctx.con) as cur:
        return overview.kpis(cur, _ctx.tree, _ctx.catalog, region, Period.parse(period_key))


@st.cache_data(max_entries=256, show_spinner=False)
def children(_ctx: Context, path: str, version: str, region: str, indicator_id: str,
             period_key: str) -> pd.DataFrame:
    with cursor(_ctx.con) as cur:
        return overview.children(cur, _ctx.tree, _ctx.catalog, region, indicator_id,
                                 Period.parse(period_key))


@st.cache_data(max_entries=256, show_spinner=False)
def league_table(_ctx: Context, path: str, version: str, region: str, indicator_id: str,
                 period_key: str, level: int, per: str | None) -> pd.DataFrame:
    with cursor(_ctx.con) as cur:
        return league.league(cur, _ctx.tree, _ctx.catalog, region, indicator_id,
                             Period.parse(period_key), level, per)


@st.cache_data(max_entries=256, show_spinner="正在计算趋势…")
def trend_series(_ctx: Context, path: str, version: str, region: str, indicator_id: str,
                 span_key: str, grain: str, by: str) -> pd.DataFrame:
    with cursor(_ctx.con) as cur:
        return trend.series(cur, _ctx.tree, _ctx.catalog, region, indicator_id,
                            Period.parse(span_key), grain, by)


@st.cache_data(max_entries=16, show_spinner=False)
def export_bytes(_ctx: Context, path: str, version: str, region: str, period_key: str,
                 indicator_id: str, fmt: str) -> bytes:
    """The view's deck (pptx), workbook (xlsx) or picture (png), cached per data version."""
    from . import deck   # python-pptx and openpyxl: loaded by the first export, not by every start
    with cursor(_ctx.con) as cur:
        snap = snapshot.take(cur, _ctx.tree, _ctx.catalog, region, Period.parse(period_key), indicator_id)
    return deck.FORMATS[fmt](snap)


@st.cache_data(max_entries=64, show_spinner=False)
def due_indicators(_ctx: Context, path: str, version: str, period_key: str) -> list[str]:
    with cursor(_ctx.con) as cur:
        return completeness.due_indicators(cur, _ctx.catalog, Period.parse(period_key))


@st.cache_data(max_entries=64, show_spinner="正在统计报送情况…")
def completeness_report(_ctx: Context, path: str, version: str, region: str, period_key: str,
                        indicators: tuple[str, ...]) -> completeness.Report:
    with cursor(_ctx.con) as cur:
        return completeness.report(cur, _ctx.tree, _ctx.catalog, region, Period.parse(period_key),
                                   list(indicators))


@st.cache_data(max_entries=256, show_spinner=False)
def target_table(_ctx: Context, path: str, version: str, region: str, year: int, quarter: int | None,
                 by: str) -> pd.DataFrame:
    """targets.completion of region (by self) or its children, cached per data version."""
    with cursor(_ctx.con) as cur:
        return targets.completion(cur, _ctx.tree, _ctx.catalog, region, year, quarter, by=by)


@st.cache_data(max_entries=64, show_spinner=False)
def red_targets(_ctx: Context, path: str, version: str, region: str, year: int,
                quarter: int | None) -> pd.DataFrame:
    with cursor(_ctx.con) as cur:
        return targets.red_units(cur, _ctx.tree, _ctx.catalog, region, year, quarter)


@st.cache_data(max_entries=4, show_spinner=False)
def target_years(_ctx: Context, path: str, version: str, today: date) -> list[int]:
    """The years with targets, and this year (where new targets usually go)."""
    with cursor(_ctx.con) as cur:
        return sorted({*query(cur, "target_years")["year"].astype(int), today.year})


@st.cache_data(max_entries=4, show_spinner=False)
def index_config(_ctx: Context, path: str, version: str, stamp: tuple | None) -> pd.DataFrame:
    """data/index.csv (stamp: index_stamp(), so an edited file is read again); raises
    index.ConfigError when the file cannot be used."""
    return index.load_config(index.INDEX_CSV, _ctx.catalog)


@st.cache_data(max_entries=64, show_spinner="正在计算综合指数…")
def index_scored(_ctx: Context, path: str, version: str, region: str, level: int,
                 period_key: str, stamp: tuple | None) -> index.Scored:
    """index.scored: region's units at level by data/index.csv."""
    config = index_config(_ctx, path, version, stamp)
    with cursor(_ctx.con) as cur:
        return index.scored(cur, _ctx.tree, _ctx.catalog, config, region, level, Period.parse(period_key))


def index_charted(ctx: Context, path: str, version: str, region: str, level: int, period_key: str,
                  stamp: tuple | None) -> pd.DataFrame:
    """The ranking of index_scored's units with data (index.charted)."""
    return index.charted(index_scored(ctx, path, version, region, level, period_key, stamp))


def index_stamp() -> tuple | None:
    """data/index.csv's mtime and size (None when it is missing), for index_scored's cache."""
    path = index.INDEX_CSV
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


def export_buttons(row, ctx: Context, region: str, period: Period, indicator_id: str) -> None:
    """下载 PPT, 下载 Excel and 下载图片 (PNG) of the view, put into row (a container); the file is made when the button is clicked
    (without Chromium on the server, the picture's click says how to enable it). period:
    as shown (its name goes into the file name); the chosen one goes to the export."""
    names = (ctx.tree.name[region], ctx.catalog[indicator_id].name_zh, period)
    chosen = chosen_period(period).key
    formats = [("下载 PPT", "pptx"), ("下载 Excel", "xlsx"), ("下载图片", "png")]
    for label, fmt in formats:
        missing = fmt == "png" and not picture.available()
        row.download_button(
            label, data=lambda fmt=fmt: export_bytes(ctx, ctx.path, ctx.version, region, chosen,
                                                     indicator_id, fmt),
            file_name=exports.file_name(*names, ext=fmt), mime=snapshot.MIME[fmt], on_click="ignore",
            key=f"export_{fmt}", disabled=missing, help=picture.CHROMIUM_MISSING if missing else None)
