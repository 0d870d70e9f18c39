"""同心数据看板: entry point (streamlit run dashboard.py)."""
import streamlit as st

st.set_page_config(page_title="同心数据看板", page_icon=":material/handshake:", layout="wide")
nav = st.navigation([
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True, url_path="overview"),
])
st.html("<style>[data-testid='stMetricValue'] p{font-size:1.5rem !important}"
        "[data-testid='stMetricLabel'] p{white-space:normal}</style>")
nav.run()
