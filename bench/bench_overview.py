"""Benchmark of the overview page's queries on a national-scale database.

Builds (or reuses) bench/national.duckdb: every township (level 4, ~38.7k) x every stored indicator
x 36 months 2024-01..2026-12 (assessment_score quarterly), ~23M facts, generated inside DuckDB.
Then for each view (region x period) and query the page runs, times three implementations, after
asserting they give the same value, numerator, denominator, units, carried_units, excluded_units:
  pkg    - the package: kpis = overview.kpis (view_period, i.e. the newest period_end in the
           region's subtree, then rollup.compute x2: the cut period and last year);
           children = rollup.indicator_table(by='children')
  hand   - DuckDB SQL written for that one case (literal d1..d5 columns, dates and IN lists; the
           carry-forward dates worked out in Python); kpis: max(period_end), then 2 statements;
           timed on one DuckDB thread (the package's setting) and on every core, the faster kept
  pandas - the same numbers from the facts loaded once into a DataFrame (categoricals, values
           as integer millionths so that sums are exact like DECIMAL(18,6))
Budget (from the issue): pkg p95 <= 50 ms per query (kpis: the whole set of cards, this period
and last year), pkg median <= 1.3 x hand median, and over all queries the median of pandas÷pkg
>= 20. For 全国 and a province the package and the hand-written queries read the city sums of
bucket_totals, for a city and a county's own figures its county sums, instead of the facts
(tongzhan.buckets); pandas always sums the facts.
    python bench/bench_overview.py [--quick] [--markdown]
"""
from __future__ import annotations

import argparse
import collections
import gc
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tongzhan import build, overview, rollup, store  # noqa: E402
from tongzhan.catalog import Catalog  # noqa: E402
from tongzhan.periods import Period  # noqa: E402
from tongzhan.regions import Tree  # noqa: E402
from overview_reference import (Frames, at_best_threads, cut, hand_flow, hand_last_end, hand_ratio,  # noqa: E402
                                hand_score, hand_stock)

HERE = Path(__file__).resolve().parent
LAST_MONTH = "2026-12-01"  # facts always end here; --facts-months moves the start
REGIONS = ["000000", "420000", "420300", "420302", "420302001"]  # 全国 湖北 十堰 茅箭 武当路街道
PERIODS = ["2026-10", "2026Q3", "2026", "2025-11~2026-10"]
CHART = ["funds_raised", "org_count", "village_org_coverage", "assessment_score"]
BUDGET_MS, BUDGET_RATIO, PANDAS_RATIO = 50.0, 1.3, 20.0

