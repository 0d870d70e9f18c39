"""Reporting periods (tongzhan.periods) and the official division tree (tongzhan.regions)."""
from __future__ import annotations

from datetime import date

import pytest

from tongzhan import build, store
from tongzhan.periods import Period, comparable, month_end
from tongzhan.regions import ROOT_CODE, Tree


# --------------------------------------------------------------------------- periods

@pytest.mark.parametrize("text, start, end, key, label", [
    ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-03", "2026年3月"),
    ("2026-3", date(2026, 3, 1), date(2026, 3, 31), "2026-03", "2026年3月"),
    (" 2026-11 ", date(2026, 11, 1), date(2026, 11, 30), "2026-11", "2026年11月"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02", "2024年2月"),      # leap year
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026-02", "2026年2月"),
    ("2026Q1", date(2026, 1, 1), date(2026, 3, 31), "2026Q1", "2026年第一季度"),
    ("2026q2", date(2026, 4, 1), date(2026, 6, 30), "2026Q2", "2026年第二季度"),
    ("2026Q3", date(2026, 7, 1), date(2026, 9, 30), "2026Q3", "2026年第三季度"),
    ("2026Q4", date(2026, 10, 1), date(2026, 12, 31), "2026Q4", "2026年第四季度"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026", "2026年"),
    ("2025-01~2026-10", date(2025, 1, 1), date(2026, 10, 31), "2025-01~2026-10", "2025年1月—2026年10月"),
    ("2025-11~2026-02", date(2025, 11, 1), date(2026, 2, 28), "2025-11~2026-02", "2025年11月—2026年2月"),
    # Ranges that name a month, a quarter or a year get the short key.
    ("2026-05~2026-05", date(2026, 5, 1), date(2026, 5, 31), "2026-05", "2026年5月"),
    ("2026-04~2026-06", date(2026, 4, 1), date(2026, 6, 30), "2026Q2", "2026年第二季度"),
    ("2026-01~2026-12", date(2026, 1, 1), date(2026, 12, 31), "2026", "2026年"),
    # Not a quarter (does not start on a quarter's first month), not a year (two years).
    ("2026-02~2026-04", date(2026, 2, 1), date(2026, 4, 30), "2026-02~2026-04", "2026年2月—2026年4月"),
    ("2025-01~2026-12", date(2025, 1, 1), date(2026, 12, 31), "2025-01~2026-12", "2025年1月—2026年12月"),
])
def test_parse_key_label(text, start, end, key, label):
    p = Period.parse(text)
    assert (p.start, p.end) == (start, end)
    assert p.key == key
    assert p.label == label
    assert Period.parse(p.key) == p   # key is the inverse of parse


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026Q0", "2026Q5", "26", "20261", "abc", "",
                                  "2026-03~2026-01", "2026-13~2027-01", "2026-01-01", "2026年3月"])
def test_parse_rejects(text):
    with pytest.raises(ValueError) as e:
        Period.parse(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(e.value)), "message must be Chinese"


def test_months_constructor():
    assert Period.months(2025, 11, 2026, 2) == Period(date(2025, 11, 1), date(2026, 2, 28))
    with pytest.raises(ValueError):
        Period.months(2026, 3, 2026, 2)
    assert month_end(2024, 2) == date(2024, 2, 29)
    assert month_end(2100, 2) == date(2100, 2, 28)   # not a leap year
    assert month_end(2026, 12) == date(2026, 12, 31)


@pytest.mark.parametrize("text, expected", [
    ("2026-03", Period(date(2025, 3, 1), date(2025, 3, 31))),
    ("2026Q1", Period(date(2025, 1, 1), date(2025, 3, 31))),
    ("2026", Period(date(2025, 1, 1), date(2025, 12, 31))),
    ("2025-11~2026-02", Period(date(2024, 11, 1), date(2025, 2, 28))),
    ("2025-02", Period(date(2024, 2, 1), date(2024, 2, 29))),           # into a leap February
    ("2024-02", Period(date(2023, 2, 1), date(2023, 2, 28))),           # out of a leap February
    ("2025-01~2026-10", Period(date(2024, 1, 1), date(2025, 10, 31))),
])
def test_last_year(text, expected):
    assert Period.parse(text).last_year() == expected


