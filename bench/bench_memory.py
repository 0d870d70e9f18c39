"""Memory of the dashboard server: three staff preview a 100k-row upload, one commits, all leave,
then ten viewers open the overview.

Starts `streamlit run dashboard.py` on a fresh demo database (a temporary directory), writes the
100k-row wide CSV of bench_import.py, and drives real Chromium sessions (Playwright):
  1. three sessions upload the CSV at once and wait for the preview (确认导入 shown);
  2. the first commits it; the three browser contexts are closed;
  3. ten viewer sessions open 总览 and stay open; the server RSS is read 5 s and --settle s later.
Prints the server's RSS (VmRSS of /proc/PID/status) when idle, with the previews, its peak (VmHWM),
5 s after the uploaders left, and with the viewers open; PASS/FAIL of the last against the budget
(400 MB after the uploads, ten viewers open). Single runs vary by ±50 MB: run it a few times.
The server gets MALLOC_ARENA_MAX=2 as `make run` gives it (set another value to compare).
    python bench/bench_memory.py [--rows 100000] [--uploads 3] [--viewers 10] [--settle 30] [--budget-mb 400]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_import import bench_admin, demo_and_csv  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, run_streamlit, wait_for_app  # noqa: E402
from tongzhan import accounts, store  # noqa: E402
from tongzhan.login import COOKIE  # noqa: E402


def admin_token(db: Path) -> str:
    """A token of the database's admin: the staff sessions' login cookie (数据上报 needs one)."""
    con = store.connect(db)
    try:
        admin = bench_admin(con)
        return accounts.new_token(con, admin, admin.name)
    finally:
        con.close()


def server_pid(port: int) -> int:
    """The pid of the `streamlit run` process listening on port."""
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and str(port).encode() in args:
            return int(proc.name)
    sys.exit(f"no streamlit process on port {port}")


def status_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def new_page(browser):
    return browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()


def upload_to_preview(browser, url: str, csv: Path, n: int, token: str) -> list:
    """n sessions on 数据上报 (logged in by token), the CSV chosen in all of them at once; each
    until its preview shows."""
    pages = [new_page(browser) for _ in range(n)]
    for page in pages:
        page.context.add_cookies([{"name": COOKIE, "value": token, "url": url}])
        page.goto(f"{url}/upload")
        page.get_by_text("选择文件").wait_for(timeout=60_000)
        wait_for_app(page)
    for page in pages:
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    for page in pages:
        page.get_by_role("button", name="确认导入").wait_for(timeout=300_000)
    return pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="data rows of the CSV (100000)")
    ap.add_argument("--budget-mb", type=float, default=400, help="RSS budget after the uploads (400)")
    ap.add_argument("--uploads", type=int, default=3)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--settle", type=float, default=30, help="seconds the viewers stay open before 'after' (30)")
    a = ap.parse_args()
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")   # the server runs as `make run` starts it
    from playwright.sync_api import sync_playwright
    with demo_and_csv(a.rows, "bench_memory_") as (tmp, db, csv):
        token = admin_token(db)
        with run_streamlit(db, tmp) as server, sync_playwright() as pw:
            pid = server_pid(server.port)
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            first = new_page(browser)
            first.goto(server.url)
            wait_for_app(first, timeout=60_000)
            first.context.close()
            idle = status_mb(pid, "VmRSS")
            t0 = time.perf_counter()
            staff = upload_to_preview(browser, server.url, csv, a.uploads, token)
            previews = status_mb(pid, "VmRSS")
            if staff:
                staff[0].get_by_role("button", name="确认导入").click()
                staff[0].get_by_text("已导入为批次").wait_for(timeout=300_000)
            for page in staff:
                page.context.close()
            print(f"{a.uploads} previews + 1 commit of {a.rows:,} rows: {time.perf_counter() - t0:.0f} s")
            time.sleep(5)
            left = status_mb(pid, "VmRSS")
            viewers = [new_page(browser) for _ in range(a.viewers)]
            for page in viewers:
                page.goto(f"{server.url}/?region=420000")
            for page in viewers:
                wait_for_app(page, timeout=120_000)
            time.sleep(5)
            soon = status_mb(pid, "VmRSS")
            time.sleep(a.settle - 5)   # DuckDB's allocator hands freed memory back within seconds
            after, peak = status_mb(pid, "VmRSS"), status_mb(pid, "VmHWM")
            browser.close()
    print(f"{a.viewers} viewers open: {soon:.0f} MB after 5 s, {after:.0f} MB after {a.settle:g} s")
    verdict = "PASS" if after <= a.budget_mb else "FAIL"
    print(f"server RSS: idle {idle:.0f} MB, with {a.uploads} previews {previews:.0f} MB, peak {peak:.0f} MB, "
          f"uploaders gone {left:.0f} MB, after ({a.viewers} viewers open) {after:.0f} MB -> {verdict} (budget {a.budget_mb:.0f} MB)")


if __name__ == "__main__":
    main()
