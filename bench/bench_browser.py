"""The overview page (总览) in a real browser against a warm server, on the national database.

Starts `streamlit run serve.py` on a free loopback port (TONGZHAN_DB = a copy of the database in a
temporary directory, MALLOC_ARENA_MAX=2 as `make run` gives it) and drives Debian's Chromium with
Playwright (one browser; each viewer is a browser context of its own, 1400x1000, zh-CN).

Warm server: before timing, one page visits each URL that is timed below (caches filled, the
browser's and the server's code loaded). What is timed:
  (a) 首图: the overview URL opened in a new tab of a browser that has opened the app before
      (再次打开: its HTTP cache holds the app's static files, which the server marks immutable for
      a year; a new Streamlit session all the same), and in a new browser context (首次访问: no
      cookies, no HTTP cache: ~8 MB of JavaScript to fetch and compile, on the same 2 cores as
      the server). The clock starts before the tab (context) is made and stops when the bar chart
      is drawn: exactly one ECharts chart on the page, done drawing (aria-busy false), with at
      least one bar and a title (tests/conftest.py BAR_CHART_TITLE_JS). The time until the app is also idle (see `idle` below) is printed beside it. URLs:
      全国 (`/`) and 湖北省 (`?region=420000`). The budget applies to 再次打开, what a leader who
      uses the dashboard sees every day; 首次访问 is printed as INFO.
  (b) 交互: one session does a tour, --repeat times: 下钻 (a mouse click on the r-th province's bar
      in 全国's chart), 期间 (another option in the period selectbox), 期间类型 (the next of 月度 /
      季度 / 年度), 指标 (another indicator in 图表指标), 面包屑 (the 全国 breadcrumb button). The clock
      starts just before the click that makes the change (a selectbox is opened before the clock
      starts) and stops when the chart is updated: one bar chart whose title differs from the
      one before and names the new region / period / indicator, AND the app is idle (Streamlit's
      root says script notRunning + CONNECTED and no skeleton is left, tests/conftest.py IDLE_JS),
      so the cards and the table of that run are there too. Conditions are polled every
      animation frame (~16 ms). Every repeat visits other provinces, periods and indicators, so
      most interactions miss the server's st.cache_data caches; `--cached` runs the same tour a
      second time (every view cached) and reports it separately.
Budgets (issue 9): 首图 <= 1.5 s (median and p95), each interaction p95 <= 0.5 s.
    python bench/bench_browser.py [--db PATH] [--repeat 10] [--cached] [--markdown]
The module also holds the launcher and the page helpers that bench_server.py and bench_sessions.py use.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import (BAR_CHART, BAR_CHART_TITLE_JS, BAR_PATHS, CHROMIUM, CHROMIUM_ARGS,  # noqa: E402
                            IDLE_JS, _free_port, _healthy, copy_db, stop)

NATIONAL = ROOT / "bench" / "national.duckdb"
STEPS = ("下钻", "期间", "期间类型", "指标", "面包屑")
KINDS = ("月度", "季度", "年度")
PICKER = {"月度": "月份", "季度": "季度", "年度": "年度"}

CHART_TITLE_JS = BAR_CHART_TITLE_JS   # the title of the one bar chart, drawn, else null
UPDATED_JS = f"""([old, expect]) => {{ const t = ({CHART_TITLE_JS})();
  return t !== null && t !== old && t.includes(expect) && ({IDLE_JS})(); }}"""


# ---------------------------------------------------------------- server and database

@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    launched: float   # time.perf_counter() just before the process was started
    healthy: float    # time.perf_counter() when /_stcore/health first answered ok


@contextlib.contextmanager
def national_copy(src: Path):
    """A temporary directory holding a copy of src (the app may upgrade or write its copy)."""
    if not src.exists():
        sys.exit(f"{src} not found: build it with `python bench/bench_overview.py` or pass --db")
    with tempfile.TemporaryDirectory(prefix="bench_browser_") as tmp:
        yield Path(tmp), copy_db(src, Path(tmp) / src.name)


@contextlib.contextmanager
def launch(db: Path, logdir: Path, timeout: float = 120, port: int | None = None):
    """`streamlit run serve.py` as `make run` starts it, on port (default a free one), until the
    block exits (Ctrl-C included). Health is polled every 20 ms; the log goes to logdir/streamlit.log."""
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--server.port", str(port), "--server.address", "127.0.0.1"]
    env = {**os.environ, "TONGZHAN_DB": str(db), "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    log = logdir / "streamlit.log"
    with open(log, "wb") as out:
        launched = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        while not _healthy(url):
            if proc.poll() is not None or time.perf_counter() - launched > timeout:
                sys.exit(f"server not healthy (exit code {proc.poll()}):\n{log.read_text(errors='replace')}")
            time.sleep(0.02)
        yield Server(url, proc.pid, launched, time.perf_counter())
    finally:
        stop(proc)


@contextlib.asynccontextmanager
async def chromium():
    from playwright.async_api import async_playwright
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


# ---------------------------------------------------------------- page helpers

async def new_page(browser):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    return await context.new_page()


async def chart_title(page) -> str | None:
    return await page.evaluate(CHART_TITLE_JS)


async def open_fresh(browser, url: str, timeout: float = 120_000) -> tuple[object, float, float]:
    """A new context opens url: (page, seconds to the chart drawn, seconds to the app idle),
    counted from the call (the context's creation included)."""
    t0 = time.perf_counter()
    page = await new_page(browser)
    drawn, idle = await goto(page, url, timeout)
    return page, drawn - t0, idle - t0


async def goto(page, url: str, timeout: float = 120_000) -> tuple[float, float]:
    """Open url in page: (perf_counter when the chart is drawn, when the app is idle too)."""
    await page.goto(url, timeout=timeout)
    await page.wait_for_function(f"() => ({CHART_TITLE_JS})() !== null", timeout=timeout, polling="raf")
    drawn = time.perf_counter()
    await page.wait_for_function(IDLE_JS, timeout=timeout, polling="raf")
    return drawn, time.perf_counter()


async def timed(page, click, expect: str = "", timeout: float = 30_000) -> float:
    """Seconds from click() to a chart of another title containing expect, with the app idle."""
    old = await chart_title(page)
    t0 = time.perf_counter()
    await click()
    await page.wait_for_function(UPDATED_JS, arg=[old, expect], timeout=timeout, polling="raf")
    return time.perf_counter() - t0


async def drill(page, r: int) -> float:
    """Click the bar of the r-th child (mod their number) with the mouse."""
    await page.locator(BAR_CHART).scroll_into_view_if_needed()   # before the clock
    bars = page.locator(BAR_PATHS)
    n, texts = await bars.count(), await page.locator(f"{BAR_CHART} svg text").all_text_contents()
    names = texts[-1 - 2 * n:-1 - n]   # the bars' names, left to right (tests/conftest.py)
    boxes = sorted([await b.bounding_box() for b in await bars.all()], key=lambda b: b["x"])
    i = r % n
    box = boxes[i]
    return await timed(page, lambda: page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2),
                       f"{names[i]}各下级")


