"""综合指数 (tongzhan.index) on a small hand-made database: every score below is worked out by hand
in the comment next to it; nothing computes an expectation with the code under test."""
from __future__ import annotations

import json
import shutil
from datetime import date

import pandas as pd
import pytest

from conftest import open_app
from facts import fact, saved_copy
from test_cli import assert_user_error, run
from tongzhan import index, store, targets
from tongzhan.periods import Period
from people import person

MAOJIAN, ZHANGWAN, SHIYAN = "420302", "420303", "420300"   # 茅箭区, 张湾区 in 十堰市
A, B, C = "420302001", "420302002", "420302003"              # 武当路街道, 二堰街道, 五堰街道
D = "420302005"                                              # 白浪街道: no data, a target
EMPTY = ["420302100", "420302200", "420302201"]              # 大川镇, 茅塔乡, 鸳鸯乡: nothing
Z = "420303001"                                              # 张湾区 花果街道
TOWNSHIP, COUNTY = 4, 3

CONFIG = """category,indicator_id,weight,rule,low,high
覆盖,village_org_coverage,40,linear,50,100
资金,funds_raised,30,best,,
资金,projects_landed,10,target,,
考核,assessment_score,20,linear,60,100
"""
FACTS = [
    # A: coverage 3/4 = 75 %, funds 10 + 20 = 30 in Q1 (April's 500 is outside), 3 projects, score 80
    fact(A, "villages_total", "2026-03", 4), fact(A, "villages_with_org", "2026-03", 3),
    fact(A, "funds_raised", "2026-01", 10), fact(A, "funds_raised", "2026-02", 20),
    fact(A, "funds_raised", "2026-04", 500),
    fact(A, "projects_landed", "2026-03", 3), fact(A, "assessment_score", "2026Q1", 80),
    fact(A, "activities", "2026-02", 0),
    # B: coverage 2/2 = 100 %, funds 60, 6 projects, score 50
    fact(B, "villages_total", "2026-02", 2), fact(B, "villages_with_org", "2026-02", 2),
    fact(B, "funds_raised", "2026-03", 60), fact(B, "projects_landed", "2026-01", 6),
    fact(B, "assessment_score", "2026Q1", 50),
    # C: coverage 3/4 = 75 %, funds 30, 3 projects, score 95
    fact(C, "villages_total", "2026-03", 4), fact(C, "villages_with_org", "2026-03", 3),
    fact(C, "funds_raised", "2026-03", 30), fact(C, "projects_landed", "2026-02", 3),
    fact(C, "assessment_score", "2026Q1", 95),
    # Z, in another county: far more funds, never the best peer of 茅箭区's townships
    fact(Z, "funds_raised", "2026-01", 1000), fact(Z, "projects_landed", "2026-01", 1),
]
# C's target 0 is no target (it would make any value a full score); the funds target is not used
# (funds_raised has the rule best).
TARGETS = pd.DataFrame({"region_code": [A, B, C, D, A], "target": [4.0, 5.0, 0.0, 2.0, 100.0],
                        "indicator_id": ["projects_landed"] * 4 + ["funds_raised"]})


@pytest.fixture(scope="module")
def db(schema_db, tmp_path_factory):
    return saved_copy(schema_db, tmp_path_factory.mktemp("index") / "index.duckdb", FACTS)


@pytest.fixture
def ro(db):
    con = store.connect(db, read_only=True)
    yield con
    con.close()


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "index.csv"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def config(config_file, schema_db):
    return index.load_config(config_file, schema_db[2])


def ranking(ro, schema_db, config, region=MAOJIAN, level=TOWNSHIP, period="2026Q1", targets=None):
    _, tree, catalog = schema_db
    return index.scores(ro, tree, catalog, config, region, level, Period.parse(period), targets)


def rows(table, *columns):
    return [tuple(r) for r in table[list(columns)].itertuples(index=False)]


def approx(expected):
    """Rows of expected values, numbers compared to a relative 1e-6 (NaN equals NaN)."""
    return [pytest.approx(e, nan_ok=True) for e in expected]


