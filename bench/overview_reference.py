"""The two reference implementations bench_overview.py checks the package against and times beside
it, written independently of tongzhan.rollup: hand-written DuckDB SQL for each case (literal
columns, dates and IN lists; the carry-forward dates worked out here), and pandas over the facts
loaded once. Both return target, indicator_id, value, numerator, denominator, units,
carried_units, excluded_units."""
from __future__ import annotations

import collections
import time

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from tongzhan import store
from tongzhan.periods import Period


def at_best_threads(con, timed, fn, n: int):
    """timed(fn, n) for a hand-written query at the faster (by median) of DuckDB's thread
    settings: the package's (store.READ_THREADS, which the connection has) and every core
    (DuckDB's default, store.all_threads): the reference at its best. timed returns the
    timings, or a tuple whose first item they are."""
    one = timed(fn, n)
    with store.all_threads(con):
        every = timed(fn, n)
    return min(one, every, key=lambda t: float(np.median(t[0] if isinstance(t, tuple) else t)))


# ------------------------------------------------------------------ the rules, worked out here
# Independent of tongzhan.rollup.rules (which the package uses), so the check covers it too.
def rule(cat, ind: str, end) -> tuple:
    """(due, oldest) of a stock or score at `end`: due = end of the latest reporting period over
    by `end`; values ending before `oldest` (carry periods before due) have expired, values ending
    before `due` are carried forward."""
    i = cat[ind]
    m = pd.Period(end, "M")
    due = m - m.month % i.months
    return due.end_time.date(), (due - i.carry * i.months).end_time.date()


def cut(p: Period, last) -> Period:
    """The period cut at the month of the newest data `last` (like for like)."""
    if last is None or pd.isna(last):
        return p
    end = (pd.Timestamp(last) + pd.offsets.MonthEnd(0)).date()
    return p if p.end <= end or p.start > end else Period(p.start, end)


# ------------------------------------------------------------------ hand-written DuckDB queries
# Every function returns target, indicator_id, value, numerator, denominator, units,
# carried_units, excluded_units (the package's COLUMNS without the oldest period).
def lits(ids) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def scope(k: int, region: str) -> str:
    return f"AND d{k} = '{region}'" if k else ""


def target(k: int, region: str, children: bool, alias: str = "") -> str:
    return f"{alias}d{k + 1}" if children else f"'{region}'"


def stock_where(cat, ids, k, region, p: Period, effective="period_end") -> tuple[str, str]:
    """WHERE of the facts in effect at p.end (current, not expired) and the expression 'carried'.
    The catalog's stocks share one rule (monthly, carry 2): then one literal date range.
    effective: the column from which a row holds (bucket_totals' ratio pairs: `effective`)."""
    rules = {i: rule(cat, i, p.end) for i in ids}
    valid = f"{effective} <= DATE '{p.end}' AND (valid_to IS NULL OR valid_to > DATE '{p.end}') {scope(k, region)}"
    if len(set(rules.values())) == 1:
        due, oldest = next(iter(rules.values()))
        return (f"indicator_id IN ({lits(ids)}) AND period_end >= DATE '{oldest}' AND {valid}",
                f"period_end < DATE '{due}'")
    ors = " OR ".join(f"(indicator_id = '{i}' AND period_end >= DATE '{o}')" for i, (_, o) in rules.items())
    carried = "CASE indicator_id " + " ".join(f"WHEN '{i}' THEN period_end < DATE '{d}'"
                                              for i, (d, _) in rules.items()) + " END"
    return f"({ors}) AND {valid}", carried


NO_COUNTS = "NULL::BIGINT AS units, NULL::BIGINT AS carried_units, NULL::BIGINT AS excluded_units"


def sums(k: int, children: bool) -> str | None:
    """The filter on bucket_totals when the package reads it for this target (tongzhan.buckets.
    serves: the city sums for the country and a province, the county sums for a city and for a
    county's own figure), else None: the facts."""
    if k <= 2 or (k == 3 and not children):
        return f"AND level = {2 if k <= 1 else 3}"
    return None


