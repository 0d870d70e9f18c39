"""The dashboard server on the national database: how fast it starts, and its memory with ten viewers.

Serves a copy of the database (bench/national.duckdb unless --db) with `streamlit run serve.py`
as `make run` starts it (MALLOC_ARENA_MAX=2), via bench_browser.launch; Chromium is started first.
  1. 启动, --starts times: the clock starts just before the server process is started. `health`:
     /_stcore/health first answers ok (polled every 20 ms). Then a new browser context opens 总览
     at 全国 at once: `首图` when its bar chart is drawn, `完整` when the app is also idle (script
     done, no skeleton left: the first page fully drawn). The caches are empty at every start; the
     first start also upgrades the database copy when it is of an older version (it says so).
  2. 内存: a fresh server; ten viewer sessions (new contexts) open 总览 at 全国 at once, then each
     does one tour of bench_browser (下钻, 期间, 期间类型, 指标, 面包屑; session i drills into the
     i-th province), all at the same time; the contexts stay open. The server's VmRSS is read
     --settle s later and VmHWM (its peak since start) with it, from /proc/PID/status.
Budgets (issue 9): health ok and first page fully drawn <= 2 s after launch (median); VmRSS and
VmHWM with ten viewers <= 1 GB.
    python bench/bench_server.py [--db PATH] [--starts 5] [--viewers 10] [--settle 10] [--markdown]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_browser import (NATIONAL, chromium, launch, load, national_copy, open_fresh,  # noqa: E402
                                 table, tour, verdict)
from bench.bench_memory import status_mb  # noqa: E402


async def starts(db: Path, tmp: Path, n: int) -> list[tuple[float, float, float]]:
    """(health, chart drawn, fully drawn) in seconds after launch, for n starts of the server."""
    out = []
    async with chromium() as browser:
        for _ in range(n):
            with launch(db, tmp) as server:
                t = time.perf_counter()
                page, drawn, idle = await open_fresh(browser, server.url + "/")
                base = t - server.launched
                out.append((server.healthy - server.launched, base + drawn, base + idle))
                await page.context.close()
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
    lines = [verdict("启动 health ok", [t[0] for t in times], a.budget_start),
             verdict("启动 → 首页完整", [t[2] for t in times], a.budget_start)]
    for name, value in list(mb.items())[1:]:
        lines.append(f"{'PASS' if value <= a.budget_mb else 'FAIL'}  {name} {value:,.0f} MB (budget {a.budget_mb:,.0f} MB)")
    print("\n".join(f"- {x}" if a.markdown else x for x in lines))
    print(load())


if __name__ == "__main__":
    main()