# Per-township parameters from hash(code, salt), then township x month values (3 % of monthly
# reports missing, so stocks carry over), unpivoted (NULLs are left out); villages_with_org <=
# villages_total etc. 3 % of townships stop reporting one stock (villages_total, villages_with_org
# or org_count) 1-8 months before the end, and 2 % stop their quarterly score 2-3 quarters before,
# so that expired stocks and scores and ratios with one part only occur at national scale.
GEN_SQL = """
CREATE TEMP TABLE t AS
SELECT code, d1, d2, d3, d4, d5, (6 + hash(code, 'v') % 20)::DOUBLE AS v,
       0.45 + hash(code, 'o') % 35 / 100 AS org0, 12 + hash(code, 'or') % 30 AS org_ramp,
       0.30 + hash(code, 'l') % 40 / 100 AS lia0, 24 + hash(code, 'lr') % 24 AS lia_ramp,
       0.10 + hash(code, 'p') % 20 / 100 AS pair0, 0.50 + hash(code, 'pt') % 40 / 100 AS pair1,
       hash(code, 'c') % 60 AS chamber_from, hash(code, 'f') % 40 AS officer_from,
       1 + hash(code, 'x') % 4 AS extra, 6 + hash(code, 'm') % 9 AS per_org, hash(code, 'b') % 3 AS bases,
       hash(code, 'st') % 100 < 3 AS stops, hash(code, 'si') % 3 AS stop_which,
       {months} - 1 - hash(code, 'sm') % 8 AS stop_m, hash(code, 'ss') % 50 = 0 AS score_stops
FROM regions WHERE level = 4 {scope};
CREATE TEMP TABLE tm AS
SELECT t.*, r.m, (DATE '{first}' + to_months(r.m::INT))::DATE AS ps FROM t, range({months}) r(m);
CREATE TEMP TABLE gen AS
WITH x AS (
    SELECT *, [1.0, 0.6, 0.9, 1.0, 1.0, 1.1, 0.9, 0.9, 1.1, 1.1, 1.2, 1.4][month(ps)] * (1 + 0.012 * m) AS season,
           hash(code, m, 'u') % 10000 / 10000 AS u, hash(code, m, 'w') % 10000 / 10000 AS w,
           floor(v * (org0 + (1 - org0) * least(1, m / org_ramp))) AS with_org,
           (m >= chamber_from)::DOUBLE AS chamber, floor(u * season * 1.8) AS projects,
           CASE WHEN stops AND m >= stop_m THEN stop_which END AS stopped
    FROM tm WHERE hash(code, m, 'skip') % 100 >= 3)
SELECT code, d1, d2, d3, d4, d5, ps AS period_start, last_day(ps) AS period_end,
       CASE WHEN stopped IS DISTINCT FROM 0 THEN v END AS villages_total,
       CASE WHEN stopped IS DISTINCT FROM 1 THEN with_org END AS villages_with_org,
       floor(v * (lia0 + (0.95 - lia0) * least(1, m / lia_ramp))) AS villages_with_liaison,
       1.0 AS townships_total, chamber AS townships_with_chamber,
       (m >= officer_from)::DOUBLE AS townships_with_officer,
       CASE WHEN stopped IS DISTINCT FROM 2 THEN with_org + extra + chamber END AS org_count, (with_org + extra + chamber) * per_org AS member_count,
       floor(bases * least(1, m / 24)) AS base_count,
       floor(v * (pair0 + (pair1 - pair0) * least(1, m / 30))) AS enterprise_village_pairs,
       round(0.5 + 4.5 * u * season, 2) AS funds_raised, round(1.8 * w * season, 2) AS donations,
       projects AS projects_landed, round(projects * (500 + 5000 * w), 2) AS project_investment,
       floor(60 + 180 * u * season) AS people_served, floor(6 * w * season) AS activities,
       floor(4 * u * season) AS issues_resolved
FROM x;
INSERT INTO facts (region_code, indicator_id, period_start, period_end, months, value, batch_id, valid_to,
                   d1, d2, d3, d4, d5)
SELECT region_code, indicator_id, period_start, period_end, months, value, 0,
       CASE WHEN indicator_id IN ({kept}) THEN lead(period_end) OVER (
           PARTITION BY region_code, indicator_id ORDER BY period_end, months DESC) END,
       d1, d2, d3, d4, d5
FROM (
    SELECT code AS region_code, indicator_id, period_start, period_end, 1 AS months, value, d1, d2, d3, d4, d5
    FROM (UNPIVOT gen ON COLUMNS(* EXCLUDE (code, d1, d2, d3, d4, d5, period_start, period_end))
          INTO NAME indicator_id VALUE value)
    UNION ALL  -- quarterly scores: 90 % of townships, 5 % of their quarters missing
    SELECT code, 'assessment_score', ps, last_day(ps + INTERVAL 2 MONTH), 3,
           least(100, round(2 * (62 + 30 * (hash(code, m, 's') % 1000 / 1000) + 0.6 * m / 3)) / 2),
           d1, d2, d3, d4, d5
    FROM tm WHERE month(ps) IN (1, 4, 7, 10) AND m + 2 < {months}
              AND hash(code, 'sr') % 10 < 9 AND hash(code, m, 'sq') % 20 > 0
              AND NOT (score_stops AND m >= stop_m - 6))
ORDER BY indicator_id, d1, d2, d3, d4, d5, region_code, period_start;   -- as insert_facts.sql
DELETE FROM meta WHERE key = 'buckets_built';   -- build.ensure_db then fills bucket_totals
"""


