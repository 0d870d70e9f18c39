"""Real browser: a staff member uploads a GBK CSV on 数据上报, sees the preview, confirms, and the new
figure is on the overview page; then undoes the batch."""
from __future__ import annotations

from tongzhan.fmt import fmt_value

JIANGSHAN = "330881"


def test_upload_preview_commit_and_see_it_on_overview(streamlit_server, page, app_ready,
                                                       screenshot, tmp_path):
    # Two 江山 townships report 2026-11 (after the demo data ends), people served, GBK as Excel
    # on Chinese Windows writes it; one 合计 row that must be skipped.
    csv = tmp_path / "江山11月.csv"
    csv.write_bytes("\n".join([
        "乡镇(街道),区划代码,期间,服务群众人次,募集资金(万元)",
        "双塔街道,330881001,2026年11月,\"1,200\",212万",
        "虎山街道,330881002,2026年11月,800,3.5",
        "合计,,2026年11月,2000,215.5",
    ]).encode("gbk"))

    page.goto(f"{streamlit_server.url}/upload")
    app_ready(page, timeout=60_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    page.get_by_role("button", name="确认导入").wait_for(timeout=30_000)
    app_ready(page)
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert "新增" in text and "跳过的行" in text and "合计" in text
    screenshot(main, "upload-preview")

    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入为批次").wait_for(timeout=30_000)
    app_ready(page)

    page.goto(f"{streamlit_server.url}/overview?region={JIANGSHAN}&period=2026-11&ind=people_served")
    app_ready(page, timeout=30_000)
    card = page.locator('[data-testid="stMetric"]').filter(has_text="服务群众人次")
    assert card.locator('[data-testid="stMetricValue"]').inner_text() == fmt_value(2000, "人次")
    funds = page.locator('[data-testid="stMetric"]').filter(has_text="募集资金")
    assert funds.locator('[data-testid="stMetricValue"]').inner_text() == fmt_value(215.5, "万元")
    screenshot(page.locator('[data-testid="stMain"]'), "overview-after-upload")

    # Undo on the history tab: November has no data any more, so the page falls back to the
    # newest month that has (2026-10).
    page.goto(f"{streamlit_server.url}/upload")
    app_ready(page, timeout=30_000)
    page.get_by_role("tab", name="导入记录").click()
    page.get_by_role("button", name="撤销").click()
    page.get_by_text("已撤销").first.wait_for(timeout=30_000)
    page.goto(f"{streamlit_server.url}/overview?region={JIANGSHAN}&period=2026-11&ind=people_served")
    app_ready(page, timeout=30_000)
    page.wait_for_url("**period=2026-10**", timeout=15_000)
    assert "2026年11月" not in page.locator('[data-testid="stMain"]').inner_text()
