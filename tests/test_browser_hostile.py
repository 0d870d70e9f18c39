"""Real browser: user text is shown as text. Villages created by an upload, the uploader's name
and the file name look like Markdown links and images, HTML, Streamlit's :color[]/:icon:/$math$
and formulas; every page that shows them keeps them literal, with no link or image that points
outside, and no page makes the browser request anything from another host (an offline network)."""
from __future__ import annotations

import tomllib
from urllib.parse import urlparse

import pytest

import hostile
from conftest import BAR_CHART, BAR_CHART_TITLE_JS, ROOT, bar_boxes, bar_chart_bars, copy_db, log_in, run_streamlit
from tongzhan.store import max_upload_bytes

WORD_JOINER = "\u2060"   # invisible; keeps GFM from turning http://, www. and a@b.c into links

# Links and images that leave the page, any image inside rendered Markdown or a chart, and any
# element with an inline event handler.
LEAKS_JS = """() => {
  const own = location.origin, out = [];
  const away = (u) => u && !/^(data|blob):/.test(u) && new URL(u, location.href).origin !== own;
  for (const a of document.querySelectorAll('a')) {
    const h = a.getAttribute('href') || a.getAttribute('xlink:href');
    if (away(h)) out.push('link ' + h);
  }
  for (const i of document.querySelectorAll('img, image, iframe, video, audio, source')) {
    const s = i.getAttribute('src') || i.getAttribute('href') || i.getAttribute('xlink:href');
    if (away(s)) out.push(i.tagName + ' ' + s);
  }
  for (const i of document.querySelectorAll(
      '[data-testid="stMarkdownContainer"] img, .js-plotly-plot a, [data-testid="stEChartsChart"] a, '
      + '[data-testid="stEChartsChart"] img, [onerror], [onload]'))
    out.push('markup ' + i.outerHTML.slice(0, 120));
  return out;
}"""


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    """A server of its own: the test imports hostile villages into its database."""
    d = tmp_path_factory.mktemp("hostile_server")
    with run_streamlit(copy_db(demo_db, d / "tongzhan.duckdb"), logdir=d) as s:
        yield s


def track_requests(page) -> list[str]:
    urls: list[str] = []
    page.context.on("request", lambda r: urls.append(r.url))
    return urls


def foreign_hosts(urls: list[str], server_url: str) -> set[str]:
    own = urlparse(server_url).netloc
    return {urlparse(u).netloc for u in urls
            if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).netloc != own}


def shown_text(page) -> str:
    return page.locator("body").inner_text().replace(WORD_JOINER, "")   # popovers live outside stApp


def assert_literal(page, texts) -> None:
    """No markup made of user text, and each text visible literally (not escaped twice)."""
    assert page.evaluate(LEAKS_JS) == []
    shown = shown_text(page)
    missing = [t for t in texts if t not in shown]
    assert missing == [], f"not shown literally: {missing}"


def goto(page, url: str, app_ready) -> None:
    page.goto(url)
    app_ready(page, timeout=60_000)


def tick_texts(page, axis: str) -> list[str]:
    return page.eval_on_selector_all(f".js-plotly-plot .{axis}tick text", "ns => ns.map(n => n.textContent)")


def test_hostile_names_stay_text_on_every_page(server, page, app_ready):
    requests = track_requests(page)
    names = list(hostile.VILLAGES.values())

    # 数据上报: the file creates the villages; its name and the uploader's are hostile too.
    log_in(page, server.url, hostile.UPLOADER)   # an account with a hostile name
    goto(page, f"{server.url}/upload?region={hostile.TOWNSHIP}", app_ready)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": hostile.FILE_NAME, "mimeType": "text/csv", "buffer": hostile.csv_bytes()})
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入为批次").wait_for(timeout=30_000)
    app_ready(page)
    assert_literal(page, [f"{hostile.FILE_NAME} 已导入为批次"])
    # A file with an unknown name: the problem table quotes it and suggests the new villages.
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": "坏.csv", "mimeType": "text/csv",
         "buffer": "名称,期间,服务群众人次\n[坏](http://example.com/p),2026-11,5\n".encode()})
    page.get_by_text("处问题").wait_for(timeout=30_000)
    app_ready(page)
    assert_literal(page, ["找不到区域「[坏](http://example.com/p)」", hostile.VILLAGES[f"{hostile.TOWNSHIP}901"]])

    page.get_by_role("tab", name="导入记录").click()
    page.get_by_role("button", name="撤销…").click()
    page.get_by_text("删除它新增的").wait_for(timeout=15_000)
    assert_literal(page, [f"（{hostile.FILE_NAME}，{hostile.UPLOADER}）"])
    page.locator('[data-testid="stMain"]').screenshot(path="/tmp/markup_upload_history.png")
    page.keyboard.press("Escape")

    # 总览 of the township: a bar per village, the names on the axis as they are.
    goto(page, f"{server.url}/?region={hostile.TOWNSHIP}&period={hostile.PERIOD}&ind=people_served",
         app_ready)
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})() !== null", timeout=15_000)
    order = [name for name, _ in bar_chart_bars(page)]
    assert sorted(order) == sorted(names)
    for box, name in zip(bar_boxes(page), order):   # each bar's tooltip: the village's name as it is
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tip = page.locator(f"{BAR_CHART} div", has_text="点击下钻").last
        tip.wait_for(state="visible")
        assert tip.inner_text().split("\n")[0] == name
        assert page.evaluate(LEAKS_JS) == []
    assert_literal(page, ["武当路街道"])
    page.get_by_role("combobox", name="进入下级区域").click()      # the villages as options
    page.keyboard.press("ArrowDown")
    page.get_by_role("option").first.wait_for()
    assert set(names) <= set(page.get_by_role("option").all_inner_texts())
    assert_literal(page, names)
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 1400, "height": 1800})   # the axis labels below the bars too
    page.locator('[data-testid="stMain"]').screenshot(path="/tmp/markup_overview.png")

    # Each village: breadcrumbs, heading and the "no children" note name it.
    for code, name in hostile.VILLAGES.items():
        goto(page, f"{server.url}/?region={code}&period={hostile.PERIOD}&ind=people_served", app_ready)
        page.get_by_text("没有下级区域").wait_for(timeout=15_000)
        assert_literal(page, [f"{name}没有下级区域", f"武当路街道{name} · 2026年11月"])
        assert page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"] strong').filter(
            has_text=name.replace(WORD_JOINER, "")[:3]).count() >= 1   # the current crumb, bold
    page.locator('[data-testid="stMain"]').screenshot(path="/tmp/markup_village.png")

    # 报送情况 of a village: the unit is the village itself (a row of the heat map).
    code = f"{hostile.TOWNSHIP}903"
    goto(page, f"{server.url}/completeness?region={code}&period={hostile.PERIOD}", app_ready)
    page.wait_for_selector(".js-plotly-plot .ytick text")
    assert tick_texts(page, "y") == [hostile.VILLAGES[code]]
    assert_literal(page, [hostile.VILLAGES[code]])
    page.locator('[data-testid="stMain"]').screenshot(path="/tmp/markup_completeness.png")

    assert foreign_hosts(requests, server.url) == set()