def ensure_bench_db(path: Path, months: int, quick: bool, rebuild: bool) -> None:
    params = f"{'hubei' if quick else 'national'}:{months}:stops"
    if path.exists() and not rebuild:
        con = store.connect(path, read_only=True)
        meta = dict(con.sql("SELECT key, value FROM meta").fetchall())
        con.close()
        if meta.get("bench_complete") == "1" and meta.get("bench_params") == params:
            print(f"reusing {path} ({params}, {path.stat().st_size / 2**20:.0f} MiB)")
            return
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = store.connect(path)
    build.init_db(con)
    cat = Catalog(store.query(con, "indicators_all"))
    kept = ", ".join(f"'{i}'" for i in cat.ids() if cat[i].kind in ("stock", "score"))
    first = (pd.Timestamp(LAST_MONTH) - pd.DateOffset(months=months - 1)).date()
    con.execute("BEGIN")
    con.execute(GEN_SQL.format(scope="AND d1 = '420000'" if quick else "", months=months, first=first, kept=kept))
    n = con.sql("SELECT count(*) FROM facts").fetchall()[0][0]
    con.execute("INSERT INTO batches (batch_id, file_name, uploader, inserted, replaced, skipped) "
                "VALUES (0, 'bench (synthetic)', 'bench', $n, 0, 0)", {"n": n})
    store.execute(con, "set_meta", key="bench_params", value=params)
    store.execute(con, "set_meta", key="bench_complete", value="1")
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    con.close()
    print(f"built {path}: {n:,} facts in {time.perf_counter() - t0:.1f} s, {path.stat().st_size / 2**20:.0f} MiB")


# ---------------------------------------------------------------------------- cases and checks
KEY = ["call", "target", "indicator_id"]
VALS = ["value", "numerator", "denominator", "units", "carried_units", "excluded_units"]


def canon(frames, vals=VALS) -> pd.DataFrame:
    """All rows with data (a child without data has none of VALS), sorted; counts as floats."""
    out = pd.concat([f.rename(columns={"region_code": "target"}).assign(call=i)[KEY + vals]
                     for i, f in enumerate(frames)], ignore_index=True)
    out = out.astype({"target": str, "indicator_id": str})
    for c in vals:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out = out.dropna(subset=vals, how="all")
    return out.sort_values(KEY, ignore_index=True)


def check_same(name, a, b, vals=VALS):
    a, b = canon(a, vals), canon(b, vals)
    assert a[KEY].equals(b[KEY]), f"{name}: different rows\n{a}\n{b}"
    for c in vals:
        np.testing.assert_allclose(a[c], b[c], rtol=1e-9, atol=1e-6, equal_nan=True, err_msg=f"{name}: {c}")


def run_sql(con, sqls):
    out = []
    for s in sqls:
        with store.cursor(con) as cur:  # a fresh cursor per statement, as the app does
            out.append(cur.sql(s).df())
    return out