# --------------------------------------------------------------------------- scores and ranks

def test_scores_with_targets_ties_and_units_without_data(ro, schema_db, config):
    t = ranking(ro, schema_db, config, targets=TARGETS)
    assert list(t.columns) == ["rank", "region_code", "region_name", "parent_name", "score", "覆盖", "资金", "考核"]
    # B: coverage 100 % → (100-50)/50 = 1 → 40; funds 60 = best → 30; projects 6/5 capped → 10;
    #    score 50 below 60 → 0. Total 80.
    # A: 75 % → 0.5 → 20; funds 30/60 → 15; projects 3/4 → 7.5; (80-60)/40 = 0.5 → 10. Total 52.5.
    # C: 75 % → 20; funds 30/60 → 15; projects no target → 0; (95-60)/40 = 0.875 → 17.5. Total 52.5.
    # D and the three others: no data, 0. Competition ranking: 1, 2, 2, 4, 4, 4, 4 (tree order in ties).
    assert rows(t, "rank", "region_code", "score", "覆盖", "资金", "考核") == approx([
        (1, B, 80.0, 40.0, 40.0, 0.0),
        (2, A, 52.5, 20.0, 22.5, 10.0),
        (2, C, 52.5, 20.0, 15.0, 17.5),
        (4, D, 0.0, 0.0, 0.0, 0.0),
        *[(4, e, 0.0, 0.0, 0.0, 0.0) for e in EMPTY]])
    assert rows(t.head(2), "region_name", "parent_name") == [("二堰街道", "茅箭区"), ("武当路街道", "茅箭区")]


def test_without_targets_the_target_component_scores_nothing(ro, schema_db, config):
    t = ranking(ro, schema_db, config)
    # projects_landed scores 0 for everyone: B 80 - 10 = 70, C 52.5, A 52.5 - 7.5 = 45.
    assert rows(t.head(4), "rank", "region_code", "score") == approx(
        [(1, B, 70.0), (2, C, 52.5), (3, A, 45.0), (4, D, 0.0)])


def test_targets_as_a_callable_get_the_units_the_rule_and_the_cut_period(ro, schema_db, config):
    asked = []

    def targets(units, ids, period):
        asked.append((units, ids, period))
        return TARGETS

    t = ranking(ro, schema_db, config, period="2026", targets=targets)
    # 2026 is cut at 茅箭区's newest data (A's April funds): 2026-01~2026-04. A's funds 30 + 500 = 530
    # are now the best: A 20 + 30 + 7.5 + 10 = 67.5; B 40 + 30 × 60/530 + 10 + 0 = 53.396…
    assert asked == [([A, B, C, D, *EMPTY], ["projects_landed"], Period.parse("2026-01~2026-04"))]
    assert rows(t.head(2), "region_code", "score") == approx([(A, 67.5), (B, 50 + 1800 / 530)])


def test_weights_come_from_the_file(ro, schema_db, config_file):
    config_file.write_text(CONFIG.replace("assessment_score,20", "assessment_score,40"), encoding="utf-8")
    config = index.load_config(config_file, schema_db[2])
    t = ranking(ro, schema_db, config)
    # no targets; assessment now 40 points: B 40 + 30 + 0 + 0 = 70; C 20 + 15 + 0 + 0.875 × 40 = 70;
    # A 20 + 15 + 0 + 0.5 × 40 = 55.
    assert rows(t.head(3), "rank", "region_code", "score") == approx([(1, B, 70.0), (1, C, 70.0), (3, A, 55.0)])


def test_ties_ignore_float_noise(ro, schema_db, tmp_path):
    path = tmp_path / "noise.csv"
    path.write_text("category,indicator_id,weight,rule,low,high\n覆盖,village_org_coverage,0.1,linear,50,100\n"
                    "资金,funds_raised,0.7,best,,\n考核,assessment_score,0.4,linear,60,95\n", encoding="utf-8")
    t = ranking(ro, schema_db, index.load_config(path, schema_db[2]))
    # B: 0.1 × 1 + 0.7 × 1 + 0.4 × 0 = 0.8 (in floats 0.7999999999999999);
    # C: 0.1 × 0.5 + 0.7 × 0.5 + 0.4 × (95-60)/35 = 0.8 (0.8 in floats): a tie.
    # A: 0.05 + 0.35 + 0.4 × (80-60)/35 = 0.628571…: third, not tied with them at a coarse rounding.
    assert rows(t.head(3), "rank", "region_code", "score") == approx([(1, B, 0.8), (1, C, 0.8), (3, A, 0.4 + 8 / 35)])


