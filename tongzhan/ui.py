"""Streamlit glue shared by the pages: the shared connection, cached results, URL state, pickers."""
from __future__ import annotations

import contextlib
import os
import runpy
from dataclasses import dataclass
from datetime import date
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.pages_manager import PagesManager

from . import completeness, league, present
from .build import ensure_db
from .catalog import Catalog
from .markup import md
from .periods import Period, as_kind, cut_note, plausible_window
from .regions import LEVEL_NAMES, ROOT_CODE, Tree
from .store import StoreError, connect, cursor, db_path, file_changed, query, read_only

ENTRY_POINT = Path(__file__).resolve().parent.parent / "dashboard.py"


@st.cache_resource(show_spinner="正在打开数据库…")
def _connection(path: str):
    """The process's connection. Demo data only at the default path: a database named by
    TONGZHAN_DB that does not exist is an error (see build.ensure_db)."""
    ensure_db(path, demo_if_missing=not os.environ.get("TONGZHAN_DB"))
    return connect(path)


def connection():
    """The process's connection (also for serve.py's login routes, outside any page run)."""
    return _connection(str(db_path()))


def open_at_start() -> None:
    """Open the database as the server starts (serve.py), not at the first visit, and read the
    division tree and the catalog into their caches (~0.5 s for the national tree), so that the
    first visitor waits for neither. When it cannot be opened, the pages say why (and try again)."""
    path = str(db_path())
    with contextlib.suppress(StoreError):
        _connection(path)
        version = _version(path)
        _tree(path, version)
        _catalog(path, version)
        data_info(path, version, date.today())


def warm_first_view() -> None:
    """What a first visit shows, computed into the caches after a start: 总览 of the whole country
    for the newest year, with its chart's figures; and the modules its pages import (plotly, ...)
    loaded (python-pptx and openpyxl load with the first export). The first visitor then waits
    like any other (serve.py runs this before the server answers: ~0.3 s for the national database)."""
    from . import figures   # imports ui: not at the top
    path = str(db_path())
    with contextlib.suppress(StoreError):
        con, version = _connection(path), _version(path)
        last = data_info(path, version, date.today())["last"]
        if last is None:
            return
        ctx = Context(path, con, version, None)
        period = figures.view_period(ctx, ROOT_CODE, Period.parse(str(last.year)).clamp(last))
        figures.kpis(ctx, path, version, ROOT_CODE, period.key)
        indicator = ctx.catalog[ctx.catalog.headline()[0]]
        figures.children(ctx, path, version, ROOT_CODE, indicator.id, period.key)


@dataclass(frozen=True)
class Context:
    path: str
    con: object
    version: str
    read_only: str | None   # why uploads and undos are unavailable, None when writable

    @property
    def tree(self) -> Tree:
        return _tree(self.path, self.version)

    @property
    def catalog(self) -> Catalog:
        return _catalog(self.path, self.version)


def _read(path: str, name: str, **params) -> pd.DataFrame:
    with cursor(_connection(path)) as cur:
        return query(cur, name, **params)


@st.cache_resource(max_entries=2)
def _tree(path: str, version: str) -> Tree:
    return Tree(_read(path, "regions_all"))


@st.cache_resource(max_entries=2)
def _catalog(path: str, version: str) -> Catalog:
    return Catalog(_read(path, "indicators_all"))


@st.cache_data(max_entries=4)
def data_info(path: str, version: str, today: date) -> dict:
    """Demo or not, and the first and last date of the facts within the plausible window
    (periods.plausible_window); facts outside it are counted (odd) and their batches listed."""
    earliest, latest = plausible_window(today)
    span = _read(path, "data_span", earliest=earliest, latest=latest).iloc[0]
    return {"demo": bool(_read(path, "is_demo").iloc[0]["demo"]),
            "first": span["first_start"], "last": span["last_end"],
            "odd": int(span["odd_facts"]), "odd_batches": [int(b) for b in span["odd_batches"]]}


def context() -> Context:
    _leave_pages_folder_routing()
    path = str(db_path())
    try:
        con = _connection(path)
    except StoreError as e:
        st.error(str(e))
        st.stop()
    with cursor(con) as cur:
        changed, why_read_only = file_changed(cur), read_only(cur)
    if changed:
        st.error(changed)
        st.stop()
    version = _version(path)
    st.session_state["data_version"] = version
    return Context(path, con, version, why_read_only)


