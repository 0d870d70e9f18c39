"""同心数据看板 server: `streamlit run serve.py` serves dashboard.py and opens the database as the
server starts, so the dashboard holds it from then on, not only from the first visit: a command
line write (python -m tongzhan import/undo) then always says the dashboard has it, instead of
working until someone opens a page and failing after."""
from contextlib import asynccontextmanager

import streamlit as st

from tongzhan import ui


@asynccontextmanager
async def lifespan(_app):
    ui.open_at_start()
    yield


app = st.App("dashboard.py", lifespan=lifespan)