def test_no_page_requests_anything_outside_the_server(streamlit_server, page, app_ready):
    """总览 with a drill-down by clicking a bar, 报送情况, 数据上报 with each tab: every request the
    browser makes goes to the dashboard's own server (fonts and icons included)."""
    requests = track_requests(page)
    log_in(page, streamlit_server.url)   # 数据上报 is shown to staff and admins only
    goto(page, f"{streamlit_server.url}/?region=420300&period=2025&ind=funds_raised", app_ready)
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})() !== null", timeout=15_000)
    box = bar_boxes(page)[0]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # a county of 十堰市 (the pattern "region=4203" alone matched the starting URL, so the next
    # click could land while the drill-down's rerun was still on its way: seen on a slow machine)
    page.wait_for_url(lambda u: "region=4203" in u and "region=420300" not in u, timeout=15_000)
    app_ready(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("报送情况").click()
    page.wait_for_url("**/completeness**", timeout=15_000)
    page.wait_for_selector(".js-plotly-plot")
    app_ready(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("数据上报").click()
    page.wait_for_url("**/upload**", timeout=15_000)
    app_ready(page)
    for tab in ("导入记录", "下载模板", "上传数据"):
        page.get_by_role("tab", name=tab).click()
        app_ready(page)
    page.wait_for_timeout(1_000)   # late requests (fonts, the page icon) have time to start
    assert [u for u in requests if urlparse(u).netloc and
            urlparse(u).netloc != urlparse(streamlit_server.url).netloc] == []


def test_an_error_box_links_nowhere_outside(demo_db, tmp_path, page):
    """An uncaught error (a bug) is shown without Streamlit's "Ask Google / Ask ChatGPT" links,
    which it adds by default on 127.0.0.1: an intranet reaches neither (.streamlit/config.toml)."""
    script = tmp_path / "boom.py"
    script.write_text("raise RuntimeError('测试用的错误')\n", encoding="utf-8")
    with run_streamlit(copy_db(demo_db, tmp_path / "t.duckdb"), logdir=tmp_path, script=str(script)) as server:
        page.goto(server.url)
        box = page.locator('[data-testid="stException"]')
        box.wait_for(timeout=30_000)
        assert "测试用的错误" in box.inner_text()
        page.wait_for_timeout(500)   # the links are drawn with the box
        assert page.evaluate(LEAKS_JS) == []
        assert box.locator("a").count() == 0


def test_server_upload_cap_is_the_app_limit(monkeypatch):
    """The Streamlit server refuses bodies above server.maxUploadSize before reading them; it is
    the app's default limit (TONGZHAN_MAX_UPLOAD_MB unset)."""
    monkeypatch.delenv("TONGZHAN_MAX_UPLOAD_MB", raising=False)
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 2**20 == max_upload_bytes()


def test_over_the_limit_file_is_refused_with_a_chinese_caption(demo_db, tmp_path, page, app_ready,
                                                               monkeypatch):
    """With a 1 MB limit (server and app), a 2 MB file is refused by the uploader; the page says
    the limit in Chinese next to it, and nothing is read or checked."""
    monkeypatch.setenv("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "1")
    monkeypatch.setenv("TONGZHAN_MAX_UPLOAD_MB", "1")
    big = tmp_path / "大文件.csv"
    big.write_bytes(("区划代码,期间,服务群众人次\n" + "420302001,2026-10,1\n" * 110_000).encode())
    assert big.stat().st_size > 2**20
    with run_streamlit(copy_db(demo_db, tmp_path / "t.duckdb"), logdir=tmp_path) as server:
        log_in(page, server.url)
        goto(page, f"{server.url}/upload", app_ready)
        caption = page.get_by_text("单个文件不超过 1 MB")
        assert caption.is_visible()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(big))
        page.get_by_text("1.0MB or smaller").wait_for(timeout=15_000)   # the widget's own words
        app_ready(page)
        assert caption.is_visible()
        assert page.get_by_role("button", name="确认导入").count() == 0
        assert page.get_by_text("处问题").count() == 0
        page.locator('[data-testid="stMain"]').screenshot(path="/tmp/markup_upload_limit.png")