def hand_flow(cat, ids, k, region, children, p: Period) -> str:
    """Explicit anti-join with the coarse (months > 1) facts read by a scan of their own: zone maps
    on `months` skip every row group of a monthly-only indicator, the join's build side is empty.
    Where the package reads bucket_totals (sums()), those sums, whose cover columns stand for the anti-join."""
    w = f"indicator_id IN ({lits(ids)}) AND period_start >= DATE '{p.start}' AND period_end <= DATE '{p.end}' {scope(k, region)}"
    if level := sums(k, children):
        return f"""
    SELECT {target(k, region, children)} AS target, indicator_id, sum(value)::DOUBLE AS value,
           NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, {NO_COUNTS}
    FROM bucket_totals WHERE {w} {level} AND NOT coalesce(cover_start >= DATE '{p.start}' AND cover_end <= DATE '{p.end}', false)
    GROUP BY ALL HAVING target IS NOT NULL"""
    return f"""
    SELECT {target(k, region, children, "s.")} AS target, s.indicator_id, sum(s.value)::DOUBLE AS value,
           NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, {NO_COUNTS}
    FROM (SELECT * FROM facts WHERE {w}) s
    ANTI JOIN (SELECT region_code, indicator_id, period_start, period_end, months FROM facts WHERE months > 1 AND {w}) c
      ON c.region_code = s.region_code AND c.indicator_id = s.indicator_id AND c.months > s.months
     AND c.period_start <= s.period_start AND c.period_end >= s.period_end
    GROUP BY ALL HAVING target IS NOT NULL"""


def hand_stock(cat, ids, k, region, children, p) -> str:
    where, carried = stock_where(cat, ids, k, region, p)
    level = sums(k, children)
    table, n = ("bucket_totals", "sum(units)") if level else ("facts", "count(*)")
    return f"""
    SELECT {target(k, region, children)} AS target, indicator_id, sum(value)::DOUBLE AS value,
           NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, {n} AS units,
           coalesce({n} FILTER ({carried}), 0) AS carried_units, NULL::BIGINT AS excluded_units
    FROM {table} WHERE {where} {level or ""} GROUP BY ALL HAVING target IS NOT NULL"""


def hand_ratio(cat, rid, num, den, k, region, children, p) -> str:
    """Per region its two parts (one current fact each), then the sums over the regions with both.
    From bucket_totals (sums()): the ratio's own rows, pairs (units > 0) and lone parts."""
    if level := sums(k, children):
        where, carried = stock_where(cat, [num, den], k, region, p, effective="effective")
        parts = f"indicator_id IN ({lits([num, den])})"
        assert parts in where   # the parts share one rule; the ratio's rows follow it
        where = where.replace(parts, f"indicator_id = '{rid}'")
        return f"""
    SELECT target, '{rid}' AS indicator_id, 100 * n / nullif(d, 0) AS value, n AS numerator, d AS denominator,
           units, carried_units, excluded_units
    FROM (SELECT {target(k, region, children)} AS target,
                 (sum(value) FILTER (units > 0))::DOUBLE AS n, (sum(den) FILTER (units > 0))::DOUBLE AS d,
                 sum(units) AS units, coalesce(sum(units) FILTER ({carried}), 0) AS carried_units,
                 sum(lone) AS excluded_units
          FROM bucket_totals WHERE {where} {level} GROUP BY ALL HAVING target IS NOT NULL)"""
    where, carried = stock_where(cat, [num, den], k, region, p)
    if children:
        where += f" AND d{k + 1} IS NOT NULL"
    return f"""
    SELECT target, '{rid}' AS indicator_id, 100 * n / nullif(d, 0) AS value, n AS numerator, d AS denominator,
           units, carried_units, excluded_units
    FROM (SELECT target, (sum(n) FILTER (d IS NOT NULL))::DOUBLE AS n, (sum(d) FILTER (n IS NOT NULL))::DOUBLE AS d,
                 count(n + d) AS units, count(n + d) FILTER (c) AS carried_units,
                 count(*) - count(n + d) AS excluded_units
          FROM (SELECT {target(k, region, children)} AS target, sum(value) FILTER (indicator_id = '{num}') AS n,
                       sum(value) FILTER (indicator_id = '{den}') AS d, bool_or({carried}) AS c
                FROM facts WHERE {where} GROUP BY region_code{", target" if children else ""})
          GROUP BY target)"""


