"""同心数据看板: entry point (streamlit run dashboard.py)."""
import streamlit as st

from tongzhan import ui

st.set_page_config(page_title="同心数据看板", page_icon=":material/handshake:", layout="wide")
# URL paths must differ from the file names in pages/: a deep link to /<file name> would run
# that file alone, without this entry point (Streamlit's older pages/ folder routing).
nav = st.navigation([
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True,
            url_path="zonglan"),
    st.Page("pages/completeness.py", title="报送情况", icon=":material/fact_check:",
            url_path="baosong"),
    st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:", url_path="shangbao"),
])
st.html("<style>[data-testid='stMetricValue'] p{font-size:1.5rem !important}"
        "[data-testid='stMetricLabel'] p{white-space:normal}</style>")
ui.follow_new_data()
nav.run()