def _leave_pages_folder_routing() -> None:
    """Until dashboard.py has called st.navigation once in a process, Streamlit routes by the
    files in pages/ (its older multipage mode), so the first link to /upload after a start runs
    pages/upload.py alone. Run the entry point (navigation, styles, live refresh) instead, which
    runs this page again inside it, and stop here."""
    if PagesManager.uses_pages_directory:
        runpy.run_path(str(ENTRY_POINT), run_name="__main__")
        st.stop()


def remember(name: str, key, compute):
    """compute() once per session while key stays the same, e.g. an uploaded file's check across
    the reruns that typing in other widgets causes."""
    slot = st.session_state.get(name)
    if slot is None or slot[0] != key:
        slot = st.session_state[name] = (key, compute())
    return slot[1]


def _version(path: str) -> str:
    return str(_read(path, "last_batch").iloc[0]["version"])


@st.fragment(run_every="10s")
def follow_new_data() -> None:
    """Rerun the whole page when another session commits or undoes a batch. The version seen is
    updated before the rerun, so each change causes one rerun, never a loop."""
    try:
        now = _version(str(db_path()))
    except StoreError:   # no database: the page says why
        return
    if st.session_state.setdefault("data_version", now) != now:
        st.session_state["data_version"] = now
        st.rerun(scope="app")


def region_and_period(ctx: Context, default_to_month: bool = False) -> tuple[dict, str, Period]:
    """The data span, and the region and period from the URL (else this session's last choice)
    and the sidebar pickers; stops the page when there is no data at all. Default period: the
    newest year, or the newest month. The period is cut at the newest month with data."""
    info = data_info(ctx.path, ctx.version, date.today())
    if info["odd"]:
        earliest, latest = plausible_window(date.today())
        st.sidebar.caption(f"数据库中有 {info['odd']:,} 条数据的期间早于{earliest.year}年或晚于{latest.year}年，"
                           f"多半是录入错误，未计入可选期间（批次 {'、'.join(map(str, info['odd_batches']))}，"
                           "可在“数据上报 › 导入记录”中撤销后重新导入）。")
    if info["last"] is None:
        st.info("数据库中还没有任何数据，请先在“数据上报”页导入。")
        st.stop()
    region = url_region(ctx.tree)
    last = info["last"]
    default = f"{last.year}-{last.month:02d}" if default_to_month else f"{last.year}"
    period = period_picker(info["first"], last, default).clamp(last)
    return info, region, period


def title_row(title: str, demo: bool) -> None:
    """The page's title, and beside it the 演示数据 badge of a demo database."""
    head = st.container(horizontal=True, vertical_alignment="center")
    head.title(title, width="content")
    if demo:
        head.badge("演示数据", icon=":material/science:", color="orange")


def page_header(ctx: Context, info: dict, title: str, region: str, period: Period,
                actions: Callable[[DeltaGenerator], None] | None = None, listed_below: bool = False) -> None:
    """Title and the demo-data badge, breadcrumbs, the region · period shown line with `actions`
    (buttons put into the row) at its right, and why the period shown is shorter than the one
    chosen in the picker. One row each, so that 总览's chart starts on screen at 1366×768.
    listed_below: the page lists the units that have not reported (completeness.month_note)."""
    title_row(title, info["demo"])
    breadcrumbs(ctx.tree, region)
    # the actions at the right of the line, or together on a line of their own below a long name
    line = st.container(horizontal=True, vertical_alignment="center", horizontal_alignment="distribute")
    line.subheader(f"{md(ctx.tree.full_name(region))} · {period.label}", width="content")
    if actions:
        actions(line.container(horizontal=True, gap="small", width="content", wrap=False))
    note = cut_note(Period.parse(st.query_params.get("period", period.key)), period)
    if note:
        st.caption(note)
    month_caveat(ctx, region, period.end, listed_below)


def month_caveat(ctx: Context, region: str, end: date, listed_below: bool = False) -> None:
    """completeness.month_note of the month ending `end`, when it is still coming in: a warning
    when fewer than 90 % of last month's units reported, else a caption."""
    month = completeness.month_note(ctx.tree, region, end, month_counts(ctx, region, end), listed_below)
    if month:
        text, serious = month
        if serious:
            st.warning(md(text), icon=":material/hourglass_top:")
        else:
            st.caption(md(text))