def test_county_level_uses_the_roll_up_rules(ro, schema_db, config):
    t = ranking(ro, schema_db, config, region=SHIYAN, level=COUNTY)
    # 茅箭区: coverage Σ3+2+3 / Σ4+2+4 = 80 % (not the mean of rates) → (80-50)/50 = 0.6 → 24;
    #   funds 30 + 60 + 30 = 120 against 张湾区's 1000 → 0.12 → 3.6; projects no target → 0;
    #   score: no own score, mean of its townships' (80 + 50 + 95) / 3 = 75 → 0.375 → 7.5. Total 35.1.
    # 张湾区: funds best → 30, nothing else. The other six counties: 0.
    assert rows(t.head(3), "rank", "region_code", "score", "覆盖", "资金", "考核") == approx([
        (1, MAOJIAN, 35.1, 24.0, 3.6, 7.5), (2, ZHANGWAN, 30.0, 0.0, 30.0, 0.0),
        (3, "420304", 0.0, 0.0, 0.0, 0.0)])
    assert len(t) == 8 and set(t["rank"].iloc[2:]) == {3}


def test_best_of_all_zero_scores_nothing(ro, schema_db, tmp_path):
    path = tmp_path / "zero.csv"
    path.write_text("category,indicator_id,weight,rule,low,high\n宣教,activities,10,best,,\n", encoding="utf-8")
    config = index.load_config(path, schema_db[2])
    _, tree, catalog = schema_db
    parts = index.breakdown(index.scored(ro, tree, catalog, config, MAOJIAN, TOWNSHIP, Period.parse("2026Q1")))
    # A reported 0 activities, nobody else any: the best is 0, so A scores 0 (not 1) and says why
    a = parts.set_index("region_code").loc[A]
    assert (a["value"], a["reference"], a["score"], a["note"]) == (0.0, 0.0, 0.0, "各单位均为0")
    assert set(parts["points"]) == {0.0} and set(parts["rank"]) == {1}
    assert (parts["note"] == "无数据").sum() == 6


# --------------------------------------------------------------------------- breakdown

def test_breakdown_says_how_each_score_was_made(ro, schema_db, config):
    _, tree, catalog = schema_db
    s = index.scored(ro, tree, catalog, config, MAOJIAN, TOWNSHIP, Period.parse("2026Q1"), TARGETS)
    parts = index.breakdown(s)
    assert list(parts.columns) == index.PART_COLUMNS
    assert len(parts) == 7 * 4 and list(parts["region_code"].iloc[[0, 4, 8]]) == [B, A, C]   # by rank
    a = parts[parts["region_code"] == A]
    got = rows(a, "category", "indicator_id", "value", "unit", "rule", "reference", "score", "weight", "points", "note")
    nan = float("nan")
    expected = [("覆盖", "village_org_coverage", 75.0, "%", "linear", nan, 0.5, 40.0, 20.0, ""),
                ("资金", "funds_raised", 30.0, "万元", "best", 60.0, 0.5, 30.0, 15.0, ""),   # best: B's 60
                ("资金", "projects_landed", 3.0, "个", "target", 4.0, 0.75, 10.0, 7.5, ""),
                ("考核", "assessment_score", 80.0, "分", "linear", nan, 0.5, 20.0, 10.0, "")]
    assert got == approx(expected)
    assert a["indicator"].iloc[0] == "村(社区)统战组织覆盖率" and set(a["rank"]) == {2}
    note = {(r, i): n for r, i, n in rows(parts, "region_code", "indicator_id", "note")}
    assert note[(C, "projects_landed")] == "无目标值"          # has data, no target
    assert note[(D, "projects_landed")] == "无数据"            # has a target, no data
    assert note[(D, "funds_raised")] == "无数据"
    assert note[(EMPTY[0], "projects_landed")] == "无数据；无目标值"
    shown = index.unit_rows(s, A)   # as the page shows it
    assert list(shown["数值"]) == ["75.0%", "30.00万元", "3个", "80.0分"]
    assert list(shown["参照值"]) == ["50.0%→0，100.0%→满分", "最优 60.00万元", "目标 4个", "60.0分→0，100.0分→满分"]
    assert list(shown["得分"]) == [20.0, 15.0, 7.5, 10.0]
    b = parts[(parts["region_code"] == B) & (parts["indicator_id"] == "projects_landed")].iloc[0]
    assert (b["value"], b["reference"], b["score"], b["points"]) == (6.0, 5.0, 1.0, 10.0)   # capped


