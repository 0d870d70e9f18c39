"""Real browser, several sessions at once: two staff press 确认导入 at the same moment."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT, copy_db, run_streamlit
from test_browser_upload import open_upload_page

from tongzhan import store
from tongzhan.regions import Tree


def hubei_townships(db, n: int) -> list[str]:
    con = store.connect(db, read_only=True)
    try:
        tree = Tree(store.query(con, "regions_all"))
    finally:
        con.close()
    return [c for c in tree.frame["code"] if tree.level[c] == 4 and tree.ancestors(c)[1] == "420000"][:n]


def test_two_sessions_commit_at_the_same_moment(demo_db, browser, app_ready, tmp_path):
    towns = hubei_townships(demo_db, 2000)
    files = {}
    for column, value in (("服务群众人次", 7), ("开展活动场次", 3)):
        path = files[column] = tmp_path / f"{column}.csv"
        path.write_text("\n".join([f"区划代码,期间,{column}"] + [f"{t},2026-11,{value}" for t in towns]) + "\n",
                        encoding="utf-8")
    db = copy_db(demo_db, tmp_path / "tongzhan.duckdb")
    with run_streamlit(db, tmp_path) as server:
        pages = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in files]
        for page, path in zip(pages, files.values()):
            open_upload_page(page, server.url, app_ready)
            page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
        buttons = [page.get_by_role("button", name="确认导入") for page in pages]
        for button in buttons:
            button.wait_for(timeout=60_000)
        for page in pages:
            app_ready(page)
        for button in buttons:   # both clicks are sent before either commit can finish
            button.click(no_wait_after=True)
        ids = []
        for page in pages:
            page.get_by_text("已导入为批次").wait_for(timeout=60_000)
            ids.append(int(re.search(r"已导入为批次 (\d+)", page.locator('[data-testid="stMain"]').inner_text())[1]))
        assert len(set(ids)) == 2
        for page in pages:
            page.context.close()
    con = store.connect(db, read_only=True)
    try:
        got = con.execute("SELECT b.batch_id, b.inserted, count(f.value), min(f.value), max(f.value) "
                          "FROM batches b JOIN facts f USING (batch_id) WHERE b.batch_id IN (?, ?) "
                          "GROUP BY ALL ORDER BY ALL", ids).fetchall()
    finally:
        con.close()
    assert sorted(ids) == [row[0] for row in got]
    assert sorted((row[1:]) for row in got) == [(len(towns), len(towns), 3, 3), (len(towns), len(towns), 7, 7)]


def test_served_by_serve_py_the_database_is_held_from_the_start(demo_db, page, app_ready, tmp_path):
    """`streamlit run serve.py`: before anyone visits, a command line import is refused with the
    reason (not accepted now and refused after the first visit); the pages work as usual."""
    db = copy_db(demo_db, tmp_path / "tongzhan.duckdb")
    csv = tmp_path / "上报.csv"
    csv.write_text("区划代码,期间,服务群众人次\n420302001,2026-11,5\n", encoding="utf-8")
    with run_streamlit(db, tmp_path, script="serve.py") as server:
        res = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db), "import", str(csv)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert res.returncode == 2 and "正被另一个程序（例如正在运行的看板）占用" in res.stderr, res
        open_upload_page(page, server.url, app_ready)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入为批次 2").wait_for(timeout=60_000)
        page.goto(f"{server.url}/?region=420302&period=2026-11")
        app_ready(page, timeout=60_000)
        assert page.locator('[data-testid="stMetric"]').count() > 0
