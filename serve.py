"""同心数据看板 server: `streamlit run serve.py` serves dashboard.py and opens the database as the
server starts, so the dashboard holds it from then on, not only from the first visit: a command
line write (python -m tongzhan import/undo) then always says the dashboard has it, instead of
working until someone opens a page and failing after. It answers once the division tree, the
catalog and what a first visit shows are in their caches. It also serves the login routes
(tongzhan/login.py), which set and clear the HttpOnly session cookie."""
import logging
from contextlib import asynccontextmanager

import streamlit as st

from tongzhan import login, ui


def quietly(fill) -> None:
    # The caches are filled outside any page run: Streamlit warns "missing ScriptRunContext"
    # once per cached call, which says nothing to whoever reads the console.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        fill()
    finally:
        quiet.setLevel(level)


@asynccontextmanager
async def lifespan(_app):
    quietly(ui.open_at_start)
    try:   # before the server answers: ready means the first view is cached
        quietly(ui.warm_first_view)
    except Exception:   # only a head start: the first visit computes it instead, and says what fails
        logging.getLogger(__name__).exception("预热首页失败，服务器照常启动")
    yield


app = st.App("dashboard.py", lifespan=lifespan, routes=login.ROUTES)   # /session/login, /session/logout
