"""Benchmark of importing a 100k-row wide CSV: the CLI end to end, and parse / preview / commit.

Builds a fresh demo database in a temporary directory, writes a wide CSV of `--rows` rows (every
湖北 township, month after month from 2018-01, 5 indicator columns: 募集资金、服务群众人次、
开展活动场次、落地项目数、村(社区)总数; the months from 2024-01 overlap the demo data, so part of
the cells replace stored values), then
  cli     - `python -m tongzhan --db COPY import FILE` as a subprocess, a fresh DB copy each run
  open    - in process: connect, read the tree and the catalog (what the CLI does before parsing)
  parse   - importer.parse_file
  preview - batches.preview (the CLI shows it before committing)
  commit  - batches.commit (its own preview, delete/insert, refresh of valid_to, COMMIT)
Budget (from the issue): cli median <= 3 s; parse median <= 1.2 s; the same into the national
database (--db bench/national.duckdb, 23 M facts).
    python bench/bench_import.py [--runs 5] [--rows 100000] [--db PATH]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tongzhan import accounts, batches, build, store  # noqa: E402
from tongzhan.catalog import Catalog  # noqa: E402
from tongzhan.importer import parse_file  # noqa: E402
from tongzhan.regions import Tree  # noqa: E402

HEADER = "区划代码,名称,期间,募集资金(万元),服务群众人次,开展活动场次,落地项目数,村(社区)总数"
BUDGET = {"cli": 3.0, "parse": 1.2}


def write_csv(db: Path, path: Path, rows: int) -> None:
    con = store.connect(db, read_only=True)
    tree = Tree(store.query(con, "regions_all"))
    con.close()
    towns = [c for c in tree.frame["code"] if tree.level[c] == 4 and tree.ancestors(c)[1] == "420000"]
    lines, (y, m) = [HEADER], (2018, 1)
    while len(lines) <= rows:
        lines += [f"{t},{tree.name[t]},{y}-{m:02d},1.5,120,3,1,80" for t in towns[:rows + 1 - len(lines)]]
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def demo_and_csv(rows: int, prefix: str, base: Path | None = None):
    """A temporary directory with a fresh demo database (or a copy of base, brought up to this
    version) and the CSV of `rows` rows in it."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        tmp = Path(tmp)
        if base:
            demo = build.ensure_db(shutil.copyfile(base, tmp / "base.duckdb"))
        else:
            demo = build.build_demo(tmp / "demo.duckdb")
        csv = tmp / "big.csv"
        write_csv(demo, csv, rows)
        yield tmp, demo, csv


# The account the imports act as: the demo database's admin, or the first admin that ensure_db
# makes in a base database without accounts (main gives it a password, TONGZHAN_ADMIN_PASSWORD;
# set there, not on import: tests import write_csv and make first admins of their own).
ADMINS = ("demo-admin", "admin")


def bench_admin(con) -> accounts.User:
    return next(u for u in (accounts.get(con, n) for n in ADMINS) if u is not None)


def run_cli(db: Path, csv: Path) -> float:
    """The CLI import as a script runs it: with a token (a password costs an argon2 check, ~0.3 s,
    meant for a person at a terminal)."""
    con = store.connect(db)
    admin = bench_admin(con)
    token = accounts.new_token(con, admin, admin.name)
    con.close()
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db), "import", str(csv)],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TONGZHAN_TOKEN": token},
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"CLI import failed (exit code {res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")
    return elapsed


def run_in_process(db: Path, csv: Path) -> dict[str, float]:
    data, times = csv.read_bytes(), {}
    t0 = time.perf_counter()
    con = store.connect(db)
    tree, catalog = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    t1 = time.perf_counter()
    parsed = parse_file(data, csv.name, tree, catalog, today=date.today())
    t2 = time.perf_counter()
    assert not parsed.problems, parsed.problems[:5]
    batches.preview(con, parsed, data)
    t3 = time.perf_counter()
    batches.commit(con, parsed, data, csv.name, bench_admin(con))
    t4 = time.perf_counter()
    con.close()
    times.update(open=t1 - t0, parse=t2 - t1, preview=t3 - t2, commit=t4 - t3)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each (5)")
    ap.add_argument("--rows", type=int, default=100_000, help="data rows of the CSV (100000)")
    ap.add_argument("--db", type=Path, help="import into a copy of this database instead of a new demo "
                    "database (e.g. bench/national.duckdb)")
    a = ap.parse_args()
    os.environ.setdefault("TONGZHAN_ADMIN_PASSWORD", "bench-admin-password")
    with demo_and_csv(a.rows, "bench_import_", a.db) as (tmp, demo, csv):
        print(f"{a.rows:,} rows x 5 indicators, {csv.stat().st_size / 2**20:.1f} MiB; {a.runs} runs each\n")
        times: dict[str, list[float]] = {"cli": []}
        for i in range(a.runs):
            times["cli"].append(run_cli(shutil.copyfile(demo, tmp / f"cli{i}.duckdb"), csv))
        for i in range(a.runs):
            for k, v in run_in_process(shutil.copyfile(demo, tmp / f"in{i}.duckdb"), csv).items():
                times.setdefault(k, []).append(v)
    print("| step | median s | p95 s | budget s |\n|---|---:|---:|---:|")
    for k in ("cli", "open", "parse", "preview", "commit"):
        t = np.array(times[k])
        print(f"| {k} | {np.median(t):.2f} | {np.percentile(t, 95):.2f} | {BUDGET.get(k, '')} |")
    where = f"导入 {a.rows:,} 行到{'「' + a.db.name + '」' if a.db else '演示库'}"
    for k, budget in BUDGET.items():
        med = float(np.median(times[k]))
        print(f"{'PASS' if med <= budget else 'FAIL'}  {where} {k} median {med:.2f} s (budget {budget:g} s)")


if __name__ == "__main__":
    main()