@pytest.mark.parametrize("text, length, before", [
    ("2026-01", 1, "2025-12"),                  # across the year boundary
    ("2026Q1", 3, "2025Q4"),
    ("2026", 12, "2025"),
    ("2025-11~2026-02", 4, "2025-07~2025-10"),  # a range: as many months just before
])
def test_length_and_before(text, length, before):
    p = Period.parse(text)
    assert p.length == length and p.before().key == before


@pytest.mark.parametrize("chosen, last, kind, expected", [
    ("2026", "2026-10", "flow", "2025-01~2025-10"),     # a year in progress: the same months
    ("2026", "2026-10", "stock", "2025"),               # a stock: the end of the year before
    ("2026Q4", "2026-10", "flow", "2026-07"),           # a quarter's first month ↔ the first month before
    ("2026Q4", "2026-10", "ratio", "2026Q3"),
    ("2026-10", "2026-10", "flow", "2026-09"),
    ("2026Q3", "2026-10", "flow", "2026Q2"),            # a whole quarter: the whole quarter before
])
def test_comparable_period_like_for_like(chosen, last, kind, expected):
    c = Period.parse(chosen)
    assert comparable(c, c.clamp(Period.parse(last).end), kind).key == expected


# --------------------------------------------------------------------------- division tree

@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    con = store.connect(tmp_path_factory.mktemp("tree") / "t.duckdb")
    build.init_db(con)
    t = Tree(store.query(con, "regions_all"))
    con.close()
    return t


def test_tree_basics(tree):
    assert tree.name[ROOT_CODE] == "全国" and tree.depth[ROOT_CODE] == 0
    assert tree.ancestors(ROOT_CODE) == [ROOT_CODE]
    assert "420000" in tree.children(ROOT_CODE) and "440000" in tree.children(ROOT_CODE)
    assert tree.name["420300"] == "十堰市"
    assert tree.children("420300")[:2] == ["420302", "420303"]          # 茅箭区, 张湾区
    assert tree.name["420302"] == "茅箭区" and tree.name["420303"] == "张湾区"
    assert tree.ancestors("420302001") == ["000000", "420000", "420300", "420302", "420302001"]
    assert tree.depth["420302001"] == 4 and tree.level["420302001"] == 4
    assert tree.full_name("420302001") == "湖北省十堰市茅箭区" + tree.name["420302001"]
    assert tree.full_name(ROOT_CODE) == "全国"
    assert tree.ancestors("330881") == ["000000", "330000", "330800", "330881"]   # 江山市
    assert tree.name["330881"] == "江山市"
    assert "420300" in tree and "999999" not in tree
    # Children follow parent links, never code prefixes: each child names its parent.
    for code in ("420000", "420300", "429004", "441900", "330881"):
        kids = tree.children(code)
        assert kids and all(tree.parent[k] == code for k in kids)
        assert all(tree.depth[k] == tree.depth[code] + 1 for k in kids)


def test_xiantao_directly_under_hubei(tree):
    assert tree.name["429004"] == "仙桃市"
    assert tree.parent["429004"] == "420000"
    assert "429004" in tree.children("420000")
    assert tree.depth["429004"] == 2 and tree.level["429004"] == 3       # a county-level city at depth 2
    assert "429000" not in tree                                           # no prefecture in between
    kids = tree.children("429004")
    assert "429004001" in kids and all(len(k) == 9 for k in kids)
    assert tree.ancestors("429004001") == ["000000", "420000", "429004", "429004001"]
    assert tree.full_name("429004001") == "湖北省仙桃市" + tree.name["429004001"]


def test_dongguan_townships_directly_under_city(tree):
    assert tree.name["441900"] == "东莞市" and tree.parent["441900"] == "440000"
    kids = tree.children("441900")
    assert kids and all(len(k) == 9 and k.startswith("441900") for k in kids)   # townships
    assert all(tree.level[k] == 4 and tree.depth[k] == 3 for k in kids)
    assert "441900003" in kids and tree.name["441900003"] == "东城街道"
    assert tree.ancestors("441900003") == ["000000", "440000", "441900", "441900003"]
    # The level below a region is its children's: townships for 东莞市, counties for 十堰市.
    assert (tree.child_level("441900"), tree.child_level("420300"), tree.child_level("441900003")) == (4, 3, None)
