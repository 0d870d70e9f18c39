"""Benchmark of the overview page's queries on a national-scale database.

Builds (or reuses) bench/national.duckdb: every township (level 4, ~38.7k) x every stored indicator
x 36 months 2024-01..2026-12 (assessment_score quarterly), ~23M facts, generated inside DuckDB.
Then for each view (region x period) and query the page runs, times three implementations, after
asserting they give the same numbers:
  pkg    - the package: kpis = rollup.compute x2 (period, last year); children = indicator_table
  hand   - DuckDB SQL written for that one case (literal d1..d5 columns, IN lists, no CASE)
  pandas - the same numbers from the facts loaded once into a DataFrame (categoricals)
Budget (from the issue): pkg p95 <= 50 ms per package query (kpis makes 2: 100 ms) and
pkg median <= 1.3 x hand median.    python bench/bench_overview.py [--quick] [--markdown]
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
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tongzhan import build, rollup, store  # noqa: E402
from tongzhan.catalog import Catalog  # noqa: E402
from tongzhan.periods import Period  # noqa: E402
from tongzhan.regions import Tree  # noqa: E402

HERE = Path(__file__).resolve().parent
LAST_MONTH = "2026-12-01"  # facts always end here; --facts-months moves the start
REGIONS = ["000000", "420000", "420300", "420302", "420302001"]  # 全国 湖北 十堰 茅箭 武当路街道
PERIODS = ["2026-10", "2026Q3", "2026", "2025-11~2026-10"]
CHART = ["funds_raised", "org_count", "village_org_coverage", "assessment_score"]
BUDGET_MS, BUDGET_RATIO = 50.0, 1.3

# Per-township parameters from hash(code, salt), then township x month values (3 % of monthly
# reports missing, so stocks carry over), unpivoted; villages_with_org <= villages_total etc.
GEN_SQL = """
CREATE TEMP TABLE t AS
SELECT code, d1, d2, d3, d4, d5, (6 + hash(code, 'v') % 20)::DOUBLE AS v,
       0.45 + hash(code, 'o') % 35 / 100 AS org0, 12 + hash(code, 'or') % 30 AS org_ramp,
       0.30 + hash(code, 'l') % 40 / 100 AS lia0, 24 + hash(code, 'lr') % 24 AS lia_ramp,
       0.10 + hash(code, 'p') % 20 / 100 AS pair0, 0.50 + hash(code, 'pt') % 40 / 100 AS pair1,
       hash(code, 'c') % 60 AS chamber_from, hash(code, 'f') % 40 AS officer_from,
       1 + hash(code, 'x') % 4 AS extra, 6 + hash(code, 'm') % 9 AS per_org, hash(code, 'b') % 3 AS bases
FROM regions WHERE level = 4 {scope};
CREATE TEMP TABLE tm AS
SELECT t.*, r.m, (DATE '{first}' + to_months(r.m::INT))::DATE AS ps FROM t, range({months}) r(m);
CREATE TEMP TABLE gen AS
WITH x AS (
    SELECT *, [1.0, 0.6, 0.9, 1.0, 1.0, 1.1, 0.9, 0.9, 1.1, 1.1, 1.2, 1.4][month(ps)] * (1 + 0.012 * m) AS season,
           hash(code, m, 'u') % 10000 / 10000 AS u, hash(code, m, 'w') % 10000 / 10000 AS w,
           floor(v * (org0 + (1 - org0) * least(1, m / org_ramp))) AS with_org,
           (m >= chamber_from)::DOUBLE AS chamber, floor(u * season * 1.8) AS projects
    FROM tm WHERE hash(code, m, 'skip') % 100 >= 3)
SELECT code, d1, d2, d3, d4, d5, ps AS period_start, last_day(ps) AS period_end,
       v AS villages_total, with_org AS villages_with_org,
       floor(v * (lia0 + (0.95 - lia0) * least(1, m / lia_ramp))) AS villages_with_liaison,
       1.0 AS townships_total, chamber AS townships_with_chamber,
       (m >= officer_from)::DOUBLE AS townships_with_officer,
       with_org + extra + chamber AS org_count, (with_org + extra + chamber) * per_org AS member_count,
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
              AND hash(code, 'sr') % 10 < 9 AND hash(code, m, 'sq') % 20 > 0)