def test_bar_figure_stacks_categories_of_the_top_units(ro, schema_db, config):
    t = ranking(ro, schema_db, config, region=SHIYAN, level=COUNTY)
    fig = index.bar_figure(t, "十堰市各县", with_parent=False)
    bars, total = fig.data[:3], fig.data[3]
    assert [b.name for b in bars] == ["覆盖", "资金", "考核"] and len(fig.data) == 4
    # best on top: plotly draws the first category at the bottom, so the order is reversed
    assert list(bars[0].y)[-2:] == [ZHANGWAN, MAOJIAN] and list(bars[1].x)[-2:] == approx([30.0, 3.6])
    assert list(total.text)[-2:] == ["30.0分", "35.1分"]
    assert list(fig.layout.yaxis.ticktext)[-2:] == ["张湾区", "茅箭区"] and fig.layout.yaxis.type == "category"


def test_breakdown_of_a_region_without_units(ro, schema_db, config):
    _, tree, catalog = schema_db
    s = index.scored(ro, tree, catalog, config, "441900", COUNTY, Period.parse("2026Q1"))  # 东莞市
    parts = index.breakdown(s)
    assert parts.empty and list(parts.columns) == index.PART_COLUMNS
    assert index.totals(s).empty
    assert list(index.totals(s).columns) == ["rank", "region_code", "region_name", "parent_name", "score", "覆盖", "资金", "考核"]


# --------------------------------------------------------------------------- configuration

def test_default_configuration(schema_db):
    config = index.load_config(index.INDEX_CSV, schema_db[2])
    assert config["weight"].sum() == 100
    assert list(dict.fromkeys(config["category"])) == ["基础工作", "机构建设", "制度建设", "统战领域", "风险管控", "宣教培训"]


