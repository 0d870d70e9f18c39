"""Real browser journey: drill 湖北省 › 十堰市 › 茅箭区 › a township by clicking bars; the URL and the
numbers on screen agree with the CLI."""
from __future__ import annotations

import csv
import io
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import BAR_CHART, BAR_CHART_TITLE_JS, bar_chart_bars, bar_chart_texts, click_bar_named
from tongzhan.fmt import fixed, fmt_value

ROOT = Path(__file__).resolve().parent.parent
PERIOD = ("2025-01", "2025-12")


def cli_query(db: Path, region: str, indicator: str, by: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "tongzhan", "--db", str(db), "query", "--region", region,
         "--indicator", indicator, "--from", PERIOD[0], "--to", PERIOD[1], "--by", by],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def click_bar(page, rows: list[dict], code: str, app_ready, has_children: bool = True) -> None:
    """Click the bar of region `code` (one of rows), with the mouse, as a person would, and wait
    for the page of that region (its chart, when it has children)."""
    click_bar_named(page, name := next(r["region_name"] for r in rows if r["region_code"] == code))
    page.wait_for_url(f"**region={code}**", timeout=15_000)
    if has_children:
        page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})()?.startsWith('{name}各下级')",
                               timeout=15_000)
    else:
        page.get_by_text(f"{name}没有下级区域").wait_for(timeout=15_000)
    app_ready(page)


def shown(rows: list[dict]) -> dict[str, str]:
    """Name -> value label, as the chart of 募集资金 should show the rows (those with a value):
    in 万元, the axis' unit here, with two decimals."""
    values = {r["region_name"]: float(r["value"]) for r in rows if r["value"]}
    assert max(values.values()) < 1e4   # else the axis would count in 亿元
    return {name: fixed(v, 2) for name, v in values.items()}


def test_drill_down_by_clicking_matches_cli(streamlit_server, demo_db, page, app_ready, screenshot):
    page.goto(f"{streamlit_server.url}/?region=420000&ind=funds_raised&period=2025")
    app_ready(page, timeout=60_000)
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})() !== null", timeout=15_000)

    # 湖北省's children include 仙桃市, which sits directly under the province.
    province = cli_query(demo_db, "420000", "funds_raised", "children")
    assert "仙桃市" in shown(province)
    assert dict(bar_chart_bars(page)) == shown(province)

    click_bar(page, province, "420300", app_ready)
    click_bar(page, cli_query(demo_db, "420300", "funds_raised", "children"), "420302", app_ready)
    county = cli_query(demo_db, "420302", "funds_raised", "children")
    assert dict(bar_chart_bars(page)) == shown(county)
    screenshot(page.locator('[data-testid="stMain"]'), "overview-county-maojian")

    township, township_name = county[0]["region_code"], county[0]["region_name"]
    click_bar(page, county, township, app_ready, has_children=False)
    assert f"region={township}" in page.url and "ind=funds_raised" in page.url
    assert "period=2025" in page.url
    crumbs = page.locator('[data-testid="stMain"]').inner_text()
    for name in ("全国", "湖北省", "十堰市", "茅箭区", township_name):
        assert name in crumbs
    own = cli_query(demo_db, township, "funds_raised", "self")[0]
    card = page.locator('[data-testid="stMetric"]').filter(has_text="募集资金")
    assert card.locator('[data-testid="stMetricValue"]').inner_text() == fmt_value(
        float(own["value"]), "万元")
    screenshot(page, "overview-township")

    # The breadcrumb goes back up to 十堰市, and it stays there: the bar clicked in 十堰市's chart
    # before (茅箭区) is not clicked again.
    page.get_by_role("button", name="十堰市").click()
    page.wait_for_url("**region=420300**", timeout=15_000)
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})()?.startsWith('十堰市各下级')", timeout=15_000)
    app_ready(page)
    page.wait_for_timeout(1000)
    assert "region=420300" in page.url
    app_ready(page)
    assert page.evaluate(BAR_CHART_TITLE_JS).startswith("十堰市各下级")


def test_page_switch_keeps_region_indicator_and_period(streamlit_server, page, app_ready, screenshot):
    page.goto(f"{streamlit_server.url}/?region=420300&ind=people_served&period=2025-03")
    app_ready(page, timeout=60_000)
    page.locator('[data-testid="stRadio"]').get_by_text("年度", exact=True).click()
    page.wait_for_url(lambda url: "period=2025" in url and "period=2025-" not in url, timeout=15_000)
    app_ready(page)
    heading = page.locator('[data-testid="stMain"] h3').first
    assert heading.inner_text() == "湖北省十堰市 · 2025年"

    nav = page.locator('[data-testid="stSidebarNavLink"]')
    nav.filter(has_text="报送情况").click()
    page.get_by_text("同心数据看板 · 报送情况").wait_for(timeout=15_000)
    app_ready(page)
    assert heading.inner_text() == "湖北省十堰市 · 2025年"

    nav.filter(has_text="总览").click()
    page.get_by_text("同心数据看板 · 总览").wait_for(timeout=15_000)
    app_ready(page)
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})()?.includes('服务群众人次 · 2025年')", timeout=15_000)
    assert heading.inner_text() == "湖北省十堰市 · 2025年"
    for param in ("region=420300", "ind=people_served", "period=2025"):
        assert param in page.url
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_role("combobox", name="图表指标").input_value() == "服务群众人次（人次）"
    assert sidebar.get_by_role("combobox", name="年度").input_value() == "2025年"
    # The axis counts in 万人次 like the labels, never in k or M.
    texts = bar_chart_texts(page)
    assert texts[0] == "万人次"   # the axis title, then its ticks
    ticks = list(itertools.takewhile(lambda t: re.fullmatch(r"[\d,.]+", t), texts[1:]))
    assert len(ticks) >= 3 and ticks[0] == "0", texts   # 0, 1, 2, … 万人次: never 2.5M or 50k
    screenshot(page, "overview-after-page-switch")


def test_overview_at_1366x768_starts_its_chart_on_screen_and_exports_the_view(streamlit_server, page, app_ready):
    """A 1366×768 laptop: 总览 of 十堰市 shows the title with its badge on one line, the three
    downloads beside the region · period line, the cards' 来源 in one line, and the top of the
    chart without scrolling; 下载 PPT gives a deck of the view, named region_indicator_period."""
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{streamlit_server.url}/?region=420300&ind=funds_raised&period=2025")
    page.wait_for_function(f"() => ({BAR_CHART_TITLE_JS})() !== null", timeout=60_000)
    app_ready(page)
    chart = page.locator(BAR_CHART).bounding_box()
    assert chart["y"] + 80 < 768, chart   # the chart's title and the tops of its bars
    heading = page.locator('[data-testid="stMain"] h3').first.bounding_box()
    for name in ("下载 PPT", "下载 Excel", "下载图片"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert abs((box["y"] + box["height"] / 2) - (heading["y"] + heading["height"] / 2)) < 20, (name, box, heading)
    # every card's 来源 at the same height, though the rate's card holds one line more (its parts)
    sources = [b.bounding_box()["y"] for b in page.get_by_role("button", name="来源 ›").all()]
    assert len(sources) == 5 and max(sources) - min(sources) < 2, sources
    with page.expect_download(timeout=60_000) as d:
        page.get_by_role("button", name="下载 PPT").click()
    assert d.value.suggested_filename == "十堰市_募集资金_2025年.pptx"
    assert Path(d.value.path()).read_bytes()[:2] == b"PK"   # a zip: the .pptx container
