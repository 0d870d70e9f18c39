"""League tables (tongzhan.league, `rank` CLI) on small hand-made databases: every expected rank
and value is worked out by hand in the comment next to it."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import open_app
from facts import add, fact
from test_cli import assert_user_error, run
from tongzhan.league import RANK_COLUMNS, first_and_last, league, value_text
from tongzhan.periods import Period

SHIYAN, MAOJIAN, GUANGDONG, DONGGUAN = "420300", "420302", "440000", "441900"
T1, T2, T3 = "420302001", "420302002", "420302003"   # 武当路、二堰、五堰街道 (茅箭区)
Z1 = "420303001"                                      # 花果街道 (张湾区)
DG1, GZ1 = "441900003", "440103001"                   # 东莞市 东城街道 (depth 3), 广州市 a township (depth 4)
TOWNSHIP, COUNTY = 4, 3


def table(con, schema_db, region, indicator, period, level, per=None) -> pd.DataFrame:
    _, tree, catalog = schema_db
    return league(con, tree, catalog, region, indicator, Period.parse(period), level, per)


def ranked(t: pd.DataFrame) -> dict:
    """{code: (rank, value, prev_rank)} of the ranked rows."""
    t = t.dropna(subset=["rank"])
    return {r.region_code: (r.rank, r.value, None if pd.isna(r.prev_rank) else r.prev_rank)
            for r in t.itertuples()}


def test_ties_share_a_rank_and_rank_changes(con, schema_db):
    add(con, [
        fact(T1, "funds_raised", "2026-10", 5), fact(T2, "funds_raised", "2026-10", 3),
        fact(Z1, "funds_raised", "2026-10", 3), fact(T3, "funds_raised", "2026-10", 1),
        fact(T1, "funds_raised", "2026-09", 1), fact(T2, "funds_raised", "2026-09", 5),
        fact(Z1, "funds_raised", "2026-09", 2),
    ])
    t = table(con, schema_db, SHIYAN, "funds_raised", "2026-10", TOWNSHIP)
    # October: 5, 3, 3, 1 → 1, 2, 2, 4 (competition ranking). September: T2 5, Z1 2, T1 1 → 1, 2, 3.
    assert ranked(t) == {T1: (1, 5, 3), T2: (2, 3, 1), Z1: (2, 3, 2), T3: (4, 1, None)}
    assert list(t["region_code"][:4]) == [T1, T2, Z1, T3]          # by rank, then code
    assert t.set_index("region_code")["rank_change"].loc[[T1, T2, Z1]].tolist() == [2, -1, 0]
    assert list(t.columns[:8]) == RANK_COLUMNS
    # Every township of 十堰市 is listed, the 114 without data unranked at the end.
    _, tree, _ = schema_db
    assert len(t) == len(tree.at_level(SHIYAN, TOWNSHIP)) and t["rank"].isna().sum() == len(t) - 4
    assert t.set_index("region_code").loc[Z1, "parent_name"] == "张湾区"
    assert t.attrs["before"] == Period.parse("2026-09")


def test_first_and_last_marks_share_ties():
    def marks(ranks, n):
        t = pd.DataFrame({"rank": ranks, "region_code": [f"r{i}" for i in range(len(ranks))]})
        first, last = first_and_last(t, n)
        return sorted(first), sorted(last)
    assert marks([1, 2, 3, 4, 5, 6, 7, 8], 3) == (["r0", "r1", "r2"], ["r5", "r6", "r7"])
    # 8 regions all at 100 %: all first, none last (竹溪县 was marked last at rank 1)
    assert marks([1] * 8, 5) == ([f"r{i}" for i in range(8)], [])
    # ties at both cuts share the mark: ranks 1 2 2 4 5 5 5 → first 2: 1 2 2; last 2: 5 5 5
    assert marks([1, 2, 2, 4, 5, 5, 5], 2) == (["r0", "r1", "r2"], ["r4", "r5", "r6"])
    # fewer regions than 2n: no region is both
    assert marks([1, 2, 3], 2) == (["r0", "r1"], ["r2"])
    assert marks([], 5) == ([], [])


def test_a_year_in_progress_is_compared_like_for_like(con, schema_db):
    add(con, [
        fact(T1, "funds_raised", "2026-03", 4), fact(T2, "funds_raised", "2026-10", 6),   # 2026 to October
        fact(T1, "funds_raised", "2025-05", 10), fact(T2, "funds_raised", "2025-10", 3),
        fact(T2, "funds_raised", "2025-12", 100),   # after October: not in the comparison
        fact(T1, "org_count", "2025-12", 2), fact(T2, "org_count", "2025-12", 7),
        fact(T1, "org_count", "2026-10", 9), fact(T2, "org_count", "2026-10", 8),
    ])
    t = table(con, schema_db, MAOJIAN, "funds_raised", "2026", TOWNSHIP)
    # 2026 (Jan–Oct): T2 6, T1 4. 2025 Jan–Oct: T1 10, T2 3 (T2's December 100 left out).
    assert ranked(t) == {T2: (1, 6, 2), T1: (2, 4, 1)}
    assert t.attrs["period"] == Period.parse("2026-01~2026-10")
    assert t.attrs["before"] == Period.parse("2025-01~2025-10")
    # A stock compares with the end of the whole year before: 2025-12 T2 7, T1 2.
    t = table(con, schema_db, MAOJIAN, "org_count", "2026", TOWNSHIP)
    assert ranked(t) == {T1: (1, 9, 2), T2: (2, 8, 1)}


def test_per_village_and_rates_with_their_parts(con, schema_db):
    add(con, [
        fact(T1, "funds_raised", "2026-10", 10), fact(T1, "villages_total", "2026-10", 4),
        fact(T2, "funds_raised", "2026-10", 6), fact(T2, "villages_total", "2026-10", 2),
        fact(T3, "funds_raised", "2026-10", 50),                         # no village count
        fact(T1, "villages_with_org", "2026-10", 3), fact(T2, "villages_with_org", "2026-10", 2),
    ])
    t = table(con, schema_db, MAOJIAN, "funds_raised", "2026-10", TOWNSHIP, per="villages_total")
    # T2 6 / 2 = 3 per village, T1 10 / 4 = 2.5; T3 has no village count: no value, unranked.
    assert ranked(t) == {T2: (1, 3.0, None), T1: (2, 2.5, None)}
    row = t.set_index("region_code").loc[T2]
    assert (row["numerator"], row["denominator"]) == (6, 2)
    _, _, catalog = schema_db
    assert value_text(row["value"], catalog, "funds_raised", "villages_total") == "3.00万元/村(社区)"
    assert t.attrs["unit"] == "万元/村(社区)"
    assert value_text(t.set_index("region_code").loc[T3, "value"], catalog, "funds_raised", "villages_total") == "—"
    # Rate: T2 2/2 = 100 %, T1 3/4 = 75 %, with numerator and denominator.
    t = table(con, schema_db, MAOJIAN, "village_org_coverage", "2026-10", TOWNSHIP)
    assert ranked(t) == {T2: (1, 100.0, None), T1: (2, 75.0, None)}
    assert t.set_index("region_code").loc[T1, ["numerator", "denominator"]].tolist() == [3, 4]
    with pytest.raises(ValueError):
        table(con, schema_db, MAOJIAN, "village_org_coverage", "2026-10", TOWNSHIP, per="villages_total")


def test_townships_at_two_depths(con, schema_db):
    add(con, [fact(DG1, "projects_landed", "2026-10", 2), fact(GZ1, "projects_landed", "2026-10", 3)])
    t = table(con, schema_db, GUANGDONG, "projects_landed", "2026-10", TOWNSHIP)
    assert ranked(t) == {GZ1: (1, 3, None), DG1: (2, 2, None)}
    assert t.set_index("region_code").loc[DG1, "parent_name"] == "东莞市"


@pytest.fixture
def rank_db(con, tmp_path):
    """The file behind `con` (conftest), closed so that the CLI can open it."""
    add(con, [fact(T1, "people_served", "2026-10", 300), fact(Z1, "people_served", "2026-10", 500),
              fact(T1, "people_served", "2026-09", 900)])
    con.close()
    return tmp_path / "t.duckdb"


def test_rank_cli(rank_db):
    res = run("rank", "--region", SHIYAN, "--level", "county", "--indicator", "people_served",
              "--period", "2026-10", db=rank_db)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    # 张湾区 500 (September: none), 茅箭区 300 (September: 900, first); the other 6 unranked.
    assert lines[0] == ",".join(RANK_COLUMNS)
    assert lines[1:3] == ["1,420303,张湾区,十堰市,500,,,", "2,420302,茅箭区,十堰市,300,,,1"]
    assert len(lines) == 1 + 8
    res = run("rank", "--region", SHIYAN, "--level", "township", "--indicator", "people_served",
              "--period", "2026-10", "--format", "json", db=rank_db)
    first = json.loads(res.stdout)[0]
    assert (first["region_code"], first["value"], first["prev_rank"]) == (Z1, 500, None)


@pytest.mark.parametrize("args, says", [
    (["--region", MAOJIAN, "--level", "city"], "茅箭区是县(市、区)，其下没有市(州)一级"),
    (["--region", "999999", "--level", "county"], "未知的区划代码"),
    (["--region", SHIYAN, "--level", "county", "--per", "villages_total",
      "--indicator", "village_org_coverage"], "不能按每村(社区)折算"),
])
def test_rank_cli_errors(rank_db, args, says):
    if "--indicator" not in args:
        args = args + ["--indicator", "people_served"]
    assert_user_error(run("rank", *args, "--period", "2026-10", db=rank_db), says)


def test_page_keeps_namesakes_apart_and_draws_a_tie_in_part(con, schema_db, tmp_path, monkeypatch):
    """25 townships of 十堰市 tie first; two 城关镇 of different counties come last. The chart keys
    its bars by code (plotly drew namesakes as one bar, their lengths added up), names each with
    its county, draws at most 20 of a tied end and says so; the table shows "—" where a
    township has no value (it said "None")."""
    _, tree, _ = schema_db
    towns = tree.level_frame(SHIYAN, TOWNSHIP)
    namesakes = towns[towns["region_name"] == "城关镇"].head(2)
    assert namesakes["parent_code"].nunique() == 2
    tied = towns[towns["region_name"] != "城关镇"]["region_code"].head(25)
    add(con, [fact(t, "people_served", "2026-10", 100) for t in tied]
        + [fact(t, "people_served", "2026-10", v) for t, v in zip(namesakes["region_code"], (50, 40))])
    con.close()
    monkeypatch.setenv("TONGZHAN_DB", str(tmp_path / "t.duckdb"))
    at = open_app("pages/rank.py", timeout=60, region=SHIYAN, level=str(TOWNSHIP), ind="people_served",
                  period="2026-10")
    assert not at.exception
    (bar,) = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert len(bar["y"]) == len(set(bar["y"])) == 22 and bar["y"][:20] == list(tied[:20])
    assert bar["y"][20:] == list(namesakes["region_code"]) and bar["x"][20:] == [50, 40]
    counties = [tree.name[c] for c in namesakes["parent_code"]]
    assert bar["customdata"][20:] == [f"26. 城关镇（{counties[0]}）", f"27. 城关镇（{counties[1]}）"]
    assert bar["customdata"][0] == f"1. {tree.name[tied.iloc[0]]}（{tree.name[tree.parent[tied.iloc[0]]]}）"
    assert any("标出的 27 个单位中，图中每端最多画 20 个" in c.value for c in at.caption)
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    # 27 ranked: the 25 tied first are the top 5 with their ties, the 2 left the bottom
    assert layout["title"]["text"].endswith("前5名（绿）与后2名（红）") and layout["xaxis"]["title"]["text"] == "人次"
    table = at.dataframe[0]
    assert table.proto.placeholder == "—" and table.value["名次"].isna().sum() == len(towns) - 27


def test_page_axis_of_a_value_per_village(con, schema_db, tmp_path, monkeypatch):
    """Funds per village: the axis counts 万元 per village, as the bars' labels do."""
    _, tree, _ = schema_db
    a, b = tree.level_frame(SHIYAN, TOWNSHIP)["region_code"].head(2)
    add(con, [fact(a, "funds_raised", "2026-10", 30), fact(a, "villages_total", "2026-10", 10),
              fact(b, "funds_raised", "2026-10", 12), fact(b, "villages_total", "2026-10", 3)])
    con.close()
    monkeypatch.setenv("TONGZHAN_DB", str(tmp_path / "t.duckdb"))
    at = open_app("pages/rank.py", timeout=60, region=SHIYAN, level=str(TOWNSHIP), ind="funds_raised",
                  period="2026-10")
    at.radio(key="rank_per").set_value("villages_total").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    # b: 12 / 3 = 4 万元 per village, first; a: 30 / 10 = 3
    assert spec["data"][0]["x"] == [4, 3] and spec["data"][0]["text"] == ["4.00万元/村(社区)", "3.00万元/村(社区)"]
    assert spec["layout"]["xaxis"]["title"]["text"] == "万元/村(社区)"
    table = at.dataframe[0].value   # the parts with their units: what was divided by what
    assert table[["分子（万元）", "分母（村(社区)数）"]].head(2).values.tolist() == [[12, 3], [30, 10]]