def month_counts(ctx: Context, region: str, end: date) -> tuple[int, int] | None:
    """completeness.month_reporting, cached per data version."""
    return _month_reporting(ctx, ctx.path, ctx.version, region, end.isoformat())


@st.cache_data(max_entries=256, show_spinner=False)
def _month_reporting(_ctx: Context, path: str, version: str, region: str, end: str) -> tuple[int, int] | None:
    """completeness.month_reporting, cached per database and data version like figures.py."""
    with cursor(_ctx.con) as cur:
        return completeness.month_reporting(cur, _ctx.tree, region, date.fromisoformat(end))


def kept(param: str, valid, default: str) -> str:
    """The URL's `param` when valid, else the one last chosen in this session (switching pages
    keeps it), else default; written back to both (the URL is for bookmarks)."""
    for value in (st.query_params.get(param), st.session_state.get(f"kept_{param}")):
        if value and valid(value):
            break
    else:
        value = default
    keep(param, value)
    return value


def keep(param: str, value: str) -> None:
    st.session_state[f"kept_{param}"] = st.query_params[param] = value


def url_region(tree: Tree) -> str:
    """The region of the URL, else the one last shown in this session, else 全国 (or the root of
    the logged-in user's read scope, session_state read_scope, set by dashboard.py); a region of
    the URL outside the read scope is refused."""
    scope = st.session_state.get("read_scope") or ROOT_CODE
    asked = st.query_params.get("region")
    if asked in tree and not _readable(tree, asked, scope):
        st.error(f"您没有查看「{md(tree.full_name(asked))}」的权限（可查看：{md(tree.full_name(scope))}及其下级）。")
        st.stop()
    return kept("region", lambda code: code in tree and _readable(tree, code, scope), scope)


def _readable(tree: Tree, code: str, scope: str) -> bool:
    return scope == ROOT_CODE or scope in tree.ancestors(code)


def chosen_period(shown: Period) -> Period:
    """The period as chosen in the picker (the URL's), before it was cut at the newest data."""
    return Period.parse(st.query_params.get("period", shown.key))


def level_picker(tree: Tree, region: str) -> int | None:
    """The administrative level ranked inside region (排名, 综合指数), from the URL's `level`, else
    this session's last choice, else the level of region's children; only levels present
    (None when there is none: a village)."""
    levels = league.levels_below(tree, region)
    if not levels:
        return None
    default = tree.child_level(region) or levels[0]
    chosen = kept("level", lambda v: v.isdigit() and int(v) in levels, str(default))
    st.session_state["level"] = int(chosen)
    st.sidebar.selectbox("排名单位", levels, key="level", format_func=LEVEL_NAMES.get,
                         on_change=lambda: keep("level", str(st.session_state["level"])))
    return st.session_state["level"]


def clicked_bar(selection, codes: list[str]) -> str | None:
    """The code of the bar clicked in an ECharts chart's selection (st.echarts_chart with
    on_select), whose bars are the regions `codes`; None when there is none (or the position
    names no bar: the browser sends it)."""
    selected = selection["selected"] if selection else []
    i = selected[0]["data_indices"][0] if selected and selected[0]["data_indices"] else None
    return codes[i] if isinstance(i, int) and 0 <= i < len(codes) else None


def drill_on_click(chart_key: str, codes: list[str]):
    """An on_select callback for the bar chart of that key, whose bars are the regions `codes`:
    goes to the region of the bar clicked before the page's next run, which then computes and
    draws only the new view (no rerun from inside the page: bench_browser 下钻)."""
    def go() -> None:
        if code := clicked_bar(st.session_state[chart_key]["selection"], codes):
            st.query_params["region"] = code
    return go


def go_to_region(code: str) -> None:
    st.query_params["region"] = code
    st.rerun()


def drill_down(tree: Tree, region: str, children) -> None:
    """A 进入下级区域 picker over the given children of region; picking one goes there."""
    child = st.selectbox("进入下级区域", [None, *children], key=f"drill_{region}",
                         format_func=lambda c: "请选择…" if c is None else tree.name[c])
    if child:
        go_to_region(child)


