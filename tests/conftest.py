"""Shared fixtures: the demo database, a live Streamlit server, Chromium via Playwright.

    schema_db          session  (Path, Tree, Catalog) of a database with tree and catalog, no facts,
                                and the test admins (people.TEST_ADMINS, password people.PASSWORD)
    demo_db            session  Path of a demo database built once (the test admins added); read-only
    db_copy            function Path of a private, writable copy of demo_db
    streamlit_server   session  StreamlitServer(url, db, port) running dashboard.py on its own DB copy
    browser            session  Playwright Browser on /usr/bin/chromium (fails if it is missing)
    page               function fresh context + Page, 1400x1000, zh-CN
    screenshot         function screenshot(page_or_locator, name) -> Path in screenshots/
    app_ready          function app_ready(page, timeout=15_000): wait until the app is idle

Tests that use streamlit_server, browser or page are marked `browser` automatically.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tongzhan.overview import BAR_COLOR, BAR_HOVER, BAR_PICKED

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Chromium keeps trying to reach the (closed) network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SERVER_TIMEOUT = 60  # seconds until /_stcore/health must answer "ok"


def demo_tokens() -> dict[str, tuple]:
    """Accounts of demo_db with a token (people.TOKENS) for log_in: an admin, a 江山市 staff member,
    one with a hostile name (test_browser_hostile), a viewer who may read 茅箭区 only. (Imported
    here: bench/ imports this module without tests/ on the path.)"""
    from hostile import UPLOADER
    return {"张三": ("admin", "000000"), "江山干事": ("staff", "330881"), UPLOADER: ("staff", "420000"),
            "茅箭领导": ("viewer", "420302", "420302")}


# ---------------------------------------------------------------- databases

@pytest.fixture(scope="session")
def schema_db(tmp_path_factory):
    """A database with schema, official tree and catalog but no facts, with its tree and catalog.
    Read it only; tests copy the file to write."""
    from people import add_test_admins
    from tongzhan import build, store
    from tongzhan.catalog import Catalog
    from tongzhan.regions import Tree
    path = tmp_path_factory.mktemp("schema_db") / "schema.duckdb"
    con = store.connect(path)
    build.init_db(con)
    tree = Tree(store.query(con, "regions_all"))
    catalog = Catalog(store.query(con, "indicators_all"))
    con.execute("CHECKPOINT")
    con.close()
    add_test_admins(path)
    return path, tree, catalog


@pytest.fixture
def con(schema_db, tmp_path):
    """A connection to a fresh copy of schema_db."""
    from tongzhan import store
    path = tmp_path / "t.duckdb"
    shutil.copyfile(schema_db[0], path)
    c = store.connect(path)
    yield c
    c.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo database, built once per session (~3 s). Read it only; to write, use db_copy."""
    from tongzhan.build import build_demo
    path = build_demo(tmp_path_factory.mktemp("demo_db") / "demo.duckdb")
    from people import add_test_admins
    add_test_admins(path, tokens=demo_tokens())
    return path


def copy_db(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    if Path(f"{src}.wal").exists():
        shutil.copyfile(f"{src}.wal", f"{dst}.wal")
    return dst


@pytest.fixture
def db_copy(demo_db, tmp_path) -> Path:
    """A writable copy of the demo database, private to one test."""
    return copy_db(demo_db, tmp_path / "tongzhan.duckdb")


# ---------------------------------------------------------------- Streamlit server

@dataclass(frozen=True)
class StreamlitServer:
    url: str    # http://127.0.0.1:PORT
    db: Path    # the server's own database (TONGZHAN_DB); the app has it open read-write
    port: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def run_streamlit(db: Path, logdir: Path, script: str = "dashboard.py"):
    """Run `streamlit run script` (cwd = repo root, TONGZHAN_DB=db) until the block exits."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", script,
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none",
           "--server.port", str(port), "--server.address", "127.0.0.1"]
    env = {**os.environ, "TONGZHAN_DB": str(db)}
    out_path, err_path = logdir / "streamlit.out", logdir / "streamlit.err"
    # Log to files, not pipes: nobody reads a pipe while the tests run, and a full pipe blocks.
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with code {proc.returncode}" if proc.poll() is not None
                       else f"not healthy after {SERVER_TIMEOUT} s")
                pytest.fail(f"Streamlit server ({' '.join(cmd)}) {why}.\n"
                            f"--- stderr ---\n{err_path.read_text(errors='replace')}\n"
                            f"--- stdout ---\n{out_path.read_text(errors='replace')}",
                            pytrace=False)
            time.sleep(0.25)
        yield StreamlitServer(url=url, db=db, port=port)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server process: terminate, and kill it if it has not ended after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def streamlit_server(demo_db, tmp_path_factory) -> StreamlitServer:
    """dashboard.py served on a free loopback port, with its own copy of the demo database.
    Shared by the whole session: a test that writes through the app changes it for later tests."""
    d = tmp_path_factory.mktemp("streamlit_server")
    with run_streamlit(copy_db(demo_db, d / "tongzhan.duckdb"), logdir=d) as server:
        yield server


@pytest.fixture
def fresh_server(demo_db, tmp_path) -> StreamlitServer:
    """A server of its own that no session has visited yet (the first visit after a start)."""
    with run_streamlit(copy_db(demo_db, tmp_path / "tongzhan.duckdb"), logdir=tmp_path) as server:
        yield server


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser():
    """Playwright Chromium, using Debian's /usr/bin/chromium (never Playwright's own download)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: browser tests need Debian's Chromium. Install it with "
                    "`apt-get install -y chromium fonts-noto-cjk` (or run .ci/run).", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page. On a failed test, saves screenshots/FAILED-<test>.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    p = context.new_page()
    yield p
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):
            save_screenshot(p, "FAILED-" + request.node.name, wait_ms=3_000)
    context.close()