ORDER BY indicator_id, period_start, region_code;
"""


def ensure_bench_db(path: Path, months: int, quick: bool, rebuild: bool) -> None:
    params = f"{'hubei' if quick else 'national'}:{months}"
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


# ------------------------------------------------------------------ hand-written DuckDB queries
# Every function returns target, indicator_id, value, numerator, denominator, reported.
def lits(ids) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def scope(k: int, region: str) -> str:
    return f"AND d{k} = '{region}'" if k else ""


def target(k: int, region: str, children: bool, alias: str = "") -> str:
    return f"{alias}d{k + 1}" if children else f"'{region}'"


def stock_where(ids, k, region, p: Period) -> str:
    return (f"indicator_id IN ({lits(ids)}) AND period_end <= DATE '{p.end}' "
            f"AND (valid_to IS NULL OR valid_to > DATE '{p.end}') {scope(k, region)}")


def hand_flow(ids, k, region, children, p: Period) -> str:
    """Explicit anti-join with the coarse (months > 1) facts read by a scan of their own: zone maps
    on `months` skip every row group of a monthly-only indicator, the join's build side is empty."""
    w = f"indicator_id IN ({lits(ids)}) AND period_start >= DATE '{p.start}' AND period_end <= DATE '{p.end}' {scope(k, region)}"
    return f"""
    SELECT {target(k, region, children, "s.")} AS target, s.indicator_id, sum(s.value) AS value,
           NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, NULL::BIGINT AS reported
    FROM (SELECT * FROM facts WHERE {w}) s
    ANTI JOIN (SELECT region_code, indicator_id, period_start, period_end, months FROM facts WHERE months > 1 AND {w}) c
      ON c.region_code = s.region_code AND c.indicator_id = s.indicator_id AND c.months > s.months
     AND c.period_start <= s.period_start AND c.period_end >= s.period_end
    GROUP BY ALL HAVING target IS NOT NULL"""


def hand_stock(ids, k, region, children, p) -> str:
    return f"""
    SELECT {target(k, region, children)} AS target, indicator_id, sum(value) AS value,
           NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, count(*) AS reported
    FROM facts WHERE {stock_where(ids, k, region, p)} GROUP BY ALL HAVING target IS NOT NULL"""


def hand_ratio(rid, num, den, k, region, children, p) -> str:
    return f"""
    SELECT target, '{rid}' AS indicator_id, CASE WHEN d > 0 THEN 100 * n / d END AS value,
           n AS numerator, d AS denominator, r AS reported
    FROM (SELECT {target(k, region, children)} AS target, sum(value) FILTER (indicator_id = '{num}') AS n,
                 sum(value) FILTER (indicator_id = '{den}') AS d, count(*) FILTER (indicator_id = '{den}') AS r
          FROM facts WHERE {stock_where([num, den], k, region, p)} GROUP BY ALL)
    WHERE target IS NOT NULL AND d IS NOT NULL"""


def hand_score(ind, k, region, children, p) -> str:
    """Scores sit on townships (depth 3 or 4; one current row each): mean of means, grouping by
    d{k+1}..dj for j = 3 .. k+1 (a depth-3 township, d4 NULL, is a group of its own)."""
    cols = [f"d{j}" for j in range(k + 1, 5)] or ["d5"]
    sql = f"WITH l4 AS (SELECT {', '.join(cols)}, value, 1 AS n FROM facts WHERE {stock_where([ind], k, region, p)})"
    prev = "l4"
    for j in range(3, k, -1):
        keys = ", ".join(cols[: j - k])
        sql += f",\n l{j} AS (SELECT {keys}, avg(value) AS value, count(*) AS n FROM {prev} GROUP BY {keys})"
        prev = f"l{j}"
    rest = f"'{ind}' AS indicator_id, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator"
    if children:
        return sql + f"\nSELECT d{k + 1} AS target, value, {rest}, n AS reported FROM {prev} WHERE d{k + 1} IS NOT NULL"
    return sql + f"\nSELECT '{region}' AS target, avg(value) AS value, {rest}, count(*) AS reported FROM {prev} HAVING count(*) > 0"


