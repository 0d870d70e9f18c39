"""同心数据看板: entry point (streamlit run dashboard.py)."""
from pathlib import Path

import streamlit as st

from tongzhan import accounts, login, ui
from tongzhan.store import StoreError, cursor

# A file served by the app itself: a :material/…: or emoji page icon is fetched from the internet.
ICON = Path(__file__).resolve().parent / "assets" / "page_icon.png"
st.set_page_config(page_title="同心数据看板", page_icon=str(ICON), layout="wide")
PRESENT = st.Page("pages/present.py", title="汇报模式", icon=":material/slideshow:")
# Print and PDF (A4 landscape, whole): no chrome, sidebar or buttons; the page keeps the width it
# has on screen (plotly draws its charts for that width) and is zoomed to the paper's 277 mm
# (1047 px), so charts print whole and scaled; a table with a static twin (ui.print_table) prints
# the twin, every row, instead of st.dataframe's canvas (which shows only the rows in view).
# Hidden on screen by their containers' keys: a rule like `:has(.print-only)` (any descendant)
# made Chromium redo its style work as the page was built, ~1 s before the first card showed.
PRINT_CSS = """
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-print-only-"]), [data-testid="stLayoutWrapper"]:has(> .st-key-print-fit) {display: none}
@media print {
  @page {size: A4 landscape; margin: 10mm}
  header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"], .stDownloadButton,
  .stButton:not(:has([data-testid="stBaseButton-tertiary"])), .stSelectbox, .stMultiSelect,
  [data-testid="stElementContainer"]:has([data-testid="stDataFrame"]):has(+ * > [class*="st-key-print-only-"])
  {display: none !important}
  [data-testid="stLayoutWrapper"]:has(> [class*="st-key-print-only-"]) {display: block}
  .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {position: static !important;
    overflow: visible !important; height: auto !important}
  [data-testid="stMainBlockContainer"] {padding: 0 !important; max-width: none !important;
    width: calc(var(--screen-width, 1047) * 1px) !important; zoom: min(1, calc(1047 / var(--screen-width, 1047)))}
  .stPlotlyChart, .stEChartsChart, tr {break-inside: avoid}
  thead {display: table-header-group}
  .print-only table {border-collapse: collapse; width: 100%; font-size: 13px}
  .print-only th, .print-only td {border-bottom: 1px solid #ccc; padding: 2px 6px; text-align: left}
  .print-only .num {text-align: right}
}"""
# Remembers the main column's content width on screen (--screen-width) for the print zoom above:
# from the resize observer's entry, set only when it changes (reading the computed style and
# setting the property on every resize made Chromium redo layout and style while the page was built).
PRINT_FIT_JS = """<script>
(() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (!main) return;
  window.__printFit = window.__printFit || new ResizeObserver((entries) => {
    const width = String(Math.round(entries[entries.length - 1].contentRect.width));
    const root = document.documentElement.style;
    if (!matchMedia("print").matches && root.getPropertyValue("--screen-width") !== width)
      root.setProperty("--screen-width", width);
  });
  window.__printFit.observe(main);
})();
</script>"""
try:   # who is logged in (anonymous when the database cannot be opened: the page says why)
    with cursor(ui.connection()) as cur:
        user, must_log_in = login.current_user(cur), accounts.read_login_required(cur)
except StoreError:
    user, must_log_in = None, False
# The read scope url_region enforces (an admin reads everything).
st.session_state["read_scope"] = user.read_scope if user and user.role != "admin" else None
writer = user is not None and user.role in ("staff", "admin")
nav = st.navigation([
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("pages/trend.py", title="趋势", icon=":material/trending_up:"),
    st.Page("pages/rank.py", title="排名", icon=":material/format_list_numbered:"),
    st.Page("pages/targets.py", title="目标", icon=":material/flag:"),
    st.Page("pages/index.py", title="综合指数", icon=":material/leaderboard:"),
    st.Page("pages/completeness.py", title="报送情况", icon=":material/fact_check:"),
    # hidden from the menu of those who may not use them, but still pages: a bookmark or a link after
    # 退出 gets the page's own Chinese message (须以…账号登录) instead of Streamlit's English "Page not found"
    st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:",
            visibility="visible" if writer else "hidden"),
    st.Page("pages/admin.py", title="用户管理", icon=":material/manage_accounts:",
            visibility="visible" if user is not None and user.role == "admin" else "hidden"),
    PRESENT,
])
if st.query_params.get("present") == "1" and nav.url_path != PRESENT.url_path:  # ?present=1 on any page
    st.switch_page(PRESENT, query_params=dict(st.query_params))
# A card's figure is sized to the card (at most 1.5rem): 8,293.9万人次 fits a card at 1366×768; a
# longer one wraps instead of ending in "…".
st.html("<style>[data-testid='stColumn']{container-type:inline-size}"
        # less empty space above the title (Streamlit's 6rem): more of the page fits 1366×768
        "@media screen{[data-testid='stMainBlockContainer']{padding-top:3rem}"
        ".static-table{max-height:420px;overflow:auto}}"
        ".static-table table{border-collapse:collapse;width:100%;font-size:0.875rem}"
        ".static-table th{position:sticky;top:0;background:var(--st-background-color, #fff);"
        "color:rgba(49,51,63,.7);font-weight:600}"
        ".static-table th, .static-table td{border-bottom:1px solid rgba(49,51,63,.12);padding:4px 8px;text-align:left}"
        ".static-table .num{text-align:right;font-variant-numeric:tabular-nums}"
        "[data-testid='stMetricValue'] p{font-size:clamp(1rem, 11cqi, 1.5rem) !important}"
        "[data-testid='stMetricValue'] .stMarkdownEllipsis, [data-testid='stMetricValue'] p{white-space:normal}"
        "[data-testid='stMetricLabel'] p{white-space:normal}"
        # a card's 来源 at its foot: in line across the row when one card is taller (a rate's parts)
        "[data-testid='stColumn'] > [data-testid='stVerticalBlock'] > [class*='st-key-sources_']{margin-top:auto}"
        "[data-testid='stFileUploaderDropzoneInstructions']{display:none}"
        # the uploader's button says "Upload" and Streamlit offers no way to change it: said in Chinese here
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p{font-size:0}"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after"
        "{content:'选择文件';font-size:0.875rem}"
        # a table's own CSV download writes names as they are (formulas too): the pages' Excel downloads instead
        "[data-testid='stElementToolbar'] button[aria-label='Download as CSV']{display:none}"
        + PRINT_CSS + "</style>")
with st.container(key="print-fit"):
    st.html(PRINT_FIT_JS, unsafe_allow_javascript=True)
login.sidebar(user)
if must_log_in and user is None:
    st.title("同心数据看板")
    st.info("本看板须登录后才能查看。")
    st.html(f'<a href="{login.login_url()}" target="_self">登录</a>')
    st.stop()
ui.follow_new_data()
nav.run()