async def pick(page, label: str, r: int) -> float:
    """Open the sidebar selectbox `label` and choose the r-th other option (mod their number)."""
    await page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label).click()
    await page.get_by_role("option").first.wait_for()
    texts = await page.evaluate("() => [...document.querySelectorAll('[role=option]')]"
                                ".filter(o => o.getAttribute('aria-selected') != 'true').map(o => o.textContent)")
    choice = texts[r % len(texts)]
    option = page.get_by_role("option", name=choice, exact=True)
    return await timed(page, option.click, choice.split("（")[0])


async def current_kind(page) -> str:
    radio = page.locator('[data-testid="stSidebar"] [data-testid="stRadio"]')
    return (await radio.locator("label:has(input:checked)").inner_text()).strip()


async def period(page, r: int) -> float:
    return await pick(page, PICKER[await current_kind(page)], r)


async def period_kind(page, r: int) -> float:
    now = await current_kind(page)
    nxt = KINDS[(KINDS.index(now) + 1) % len(KINDS)] if now in KINDS else "年度"
    radio = page.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').get_by_text(nxt, exact=True)
    return await timed(page, radio.click)


async def indicator(page, r: int) -> float:
    return await pick(page, "图表指标", r)


async def breadcrumb(page, r: int) -> float:
    return await timed(page, page.get_by_role("button", name="全国", exact=True).click, "全国各下级")


TOUR = dict(zip(STEPS, (drill, period, period_kind, indicator, breadcrumb)))


async def tour(page, r: int) -> dict[str, float]:
    """One round of the five interactions from 全国 (and back there), varied by r."""
    return {step: await action(page, r) for step, action in TOUR.items()}


# ---------------------------------------------------------------- report

def stats(xs) -> tuple[float, float]:
    return float(np.median(xs)), float(np.percentile(xs, 95))