def make_case(con, tree, cat, fr, region, period, query):
    """(package, check, hand-written, pandas, package queries in the case): package is what the
    page calls; check(frames) compares package, hand and pandas results (lists of frames)."""
    k = int(tree.depth[region])
    if query == "kpis":  # overview.kpis: view_period (region_last_end), compute for it and last year
        ids = cat.headline()
        flows, ratios = [i for i in ids if cat[i].kind == "flow"], [cat[i] for i in ids if cat[i].kind == "ratio"]

        def sqls(p):
            return " UNION ALL ".join([hand_flow(cat, flows, k, region, False, p)] + [
                hand_ratio(cat, r.id, r.numerator, r.denominator, k, region, False, p) for r in ratios])

        def hand():
            with store.cursor(con) as cur:
                shown = cut(period, cur.sql(hand_last_end(k, region)).fetchall()[0][0])
            return run_sql(con, [sqls(shown), sqls(shown.last_year())]), shown

        def pand():
            shown = cut(period, fr.last_end(k, region))
            return [pd.concat([fr.flow(cat, flows, k, region, False, p)] + [
                fr.ratio(cat, r.id, r.numerator, r.denominator, k, region, False, p) for r in ratios])
                for p in (shown, shown.last_year())], shown

        def pkg():
            with store.cursor(con) as cur:
                return overview.kpis(cur, tree, cat, region, period)

        def check(name):
            with store.cursor(con) as cur:
                shown = overview.view_period(cur, tree, region, period)
                parts = [rollup.compute(cur, tree, cat, region, ids, p) for p in (shown, shown.last_year())]
            (h, h_shown), (d, d_shown) = hand(), pand()
            assert shown == h_shown == d_shown, f"{name}: view period {shown} {h_shown} {d_shown}"
            check_same(f"{name} hand", parts, h)
            check_same(f"{name} pandas", parts, d)
            cards = pkg().assign(region_code=region)
            assert (cards["from"] == shown.start).all() and (cards["to"] == shown.end).all(), name
            check_same(f"{name} cards", [parts[0]], [cards])
            check_same(f"{name} cards last year", [parts[1]], [cards.assign(value=cards["compare_value"])], ["value"])
            return parts
        return pkg, check, hand, pand
    ind, args = cat[query], (k, region, True, period)  # overview.children: indicator_table(by='children')
    extra = {"flow": ([query],), "stock": ([query],), "score": (query,),
             "ratio": (query, ind.numerator, ind.denominator)}[ind.kind]
    sql = {"flow": hand_flow, "stock": hand_stock, "ratio": hand_ratio, "score": hand_score}[ind.kind](cat, *extra, *args)
    pand = getattr(fr, ind.kind)

    def pkg():   # what the page calls; the indicator column for the comparison is added by check()
        with store.cursor(con) as cur:
            return [rollup.indicator_table(cur, tree, cat, region, query, period, by="children")]

    def check(name):
        got = [f.assign(indicator_id=query) for f in pkg()]
        check_same(f"{name} hand", got, run_sql(con, [sql]))
        check_same(f"{name} pandas", got, [pand(cat, *extra, *args)])
        return got
    return pkg, check, lambda: run_sql(con, [sql]), lambda: [pand(cat, *extra, *args)]


SQL_MS: collections.Counter = collections.Counter()  # time per package statement in one call


def _timed_query(con, name, **params):
    t0 = time.perf_counter()
    try:
        return _query(con, name, **params)
    finally:
        SQL_MS[name.split("_")[0]] += (time.perf_counter() - t0) * 1000


_query = rollup.rows
rollup.rows = overview.rows = _timed_query  # overview.view_period runs region_last_end


def timings(fn, n, warm=2):
    for _ in range(warm):
        fn()
    gc.collect()
    ms, sql = [], []
    for _ in range(n):
        SQL_MS.clear()
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
        sql.append(dict(SQL_MS))
    return np.array(ms), sql


# ---------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facts-months", type=int, default=36, help="months of facts, ending 2026-12 (36)")
    ap.add_argument("--repeat", type=int, help="timed runs per query (20; 3 with --quick)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the database even if complete")
    ap.add_argument("--quick", action="store_true", help="湖北 townships only (bench/quick.duckdb), 2 periods")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    a = ap.parse_args()
    repeat, periods = (a.repeat or 3, PERIODS[::2]) if a.quick else (a.repeat or 20, PERIODS)
    path = HERE / ("quick.duckdb" if a.quick else "national.duckdb")
    ensure_bench_db(path, a.facts_months, a.quick, a.rebuild)
    build.ensure_db(path)   # a database built by an earlier version is upgraded first
    con = store.connect(path)
    print("duckdb", store.duckdb.__version__, "threads", con.sql("SELECT current_setting('threads')").fetchall()[0][0],
          "| load average at start", os.getloadavg())
    tree, cat = Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))
    fr, rows = Frames(con), []
    med, p95 = (lambda x: float(np.median(x))), (lambda x: float(np.percentile(x, 95)))
    for region in REGIONS:
        for pk in periods:
            for q in ["kpis"] + CHART:
                view, label = f"{tree.name[region]} {pk}", "kpis" if q == "kpis" else f"children {cat[q].kind} {q}"
                pkg, check, hand, pand = make_case(con, tree, cat, fr, region, Period.parse(pk), q)
                got = check(f"{view} {label}")
                (p_ms, p_sql), (d_ms, _) = (timings(f, repeat) for f in (pkg, pand))
                h_ms, _ = at_best_threads(con, timings, hand, repeat)
                stmts = " + ".join(f"{s} {np.median([d.get(s, 0) for d in p_sql]):.1f}" for s in p_sql[0])
                ok = p95(p_ms) <= BUDGET_MS and med(p_ms) <= BUDGET_RATIO * med(h_ms)
                rows.append([view, label, med(p_ms), p95(p_ms), stmts, med(h_ms), p95(h_ms), med(d_ms), p95(d_ms),
                             med(p_ms) / med(h_ms), med(d_ms) / med(p_ms), "PASS" if ok else "FAIL", len(canon(got))])
                print(f"  {view:22} {label:38} pkg {med(p_ms):7.1f}  hand {med(h_ms):7.1f}  pandas {med(d_ms):7.1f} ms"
                      f"  {rows[-1][11]}", flush=True)
    con.close()
    print("load average at end", os.getloadavg())
    report(rows, repeat, a.markdown)