def test_bad_configuration_lists_every_problem_in_chinese(schema_db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("category,indicator_id,weight,rule,low,high\n"
                    "覆盖,no_such,10,linear,0,100\n"          # line 2
                    "资金,funds_raised,十,best,,\n"            # line 3
                    "资金,projects_landed,10,best_of,,\n"      # line 4
                    "考核,assessment_score,10,linear,60,\n"    # line 5
                    ",activities,0,best,,\n"                   # line 6
                    "资金,funds_raised,5,best,0,1\n", encoding="utf-8")  # line 7
    with pytest.raises(index.ConfigError) as e:
        index.load_config(path, schema_db[2])
    msg = str(e.value)
    for part in ["bad.csv 有误", "第2行：未知的指标“no_such”", "第3行：权重（weight）“十”不是正数",
                 "第4行：未知的计分方法（rule）“best_of”", "第5行：计分方法 linear 需要数字的下限和上限",
                 "第6行：类别（category）为空", "第6行：权重（weight）“0”不是正数",
                 "第7行：指标“funds_raised”已在第3行出现", "第7行：计分方法 best 不用下限和上限"]:
        assert part in msg


@pytest.mark.parametrize("content, message", [
    ("category,indicator_id,weight,rule\n覆盖,funds_raised,10,best\n", "缺少列：low、high"),
    ("category,indicator_id,weight,rule,low,high\n", "没有任何计分项"),
    ("", "不是有效的 CSV"),
    ("category,indicator_id,weight,rule,low,high\n考核,assessment_score,10,linear,60,60\n", "第2行：下限与上限"),
    ("category,indicator_id,weight,rule,low,high\n考核,assessment_score,nan,linear,60,100\n", "“nan”不是正数"),
])
def test_bad_configuration_files(schema_db, tmp_path, content, message):
    path = tmp_path / "c.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(index.ConfigError, match=message):
        index.load_config(path, schema_db[2])


def test_configuration_not_utf8(schema_db, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(CONFIG.encode("gbk"))
    with pytest.raises(index.ConfigError, match="不是 UTF-8 编码"):
        index.load_config(path, schema_db[2])


# --------------------------------------------------------------------------- command line

def test_cli_index_csv_and_breakdown(db, config_file):
    res = run("index", "--region", MAOJIAN, "--level", "township", "--period", "2026Q1",
              "--config", str(config_file), db=db)
    assert res.returncode == 0, res.stderr
    # without targets, as test_without_targets_the_target_component_scores_nothing
    assert res.stdout.splitlines()[:5] == ["rank,region_code,region_name,score,覆盖,资金,考核",
                                           f"1,{B},二堰街道,70,40,30,0", f"2,{C},五堰街道,52.5,20,15,17.5",
                                           f"3,{A},武当路街道,45,20,15,10", f"4,{D},白浪街道,0,0,0,0"]
    res = run("index", "--region", MAOJIAN, "--level", "township", "--period", "2026Q1", "--breakdown",
              "--format", "json", "--config", str(config_file), db=db)
    assert res.returncode == 0, res.stderr
    parts = json.loads(res.stdout)
    assert len(parts) == 28 and parts[0] == {
        "rank": 1, "region_code": B, "region_name": "二堰街道", "category": "覆盖",
        "indicator_id": "village_org_coverage", "indicator": "村(社区)统战组织覆盖率", "value": 100.0,
        "unit": "%", "rule": "linear", "low": 50.0, "high": 100.0, "reference": None, "score": 1.0, "weight": 40.0, "points": 40.0,
        "note": ""}
    assert parts[2]["note"] == "无目标值" and parts[2]["points"] == 0


def test_cli_index_bad_input(db, config_file, tmp_path):
    def index_args(region=MAOJIAN, level="township", period="2026Q1", config=config_file):
        return ["index", "--region", region, "--level", level, "--period", period, "--config", str(config)]
    res = run(*index_args(level="town"), db=db)   # argparse: not one of the levels
    assert res.returncode == 2 and "town" in res.stderr and res.stdout == ""
    assert_user_error(run(*index_args(level="county"), db=db), "茅箭区是县(市、区)，其下没有县(市、区)一级")
    assert_user_error(run(*index_args(region="999999"), db=db), "未知的区划代码")
    assert_user_error(run(*index_args(period="2026Q5"), db=db), "期间")
    assert_user_error(run(*index_args(config=tmp_path / "none.csv"), db=db), "找不到综合指数配置文件")
    bad = tmp_path / "bad.csv"
    bad.write_text(CONFIG.replace("best", "max"), encoding="utf-8")
    res = run(*index_args(config=bad), db=db)
    assert_user_error(res, "第3行：未知的计分方法（rule）“max”")
    assert res.returncode == 2


# --------------------------------------------------------------------------- page

@pytest.fixture
def page(db, config_file, tmp_path, monkeypatch):
    """Open pages/index.py (through dashboard.py) on a copy of the hand-made database, scored by
    the test configuration."""
    copy = tmp_path / "app.duckdb"
    shutil.copyfile(db, copy)
    monkeypatch.setenv("TONGZHAN_DB", str(copy))
    monkeypatch.setattr(index, "INDEX_CSV", config_file)
    return lambda **params: open_app("pages/index.py", **params)


def test_page_ranks_breaks_down_and_keeps_the_level_in_the_url(page):
    at = page(region=SHIYAN, period="2026Q1", level="3")
    assert not at.exception
    ranking = at.dataframe[0].value
    # as test_county_level_uses_the_roll_up_rules
    assert rows(ranking.head(2), "排名", "代码", "总分", "覆盖", "资金", "考核") == approx([
        (1, MAOJIAN, 35.1, 24.0, 3.6, 7.5), (2, ZHANGWAN, 30.0, 0.0, 30.0, 0.0)])
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [d.get("name") for d in spec["data"][:3]] == ["覆盖", "资金", "考核"]
    detail = at.dataframe[1].value   # the best unit's breakdown
    assert list(detail["得分"]) == approx([24.0, 3.6, 0.0, 7.5])
    assert list(detail["说明"]) == ["", "", "无目标值", ""]
    assert len(at.dataframe[2].value) == 4   # the configuration, read-only
    at.selectbox(key="level").set_value(4).run()
    assert at.query_params["level"] == "4"
    # 十堰市's townships: Z's 1000 is now the best funds. B 40 + 30 × 60/1000 = 41.8;
    # C 20 + 30 × 30/1000 + 17.5 = 38.4; A 20 + 0.9 + 10 = 30.9; Z 30.
    ranking = at.dataframe[0].value
    assert rows(ranking.head(4), "排名", "代码", "总分") == approx([(1, B, 41.8), (2, C, 38.4), (3, A, 30.9), (4, Z, 30.0)])
    # the chart shows the four units with data; the other townships of 十堰市 (D and the rest: no value
    # for any component, 0 points) are left out of it and counted below it, but stay in the table
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sorted(spec["data"][0]["y"]) == sorted([A, B, C, Z])
    others = len(ranking) - 4
    assert others > 100 and D in set(ranking["代码"])
    assert any(f"另有 {others} 个乡镇(街道)在2026年第一季度没有任何一项数据" in c.value for c in at.caption)
    at.selectbox(key=f"unit_{SHIYAN}_4").set_value(A).run()
    assert list(at.dataframe[1].value["得分"]) == approx([20.0, 0.9, 0.0, 10.0])


def test_page_shows_a_bad_configuration(page, config_file):
    config_file.write_text(CONFIG.replace("linear,50,100", "linear,50,"), encoding="utf-8")
    at = page(region=MAOJIAN, period="2026Q1")
    assert not at.exception
    assert "第2行：计分方法 linear 需要数字的下限和上限" in at.error[0].value


def test_target_rule_reads_the_stored_year_targets(db, schema_db, config, tmp_path):
    """Without targets from the caller, the target rule reads the year targets stored through the
    importer (targets.due): a flow's prorated to the period's months, a rate's level as it is."""
    _, tree, catalog = schema_db
    path = tmp_path / "targets.duckdb"
    shutil.copyfile(db, path)
    con = store.connect(path)
    try:
        today = date(2026, 11, 30)
        for region, indicator, value in [(A, "projects_landed", "16"), (B, "projects_landed", "24"),
                                         (A, "village_org_coverage", "90%")]:
            assert targets.enter(con, tree, catalog, region, indicator, 2026, None, value, person(con, "张三"), today)
        due = targets.due(con, catalog, [A, B, C], ["projects_landed", "village_org_coverage"],
                          Period.parse("2026Q1"))
        # 16 and 24 a year → 4 and 6 due over three months; a rate's 90 % stays 90 %.
        assert sorted(due.itertuples(index=False, name=None)) == [
            (A, "projects_landed", 4.0), (A, "village_org_coverage", 90.0), (B, "projects_landed", 6.0)]
        parts = index.breakdown(index.scored(con, tree, catalog, config, MAOJIAN, TOWNSHIP, Period.parse("2026Q1")))
    finally:
        con.close()
    got = parts[parts["indicator_id"] == "projects_landed"].set_index("region_code")
    # A: 3 of 4 → 0.75 × 10 = 7.5 points; B: 6 of 6 → 10; C has no stored target.
    assert got.loc[[A, B], "points"].tolist() == approx([7.5, 10.0])
    assert got.loc[C, "note"] == "无目标值" and got.loc[C, "points"] == 0
