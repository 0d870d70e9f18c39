"""Real browser: a figure's 数据来源. Open the overview, open a card's sources, download them as
Excel; the rows are those of `python -m tongzhan sources` for the same arguments and they add up
(by the indicator's rule) to the card's figure. A clicked bar (点击柱子 · 查看来源) and a row of the
排名 table open the sources of their region."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from conftest import click_bar_named
from tongzhan import store
from tongzhan.catalog import Catalog
from tongzhan.fmt import fmt_value
from tongzhan.periods import Period

ROOT = Path(__file__).resolve().parent.parent
SHIYAN = "420300"


def catalog_of(db: Path) -> Catalog:
    con = store.connect(db, read_only=True)
    try:
        return Catalog(store.query(con, "indicators_all"))
    finally:
        con.close()


def cli_sources(db: Path, region: str, indicator: str, period: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "tongzhan", "--db", str(db), "sources", "--region", region,
         "--indicator", indicator, "--period", period],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def card_value(page, name: str) -> str:
    card = page.locator('[data-testid="stColumn"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=name))
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def open_card_sources(page, name: str, app_ready):
    """Click the 来源 button of the card `name`; the dialog, once its table is drawn."""
    card = page.locator('[data-testid="stColumn"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=name))
    card.get_by_role("button", name="来源").click()
    dialog = page.get_by_role("dialog")
    dialog.locator('[data-testid="stDataFrame"]').wait_for(timeout=20_000)
    app_ready(page)
    return dialog


def downloaded_rows(page, dialog) -> list[dict]:
    """The dialog's Excel download: header in row 2, rows below."""
    with page.expect_download(timeout=20_000) as d:
        dialog.get_by_role("button", name="下载 Excel").click()
    assert d.value.suggested_filename.endswith("年_数据来源.xlsx")   # region_indicator_period_数据来源
    ws = openpyxl.load_workbook(io.BytesIO(Path(d.value.path()).read_bytes())).active
    values = list(ws.iter_rows(values_only=True))
    assert "十堰市" in values[0][0] and "数据来源" in values[0][0]
    return [dict(zip(values[1], r)) for r in values[2:]]


def same_rows(excel: list[dict], cli: list[dict]) -> None:
    """The downloaded rows are the CLI's, in the same order."""
    assert len(excel) == len(cli) > 0
    for e, c in zip(excel, cli):
        assert (e["代码"], e["期间"], e["批次"], e["文件"], e["上传人"]) == (
            c["region_code"], Period.parse(c["period"]).label, int(c["batch_id"]), c["file_name"], c["uploader"])
        assert abs(e["数值"] - float(c["value"])) < 1e-9
        assert (e["是否计入"] == "计入") == (c["used"] == "True")
        assert (e["沿用上期数"] == "沿用") == (c["carried"] == "True")
        assert (e.get("分子/分母") or "") == c["part"]


def test_card_sources_match_cli_and_add_up(streamlit_server, demo_db, page, app_ready, screenshot):
    page.goto(f"{streamlit_server.url}/?region={SHIYAN}&ind=funds_raised&period=2025")
    app_ready(page, timeout=60_000)

    # 募集资金 (a flow): every counted fact of 2025, summed, is the card's figure
    shown = card_value(page, "募集资金")
    dialog = open_card_sources(page, "募集资金", app_ready)
    assert f"湖北省十堰市 · 募集资金 · 2025年：{shown}" in dialog.inner_text()
    cli = cli_sources(demo_db, SHIYAN, "funds_raised", "2025")
    excel = downloaded_rows(page, dialog)
    same_rows(excel, cli)
    assert fmt_value(sum(float(r["value"]) for r in cli if r["used"] == "True"), "万元") == shown
    assert len({r["period"] for r in cli}) == 12
    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")

    # the coverage (a ratio): Σ numerators ÷ Σ denominators of the counted units
    shown = card_value(page, "覆盖率")
    dialog = open_card_sources(page, "覆盖率", app_ready)
    screenshot(page, "sources_dialog")
    cli = cli_sources(demo_db, SHIYAN, "village_org_coverage", "2025")
    same_rows(downloaded_rows(page, dialog), cli)
    used = [r for r in cli if r["used"] == "True"]
    num = sum(float(r["value"]) for r in used if r["part"] == "分子")
    den = sum(float(r["value"]) for r in used if r["part"] == "分母")
    assert fmt_value(100 * num / den, "%") == shown
    assert f"{shown}" in dialog.inner_text() and "Σ分子 ÷ Σ分母" in dialog.inner_text()


def test_bar_and_rank_row_open_sources(streamlit_server, page, app_ready):
    page.goto(f"{streamlit_server.url}/?region={SHIYAN}&ind=funds_raised&period=2025")
    app_ready(page, timeout=60_000)
    page.get_by_role("radio", name="查看来源").click()
    app_ready(page)
    page.get_by_text("点击柱子查看该区域这个数字的数据来源").wait_for(timeout=15_000)
    click_bar_named(page, "茅箭区")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("湖北省十堰市茅箭区 · 募集资金 · 2025年").wait_for(timeout=20_000)
    assert f"region={SHIYAN}" in page.url   # no drill-down
    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")

    # 排名: select the first row (the top township) with its row marker
    page.goto(f"{streamlit_server.url}/rank?region={SHIYAN}&level=4&ind=funds_raised&period=2025")
    app_ready(page, timeout=60_000)
    top = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].customdata[0]")   # "1. 名称（县）"
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 17)
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"{top.split('. ', 1)[1].split('（')[0]} · 募集资金 · 2025年").wait_for(timeout=20_000)


def first_row_sources(page, url: str, app_ready):
    """Open url and select the first row of its first table (its row marker): the dialog."""
    page.goto(url)
    app_ready(page, timeout=60_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    return page.get_by_role("dialog")


def test_trend_row_opens_sources(streamlit_server, page, app_ready):
    """趋势: the table's first row (the newest point) opens the sources of that period's figure."""
    dialog = first_row_sources(page, f"{streamlit_server.url}/trend?region={SHIYAN}&ind=funds_raised"
                               "&grain=quarter&span=2025-01~2026-09", app_ready)
    dialog.get_by_text("湖北省十堰市 · 募集资金 · 2026年第三季度").wait_for(timeout=20_000)
    code = dialog.locator("code").first
    code.wait_for(timeout=10_000)
    assert f"--region {SHIYAN} --indicator funds_raised --period 2026Q3" in code.inner_text()


def test_target_row_opens_sources_of_its_actual(streamlit_server, demo_db, page, app_ready):
    """目标: a row of 本级目标 opens the sources of its actual figure, over the target's year up
    to the last month with data, with the figure that `targets` reports as actual."""
    out = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(demo_db), "targets", "--region", SHIYAN,
                          "--year", "2026", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    first = json.loads(out)[0]
    ind = catalog_of(demo_db)[first["indicator_id"]]
    dialog = first_row_sources(page, f"{streamlit_server.url}/targets?region={SHIYAN}&year=2026", app_ready)
    period = Period.parse(f"2026-01~{first['through']}")
    dialog.get_by_text(f"湖北省十堰市 · {ind.name_zh} · {period.label}：{fmt_value(first['actual'], ind.unit)}").wait_for(
        timeout=20_000)
    assert f"--period {period.key}" in dialog.locator("code").first.inner_text()
