"""同心数据看板: entry point (streamlit run dashboard.py)."""
from pathlib import Path

import streamlit as st

from tongzhan import ui

# A file served by the app itself: a :material/…: or emoji page icon is fetched from the internet.
ICON = Path(__file__).resolve().parent / "assets" / "page_icon.png"
st.set_page_config(page_title="同心数据看板", page_icon=str(ICON), layout="wide")
PRESENT = st.Page("pages/present.py", title="汇报模式", icon=":material/slideshow:")
nav = st.navigation([
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("pages/trend.py", title="趋势", icon=":material/trending_up:"),
    st.Page("pages/rank.py", title="排名", icon=":material/format_list_numbered:"),
    st.Page("pages/targets.py", title="目标", icon=":material/flag:"),
    st.Page("pages/index.py", title="综合指数", icon=":material/leaderboard:"),
    st.Page("pages/completeness.py", title="报送情况", icon=":material/fact_check:"),
    st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:"),
    PRESENT,
])
if st.query_params.get("present") == "1" and nav.url_path != PRESENT.url_path:  # ?present=1 on any page
    st.switch_page(PRESENT, query_params=dict(st.query_params))
st.html("<style>[data-testid='stMetricValue'] p{font-size:1.5rem !important}"
        "[data-testid='stMetricLabel'] p{white-space:normal}"
        "[data-testid='stFileUploaderDropzoneInstructions']{display:none}</style>")
ui.follow_new_data()
nav.run()