# Streamlit marks its root element with the script and connection state; grey skeletons stand in
# for elements whose code is still loading.
IDLE_JS = """() => !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]'
    + '[data-test-connection-state="CONNECTED"]') && !document.querySelector('[data-testid="stSkeleton"]')"""


# The overview's bar chart (st.echarts_chart, drawn as SVG): its title is its accessible name,
# aria-busy is false once drawn, and its bars are the paths in the bar colours (a bar changes
# colour when pointed at or clicked). BAR_CHART_TITLE_JS: the title of the one bar chart with its
# bars drawn, else null (while a chart is replaced, the old and the new one coexist for a moment).
BAR_CHART = '[data-testid="stEChartsChart"]'
BAR_PATHS = ", ".join(f"{BAR_CHART} path[fill='{c}']" for c in (BAR_COLOR, BAR_HOVER, BAR_PICKED))
BAR_CHART_TITLE_JS = f"""() => {{ const c = document.querySelectorAll({json.dumps(BAR_CHART)});
  if (c.length != 1 || c[0].getAttribute('aria-busy') != 'false' || !document.querySelector({json.dumps(BAR_PATHS)}))
    return null;
  return c[0].getAttribute('aria-label'); }}"""


def bar_chart_texts(page) -> list[str]:
    """The texts of the bar chart in the order drawn: axis title and ticks, the bars' names left
    to right, their value labels, the chart's title."""
    return page.locator(f"{BAR_CHART} svg text").all_text_contents()


def bar_chart_bars(page) -> list[tuple[str, str]]:
    """(name, value label) of each bar, left to right."""
    n, texts = page.locator(BAR_PATHS).count(), bar_chart_texts(page)
    return list(zip(texts[-1 - 2 * n:-1 - n], texts[-1 - n:-1]))


def click_bar_named(page, name: str) -> None:
    """Click the bar of `name` with the mouse, as a person would."""
    boxes = bar_boxes(page)   # first: it waits for one chart drawn
    order = [n for n, _ in bar_chart_bars(page)]
    assert name in order, f"no bar named {name}: {order}"
    box = boxes[order.index(name)]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def bar_boxes(page) -> list[dict]:
    """The bars' boxes on screen, left to right, once one chart is drawn (a chart being
    replaced coexists with its successor for a moment), scrolled into view."""
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})() !== null", timeout=15_000)
    page.locator(BAR_CHART).scroll_into_view_if_needed()
    return sorted((b.bounding_box() for b in page.locator(BAR_PATHS).all()), key=lambda b: b["x"])


def wait_for_app(page, timeout: float = 15_000) -> None:
    """Wait until the app is connected, its script has finished and no placeholder is left."""
    page.wait_for_function(IDLE_JS, timeout=timeout)


def save_screenshot(target, name: str, wait_ms: float = 10_000) -> Path:
    """Screenshot a Page or Locator into screenshots/<name>.png, once the app is idle (or after
    wait_ms anyway). Streamlit scrolls an inner container, so full_page=True stops at the
    viewport; for the whole page use page.locator('[data-testid="stMainBlockContainer"]')."""
    from playwright.sync_api import Error as PlaywrightError
    with contextlib.suppress(PlaywrightError):
        wait_for_app(getattr(target, "page", target), timeout=wait_ms)
    SCREENSHOTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", name.removesuffix(".png"))
    path = SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


@pytest.fixture
def screenshot():
    """screenshot(page_or_locator, name) -> Path of screenshots/<name>.png."""
    return save_screenshot


@pytest.fixture
def app_ready():
    """app_ready(page, timeout=15_000): wait until the Streamlit app has finished rendering."""
    return wait_for_app


def log_in(page, url: str, name: str = "张三") -> None:
    """Log page's browser context in as demo_db's account `name`: its session cookie holds the
    account's token (people.TOKENS), as the login form would set it."""
    from people import TOKENS
    from tongzhan.login import COOKIE
    page.context.add_cookies([{"name": COOKIE, "value": TOKENS[name], "url": url}])


# ---------------------------------------------------------------- hooks

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pytest_collection_modifyitems(items):
    for item in items:
        if {"streamlit_server", "browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def open_app(page: str | None = None, timeout: float = 30, **params):
    """dashboard.py in AppTest with these URL parameters, run, then switched to `page` (e.g.
    "pages/trend.py") when given. The caller points TONGZHAN_DB at its database."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"),
                           default_timeout=timeout)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page).run() if page else at
