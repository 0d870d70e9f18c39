"""How many busy viewers one server carries: N simultaneous sessions, each clicking non-stop.

Serves a copy of the national database (bench_browser.launch: `streamlit run serve.py`, as `make
run` starts it) and drives one Chromium with Playwright's async API, one browser context per
session. For N = 1, 2, 4, 8, ... (until the interaction p95 exceeds --limit s, or --max-n):
  - N new contexts open 总览 at 全国 (not timed); then, for --seconds s, every session loops over
    bench_browser's tour (下钻, 期间, 期间类型, 指标, 面包屑; session i uses i, i+N, i+2N, ... to
    pick provinces, periods and indicators, so sessions mostly ask for views nobody asked for
    yet: st.cache_data misses). Each interaction is timed as in bench_browser.py: from the click
    to the new chart drawn with the app idle. A step that fails (timeout 30 s) counts as an
    error and its session starts over at 全国.
  - CPU over the same window, from /proc: the server process (all its threads, `server %`, 100 % =
    one core); the clients (this script, Playwright's driver and every Chromium process: all our
    descendants but the server, `browsers %`); the whole machine (`machine %`, of 200 % on 2 cores;
    `others %` is what neither the server nor we used: other work on the machine).
    The browsers run on the same 2-core machine as the server, so from some N on they compete
    for the CPU: `server s/op` (server CPU seconds per interaction) gives the server's own
    throughput limit on this machine, 2 / s-per-op interactions per second at best (1 / ... for
    its Python part, which holds the GIL).
  - Where the server's time goes, when py-spy is installed (`pip install py-spy`; --py-spy PATH,
    else found on PATH): `py-spy record --native` samples the server at --rate Hz over the window;
    samples of waiting threads (locks, sleeps, polls) are dropped; a busy sample counts as
    `duckdb` when any frame is in DuckDB's library (queries, results to pandas), `script` when in
    a ScriptRunner thread otherwise (page code, pandas, plotly, Streamlit elements), `other` else
    (Tornado's loop: websocket, protobuf). The shares split `server %` (so % of one core too).
    py-spy stops the server briefly for each sample (it slows it a little).
The result: the largest N whose interaction p95 stays within --limit (1 s).
    python bench/bench_sessions.py [--db PATH] [--seconds 40] [--limit 1.0] [--max-n 64] [--markdown]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_browser import (NATIONAL, TOUR, chart_title, chromium, goto, launch, load,  # noqa: E402
                                 national_copy, open_fresh, stats, table)

TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- CPU from /proc

def proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(root: int) -> set[int]:
    """root and every process below it."""
    parent = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and (st := proc_stat(int(p.name))):
            parent[int(p.name)] = int(st[1])
    found, todo = {root}, [root]
    while todo:
        pid = todo.pop()
        kids = [c for c, pp in parent.items() if pp == pid and c not in found]
        found.update(kids)
        todo += kids
    return found


def cpu_seconds(pids) -> dict[int, float]:
    """CPU seconds of each process, its reaped children included (utime stime cutime cstime)."""
    out = {}
    for pid in pids:
        if st := proc_stat(pid):
            out[pid] = sum(int(x) for x in st[11:15]) / TICK
    return out


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


class CpuWindow:
    """CPU of the server, of our other descendants (the clients) and of the machine between
    start() and stop(), in % of one core."""

    def __init__(self, server_pid: int, exclude: set[int]):
        self.server, self.exclude = server_pid, exclude   # exclude: py-spy, counted nowhere

    def _groups(self) -> tuple[set[int], set[int]]:
        server = descendants(self.server)
        return server, descendants(os.getpid()) - server - self.exclude

    def start(self):
        self.t0 = time.perf_counter()
        server, clients = self._groups()
        self.s0, self.c0, self.m0 = cpu_seconds(server), cpu_seconds(clients), machine_jiffies()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        server, clients = self._groups()
        s1, c1, m1 = cpu_seconds(server), cpu_seconds(clients), machine_jiffies()
        used = (lambda a, b: sum(v - a.get(p, 0.0) for p, v in b.items()))
        return {"wall": wall, "server": 100 * used(self.s0, s1) / wall,
                "clients": 100 * used(self.c0, c1) / wall,
                "machine": 100 * os.cpu_count() * (m1[0] - self.m0[0]) / max(1, m1[1] - self.m0[1])}


# ---------------------------------------------------------------- py-spy

def py_spy_start(exe: str | None, pid: int, seconds: float, rate: int, out: Path):
    if not exe:
        return None
    cmd = [exe, "record", "--pid", str(pid), "--native", "--rate", str(rate), "--duration",
           str(max(1, round(seconds))), "--format", "raw", "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Innermost frames of a thread that waits (a lock, a sleep, a poll): py-spy --native counts them too.
WAITS = ("acquire_lock", "sleep", "epoll_wait", "cond_timedwait", "cond_wait", "sem_wait",
         "sem_clockwait", "futex", "poll (", "select (")


def py_spy_split(spy, out: Path) -> dict[str, float]:
    """Shares of the busy samples: duckdb, script, other (see the docstring); waiting ones left out."""
    if spy is None:
        return {}
    spy.wait()
    split = {"duckdb": 0, "script": 0, "other": 0}
    for line in out.read_text(errors="replace").splitlines() if out.exists() else []:
        stack, _, count = line.rpartition(" ")
        if any(w in frame for frame in stack.split(";")[-4:] for w in WAITS):
            continue
        kind = "duckdb" if "_duckdb" in stack else "script" if "ScriptRunner" in stack else "other"
        split[kind] += int(count)
    total = sum(split.values()) or 1
    return {k: v / total for k, v in split.items()}


# ---------------------------------------------------------------- sessions

async def viewer(page, url: str, i: int, n: int, end: float, times: list, errors: list) -> None:
    """Tours until end; session i of n varies its choices by i + k*n in its k-th tour."""
    from playwright.async_api import Error as PlaywrightError
    k = 0
    while time.perf_counter() < end:
        for step, action in TOUR.items():
            if time.perf_counter() >= end:
                return
            try:
                times.append(await action(page, i + k * n))
            except PlaywrightError as e:   # what the page showed then, to tell a lost click from a slow one
                errors.append(f"{step}: {str(e).splitlines()[0]} (chart: {await chart_title(page)!r}, url: {page.url})")
                await goto(page, url + "/?region=000000")
                break
        k += 1


async def round_of(browser, server, n: int, a) -> dict:
    opened = await asyncio.gather(*(open_fresh(browser, server.url + "/") for _ in range(n)))
    pages = [page for page, *_ in opened]
    for page in pages:   # a session that opened at a region of its own (kept in the URL) starts at 全国
        if "region=000000" not in page.url:
            await goto(page, server.url + "/?region=000000")
    times, errors = [], []
    spy_out = Path(a.tmp) / f"py-spy-{n}.txt"
    spy = py_spy_start(a.py_spy, server.pid, a.seconds, a.rate, spy_out)
    cpu = CpuWindow(server.pid, {spy.pid} if spy else set())
    cpu.start()
    end = time.perf_counter() + a.seconds
    await asyncio.gather(*(viewer(p, server.url, i, n, end, times, errors) for i, p in enumerate(pages)))
    usage = cpu.stop()   # includes the last interactions, which may end after `end`
    split = py_spy_split(spy, spy_out)
    for page in pages:
        await page.context.close()
    return {"n": n, "times": times, "errors": errors, **usage, **split}


def row(r: dict) -> tuple:
    med, p95 = stats(r["times"]) if r["times"] else (float("nan"),) * 2
    ops = len(r["times"])
    split = "/".join(f"{r[k] * r['server']:.0f}" for k in ("duckdb", "script", "other")) if "duckdb" in r else "-"
    return (r["n"], ops, f"{ops / r['wall']:.1f}", f"{med:.2f}", f"{p95:.2f}", len(r["errors"]),
            f"{r['server']:.0f}", split, f"{r['clients']:.0f}", f"{others(r):.0f}", f"{r['machine']:.0f}",
            f"{r['server'] / 100 * r['wall'] / max(ops, 1):.3f}")


HEADER = ("N", "交互数", "交互/s", "median s", "p95 s", "错误", "server %", "duckdb/script/other %",
          "browsers %", "others %", "machine %", "server s/op")


def others(r: dict) -> float:
    """CPU of processes that are neither the server nor ours (other work on the machine)."""
    return max(0.0, r["machine"] - r["server"] - r["clients"])


def bottleneck(r: dict) -> str:
    if r["machine"] >= 0.9 * 100 * os.cpu_count():
        return (f"machine CPU saturated ({r['machine']:.0f} % of {100 * os.cpu_count()} %): "
                f"server {r['server']:.0f} %, browsers {r['clients']:.0f} %, others {others(r):.0f} %")
    if r["server"] >= 90:
        return f"server: {r['server']:.0f} % (one core = 100 %), the machine has room"
    return f"neither saturated (server {r['server']:.0f} %, machine {r['machine']:.0f} %)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=NATIONAL, help="database to copy and serve (bench/national.duckdb)")
    ap.add_argument("--seconds", type=float, default=40, help="seconds of clicking per N (40)")
    ap.add_argument("--limit", type=float, default=1.0, help="interaction p95 that ends the run (1.0 s)")
    ap.add_argument("--max-n", type=int, default=64)
    ap.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy executable (on PATH)")
    ap.add_argument("--rate", type=int, default=50, help="py-spy samples per second (50)")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    results = []
    with national_copy(a.db) as (tmp, db), launch(db, tmp) as server:
        a.tmp = tmp
        print(f"{a.db}, {load()}, {os.cpu_count()} CPUs, py-spy: {a.py_spy or 'not found (no split)'}")
        asyncio.run(run(server, a, results))
    print(table([row(r) for r in results], HEADER, a.markdown))
    print()
    for r in results:
        errs = f"; errors: {sorted(set(r['errors']))[:3]}" if r["errors"] else ""
        print(f"{'- ' if a.markdown else ''}N={r['n']}: {bottleneck(r)}{errs}")
    ok = [r["n"] for r in results if r["times"] and stats(r["times"])[1] <= a.limit and not r["errors"]]
    print(f"{'- ' if a.markdown else ''}N limit: {max(ok) if ok else 0} simultaneous clicking sessions "
          f"keep the interaction p95 <= {a.limit:g} s ({load()})")


async def run(server, a, results: list) -> None:
    async with chromium() as browser:
        page, *_ = await open_fresh(browser, server.url + "/")   # warm-up: code loaded, 全国 cached
        await page.context.close()
        n = 1
        while n <= a.max_n:
            r = await round_of(browser, server, n, a)
            results.append(r)
            print(" ".join(map(str, row(r))), flush=True)
            if not r["times"] or stats(r["times"])[1] > a.limit:
                break
            n *= 2


if __name__ == "__main__":
    main()
