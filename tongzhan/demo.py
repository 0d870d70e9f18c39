"""Deterministic demo data over the real division tree: 湖北省, 衢州市 and 枣庄市, 2024-01 to 2026-10.

Township-level monthly facts for every stored catalog indicator (scores quarterly), consistent
(villages_with_org ≤ villages_total, ...) and shaped after the seed articles: 十堰 reaches 100 %
village coverage and ≥ 90 % chamber coverage by 2026; 江山 raises about 500 万元 and lands about
80 projects a year and serves about 3.5 万人次.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .periods import month_end

DEMO_AREAS = ("420000", "330800", "370400")
SHIYAN, JIANGSHAN = "420300", "330881"
FIRST = (2024, 1)
N_MONTHS = 34  # 2024-01 .. 2026-10
SEED = 20261023
# The demo database's logins (accounts.add_demo_users; marked demo; README lists them):
# name, display name, role, write scope, password. Demo only: never in a real database.
LOGINS = [("demo-admin", "演示管理员", "admin", "000000", "demo-admin-2026"),
          ("demo-shiyan", "演示·十堰市工作人员", "staff", SHIYAN, "demo-shiyan-2026"),
          ("demo-maojian", "演示·茅箭区工作人员", "staff", "420302", "demo-maojian-2026"),
          ("demo-viewer", "演示·领导", "viewer", "000000", "demo-viewer-2026")]


def month_starts() -> pd.DatetimeIndex:
    return pd.date_range(f"{FIRST[0]}-{FIRST[1]:02d}-01", periods=N_MONTHS, freq="MS")


def demo_townships(regions: pd.DataFrame) -> pd.DataFrame:
    """Township rows (code, d2, d3) under the demo areas, in code order."""
    t = regions[(regions["level"] == 4)]
    inside = t["d1"].eq(DEMO_AREAS[0]) | t["d2"].isin(DEMO_AREAS[1:])
    return t[inside].sort_values("code")[["code", "d2", "d3"]].reset_index(drop=True)


def _ramp(rng, n, m, p0_lo, p0_hi, target, ramp):
    """Share rising linearly from p0 to target over `ramp` months, shape (n, m)."""
    p0 = rng.uniform(p0_lo, p0_hi, n)[:, None]
    t = np.minimum(1.0, np.arange(m)[None, :] / ramp[:, None])
    return p0 + (target[:, None] - p0) * t


def generate(regions: pd.DataFrame) -> pd.DataFrame:
    """Long frame region_code, indicator_id, period_start, period_end, months, value."""
    rng = np.random.default_rng(SEED)
    towns = demo_townships(regions)
    n, m = len(towns), N_MONTHS
    shiyan = towns["d2"].eq(SHIYAN).to_numpy()
    months_idx = np.arange(m)
    season = np.array([1.0, 0.6, 0.9, 1.0, 1.0, 1.1, 0.9, 0.9, 1.1, 1.1, 1.2, 1.4])[
        (months_idx + FIRST[1] - 1) % 12][None, :]
    growth = (1 + 0.012 * months_idx)[None, :]

    villages = np.where(shiyan, rng.integers(10, 21, n), rng.integers(6, 26, n)).astype(float)[:, None]
    v = np.repeat(villages, m, axis=1)
    org_p = _ramp(rng, n, m, 0.45, 0.8, np.where(shiyan, 1.0, rng.uniform(0.8, 1.0, n)),
                  np.where(shiyan, rng.uniform(12, 24, n), rng.uniform(20, 40, n)))
    liaison_p = _ramp(rng, n, m, 0.3, 0.7, np.where(shiyan, 1.0, rng.uniform(0.85, 1.0, n)),
                      np.where(shiyan, rng.uniform(12, 24, n), rng.uniform(24, 48, n)))
    pair_p = _ramp(rng, n, m, 0.1, 0.3, rng.uniform(0.5, 0.9, n), rng.uniform(24, 40, n))
    with_org = np.floor(v * org_p + 1e-9)
    chamber_from = np.where(shiyan, np.where(rng.random(n) < 0.93, rng.integers(0, 24, n), 999),
                            rng.integers(0, 60, n))
    officer_from = np.where(shiyan, rng.integers(0, 12, n), rng.integers(0, 40, n))
    chamber = (months_idx[None, :] >= chamber_from[:, None]).astype(float)
    orgs = with_org + rng.integers(1, 5, n)[:, None] + chamber
    base_max = rng.integers(0, 3, n)[:, None]
    projects = rng.poisson(0.35 * season * growth, (n, m)).astype(float)

    values = {
        "villages_total": v,
        "villages_with_org": with_org,
        "villages_with_liaison": np.floor(v * liaison_p + 1e-9),
        "townships_total": np.ones((n, m)),
        "townships_with_chamber": chamber,
        "townships_with_officer": (months_idx[None, :] >= officer_from[:, None]).astype(float),
        "org_count": orgs,
        "member_count": orgs * rng.integers(6, 15, n)[:, None],
        "base_count": np.floor(base_max * np.minimum(1.0, months_idx[None, :] / 24) + 1e-9),
        "enterprise_village_pairs": np.floor(v * pair_p + 1e-9),
        "funds_raised": np.round(rng.gamma(2.0, 1.2, (n, m)) * season * growth, 2),
        "donations": np.round(rng.gamma(1.5, 0.6, (n, m)) * season, 2),
        "projects_landed": projects,
        "project_investment": np.round(projects * rng.gamma(2.0, 1500.0, (n, m)), 2),
        "people_served": rng.poisson(150 * season * growth, (n, m)).astype(float),
        "activities": rng.poisson(3 * season, (n, m)).astype(float),
        "issues_resolved": rng.poisson(2 * season, (n, m)).astype(float),
    }
    starts = month_starts()
    late = rng.random(n) < 0.08   # 8 % of townships have not reported the latest month yet
    return pd.concat([_monthly(values, towns, starts, late), _scores(rng, towns, starts)], ignore_index=True)


def _monthly(values: dict[str, np.ndarray], towns: pd.DataFrame, starts, late: np.ndarray) -> pd.DataFrame:
    """The townships × months matrices of values as long fact rows, without the latest month of
    the late townships."""
    ends = np.array([month_end(s.year, s.month) for s in starts])
    mask = np.ones(next(iter(values.values())).shape, dtype=bool)
    mask[late, -1] = False
    ti, mi = np.nonzero(mask)
    return pd.concat([pd.DataFrame({
        "region_code": towns["code"].to_numpy()[ti], "indicator_id": ind,
        "period_start": starts[mi].date, "period_end": ends[mi], "months": 1, "value": arr[ti, mi]})
        for ind, arr in values.items()], ignore_index=True)


TARGET_STEPS = {"funds_raised": 1, "projects_landed": 1, "people_served": 100,   # targets are
                "village_org_coverage": 1, "assessment_score": 0.5}          # rounded to these


def targets(actual: pd.DataFrame) -> pd.DataFrame:
    """Plausible 2026 targets (region_code, indicator_id, period, value) from 2025 roll-ups
    (region_code, indicator_id, value): flows 15 % below to 30 % above 2025 (some units fall behind what is
    due by October), village coverage 100 %, scores up to 6 points above 2025 (at most 98)."""
    rng = np.random.default_rng(SEED + 2026)
    a = actual[actual["indicator_id"].isin(list(TARGET_STEPS))].sort_values(["region_code", "indicator_id"])
    v, ind = a["value"].to_numpy(dtype=float), a["indicator_id"].to_numpy()
    raw = np.where(ind == "assessment_score", np.minimum(v + rng.uniform(0, 6, len(a)), 98),
                   v * rng.uniform(0.85, 1.3, len(a)))
    step = a["indicator_id"].map(TARGET_STEPS).to_numpy(dtype=float)
    value = np.where(ind == "village_org_coverage", 100.0, np.round(raw / step) * step)
    return pd.DataFrame({"region_code": a["region_code"].to_numpy(), "indicator_id": ind,
                         "period": "2026", "value": [f"{x:g}" for x in value]})


def _scores(rng, towns: pd.DataFrame, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """Quarterly assessment scores for 90 % of townships, quarters that ended before the data end."""
    quarters = [s for s in starts if s.month % 3 == 1 and s + pd.DateOffset(months=2) <= starts[-1]]
    reporting = towns["code"].to_numpy()[rng.random(len(towns)) < 0.9]
    rows = []
    for qi, q in enumerate(quarters):
        score = np.clip(rng.normal(80 + 0.8 * qi, 6, len(reporting)), 55, 99)
        end = month_end(q.year, q.month + 2)
        rows.append(pd.DataFrame({
            "region_code": reporting, "indicator_id": "assessment_score",
            "period_start": q.date(), "period_end": end, "months": 3,
            "value": np.round(score * 2) / 2}))
    return pd.concat(rows, ignore_index=True)