def report(rows, repeat, markdown):
    head = ["view", "query", "pkg med", "pkg p95", "pkg SQL med (statements)", "hand med", "hand p95",
            "pandas med", "pandas p95", "pkg÷hand", "pandas÷pkg", "budget", "rows"]
    cells = [[r[0], r[1], f"{r[2]:.1f}", f"{r[3]:.1f}", r[4]] + [f"{x:.1f}" for x in r[5:9]]
             + [f"{r[9]:.2f}", f"{r[10]:.1f}", r[11], str(r[12])] for r in rows]
    print(f"\nms, median and p95 of {repeat} runs after 2 warm-ups. Budget: pkg p95 <= {BUDGET_MS:.0f} ms per "
          f"query (kpis: the whole set of cards, this period and last year) and pkg median <= {BUDGET_RATIO}x hand "
          f"median; over all queries, the median of pandas÷pkg >= {PANDAS_RATIO:.0f}. pkg SQL = time inside the "
          "package's statements (store.query: execute + fetch to pandas).\n")
    if markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        print("\n".join("| " + " | ".join(c) + " |" for c in cells))
    else:
        w = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
        for c in [head] + cells:
            print("  ".join(x.ljust(w[i]) if i in (0, 1, 4) else x.rjust(w[i]) for i, x in enumerate(c)))
    fails = [r for r in rows if r[11] == "FAIL"]
    over, slow, pandas = ([r for r in rows if r[3] > BUDGET_MS], [r for r in rows if r[9] > BUDGET_RATIO],
                          np.median([r[10] for r in rows]))
    worst = max(rows, key=lambda r: r[3])
    print(f"\n{verdict(not over)}  总览查询 p95 ≤ {BUDGET_MS:.0f} ms：{len(rows) - len(over)}/{len(rows)}，最慢 "
          f"{worst[3]:.1f} ms（{worst[0]} {worst[1]}）")
    print(f"{verdict(not slow)}  总览查询 ≤ {BUDGET_RATIO}× 手写 SQL（中位数）：{len(rows) - len(slow)}/{len(rows)}，"
          f"最大 {max(r[9] for r in rows):.2f}×")
    print(f"{verdict(pandas >= PANDAS_RATIO)}  总览查询比 pandas 快 ≥ {PANDAS_RATIO:.0f}×（各查询中位数的中位数）：{pandas:.1f}×")
    print(f"\nSUMMARY: {len(rows) - len(fails)}/{len(rows)} queries within budget "
          f"({sum(r[3] > BUDGET_MS for r in rows)} over the p95 limit, "
          f"{sum(r[9] > BUDGET_RATIO for r in rows)} over {BUDGET_RATIO}x hand); worst pkg p95 "
          f"{max(r[3] for r in rows):.1f} ms ({max(rows, key=lambda r: r[3])[0]} {max(rows, key=lambda r: r[3])[1]}); "
          f"worst pkg÷hand {max(r[9] for r in rows):.2f}; median pandas÷pkg {np.median([r[10] for r in rows]):.1f}"
          f" — {'FAIL' if fails else 'PASS'}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


if __name__ == "__main__":
    main()
