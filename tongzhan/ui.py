"""Streamlit glue shared by the pages: the shared connection, cached results, URL state, pickers."""
from __future__ import annotations

import runpy
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from . import overview
from .build import ensure_db
from .catalog import Catalog
from .periods import Period
from .regions import ROOT_CODE, Tree
from .store import StoreError, connect, cursor, db_path, query

ENTRY_POINT = Path(__file__).resolve().parent.parent / "dashboard.py"


@st.cache_resource(show_spinner="正在准备数据库（首次运行会生成演示数据）…")
def _connection(path: str):
    ensure_db(path)
    return connect(path)


@dataclass(frozen=True)
class Context:
    path: str
    con: object
    version: str

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
def data_info(path: str, version: str) -> dict:
    span = _read(path, "data_span").iloc[0]
    return {"demo": bool(_read(path, "is_demo").iloc[0]["demo"]),
            "first": span["first_start"], "last": span["last_end"]}


def context() -> Context:
    _leave_pages_folder_routing()
    path = str(db_path())
    try:
        con = _connection(path)
    except StoreError as e:
        st.error(str(e))
        st.stop()
    version = _version(path)
    st.session_state["data_version"] = version
    return Context(path, con, version)


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
    now = _version(str(db_path()))
    if st.session_state.setdefault("data_version", now) != now:
        st.session_state["data_version"] = now
        st.rerun(scope="app")


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


def region_and_period(ctx: Context, default_to_month: bool = False) -> tuple[dict, str, Period]:
    """The data span, and the region and period from the URL and the sidebar pickers; stops the
    page when there is no data at all. Default period: the newest year, or the newest month."""
    info = data_info(ctx.path, ctx.version)
    if info["last"] is None:
        st.info("数据库中还没有任何数据，请先在“数据上报”页导入。")
        st.stop()
    region = url_region(ctx.tree)
    if default_to_month and "period" not in st.query_params:
        st.query_params["period"] = f"{info['last'].year}-{info['last'].month:02d}"
    period = period_picker(info["first"], info["last"]).clamp(info["last"])
    return info, region, period


def page_header(ctx: Context, info: dict, title: str, region: str, period: Period) -> None:
    """Title, the demo-data badge, breadcrumbs, and the region · period line."""
    st.title(title)
    if info["demo"]:
        st.badge("演示数据", icon=":material/science:", color="orange")
    breadcrumbs(ctx.tree, region)
    st.subheader(f"{ctx.tree.full_name(region)} · {period.label}")


def url_region(tree: Tree) -> str:
    """The region of the URL, else the one last shown in this session (switching pages keeps
    it), else 全国; kept in the URL for bookmarks."""
    code = st.query_params.get("region") or st.session_state.get("region", ROOT_CODE)
    code = code if code in tree else ROOT_CODE
    st.session_state["region"] = st.query_params["region"] = code
    return code


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
            row.markdown(f"**{tree.name[code]}**")
        elif row.button(tree.name[code], key=f"crumb_{code}", type="tertiary"):
            go_to_region(code)


MODES = {"月度": "month", "季度": "quarter", "年度": "year", "自定义": "range"}


def _months(first: date, last: date) -> list[str]:
    return [f"{d.year}-{d.month:02d}" for d in pd.date_range(first, last, freq="MS")] or [
        f"{last.year}-{last.month:02d}"]


def period_picker(first: date, last: date) -> Period:
    """Month, quarter, year or a custom month range; the URL's `period` sets the start value."""
    months = _months(first, last)
    quarters = sorted({f"{m[:4]}Q{(int(m[5:]) + 2) // 3}" for m in months}, reverse=True)
    years = sorted({m[:4] for m in months}, reverse=True)
    try:
        current = Period.parse(st.query_params.get("period", years[0]))
    except ValueError:
        current = Period.parse(years[0])
    key = current.key
    mode0 = ("range" if "~" in key else "quarter" if "Q" in key else "month" if "-" in key else "year")
    labels = list(MODES)
    mode = MODES[st.sidebar.radio("期间类型", labels, index=list(MODES.values()).index(mode0),
                                  horizontal=True, key="period_mode")]
    if mode == "month":
        pick = st.sidebar.selectbox("月份", months[::-1], key="period_month",
                                    index=months[::-1].index(key) if key in months else 0,
                                    format_func=lambda k: Period.parse(k).label)
    elif mode == "quarter":
        pick = st.sidebar.selectbox("季度", quarters, key="period_quarter",
                                    index=quarters.index(key) if key in quarters else 0,
                                    format_func=lambda k: Period.parse(k).label)
    elif mode == "year":
        pick = st.sidebar.selectbox("年度", years, key="period_year",
                                    index=years.index(key) if key in years else 0,
                                    format_func=lambda k: Period.parse(k).label)
    else:
        a, b = (key.split("~") if "~" in key else (months[max(0, len(months) - 12)], months[-1]))
        a, b = (a if a in months else months[0]), (b if b in months else months[-1])
        a, b = st.sidebar.select_slider("起止月份", months, value=(a, b), key="period_range")
        pick = f"{a}~{b}" if a != b else a
    period = Period.parse(pick)
    st.query_params["period"] = period.key
    return period


def indicator_picker(catalog: Catalog, default: str) -> str:
    ids = catalog.ids()
    current = st.query_params.get("ind", default)
    current = current if current in ids else default
    ind = st.sidebar.selectbox("图表指标", ids, index=ids.index(current), key="indicator",
                               format_func=lambda i: f"{catalog[i].name_zh}（{catalog[i].unit}）")
    st.query_params["ind"] = ind
    return ind


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
    """The batch history with Chinese headers and a status column."""
    out = history.rename(columns={
        "batch_id": "批次", "file_name": "文件", "uploader": "上传人", "created_at": "导入时间",
        "inserted": "新增", "replaced": "覆盖", "skipped": "相同或跳过", "villages": "新建村(社区)"})
    out["状态"] = ["已撤销" if pd.notna(u) else "有效" for u in history["undone_at"]]
    return out.drop(columns=["undone_at", "sha256"])
