"""`make bench`: every benchmark of issue 9 in turn, then one summary of all budgets.

Runs each script below as its own process, once the machine is quiet (settle); their output goes
to the terminal and to bench/last_run.log. Collects the lines each prints as a verdict (starting
with PASS or FAIL, and the session limit of bench_sessions.py), and prints them together at the
end with the load average before and after. Run it on a quiet machine: the scripts time queries, imports, the
server and a real browser on the national database (bench/national.duckdb, built on first use).
    python bench/run_all.py [--only NAME ...]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIONAL = HERE / "national.duckdb"
# (title, script and arguments); bench_overview first: it builds the national database.
RUNS = [
    ("总览查询", ["bench_overview.py", "--repeat", "20"]),
    ("报送情况", ["bench_completeness.py"]),
    ("排名、综合指数与趋势", ["bench_analysis.py", "--repeat", "10"]),
    ("存储顺序与整理", ["bench_layout.py"]),
    ("导入（演示库）", ["bench_import.py", "--runs", "5"]),
    ("导入（全国库）", ["bench_import.py", "--runs", "5", "--db", str(NATIONAL)]),
    ("浏览器", ["bench_browser.py", "--repeat", "10"]),
    ("服务器启动与内存", ["bench_server.py"]),
    ("单服务器会话上限", ["bench_sessions.py"]),
]
# The national database's first admin (made when bench_overview builds or upgrades it) gets this
# password, the one bench_import.py logs in with; else it would get a one-time password.
os.environ.setdefault("TONGZHAN_ADMIN_PASSWORD", "bench-admin-password")
VERDICT = re.compile(r"^(?:- )?(PASS|FAIL)\b|N limit:")
QUIET, SETTLE_S = 1.0, 180   # each script waits (at most 3 min) for the 1-minute load average below 1


def settle() -> float:
    """Wait until the machine is quiet (the script before leaves browsers and servers winding
    down, and the 1-minute load average lags): at most SETTLE_S seconds. The load it starts at."""
    deadline = time.time() + SETTLE_S
    while os.getloadavg()[0] >= QUIET and time.time() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="script names to run (e.g. bench_overview.py)")
    a = ap.parse_args()
    summary, start = [], time.time()
    load0 = os.getloadavg()
    with open(HERE / "last_run.log", "w", encoding="utf-8") as log:
        for title, (script, *args) in RUNS:
            if a.only and script not in a.only:
                continue
            print(f"\n===== {title}: {script} {' '.join(args)} (load {settle():.2f})", flush=True)
            proc = subprocess.Popen([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, cwd=HERE.parent)
            found = []
            for line in proc.stdout:
                sys.stdout.write(line)
                log.write(line)
                if VERDICT.search(line):
                    found.append(line.strip().removeprefix("- "))
            if proc.wait() != 0:
                found.append(f"FAIL  {script} exited with code {proc.returncode}")
            summary.append((title, found or [f"FAIL  {script} printed no verdict"]))
    print(f"\n===== SUMMARY ({(time.time() - start) / 60:.0f} min; load average before {load0[0]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs)")
    for title, lines in summary:
        print(f"\n{title}")
        for line in lines:
            print(f"  {line}")
    fails = sum(line.startswith("FAIL") for _, lines in summary for line in lines)
    print(f"\n{'ALL PASS' if not fails else f'{fails} FAIL'}")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
