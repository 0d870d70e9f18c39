"""The dashboard server on the national database: how fast it starts, and its memory with ten viewers.

Serves a copy of the database (bench/national.duckdb unless --db) with `streamlit run serve.py`
as `make run` starts it (MALLOC_ARENA_MAX=2), via bench_browser.launch; Chromium is started first.
  1. 启动, --starts times, on one port: the clock starts just before the server process is
     started. `health`: /_stcore/health first answers ok (polled every 20 ms); serve.py answers
     only once the database is open and the division tree, the catalog and the first view's
     figures (总览 of the country) are in their caches: the server is ready. Then a new tab of a
     browser that has opened the app on that port before (its HTTP cache holds the static files:
     a returning user after a restart) opens 总览 at 全国: `首图` when its bar chart is drawn,
     `完整` when the app is also idle (script done, no skeleton left). One start before these is
     not timed: it fills the browser's cache and upgrades a database copy of an older version
     (it says so). The server's caches are empty at every start.
  2. 内存: a fresh server; ten viewer sessions (new contexts) open 总览 at 全国 at once, then each
     does one tour of bench_browser (下钻, 期间, 期间类型, 指标, 面包屑; session i drills into the
     i-th province), all at the same time; the contexts stay open. The server's VmRSS is read
     --settle s later and VmHWM (its peak since start) with it, from /proc/PID/status.
Budgets (issue 9): app start (tree, catalog, caches), i.e. health ok, <= 2 s after launch (median
and p95); the first page after a start is printed as INFO (the first page's own budget is
bench_browser's 首图). VmRSS and VmHWM with ten viewers <= 1 GB.
    python bench/bench_server.py [--db PATH] [--starts 5] [--viewers 10] [--settle 10] [--markdown]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_browser import (NATIONAL, _free_port, chromium, goto, launch, load, national_copy,  # noqa: E402
                                 new_page, open_fresh, table, tour, verdict)
from bench.bench_memory import status_mb  # noqa: E402


async def starts(db: Path, tmp: Path, n: int) -> list[tuple[float, float, float]]:
    """(health, chart drawn, fully drawn) in seconds after launch, for n starts of the server on
    one port, opened in a new tab of a browser that has opened the app there before (one start
    first, not timed: it fills the browser's HTTP cache, and upgrades an old database copy)."""
    out = []
    port = _free_port()
    async with chromium() as browser:
        home = await new_page(browser)
        for i in range(n + 1):
            with launch(db, tmp, port=port) as server:
                page = await home.context.new_page()   # a new tab: a new Streamlit session
                drawn, idle = await goto(page, server.url + "/")
                base = server.launched
                if i:
                    out.append((server.healthy - base, drawn - base, idle - base))
                await page.close()
    return out


async def viewers(server, n: int, settle: float) -> dict[str, float]:
    """Server memory (MB) when started, with n viewers each through one tour, and its peak."""
    mb = {"启动后": status_mb(server.pid, "VmRSS")}
    async with chromium() as browser:
        opened = await asyncio.gather(*(open_fresh(browser, server.url + "/") for _ in range(n)))
        pages = [page for page, *_ in opened]
        # A tour that stalls under this load (a step over 30 s) is reported, not fatal: the
        # memory is what is measured here, with every session open.
        done = await asyncio.gather(*(tour(page, i) for i, page in enumerate(pages)), return_exceptions=True)
        for i, e in enumerate(done):
            if isinstance(e, Exception):
                print(f"会话 {i + 1} 的操作未完成：{type(e).__name__}: {str(e).splitlines()[0]}")
        await asyncio.sleep(settle)
        mb[f"{n} 会话 +{settle:g} s"] = status_mb(server.pid, "VmRSS")
        mb["峰值 VmHWM"] = status_mb(server.pid, "VmHWM")
    return mb


def outdated(db: Path) -> bool:
    """Whether the app will upgrade the database as it starts (build.ensure_db)."""
    from tongzhan import build, store
    con = store.connect(db, read_only=True)
    try:
        return build.is_outdated(con)
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=NATIONAL, help="database to copy and serve (bench/national.duckdb)")
    ap.add_argument("--starts", type=int, default=5, help="server starts timed (5)")
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--settle", type=float, default=10, help="seconds after the tours before RSS is read (10)")
    ap.add_argument("--budget-start", type=float, default=2.0, help="seconds (2)")
    ap.add_argument("--budget-mb", type=float, default=1024)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    with national_copy(a.db) as (tmp, db):
        print(f"{a.db} ({db.stat().st_size / 2**20:,.0f} MiB), {load()}")
        if outdated(db):
            print("the database is of an earlier version: the first start upgrades it")
        times = asyncio.run(starts(db, tmp, a.starts))
        with launch(db, tmp) as server:
            mb = asyncio.run(viewers(server, a.viewers, a.settle))
    rows = [(i + 1, *(f"{x:.2f}" for x in t)) for i, t in enumerate(times)]
    print(table(rows, ("启动", "health s", "首图 s", "完整 s"), a.markdown))
    print()
    print(table([(k, f"{v:,.0f}") for k, v in mb.items()], ("服务器内存", "MB"), a.markdown))
    print()
    full = [t[2] for t in times]
    lines = [verdict("启动 → 就绪（health ok：数据库、区划树、指标目录、首页缓存）", [t[0] for t in times], a.budget_start),
             f"INFO  启动 → 首页完整（浏览器已缓存静态文件） median {statistics.median(full):.2f} s max {max(full):.2f} s"]
    for name, value in list(mb.items())[1:]:
        lines.append(f"{'PASS' if value <= a.budget_mb else 'FAIL'}  {name} {value:,.0f} MB (budget {a.budget_mb:,.0f} MB)")
    print("\n".join(f"- {x}" if a.markdown else x for x in lines))
    print(load())


if __name__ == "__main__":
    main()
