"""The analysis pages' queries at national scale (issue 10): league tables (排名) and trends (趋势).

    python bench/bench_analysis.py [--repeat 10]

Uses bench/national.duckdb (bench_overview.py builds it: every township × 17 monthly indicators
× 36 months + quarterly scores; every fact sits on a township).

- league: `tongzhan.league.league`, the 排名 page's one call (the cut at the newest data, the
  roll-up of the period and of the comparable period before, the ranks), for the townships of
  全国 (38,723), 湖北省 and 十堰市 and the counties of 全国, × a flow, a stock, a rate and a
  score, × 2026-10 and 2026. At township level it is checked against, and timed beside, a
  hand-written DuckDB query (one statement: both periods, rank() windows; timed on one DuckDB
  thread, the package's setting, and on every core, the faster kept) and pandas over the
  facts loaded once; both are written for this data, where a township's figure is its own facts.
- index: `tongzhan.index.scores` (综合指数, data/index.csv) for the same units as the league
  tables; one call per page view, timed against the same budget.
- targets: `tongzhan.targets.completion` of a region's children and `red_units` (the 目标 page's
  red list: one completion per parent below) for 全国, 湖北省 and 十堰市, with 2026 targets for
  every province, city and county × 3 indicators, written into the bench database once (targets
  never enter roll-ups, so the other figures are unchanged).
- exports: the PPTX deck, the Excel workbook and the PNG (kaleido, server started once) of a view (tongzhan.deck, snapshot) for 十堰市,
  湖北省 and 全国, 2026-10; budget (issue 11): a city with 10+ counties ≤ 5 s.
- trend: `tongzhan.trend.series`, the 趋势 page's call, for 全国, 十堰市 and a township over 24
  months, a flow and a rate; it runs one roll-up per point (and per comparison), so the budget
  applies to each statement; the whole call is reported too.

Budget (issue 10): p95 ≤ 50 ms per query (a league table, a trend statement), the league table
of all 38,723 townships ≤ 150 ms; pkg ≤ 1.3× hand and ≥ 20× faster than pandas (medians).
"""
from __future__ import annotations

import argparse
import gc
import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from overview_reference import Frames, at_best_threads, rule  # noqa: E402
from tongzhan import build, index, rollup, store, targets  # noqa: E402
from tongzhan.deck import deck  # noqa: E402
from tongzhan.picture import png  # noqa: E402
from tongzhan.snapshot import take, workbook  # noqa: E402
from tongzhan.catalog import Catalog  # noqa: E402
from tongzhan.league import league  # noqa: E402
from tongzhan.periods import Period, comparable  # noqa: E402
from tongzhan.regions import Tree  # noqa: E402
from tongzhan.trend import series  # noqa: E402

NATIONAL = HERE / "national.duckdb"
INDICATORS = ["funds_raised", "org_count", "village_org_coverage", "assessment_score"]
LEAGUES = [("000000", 4), ("420000", 4), ("420300", 4), ("000000", 3)]
PERIODS = ["2026-10", "2026"]
TRENDS = [("000000", "funds_raised"), ("420300", "funds_raised"), ("420300", "village_org_coverage"),
          ("420302001", "funds_raised")]
BUDGET_MS, ALL_TOWNSHIPS_MS, BUDGET_RATIO, PANDAS_RATIO = 50.0, 150.0, 1.3, 20.0
EXPORT_MS = 5000.0   # issue 11: a city's deck
STATEMENT_MS: list[float] = []


def _timed(fetch):
    def run(con, name, **params):
        t0 = time.perf_counter()
        try:
            return fetch(con, name, **params)
        finally:
            STATEMENT_MS.append((time.perf_counter() - t0) * 1000)
    return run


rollup.rows, rollup.arrow_table = _timed(rollup.rows), _timed(rollup.arrow_table)


def timings(fn, n: int, warm: int = 2) -> np.ndarray:
    for _ in range(warm):
        fn()
    gc.collect()
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return np.array(ms)