def verdict(name: str, xs, budget: float, on_p95_only: bool = False) -> str:
    med, p95 = stats(xs)
    ok = p95 <= budget and (on_p95_only or med <= budget)
    return f"{'PASS' if ok else 'FAIL'}  {name} median {med:.2f} s p95 {p95:.2f} s (budget {budget:g} s, n={len(xs)})"


def table(rows: list[tuple], header: tuple, markdown: bool) -> str:
    if markdown:
        return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                         + ["| " + " | ".join(map(str, r)) + " |" for r in rows])
    widths = [max(width(x) for x in col) for col in zip(header, *rows)]
    return "\n".join("  ".join(str(x) + " " * (w - width(x)) for x, w in zip(r, widths)).rstrip()
                     for r in [header, *rows])


def width(x) -> int:
    """Columns a text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(x))


def load() -> str:
    return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- main

async def measure(url: str, repeat: int, cached: bool) -> tuple[dict, dict, dict]:
    urls = {"全国": url + "/", "湖北省": url + "/?region=420000"}
    async with chromium() as browser:
        for u in urls.values():   # warm-up, not timed
            page, *_ = await open_fresh(browser, u)
            await page.context.close()
        first = {name: [] for name in urls}
        again = {name: [] for name in urls}
        home = await new_page(browser)   # a browser that has been here before: its HTTP cache
        await goto(home, urls["全国"])    # holds the app's static files (immutable, a year)
        for _ in range(repeat):
            for name, u in urls.items():
                page, drawn, idle = await open_fresh(browser, u)
                first[name].append((drawn, idle))
                await page.context.close()
                t0 = time.perf_counter()
                page = await home.context.new_page()   # a new tab: a new Streamlit session
                drawn, idle = await goto(page, u)
                again[name].append((drawn - t0, idle - t0))
                await page.close()
        await home.context.close()
        page, *_ = await open_fresh(browser, urls["全国"])
        passes = [{s: [] for s in STEPS}, {s: [] for s in STEPS}]
        for p in passes[:2 if cached else 1]:
            for r in range(repeat):
                for step, t in (await tour(page, r)).items():
                    p[step].append(t)
        await page.context.close()
    return {"首次访问": first, "再次打开": again}, passes[0], passes[1]


def report(first: dict, fresh: dict, cached: dict, a) -> None:
    rows = [(f"首图（{how}）{name}", "drawn", *(f"{x:.2f}" for x in stats([d for d, _ in v])),
             *(f"{x:.2f}" for x in stats([i for _, i in v])))
            for how, pages in first.items() for name, v in pages.items()]
    for label, times in (("交互", fresh), ("交互（已缓存）", cached)):
        rows += [(f"{label} {step}", "updated+idle", *(f"{x:.2f}" for x in stats(v)), "", "")
                 for step, v in times.items() if v]
    print(table(rows, ("measure", "until", "median s", "p95 s", "idle median s", "idle p95 s"), a.markdown))
    print()
    lines = [verdict(f"首图（再次打开）{name}", [d for d, _ in v], a.budget_first)
             for name, v in first["再次打开"].items()]
    lines += [f"INFO  首图（首次访问，无 HTTP 缓存）{name} median {m:.2f} s p95 {p:.2f} s" for name, v in
              first["首次访问"].items() for m, p in [stats([d for d, _ in v])]]
    lines += [verdict(f"交互 {step}", v, a.budget_interaction, on_p95_only=True) for step, v in fresh.items()]
    print("\n".join(f"- {x}" if a.markdown else x for x in lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=NATIONAL, help="database to copy and serve (bench/national.duckdb)")
    ap.add_argument("--repeat", type=int, default=10, help="fresh pages per URL and tours (10)")
    ap.add_argument("--cached", action="store_true", help="also time the tour again, every view cached")
    ap.add_argument("--budget-first", type=float, default=1.5)
    ap.add_argument("--budget-interaction", type=float, default=0.5)
    ap.add_argument("--markdown", action="store_true", help="tables and verdicts as Markdown")
    a = ap.parse_args()
    with national_copy(a.db) as (tmp, db), launch(db, tmp) as server:
        print(f"{a.db} ({db.stat().st_size / 2**20:,.0f} MiB), {load()}")
        first, fresh, cached = asyncio.run(measure(server.url, a.repeat, a.cached))
    report(first, fresh, cached, a)
    print(load())


if __name__ == "__main__":
    main()
