"""Benchmark of the 报送情况 page on the national-scale database of bench_overview.py.

Times completeness.report (the one call the page makes: the status query and the grids for the
summary, heat map and missing-unit list) for 全国 (38,723 townships), 湖北省 and 十堰市 × a month,
a quarter and a year, with every stored indicator and with those due only, each after one call
that is not timed (like the other benchmarks: the first call reads from disk). Budget (issue 9):
全国 and a province <= 150 ms. Then completeness.month_reporting, the count under the heading of
every page with a period (a month still coming in), from 全国 to a township: p95 <= 50 ms like every
query a page runs. Build the database first with bench/bench_overview.py.
    python bench/bench_completeness.py [--repeat 10] [--db PATH]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tongzhan import build, completeness, store  # noqa: E402
from tongzhan.catalog import Catalog  # noqa: E402
from tongzhan.periods import Period  # noqa: E402
from tongzhan.regions import Tree  # noqa: E402

DB = Path(__file__).resolve().parent / "national.duckdb"
REGIONS = {"000000": 150, "420000": 150, "420300": None}   # region → budget in ms (None: shown only)
PERIODS = ["2026-10", "2026Q3", "2026"]
MONTH_REGIONS = ["000000", "420000", "420300", "420302", "420302001"]   # 全国 … 武当路街道


def timed(repeat: int, call) -> tuple[float, float]:
    """Median and p95 in ms of repeat calls, after one that is not timed."""
    call()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return np.median(times), np.percentile(times, 95)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--db", type=Path, default=DB, help="the national database (default: %(default)s)")
    a = ap.parse_args()
    if not a.db.exists():
        sys.exit(f"{a.db} is missing: run bench/bench_overview.py first")
    build.ensure_db(a.db)
    con = store.connect(a.db)
    tree, cat = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    print("| 区域 | 期间 | 指标 | 单位数 | 中位数 ms | p95 ms | 预算 |\n|---|---|---|---|---|---|---|")
    budgeted = []   # (p95, budget, what) of the cases with a budget
    for region, budget in REGIONS.items():
        for key in PERIODS:
            period = Period.parse(key)
            for label, ids in (("全部", None), ("应报", completeness.due_indicators(con, cat, period))):
                med, p95 = timed(a.repeat, lambda: completeness.report(con, tree, cat, region, period, ids))
                rep = completeness.report(con, tree, cat, region, period, ids)
                verdict = "—" if budget is None else ("PASS" if p95 <= budget else "FAIL")
                print(f"| {tree.name[region]} | {key} | {label} {len(rep.indicators)} | {rep.totals['units']:,} "
                      f"| {med:.0f} | {p95:.0f} | {verdict} |", flush=True)
                if budget is not None:
                    budgeted.append((p95, budget, f"{tree.name[region]} {key} {label}"))
    over = [b for b in budgeted if b[0] > b[1]]
    worst = max(budgeted)
    print(f"\n{'FAIL' if over else 'PASS'}  报送情况 全国与省 p95 ≤ 150 ms：{len(budgeted) - len(over)}/{len(budgeted)}，"
          f"最慢 {worst[0]:.0f} ms（{worst[2]}）")

    print("\n| 区域 | 本月报送单位数 2026年10月 / 9月 | 中位数 ms | p95 ms |\n|---|---|---|---|")
    month = []
    for region in MONTH_REGIONS:
        med, p95 = timed(a.repeat, lambda: completeness.month_reporting(con, tree, region, date(2026, 10, 31)))
        now, before = completeness.month_reporting(con, tree, region, date(2026, 10, 31))
        print(f"| {tree.name[region]} | {now:,} / {before:,} | {med:.1f} | {p95:.1f} |", flush=True)
        month.append((p95, tree.name[region]))
    worst = max(month)
    print(f"\n{'FAIL' if worst[0] > 50 else 'PASS'}  本月报送单位数（各页标题下）p95 ≤ 50 ms："
          f"{sum(p <= 50 for p, _ in month)}/{len(month)}，最慢 {worst[0]:.1f} ms（{worst[1]}）")


if __name__ == "__main__":
    main()