def hand_score(cat, ind, k, region, children, p) -> str:
    """Scores sit on townships (depth 3 or 4; one current row each): mean of means, grouping by
    d{k+1}..dj for j = 3 .. k+1 (a depth-3 township, d4 NULL, is a group of its own); c counts
    the carried scores below."""
    where, carried = stock_where(cat, [ind], k, region, p)
    cols = [f"d{j}" for j in range(k + 1, 5)] or ["d5"]
    sql = (f"WITH l4 AS (SELECT {', '.join(cols)}, value::DOUBLE AS value, 1 AS n, ({carried})::INT AS c "
           f"FROM facts WHERE {where})")
    prev = "l4"
    for j in range(3, k, -1):
        keys = ", ".join(cols[: j - k])
        sql += f",\n l{j} AS (SELECT {keys}, avg(value) AS value, count(*) AS n, sum(c) AS c FROM {prev} GROUP BY {keys})"
        prev = f"l{j}"
    rest = f"'{ind}' AS indicator_id, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator"
    if children:
        return sql + (f"\nSELECT d{k + 1} AS target, value, {rest}, n AS units, c AS carried_units, "
                      f"NULL::BIGINT AS excluded_units FROM {prev} WHERE d{k + 1} IS NOT NULL")
    return sql + (f"\nSELECT '{region}' AS target, avg(value) AS value, {rest}, count(*) AS units, sum(c) AS "
                  f"carried_units, NULL::BIGINT AS excluded_units FROM {prev} HAVING count(*) > 0")


def hand_last_end(k, region) -> str:
    """max(period_end) written as a top-1: DuckDB then reads the row groups newest first and skips
    the rest by their zone maps (1-3 ms; max() scans the subtree's filter column: up to 700 ms)."""
    return f"SELECT (SELECT period_end FROM facts WHERE TRUE {scope(k, region)} ORDER BY period_end DESC LIMIT 1)"


