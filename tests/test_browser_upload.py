"""Real browser: a staff member uploads a GBK CSV on 数据上报, sees the preview, confirms, and the new
figure is on the overview page; then undoes the batch."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

from conftest import log_in
from tongzhan.fmt import fmt_value
from tongzhan.periods import Period

JIANGSHAN = "330881"


def open_upload_page(page, url: str, app_ready, name: str = "张三") -> None:
    """Log in as `name`, open the dashboard and go to 数据上报 through the navigation, as staff do."""
    log_in(page, url, name)
    page.goto(url)
    app_ready(page, timeout=60_000)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("数据上报").click()
    page.wait_for_url("**/upload**", timeout=15_000)
    page.get_by_text("选择文件").wait_for(timeout=30_000)
    app_ready(page)


def undo_newest(page, expect: str) -> None:
    """Undo the newest batch on 导入记录, checking what the confirmation says it will do."""
    page.get_by_role("tab", name="导入记录").click()
    page.get_by_role("button", name="撤销…").click()
    page.get_by_text(expect).wait_for(timeout=15_000)
    page.get_by_role("button", name="确认撤销").click()
    page.get_by_text("被它覆盖的数据已恢复").wait_for(timeout=30_000)


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

    open_upload_page(page, streamlit_server.url, app_ready)
    # The uploader's button says 选择文件, not Streamlit's "Upload" (dashboard.py's CSS).
    button = page.locator('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p')
    assert button.evaluate("p => getComputedStyle(p, '::after').content") == '"选择文件"'
    assert button.evaluate("p => getComputedStyle(p).fontSize") == "0px"   # "Upload" itself not shown
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

    page.goto(f"{streamlit_server.url}/?region={JIANGSHAN}&period=2026-11&ind=people_served")
    app_ready(page, timeout=30_000)
    card = page.locator('[data-testid="stMetric"]').filter(has_text="服务群众人次")
    assert card.locator('[data-testid="stMetricValue"]').inner_text() == fmt_value(2000, "人次")
    funds = page.locator('[data-testid="stMetric"]').filter(has_text="募集资金")
    assert funds.locator('[data-testid="stMetricValue"]').inner_text() == fmt_value(215.5, "万元")
    screenshot(page.locator('[data-testid="stMain"]'), "overview-after-upload")

    # Undo on the history tab: November has no data any more, so the page falls back to the
    # newest month that has (2026-10).
    open_upload_page(page, streamlit_server.url, app_ready)
    undo_newest(page, "删除它新增的 4 条数据，把它覆盖的 0 条恢复为原值")
    page.goto(f"{streamlit_server.url}/?region={JIANGSHAN}&period=2026-11&ind=people_served")
    app_ready(page, timeout=30_000)
    page.wait_for_url("**period=2026-10**", timeout=15_000)
    assert "2026年11月" not in page.locator('[data-testid="stMain"]').inner_text()


def test_commit_shows_up_in_another_open_session_without_reload(streamlit_server, browser,
                                                                 app_ready, tmp_path):
    """A leader keeps 江山's overview open; staff elsewhere replace a township's October figure;
    the leader's page shows the new total within 30 s without touching anything."""
    url = f"{streamlit_server.url}/?region={JIANGSHAN}&period=2026-10&ind=people_served"
    leader = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    leader.goto(url)
    app_ready(leader, timeout=60_000)
    card = leader.locator('[data-testid="stMetric"]').filter(has_text="服务群众人次")
    before = card.locator('[data-testid="stMetricValue"]').inner_text()

    staff = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_upload_page(staff, streamlit_server.url, app_ready)
    csv = tmp_path / "更正.csv"
    csv.write_bytes("区划代码,期间,服务群众人次\n330881001,2026-10,100000\n".encode("utf-8-sig"))
    staff.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    staff.get_by_role("button", name="确认导入").click()
    staff.get_by_text("已导入为批次").wait_for(timeout=30_000)

    # No reload, no click on the leader's page: the value changes by itself.
    leader.wait_for_function(
        """(before) => [...document.querySelectorAll('[data-testid="stMetric"]')]
            .some(m => m.innerText.includes('服务群众人次')
                  && !m.innerText.includes(before))""", arg=before, timeout=30_000)
    after = card.locator('[data-testid="stMetricValue"]').inner_text()
    assert after != before and "万人次" in after     # 100,000 more people served: ≥ 10万

    undo_newest(staff, "把它覆盖的 1 条恢复为原值")
    leader.context.close()
    staff.context.close()


def test_first_visit_after_a_start_can_open_a_page_by_its_link(fresh_server, page, app_ready):
    """A bookmark to 数据上报 opened as the very first visit after the server starts shows that
    page through the dashboard's navigation, with no "Page not found" dialog."""
    log_in(page, fresh_server.url)
    page.goto(f"{fresh_server.url}/upload")
    page.get_by_text("选择文件").wait_for(timeout=60_000)
    app_ready(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("报送情况").is_visible() and nav.get_by_text("总览").is_visible()
    assert page.get_by_text("Page not found").count() == 0
    assert urlparse(page.url).path == "/upload"


def test_region_chosen_on_the_overview_is_the_template_region_the_account_the_scope(streamlit_server, page, app_ready):
    """A county's staff (an account scoped to 江山市) pick their county on 总览, then go to 数据上报 by
    the sidebar: the import scope is the account's, the template the county's."""
    log_in(page, streamlit_server.url, "江山干事")
    page.goto(f"{streamlit_server.url}/?region={JIANGSHAN}")
    app_ready(page, timeout=60_000)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("数据上报").click()
    page.get_by_text("导入范围").wait_for(timeout=30_000)
    app_ready(page)
    main = page.locator('[data-testid="stMain"]')
    assert "上传人：江山干事（工作人员）；导入范围：浙江省衢州市江山市" in main.inner_text()
    page.get_by_role("tab", name="下载模板").click()
    assert "为 浙江省衢州市江山市 的下级单位生成填报模板" in main.inner_text()
    with page.expect_download(timeout=30_000) as d:   # named for its region and the period its rows carry
        page.get_by_role("button", name="下载 CSV 模板").click()
    month = Period.parse(f"{date.today().replace(day=1) - timedelta(days=1):%Y-%m}")
    assert d.value.suggested_filename == f"填报模板_江山市_{month.label}.csv"
    rows = Path(d.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("区划代码,名称,期间,") and rows[1].startswith(f"{JIANGSHAN}") and month.label in rows[1]