def breadcrumbs(tree: Tree, region: str) -> None:
    """全国 › 湖北省 › 十堰市 › …: each ancestor is a button that goes back up."""
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    path = tree.ancestors(region)
    for i, code in enumerate(path):
        if i:
            row.markdown("›")
        if code == region:
            row.markdown(f"**{md(tree.name[code])}**")
        elif row.button(md(tree.name[code]), key=f"crumb_{code}", type="tertiary"):
            go_to_region(code)


MODES = {"月度": "month", "季度": "quarter", "年度": "year", "自定义": "range"}
PICKER_LABELS = {"month": "月份", "quarter": "季度", "year": "年度"}


def _months(first: date, last: date) -> list[str]:
    return [f"{d.year}-{d.month:02d}" for d in pd.date_range(first, last, freq="MS")] or [
        f"{last.year}-{last.month:02d}"]


def parses(text: str) -> bool:
    try:
        Period.parse(text)
    except ValueError:
        return False
    return True


def _kind_of(key: str) -> str:
    return "range" if "~" in key else "quarter" if "Q" in key else "month" if "-" in key else "year"


def _switch_kind(last: date) -> None:
    """期间类型 changed: keep the chosen period, as the month, quarter or year that holds it."""
    kind = MODES[st.session_state["period_mode"]]
    st.session_state["kept_period_kind"] = kind
    current = st.query_params.get("period") or st.session_state.get("kept_period")
    if current and parses(current):
        keep("period", as_kind(Period.parse(current), kind, last).key)


def _pick(widget: str) -> None:
    value = st.session_state[widget]
    keep("period", Period.parse("~".join(value) if isinstance(value, tuple) else value).key)


def period_picker(first: date, last: date, default: str) -> Period:
    """Month, quarter, year or a custom month range. The chosen period comes from the URL, else
    this session's last choice, else default; the pickers show it, and switching the kind keeps
    it (see _switch_kind)."""
    months = _months(first, last)
    options = {"month": months[::-1],
               "quarter": sorted({f"{m[:4]}Q{(int(m[5:]) + 2) // 3}" for m in months}, reverse=True),
               "year": sorted({m[:4] for m in months}, reverse=True)}
    key = kept("period", parses, default)
    kind = _kind_of(key)
    if st.session_state.get("kept_period_kind") == "range":  # a range may name a month, a year
        kind = "range"
    st.session_state["kept_period_kind"] = kind
    st.session_state["period_mode"] = next(k for k, v in MODES.items() if v == kind)
    st.sidebar.radio("期间类型", list(MODES), horizontal=True, key="period_mode",
                     on_change=_switch_kind, args=(last,))
    widget = f"period_{kind}"
    if kind == "range":
        p = Period.parse(key)
        a, b = f"{p.start.year}-{p.start.month:02d}", f"{p.end.year}-{p.end.month:02d}"
        a, b = (a if a in months else months[0]), (b if b in months else months[-1])
        # A range slider must be given its value (setting only its state makes it a one-handle
        # slider on the next run); it is fresh whenever the kind switches to range.
        st.sidebar.select_slider("起止月份", months, value=(a, b) if a <= b else (months[0], months[-1]),
                                 key=widget, on_change=_pick, args=(widget,))
    else:
        if key not in options[kind]:   # a link's period without data: the newest, said once
            st.toast(f"{Period.parse(key).label}没有数据（数据为{Period(first, last).label}），已改为"
                     f"{Period.parse(options[kind][0]).label}。")
            key = options[kind][0]
            keep("period", key)
        st.session_state[widget] = key
        st.sidebar.selectbox(PICKER_LABELS[kind], options[kind], key=widget, on_change=_pick,
                             args=(widget,), format_func=lambda k: Period.parse(k).label)
    _pick(widget)
    return Period.parse(st.query_params["period"])


def indicator_picker(catalog: Catalog, default: str) -> str:
    """The chart's indicator: from the URL, else this session's last choice, else default."""
    ids = catalog.ids()
    st.session_state["indicator"] = kept("ind", lambda i: i in ids, default)
    st.sidebar.selectbox("图表指标", ids, key="indicator",
                         on_change=lambda: keep("ind", st.session_state["indicator"]),
                         format_func=lambda i: f"{catalog[i].name_zh}（{catalog[i].unit}）")
    return st.session_state["indicator"]