# ------------------------------------------------------------------------------ pandas versions
class Frames:
    def __init__(self, con):
        t0 = time.perf_counter()
        tab = con.sql("SELECT region_code, indicator_id, period_start, period_end, months, value, valid_to,"
                      " d1, d2, d3, d4, d5 FROM facts").to_arrow_table()
        for name in ["region_code", "indicator_id", "d1", "d2", "d3", "d4", "d5"]:
            i = tab.schema.get_field_index(name)
            tab = tab.set_column(i, name, pc.dictionary_encode(tab.column(i)))  # -> pandas category
        self.df = tab.to_pandas(date_as_object=False)
        print(f"pandas: {len(self.df):,} facts loaded in {time.perf_counter() - t0:.1f} s, "
              f"{self.df.memory_usage(deep=True).sum() / 2**20:.0f} MiB")

    def rows(self, ids, k, region, p: Period, flow: bool, children: bool) -> pd.DataFrame:
        df, end = self.df, np.datetime64(p.end)
        m = df["indicator_id"].isin(ids).to_numpy() & (df["period_end"].to_numpy() <= end)
        m &= (df["period_start"].to_numpy() >= np.datetime64(p.start)) if flow else \
            ~(df["valid_to"].to_numpy() <= end)  # NaT compares False: valid_to IS NULL OR > end
        if k:
            m &= (df[f"d{k}"] == region).to_numpy()
        s = df[m]
        return s.assign(target=s[f"d{k + 1}"].astype(object) if children else region).dropna(subset=["target"])

    def flow(self, ids, k, region, children, p):
        s = self.rows(ids, k, region, p, True, children)
        c = s[s["months"] > 1]
        if len(c):  # drop facts covered by a coarser one in the range (none in this data set)
            j = s.reset_index().merge(c, on=["region_code", "indicator_id"], suffixes=("", "_c"))
            j = j[(j.months_c > j.months) & (j.period_start_c <= j.period_start) & (j.period_end_c >= j.period_end)]
            s = s.drop(index=j["index"].unique())
        g = s.groupby(["target", "indicator_id"], observed=True).agg(value=("value", "sum"))
        return g.reset_index().assign(numerator=np.nan, denominator=np.nan, reported=np.nan)

    def stock(self, ids, k, region, children, p):
        g = self.rows(ids, k, region, p, False, children).groupby(["target", "indicator_id"], observed=True)
        return g["value"].agg(value="sum", reported="size").reset_index().assign(numerator=np.nan, denominator=np.nan)

    def ratio(self, rid, num, den, k, region, children, p):
        s = self.rows([num, den], k, region, p, False, children)
        n = s[s["indicator_id"] == num].groupby("target")["value"].sum()
        d = s[s["indicator_id"] == den].groupby("target")["value"].agg(["sum", "size"])
        return pd.DataFrame({"target": d.index, "indicator_id": rid, "value": (100 * n / d["sum"]).where(d["sum"] > 0),
                             "numerator": n.reindex(d.index), "denominator": d["sum"], "reported": d["size"]})

    def score(self, ind, k, region, children, p):
        lvl = self.rows([ind], k, region, p, False, False)[[f"d{j}" for j in range(k + 1, 6)] + ["value"]]
        lvl = lvl.astype({c: object for c in lvl.columns[:-1]}).assign(n=1)
        for j in range(3, k, -1):
            lvl = lvl.groupby([f"d{i}" for i in range(k + 1, j + 1)], dropna=False).agg(
                value=("value", "mean"), n=("value", "size")).reset_index()
        if children:
            out = lvl.rename(columns={f"d{k + 1}": "target", "n": "reported"}).dropna(subset=["target"])
        else:
            out = pd.DataFrame({"target": [region], "value": [lvl["value"].mean()], "reported": [len(lvl)]})
            out = out[out["reported"] > 0]
        return out.assign(indicator_id=ind, numerator=np.nan, denominator=np.nan)


# ---------------------------------------------------------------------------- cases and checks
KEY, VALS = ["call", "target", "indicator_id"], ["value", "numerator", "denominator", "reported"]


def canon(frames) -> pd.DataFrame:
    """All rows with data (children without data carry no value and no denominator), sorted."""
    out = [f.rename(columns={"region_code": "target"}).assign(call=i)[KEY + VALS]
           for i, f in enumerate(frames)]
    out = pd.concat(out, ignore_index=True).astype({"target": str, "indicator_id": str} | {c: float for c in VALS})
    out = out.dropna(subset=["value", "denominator"], how="all")
    return out.sort_values(KEY, ignore_index=True)


def check_same(name, a, b):
    a, b = canon(a), canon(b)
    assert a[KEY].equals(b[KEY]), f"{name}: different rows\n{a}\n{b}"
    for c in VALS:
        np.testing.assert_allclose(a[c], b[c], rtol=1e-9, atol=1e-6, equal_nan=True, err_msg=f"{name}: {c}")


