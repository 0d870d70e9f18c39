"""Real browser: the leaders' analysis pages opened from deep links show what the CLI says."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(db: Path, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db), *args], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def plot_data(page) -> dict:
    return page.evaluate("() => document.querySelector('.js-plotly-plot').data[0]")


def test_league_table_of_shiyan_townships_from_a_deep_link(streamlit_server, demo_db, page,
                                                           app_ready, screenshot):
    page.goto(f"{streamlit_server.url}/rank?region=420300&level=4&ind=funds_raised&period=2026-10")
    app_ready(page, timeout=60_000)
    page.wait_for_selector(".js-plotly-plot .barlayer .point")
    rows = cli(demo_db, "rank", "--region", "420300", "--level", "township",
               "--indicator", "funds_raised", "--period", "2026-10")
    ranked = [r for r in rows if r["rank"]]
    bars = plot_data(page)
    first = ranked[0]
    assert bars["y"][0] == first["region_code"]
    assert bars["customdata"][0] == f"1. {first['region_name']}（{first['parent_name']}）"
    assert abs(bars["x"][0] - float(first["value"])) < 1e-6
    main = page.locator('[data-testid="stMain"]')
    assert f"{len(ranked):,} 个乡镇(街道)有数据，共 {len(rows):,} 个" in main.inner_text()
    assert "十堰市各乡镇(街道) · 募集资金 · 2026年10月 · 万元" in page.locator(".js-plotly-plot .gtitle").text_content()
    # the table's own CSV download is hidden: it would write names as they are, formulas included
    # (the page's 下载 Excel neutralises them); its other tools stay
    page.locator('[data-testid="stDataFrame"]').first.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    toolbar.get_by_role("button", name="Search").wait_for(state="visible")
    assert not toolbar.get_by_role("button", name="Download as CSV").is_visible()
    screenshot(main, "rank-shiyan-townships")


def test_trend_of_shiyan_from_a_deep_link(streamlit_server, demo_db, page, app_ready, screenshot):
    page.goto(f"{streamlit_server.url}/trend?region=420300&ind=people_served&grain=quarter"
              "&span=2025-01~2026-10")
    app_ready(page, timeout=60_000)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .point")
    rows = cli(demo_db, "trend", "--region", "420300", "--indicator", "people_served",
               "--from", "2025-01", "--to", "2026-10", "--grain", "quarter")
    line = plot_data(page)
    assert line["x"] == [r["label"] for r in rows]
    for shown, r in zip(line["y"], rows):
        assert abs(shown - float(r["value"])) < 1e-6
    assert rows[-1]["partial"] == "True" and line["marker"]["symbol"][-1] == "circle-open"
    screenshot(page.locator('[data-testid="stMain"]'), "trend-shiyan-quarters")
