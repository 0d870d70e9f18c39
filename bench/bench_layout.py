"""The storage order of the facts after months of uploads, and `compact` (整理存储), on the national
database.

bench/national.duckdb is written in one statement in the order insert_facts.sql gives a batch's
rows (by indicator, then region code): zone maps then skip all but a region's own row groups.
A database that grew by uploads is not: each import appends its rows after the rows before. This
script models that arrival order on a copy (facts ordered by month, then a city's file at a time,
each file's rows in insert_facts.sql's order; the county and city sums by month likewise), times
the same page calls on the database as benchmarked, on the arrival-order copy, and on that copy
after `python -m tongzhan compact` (the product's command, as an admin would run it), alternated
round by round, and prints the medians with the ratios to the database as benchmarked.

    python bench/bench_layout.py [--db PATH] [--repeat 7]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from bench_import import bench_admin  # noqa: E402
from bench_memory import status_mb  # noqa: E402
from tongzhan import accounts, index, store, targets  # noqa: E402
from tongzhan.catalog import Catalog  # noqa: E402
from tongzhan.league import league  # noqa: E402
from tongzhan.overview import children, kpis  # noqa: E402
from tongzhan.periods import Period  # noqa: E402
from tongzhan.regions import Tree  # noqa: E402
from tongzhan.trend import series  # noqa: E402

NATIONAL = HERE / "national.duckdb"
RESTORED = 1.15   # compacted ÷ as benchmarked, median over the calls
ARRIVAL = """
CREATE TABLE arrived AS FROM facts ORDER BY period_end, d2, indicator_id, region_code, period_start;
DELETE FROM facts;
INSERT INTO facts FROM arrived;
DROP TABLE arrived;
CREATE TABLE arrived AS FROM bucket_totals ORDER BY period_end, d2, level, indicator_id, bucket;
DELETE FROM bucket_totals;
INSERT INTO bucket_totals FROM arrived;
DROP TABLE arrived;
CHECKPOINT;
"""
P = Period.parse
CALLS = {   # what a page asks: cards, charts, leagues, a trend, the index, a red list
    "总览 指标卡 武当路街道 2026Q3": lambda c, t, k, x: kpis(c, t, k, "420302001", P("2026Q3")),
    "总览 指标卡 武当路街道 近12个月": lambda c, t, k, x: kpis(c, t, k, "420302001", P("2025-11~2026-10")),
    "总览 指标卡 茅箭区 2026": lambda c, t, k, x: kpis(c, t, k, "420302", P("2026")),
    "总览 指标卡 全国 2026": lambda c, t, k, x: kpis(c, t, k, "000000", P("2026")),
    "总览 图 茅箭区 覆盖率 2026-10": lambda c, t, k, x: children(c, t, k, "420302", "village_org_coverage", P("2026-10")),
    "总览 图 茅箭区 募集资金 2026": lambda c, t, k, x: children(c, t, k, "420302", "funds_raised", P("2026")),
    "排名 十堰市 乡镇 覆盖率 2026": lambda c, t, k, x: league(c, t, k, "420300", "village_org_coverage", P("2026"), 4),
    "排名 湖北省 乡镇 募集资金 2026": lambda c, t, k, x: league(c, t, k, "420000", "funds_raised", P("2026"), 4),
    "排名 全国 乡镇 统战组织数 2026-10": lambda c, t, k, x: league(c, t, k, "000000", "org_count", P("2026-10"), 4),
    "趋势 武当路街道 募集资金 24个月": lambda c, t, k, x: series(c, t, k, "420302001", "funds_raised",
                                                         P("2024-11~2026-10")),
    "综合指数 湖北省 乡镇": lambda c, t, k, x: index.scores(c, t, k, x, "420000", 4, P("2026-10")),
    "目标 红灯清单 全国 2026": lambda c, t, k, x: targets.red_units(c, t, k, "000000", 2026),
}


def open_db(path: Path) -> tuple:
    con = store.connect(path, read_only=True)
    catalog = Catalog(store.query(con, "indicators_all"))
    return con, Tree(store.query(con, "regions_all")), catalog, index.load_config(index.INDEX_CSV, catalog)


def compact(path: Path) -> tuple[float, float]:
    """`python -m tongzhan compact` on path as the bench admin: seconds, and its peak RSS (MB),
    read from /proc while it runs (getrusage would count the pages this process had at fork)."""
    con = store.connect(path)
    admin = bench_admin(con)
    token = accounts.new_token(con, admin, admin.name)
    con.close()
    t0, peak = time.perf_counter(), 0.0
    proc = subprocess.Popen([sys.executable, "-m", "tongzhan", "--db", str(path), "compact"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "TONGZHAN_TOKEN": token},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        with contextlib.suppress(OSError, KeyError):   # gone, or a zombie without memory lines
            peak = max(peak, status_mb(proc.pid, "VmHWM"))
        time.sleep(0.1)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"compact failed (exit code {proc.returncode}):\n{err[-3000:]}")
    print(f"  {out.strip()}", flush=True)
    return elapsed, peak


def timed(dbs: list[tuple], repeat: int) -> dict[str, list[float]]:
    """Median ms of each call on each database, the databases' order turned round by round."""
    out = {}
    for name, fn in CALLS.items():
        runs = [[] for _ in dbs]
        for env in dbs:
            fn(*env)   # warm
        for r in range(repeat):
            for i in (range(len(dbs)) if r % 2 == 0 else reversed(range(len(dbs)))):
                t0 = time.perf_counter()
                fn(*dbs[i])
                runs[i].append(1000 * (time.perf_counter() - t0))
        out[name] = [statistics.median(x) for x in runs]
        base = out[name][0]
        print(f"  {name:34}" + "".join(f"{m:9.1f} ms ({m / base:4.2f}×)" for m in out[name]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=NATIONAL)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_layout_") as tmp:
        arrived = Path(shutil.copyfile(a.db, Path(tmp) / "arrived.duckdb"))
        con = store.connect(arrived)
        t0 = time.perf_counter()
        con.execute(ARRIVAL)
        con.close()
        print(f"arrival order written in {time.perf_counter() - t0:.1f} s; columns: as benchmarked, "
              "arrival order, arrival order after compact (ratio to as benchmarked)", flush=True)
        compacted = Path(shutil.copyfile(arrived, Path(tmp) / "compacted.duckdb"))
        seconds, peak = compact(compacted)
        dbs = [open_db(p) for p in (a.db, arrived, compacted)]
        got = timed(dbs, a.repeat)
        for env in dbs:
            env[0].close()
    slower = statistics.median(v[1] / v[0] for v in got.values())
    worst = max(got, key=lambda k: got[k][1] / got[k][0])
    restored = statistics.median(v[2] / v[0] for v in got.values())
    print(f"INFO  按上传顺序存放（未整理）：中位数 {slower:.2f}× 基准库，最慢 {got[worst][1] / got[worst][0]:.2f}×（{worst}）")
    print(f"INFO  整理存储（compact）全国库 {seconds:.1f} s，峰值内存 {peak:,.0f} MB")
    print(f"{'PASS' if restored <= RESTORED else 'FAIL'}  整理存储后查询回到基准库的速度（中位数之比 ≤ {RESTORED}×）："
          f"{restored:.2f}×")


if __name__ == "__main__":
    main()