def run_sql(con, sqls):
    out = []
    for s in sqls:
        with store.cursor(con) as cur:  # a fresh cursor per statement, as the app does
            out.append(cur.sql(s).df())
    return out


def make_case(con, tree, cat, fr, region, period, query):
    """(package, hand-written, pandas) callables returning lists of frames, and the number of
    package queries (compute calls) in the case."""
    k = int(tree.depth[region])
    if query == "kpis":  # overview.kpis: compute(headline ids) for the period and for last year
        ids, periods = cat.headline(), [period, period.last_year()]
        flows, ratios = [i for i in ids if cat[i].kind == "flow"], [cat[i] for i in ids if cat[i].kind == "ratio"]
        hand = [" UNION ALL ".join([hand_flow(flows, k, region, False, p)] + [
            hand_ratio(r.id, r.numerator, r.denominator, k, region, False, p) for r in ratios]) for p in periods]

        def pkg():
            with store.cursor(con) as cur:
                return [rollup.compute(cur, tree, cat, region, ids, p) for p in periods]
        return pkg, lambda: run_sql(con, hand), lambda: [pd.concat([fr.flow(flows, k, region, False, p)] + [
            fr.ratio(r.id, r.numerator, r.denominator, k, region, False, p) for r in ratios]) for p in periods], 2
    ind, args = cat[query], (k, region, True, period)  # overview.children: indicator_table(by='children')
    extra = {"flow": ([query],), "stock": ([query],), "score": (query,),
             "ratio": (query, ind.numerator, ind.denominator)}[ind.kind]
    hand = {"flow": hand_flow, "stock": hand_stock, "ratio": hand_ratio, "score": hand_score}[ind.kind](*extra, *args)
    pand = getattr(fr, ind.kind)

    def pkg():
        with store.cursor(con) as cur:
            return [rollup.indicator_table(cur, tree, cat, region, query, period, by="children").assign(indicator_id=query)]
    return pkg, lambda: run_sql(con, [hand]), lambda: [pand(*extra, *args)], 1


SQL_MS: collections.Counter = collections.Counter()  # time per package statement in one call


def _timed_query(con, name, **params):
    t0 = time.perf_counter()
    try:
        return _query(con, name, **params)
    finally:
        SQL_MS[name.split("_")[0]] += (time.perf_counter() - t0) * 1000


_query, rollup.rows = rollup.rows, _timed_query


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
                pkg, hand, pand, calls = make_case(con, tree, cat, fr, region, Period.parse(pk), q)
                got = pkg()
                check_same(f"{view} {label} hand", got, hand())
                check_same(f"{view} {label} pandas", got, pand())
                (p_ms, p_sql), (h_ms, _), (d_ms, _) = (timings(f, repeat) for f in (pkg, hand, pand))
                stmts = " + ".join(f"{s} {np.median([d.get(s, 0) for d in p_sql]):.1f}" for s in p_sql[0])
                ok = p95(p_ms) <= BUDGET_MS * calls and med(p_ms) <= BUDGET_RATIO * med(h_ms)
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
          f"package query (kpis = 2) and pkg median <= {BUDGET_RATIO}x hand median. pkg SQL = time inside the "
          "package's statements (store.query: execute + fetch to pandas).\n")
    if markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        print("\n".join("| " + " | ".join(c) + " |" for c in cells))
    else:
        w = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
        for c in [head] + cells:
            print("  ".join(x.ljust(w[i]) if i in (0, 1, 4) else x.rjust(w[i]) for i, x in enumerate(c)))
    fails = [r for r in rows if r[11] == "FAIL"]
    print(f"\nSUMMARY: {len(rows) - len(fails)}/{len(rows)} queries within budget "
          f"({sum(r[3] > BUDGET_MS * (2 if r[1] == 'kpis' else 1) for r in rows)} over the p95 limit, "
          f"{sum(r[9] > BUDGET_RATIO for r in rows)} over {BUDGET_RATIO}x hand); worst pkg p95 "
          f"{max(r[3] for r in rows):.1f} ms ({max(rows, key=lambda r: r[3])[0]} {max(rows, key=lambda r: r[3])[1]}); "
          f"worst pkg÷hand {max(r[9] for r in rows):.2f}; median pandas÷pkg {np.median([r[10] for r in rows]):.1f}"
          f" — {'FAIL' if fails else 'PASS'}")


if __name__ == "__main__":
    main()