def add_targets(path: Path) -> None:
    """2026 year targets for every province, city and county × 3 indicators, once (batch 0)."""
    con = store.connect(path)
    try:
        if con.sql("SELECT count(*) FROM targets").fetchall()[0][0] == 0:
            con.execute("""INSERT INTO targets SELECT code, i.id, 2026, NULL,
                               CASE i.id WHEN 'village_org_coverage' THEN 95 ELSE 50 * (hash(code, i.id) % 40 + 1) END, 0
                           FROM regions, (VALUES ('funds_raised'), ('org_count'), ('village_org_coverage')) i(id)
                           WHERE level BETWEEN 1 AND 3""")
            con.execute("CHECKPOINT")
    finally:
        con.close()


# ------------------------------------------------------------- references (township level)
def _where(cat, ind: str, p: Period, scope: str) -> str:
    """The facts a township's figure rests on: a flow's months in p; a stock's, rate's or score's
    values in effect at p.end (not expired: rule() worked out in overview_reference)."""
    i = cat[ind]
    ids = [i.numerator, i.denominator] if i.kind == "ratio" else [ind]
    lits = ", ".join(f"'{x}'" for x in ids)
    if i.kind == "flow":
        return f"indicator_id IN ({lits}) AND period_start >= DATE '{p.start}' AND period_end <= DATE '{p.end}' {scope}"
    _, oldest = rule(cat, ids[0], p.end)
    return (f"indicator_id IN ({lits}) AND period_end BETWEEN DATE '{oldest}' AND DATE '{p.end}' "
            f"AND (valid_to IS NULL OR valid_to > DATE '{p.end}') {scope}")


def _value(cat, ind: str) -> str:
    i = cat[ind]
    if i.kind != "ratio":
        return "sum(value)::DOUBLE"
    n, d = (f"sum(value) FILTER (indicator_id = '{x}')" for x in (i.numerator, i.denominator))
    return f"CASE WHEN {n} IS NOT NULL AND {d} IS NOT NULL THEN 100.0 * {n} / nullif({d}, 0) END"


def hand_league(con, cat, region: str, ind: str, chosen: Period) -> pd.DataFrame:
    scope = "" if region == "000000" else f"AND d{1 if region.endswith('0000') else 2} = '{region}'"
    last = con.sql(f"SELECT (SELECT period_end FROM facts WHERE TRUE {scope} "
                   "ORDER BY period_end DESC LIMIT 1)").fetchall()[0][0]
    shown = chosen.clamp(last)
    before = comparable(chosen, shown, cat[ind].kind)
    sql = f"""
    WITH now AS (SELECT region_code, {_value(cat, ind)} AS value FROM facts
                 WHERE {_where(cat, ind, shown, scope)} GROUP BY region_code),
         prev AS (SELECT region_code, {_value(cat, ind)} AS value FROM facts
                  WHERE {_where(cat, ind, before, scope)} GROUP BY region_code),
         r AS (SELECT region_code, value, rank() OVER (ORDER BY value DESC) AS rank FROM now WHERE value IS NOT NULL),
         q AS (SELECT region_code, rank() OVER (ORDER BY value DESC) AS prev_rank FROM prev WHERE value IS NOT NULL)
    SELECT r.region_code, r.value, r.rank, q.prev_rank FROM r LEFT JOIN q USING (region_code)"""
    return con.sql(sql).df()


def pandas_league(fr: Frames, cat, region: str, ind: str, chosen: Period) -> pd.DataFrame:
    df, i = fr.df, cat[ind]
    inside = np.ones(len(df), bool)
    if region != "000000":
        inside = (df[f"d{1 if region.endswith('0000') else 2}"] == region).to_numpy()
    last = df.loc[inside, "period_end"].max()
    shown = chosen.clamp(last.date())

    def ranked(p: Period) -> pd.DataFrame:
        ids = [i.numerator, i.denominator] if i.kind == "ratio" else [ind]
        pe = df["period_end"].to_numpy()
        m = inside & df["indicator_id"].isin(ids).to_numpy() & (pe <= np.datetime64(p.end))
        if i.kind == "flow":
            m &= df["period_start"].to_numpy() >= np.datetime64(p.start)
        else:
            m &= (pe >= np.datetime64(rule(cat, ids[0], p.end)[1])) & ~(df["valid_to"].to_numpy() <= np.datetime64(p.end))
        s = df.loc[m, ["region_code", "indicator_id", "micro"]]
        if i.kind == "ratio":
            w = s.pivot_table(index="region_code", columns="indicator_id", values="micro", aggfunc="sum",
                              observed=True).dropna()
            v = 100.0 * w[i.numerator] / w[i.denominator].replace(0, np.nan)
        else:
            v = s.groupby("region_code", observed=True)["micro"].sum() / 1e6
        v = v.dropna()
        return pd.DataFrame({"value": v, "rank": v.rank(method="min", ascending=False)})

    now, prev = ranked(shown), ranked(comparable(chosen, shown, i.kind))
    now["prev_rank"] = prev["rank"].reindex(now.index)
    return now.rename_axis("region_code").reset_index()