def delta_args(delta, description: str = "同比") -> dict:
    """st.metric's delta arguments for a text from fmt_delta: nothing when there is nothing to
    compare (None, or NaN once it went through a DataFrame); 持平 without arrow, in grey."""
    if not isinstance(delta, str) or not delta:
        return {}
    flat = delta == "持平"
    return {"delta": delta, "delta_description": description,
            "delta_color": "off" if flat else "normal", "delta_arrow": "off" if flat else "auto"}


def fact_rows(tree: Tree, catalog: Catalog, facts: pd.DataFrame, old: bool = False) -> pd.DataFrame:
    """Facts as staff read them: row, region, indicator, period, (old value →) new value, unit."""
    out = pd.DataFrame({
        "行号": facts["row"].to_numpy(),
        "区域": [tree.full_name(c) if c in tree else c for c in facts["region_code"]],
        "指标": [catalog[i].name_zh for i in facts["indicator_id"]],
        "期间": [Period(a, b).label for a, b in zip(facts["period_start"], facts["period_end"])],
    })
    if old:
        out["原值"] = facts["old_value"].to_numpy()
    out["新值"] = facts["value"].to_numpy()
    out["单位"] = [catalog[i].unit for i in facts["indicator_id"]]
    return out


def batch_rows(history: pd.DataFrame) -> pd.DataFrame:
    """The batch history with Chinese headers; status and kind beside the batch number, before
    the file name (a long one pushed them out of view at 1366 pixels)."""
    out = history.rename(columns={
        "batch_id": "批次", "file_name": "文件", "uploader": "上传人", "created_at": "导入时间",
        "inserted": "新增", "replaced": "覆盖", "skipped": "相同或跳过", "villages": "新建村(社区)"})
    out.insert(1, "状态", ["已撤销" if pd.notna(u) else "有效" for u in history["undone_at"]])
    out.insert(2, "类型", ["目标" if k == "targets" else "数据" for k in history["kind"]])
    return out.drop(columns=["undone_at", "sha256", "kind"])


QUARTERS = {"全年": None, "第一季度": 1, "第二季度": 2, "第三季度": 3, "第四季度": 4}


def _pick_target_period() -> None:
    quarter = QUARTERS[st.session_state["target_quarter"]]
    keep("period", f"{st.session_state['target_year']}" + (f"Q{quarter}" if quarter else ""))


def target_period_picker(years: list[int], default: int) -> tuple[int, int | None]:
    """The targets' year and quarter (None: the year's targets) from the URL's `period` shared
    with the other pages (2026, 2026Q1, or a month of 2026 means 2026), else this session's last
    choice, else default; a change in the sidebar is written back to the URL."""
    key = kept("period", lambda k: parses(k) and Period.parse(k).start.year in years, str(default))
    p = Period.parse(key)
    quarter = (p.start.month + 2) // 3 if "Q" in p.key else None
    st.session_state["target_year"] = p.start.year
    st.session_state["target_quarter"] = next(k for k, q in QUARTERS.items() if q == quarter)
    st.sidebar.selectbox("目标年度", years, key="target_year", on_change=_pick_target_period)
    st.sidebar.radio("目标期间", list(QUARTERS), horizontal=True, key="target_quarter",
                     on_change=_pick_target_period)
    return st.session_state["target_year"], QUARTERS[st.session_state["target_quarter"]]


def static_table(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> None:
    """frame as a plain HTML table (every cell escaped, numbers right-aligned; CSS class
    static-table in dashboard.py), scrolled on screen past 420 px and printed whole: much less
    for the browser to load and draw than st.dataframe's grid, where a page must show its chart
    fast (总览; bench/bench_browser.py)."""
    st.html(f'<div class="static-table">{present.table_html(frame, numeric)}</div>')


# The key prefix of print_table's containers (CSS classes st-key-print-only-…, hidden on screen:
# dashboard.py).
PRINT_ONLY = "print-only"


def print_table(frame, key: str) -> None:
    """A static twin of the st.dataframe just above it (a DataFrame or a Styler), hidden on
    screen and printed in its place with every row: the canvas grid prints only the rows in view.
    key: unique on the page (目标 shows up to three tables)."""
    with st.container(key=f"{PRINT_ONLY}-{key}"):
        st.html(f'<div class="print-only">{present.table_html(getattr(frame, "data", frame))}</div>')
