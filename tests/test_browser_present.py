"""汇报模式 in a real browser at 1920×1080: a deep link opens it without sidebar or chrome, in large
type; ←/→/space move through the slides; ?present=1 on another page and theme=dark; print."""
from __future__ import annotations

import re

import pytest

from conftest import BAR_CHART, BAR_CHART_TITLE_JS

DEEP_LINK = "/present?region=420300&period=2026-10"
FONT_PX = "(sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)"


@pytest.fixture
def big_page(browser):
    """A page of a projector's size."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    yield context.new_page()
    context.close()


def slide_title(page) -> str:
    return page.locator(".present-bar .what").inner_text()


def press(page, key: str, slide: int, app_ready) -> None:
    """Press key on the page (as a presenter's clicker would) and wait for slide number `slide`."""
    page.keyboard.press(key)
    page.wait_for_url(f"**slide={slide}**", timeout=15_000)
    page.get_by_text(f"第 {slide} / ").wait_for(timeout=15_000)
    app_ready(page)


def test_deep_link_large_type_and_keyboard(streamlit_server, big_page, app_ready, screenshot):
    page = big_page
    page.goto(streamlit_server.url + DEEP_LINK)
    app_ready(page, timeout=60_000)
    page.locator('[data-testid="stMetricValue"]').first.wait_for()

    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stHeader"]').is_visible()
    bar = page.locator(".present-bar").inner_text()
    for text in ("湖北省十堰市", "2026年10月", "数据截至2026年10月", "演示数据", "主要指标"):
        assert text in bar
    assert page.evaluate(FONT_PX, '[data-testid="stMetricValue"]') >= 64
    assert page.locator('[data-testid="stMetricValue"]').count() == 5
    screenshot(page, "present-kpis-1920")

    press(page, "ArrowRight", 2, app_ready)
    assert slide_title(page) == "各下级对比"
    page.locator(".js-plotly-plot .xtick text").first.wait_for()
    assert page.locator(".js-plotly-plot .xtick text").first.text_content() == "茅箭区"
    assert page.evaluate(FONT_PX, ".js-plotly-plot .xtick text") >= 20
    assert page.evaluate(FONT_PX, ".js-plotly-plot .ytick text") >= 20
    screenshot(page, "present-children-1920")

    press(page, " ", 3, app_ready)
    assert slide_title(page) == "趋势"
    press(page, "ArrowLeft", 2, app_ready)
    press(page, "ArrowLeft", 1, app_ready)
    press(page, "ArrowLeft", 7, app_ready)   # wraps round to the last slide
    assert slide_title(page) == "报送情况"
    assert "报送率" in page.locator('[data-testid="stMain"]').inner_text()


def test_present_flag_on_any_page_and_dark_theme(streamlit_server, big_page, app_ready, screenshot):
    page = big_page
    page.goto(streamlit_server.url + "/rank?region=420300&period=2026-10&present=1&theme=dark&slide=4")
    page.wait_for_url("**/present?**", timeout=30_000)
    app_ready(page, timeout=60_000)
    page.locator(".present-table").wait_for()
    assert slide_title(page) == "排名"
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    background = page.evaluate("() => getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert background == "rgb(17, 20, 24)"
    rows = page.locator(".present-table tbody tr")
    assert rows.count() == 8    # 十堰市's eight counties
    assert page.evaluate(FONT_PX, ".present-table td") >= 20
    screenshot(page, "present-league-dark-1920")


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_chart_slides_fit_the_screen(streamlit_server, browser, app_ready, width, height):
    """A projector of 1366×768 as well as 1920×1080: the title bar on one line, the chart as tall as
    the screen allows, a longer slide (a table) scrolling in its box, the slide buttons still on the screen (no
    scrolling the page in a meeting)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    for slide, title in ((2, "各下级对比"), (3, "趋势"), (4, "排名"), (7, "报送情况")):
        page.goto(f"{streamlit_server.url}{DEEP_LINK}&slide={slide}")
        app_ready(page, timeout=60_000)
        page.get_by_role("button", name="下一页").wait_for()
        assert slide_title(page) == title
        assert page.locator(".present-bar").bounding_box()["height"] < 75
        if slide <= 3:
            page.locator(".js-plotly-plot .xtick text").first.wait_for()
            assert page.locator(".js-plotly-plot").bounding_box()["height"] >= 0.7 * height
        else:   # a slide taller than the screen scrolls in its box
            box = page.locator(".st-key-present_body").bounding_box()
            assert box["y"] + box["height"] <= height
        button = page.get_by_role("button", name="下一页").bounding_box()
        assert button["y"] + button["height"] <= height
    context.close()


PAPER_PX = 1047   # A4 landscape less 10 mm margins: 277 mm at 96 px per inch


def test_print_fits_charts_and_prints_whole_tables(streamlit_server, big_page, app_ready):
    page = big_page
    page.goto(streamlit_server.url + "/?region=420300&period=2026-10&ind=funds_raised")
    app_ready(page, timeout=60_000)
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})() !== null")
    page.wait_for_function("() => getComputedStyle(document.documentElement).getPropertyValue('--screen-width')")
    chart = page.locator(BAR_CHART)
    assert chart.bounding_box()["width"] > PAPER_PX     # on a 1920 screen the chart is wider than paper
    table = page.locator(".static-table table")
    assert table.is_visible()                            # a plain table, on screen and on paper
    max_height = "() => getComputedStyle(document.querySelector('.static-table')).maxHeight"
    assert page.evaluate(max_height) == "420px"          # a long one scrolls on screen

    page.emulate_media(media="print")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    left = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["x"]
    box = chart.bounding_box()
    assert box["x"] + box["width"] - left <= PAPER_PX + 1   # zoomed to the paper's width, whole
    assert table.is_visible() and page.evaluate(max_height) == "none"   # and prints every row
    names = table.locator("tbody tr td:first-child").all_inner_texts()
    assert len(names) == 8 and names[-1] == "茅箭区"      # every county, the smallest last

    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2



def test_print_twins_replace_the_grids_on_paper(streamlit_server, big_page, app_ready):
    """目标 of 十堰市 has two tables (its own targets, its counties'): each grid has a static twin,
    hidden on screen and printed in its place with every row."""
    page = big_page
    page.goto(streamlit_server.url + "/targets?region=420300")
    app_ready(page, timeout=60_000)
    grids, twins = page.locator('[data-testid="stDataFrame"]'), page.locator(".print-only table")
    assert grids.count() >= 2 and twins.count() == grids.count()
    visible = lambda loc: [loc.nth(i).is_visible() for i in range(loc.count())]   # noqa: E731
    assert all(visible(grids)) and not any(visible(twins))
    page.emulate_media(media="print")
    assert all(visible(twins)) and not any(visible(grids))
    assert "考核得分" in twins.nth(0).inner_text()

def test_auto_advance_and_pause(streamlit_server, big_page, app_ready):
    page = big_page
    page.goto(streamlit_server.url + DEEP_LINK + "&auto=5")
    app_ready(page, timeout=60_000)
    page.get_by_text("每 5 秒翻页").wait_for()
    page.wait_for_url("**slide=2**", timeout=12_000)    # after 5 s, by itself
    page.get_by_text("第 2 / ").wait_for(timeout=10_000)
    app_ready(page)
    page.get_by_role("button", name="暂停").click()
    page.get_by_text("（已暂停）").wait_for(timeout=10_000)
    page.wait_for_timeout(7_000)
    assert "slide=2" in page.url and slide_title(page) == "各下级对比"