def same(pkg: pd.DataFrame, ref: pd.DataFrame, what: str) -> None:
    cols = ["value", "rank", "prev_rank"]
    a = pkg.dropna(subset=["rank"]).set_index("region_code")[cols].astype(float).sort_index()
    b = ref.set_index("region_code")[cols].astype(float).sort_index()
    a.index, b.index = a.index.astype(str), b.index.astype(str)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9, obj=what)


# ------------------------------------------------------------------------------------- main
@dataclass
class Bench:
    con: object
    tree: Tree
    cat: Catalog
    fr: Frames
    repeat: int


def med(x) -> float:
    return float(np.median(x))


def p95(x) -> float:
    return float(np.percentile(x, 95))


def limit(region: str, level: int) -> float:
    return ALL_TOWNSHIPS_MS if (region, level) == ("000000", 4) else BUDGET_MS


def league_rows(b: Bench) -> list[dict]:
    """The league tables, beside hand SQL and pandas at township level (checked equal first)."""
    rows = []
    for (region, level), pk, ind in itertools.product(LEAGUES, PERIODS, INDICATORS):
        p, what = Period.parse(pk), f"排名 {b.tree.name[region]} L{level} {pk} {ind}"
        pkg = lambda: league(b.con, b.tree, b.cat, region, ind, p, level)   # noqa: E731
        t = timings(pkg, b.repeat)
        row = {"what": what, "pkg med": med(t), "pkg p95": p95(t), "limit": limit(region, level)}
        if level == 4:
            hand = lambda: hand_league(b.con, b.cat, region, ind, p)   # noqa: E731
            pand = lambda: pandas_league(b.fr, b.cat, region, ind, p)   # noqa: E731
            same(pkg(), hand(), what + " hand")
            same(pkg(), pand(), what + " pandas")
            row.update({"hand med": med(at_best_threads(b.con, timings, hand, b.repeat)),
                        "pandas med": med(timings(pand, max(3, b.repeat // 3), warm=1))})
        rows.append(row)
        print(f"  {what:48} " + "  ".join(f"{k} {v:7.1f}" for k, v in row.items()
                                          if k not in ("what", "limit")), flush=True)
    return rows


def timed_rows(b: Bench, cases: list[tuple[str, object, float]], n: int) -> list[dict]:
    """One row per (what, call, limit): the call's median and p95 of n runs."""
    rows = []
    for what, fn, most in cases:
        t = timings(fn, n, warm=1)
        rows.append({"what": what, "pkg med": med(t), "pkg p95": p95(t), "limit": most})
        print(f"  {what:48} pkg med {med(t):7.1f}  pkg p95 {p95(t):7.1f}", flush=True)
    return rows


def index_and_target_rows(b: Bench) -> list[dict]:
    config, p = index.load_config(index.INDEX_CSV, b.cat), Period.parse("2026-10")
    cases = [(f"综合指数 {b.tree.name[r]} L{lv} 2026-10",
              lambda r=r, lv=lv: index.scores(b.con, b.tree, b.cat, config, r, lv, p), limit(r, lv))
             for r, lv in LEAGUES]
    for r in ("000000", "420000", "420300"):
        cases += [(f"目标 各下级 {b.tree.name[r]} 2026",
                   lambda r=r: targets.completion(b.con, b.tree, b.cat, r, 2026, by="children"), BUDGET_MS),
                  (f"目标 红灯清单 {b.tree.name[r]} 2026",
                   lambda r=r: targets.red_units(b.con, b.tree, b.cat, r, 2026), BUDGET_MS)]
    return timed_rows(b, cases, max(3, b.repeat // 2))


def export_rows(b: Bench) -> list[dict]:
    p = Period.parse("2026-10")
    cases = [(f"导出 {what} {b.tree.name[r]} 2026-10", lambda r=r, fn=fn: fn(r), EXPORT_MS)
             for r in ("420300", "420000", "000000")
             for what, fn in (("PPT", lambda r: deck(b.con, b.tree, b.cat, r, p)),
                              ("Excel", lambda r: workbook(take(b.con, b.tree, b.cat, r, p))),
                              ("PNG", lambda r: png(take(b.con, b.tree, b.cat, r, p))))]
    return timed_rows(b, cases, 3)


def trend_rows(b: Bench) -> list[tuple]:
    """Per trend: the whole call's median, and the p95 and count of its statements."""
    out, span = [], Period.parse("2024-11~2026-10")
    for region, ind in TRENDS:
        STATEMENT_MS.clear()
        t = timings(lambda: series(b.con, b.tree, b.cat, region, ind, span), max(3, b.repeat // 2))
        stmts = np.array(STATEMENT_MS)
        out.append((f"趋势 {b.tree.name[region]} {ind} 24 个月", med(t), p95(stmts), len(stmts)))
        print(f"  {out[-1][0]:48} call med {med(t):7.1f} ms  statement p95 {p95(stmts):6.1f} ms "
              f"({len(stmts)} statements)", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    a = ap.parse_args()
    if not NATIONAL.exists():
        sys.exit(f"{NATIONAL} is missing: run bench/bench_overview.py first (it builds it)")
    build.ensure_db(NATIONAL)
    add_targets(NATIONAL)
    con = store.connect(NATIONAL, read_only=True)
    print("load average at start", os.getloadavg(), flush=True)
    b = Bench(con, Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all")),
              Frames(con), a.repeat)
    rows, exports, trends = league_rows(b) + index_and_target_rows(b), export_rows(b), trend_rows(b)
    con.close()
    print("load average at end", os.getloadavg())
    verdicts(rows, exports, trends)


def verdicts(rows: list[dict], exports: list[dict], trend_rows: list[tuple]) -> None:
    ok = lambda c: "PASS" if c else "FAIL"   # noqa: E731
    over = [r for r in rows if r["pkg p95"] > r["limit"]]
    worst = max(rows, key=lambda r: r["pkg p95"] / r["limit"])
    print(f"\n{ok(not over)}  排名、综合指数与目标 p95 ≤ {BUDGET_MS:.0f} ms（全国乡镇 ≤ {ALL_TOWNSHIPS_MS:.0f} ms）："
          f"{len(rows) - len(over)}/{len(rows)}，{'超出最多' if over else '最接近上限'} {worst['pkg p95']:.1f} ms"
          f"（上限 {worst['limit']:.0f} ms，{worst['what']}）")
    hand = [r for r in rows if "hand med" in r]
    slow = [r for r in hand if r["pkg med"] > BUDGET_RATIO * r["hand med"]]
    print(f"{ok(not slow)}  排名 ≤ {BUDGET_RATIO}× 手写 SQL（中位数）：{len(hand) - len(slow)}/{len(hand)}，"
          f"最大 {max(r['pkg med'] / r['hand med'] for r in hand):.2f}×")
    ratio = float(np.median([r["pandas med"] / r["pkg med"] for r in hand]))
    print(f"{ok(ratio >= PANDAS_RATIO)}  排名比 pandas 快 ≥ {PANDAS_RATIO:.0f}×（中位数）：{ratio:.1f}×")
    worst = max(trend_rows, key=lambda r: r[2])
    print(f"{ok(worst[2] <= BUDGET_MS)}  趋势 每条查询 p95 ≤ {BUDGET_MS:.0f} ms：最慢 {worst[2]:.1f} ms（{worst[0]}；"
          f"整页调用 {worst[1]:.0f} ms，{worst[3]} 条查询）")
    slow = max(exports, key=lambda r: r["pkg med"])
    print(f"{ok(slow['pkg med'] <= EXPORT_MS)}  导出 PPT/Excel/PNG ≤ {EXPORT_MS / 1000:.0f} s：最慢 "
          f"{slow['pkg med'] / 1000:.2f} s（{slow['what']}）")


if __name__ == "__main__":
    main()