# ------------------------------------------------------------------------------ pandas versions
class Frames:
    """Values as integer millionths (`micro`, exact like DECIMAL(18,6)): sums are exact."""

    def __init__(self, con):
        t0 = time.perf_counter()
        tab = con.sql("SELECT region_code, indicator_id, period_start, period_end, months,"
                      " (value * 1000000)::BIGINT AS micro, valid_to, d1, d2, d3, d4, d5 FROM facts").to_arrow_table()
        for name in ["region_code", "indicator_id", "d1", "d2", "d3", "d4", "d5"]:
            i = tab.schema.get_field_index(name)
            tab = tab.set_column(i, name, pc.dictionary_encode(tab.column(i)))  # -> pandas category
        self.df = tab.to_pandas(date_as_object=False)
        print(f"pandas: {len(self.df):,} facts loaded in {time.perf_counter() - t0:.1f} s, "
              f"{self.df.memory_usage(deep=True).sum() / 2**20:.0f} MiB")

    def rows(self, cat, ids, k, region, p: Period, flow: bool, children: bool) -> pd.DataFrame:
        """Facts of the subtree in the range (flow) or in effect at p.end (with `carried`)."""
        df, end = self.df, np.datetime64(p.end)
        pe = df["period_end"].to_numpy()
        m = pe <= end
        if flow:
            m &= df["indicator_id"].isin(ids).to_numpy() & (df["period_start"].to_numpy() >= np.datetime64(p.start))
        else:
            rules = {i: rule(cat, i, p.end) for i in ids}
            by_oldest = collections.defaultdict(list)
            for i, (_, oldest) in rules.items():
                by_oldest[oldest].append(i)
            m &= np.logical_or.reduce([df["indicator_id"].isin(g).to_numpy() & (pe >= np.datetime64(o))
                                       for o, g in by_oldest.items()])
            m &= ~(df["valid_to"].to_numpy() <= end)  # NaT compares False: valid_to IS NULL OR > end
        if k:
            m &= (df[f"d{k}"] == region).to_numpy()
        s = df[m]
        s = s.assign(target=s[f"d{k + 1}"].astype(object) if children else region).dropna(subset=["target"])
        if not flow:
            due = {i: np.datetime64(d) for i, (d, _) in rules.items()}
            s = s.assign(carried=s["period_end"].to_numpy() < s["indicator_id"].map(due).astype("datetime64[ns]").to_numpy())
        return s

    @staticmethod
    def out(frame, **cols):
        return frame.assign(**{c: np.nan for c in ["numerator", "denominator", "units", "carried_units",
                                                    "excluded_units"] if c not in frame and c not in cols}, **cols)

    def flow(self, cat, ids, k, region, children, p):
        s = self.rows(cat, ids, k, region, p, True, children)
        c = s[s["months"] > 1]
        if len(c):  # drop facts covered by a coarser one in the range (none in this data set)
            j = s.reset_index().merge(c, on=["region_code", "indicator_id"], suffixes=("", "_c"))
            j = j[(j.months_c > j.months) & (j.period_start_c <= j.period_start) & (j.period_end_c >= j.period_end)]
            s = s.drop(index=j["index"].unique())
        g = s.groupby(["target", "indicator_id"], observed=True)["micro"].sum().reset_index()
        return self.out(g.assign(value=g.pop("micro") / 1e6))

    def stock(self, cat, ids, k, region, children, p):
        g = self.rows(cat, ids, k, region, p, False, children).groupby(["target", "indicator_id"], observed=True)
        g = g.agg(micro=("micro", "sum"), units=("micro", "size"), carried_units=("carried", "sum")).reset_index()
        return self.out(g.assign(value=g.pop("micro") / 1e6))

    def ratio(self, cat, rid, num, den, k, region, children, p):
        s = self.rows(cat, [num, den], k, region, p, False, children)
        keys = ["target", "region_code"]
        per = pd.concat({
            "n": s[s["indicator_id"] == num].groupby(keys, observed=True)["micro"].sum(),
            "d": s[s["indicator_id"] == den].groupby(keys, observed=True)["micro"].sum(),
            "c": s.groupby(keys, observed=True)["carried"].any()}, axis=1)
        both = per["n"].notna() & per["d"].notna()
        t = pd.DataFrame({"n": per["n"].where(both), "d": per["d"].where(both), "both": both,
                          "carried": both & per["c"]}).groupby(level="target")
        g = t.agg(n=("n", lambda x: x.sum(min_count=1)), d=("d", lambda x: x.sum(min_count=1)),
                  units=("both", "sum"), carried_units=("carried", "sum"), size=("both", "size"))
        n, d = g["n"] / 1e6, g["d"] / 1e6
        return pd.DataFrame({"target": g.index, "indicator_id": rid, "value": (100 * n / d).where(d != 0),
                             "numerator": n, "denominator": d, "units": g["units"],
                             "carried_units": g["carried_units"], "excluded_units": g["size"] - g["units"]})

    def score(self, cat, ind, k, region, children, p):
        s = self.rows(cat, [ind], k, region, p, False, False)
        cols = [f"d{j}" for j in range(k + 1, 6)]
        lvl = s[cols].astype(object).assign(value=s["micro"] / 1e6, n=1, c=s["carried"].astype(int))
        for j in range(3, k, -1):
            lvl = lvl.groupby([f"d{i}" for i in range(k + 1, j + 1)], dropna=False).agg(
                value=("value", "mean"), n=("value", "size"), c=("c", "sum")).reset_index()
        if children:
            out = lvl.rename(columns={f"d{k + 1}": "target", "n": "units", "c": "carried_units"})
            out = out.dropna(subset=["target"])
        else:
            out = pd.DataFrame({"target": [region], "value": [lvl["value"].mean()], "units": [len(lvl)],
                                "carried_units": [lvl["c"].sum()]})
            out = out[out["units"] > 0]
        return self.out(out.assign(indicator_id=ind))

    def last_end(self, k, region):
        pe = self.df["period_end"]
        return (pe[(self.df[f"d{k}"] == region).to_numpy()] if k else pe).max()
