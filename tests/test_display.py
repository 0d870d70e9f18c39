"""What the dashboard says about numbers and periods: labels, deltas, chart axes, the period cut."""
from __future__ import annotations

import math
from datetime import date

import pytest

from tongzhan.fmt import axis_ticks, fmt_delta, fmt_value
from tongzhan.periods import Period, as_kind, cut_note


# --------------------------------------------------------------------------- labels

@pytest.mark.parametrize("value, unit, text", [
    # One precision per unit and scale, trailing zeros kept: 86.0分 next to 87.4分.
    (86, "分", "86.0分"), (87.4, "分", "87.4分"), (89.75, "分", "89.8分"),
    (93.75, "%", "93.8%"), (100, "%", "100.0%"),
    (88.41, "万元", "88.41万元"), (56.2, "万元", "56.20万元"), (212, "万元", "212.00万元"),
    (4205.3, "万元", "4,205.30万元"), (16300, "万元", "1.63亿元"), (2271500, "万元", "227.15亿元"),
    (50600, "万元", "5.06亿元"), (51000, "万元", "5.10亿元"),
    (73, "个", "73个"), (7409, "个", "7,409个"), (35000, "人次", "3.5万人次"),
    (20000, "人次", "2.0万人次"), (3169000, "人次", "316.9万人次"), (2.5e8, "人次", "2.50亿人次"),
    (None, "万元", "—"), (math.nan, "%", "—"),
    # 四舍五入 on the decimal value, as Excel shows it (Python's format gave 88.2, 88.3, 0.12, 2, -2).
    (88.25, "分", "88.3分"), (88.35, "%", "88.4%"), (0.125, "万元", "0.13万元"), (2.5, "个", "3个"),
    (-2.5, "个", "-3个"), (12500, "人次", "1.3万人次"), (math.inf, "%", "—"), (-math.inf, "万元", "—"),
])
def test_fmt_value(value, unit, text):
    assert fmt_value(value, unit) == text


@pytest.mark.parametrize("now, before, unit, text", [
    (87.4, 86.0, "%", "+1.4个百分点"), (86.0, 87.4, "分", "-1.4分"),
    # A change that rounds to zero at the shown precision is 持平, never "+0.0".
    (86.53, 86.5, "%", "持平"), (86.5, 86.53, "%", "持平"), (90.0, 90.04, "分", "持平"),
    (1000.4, 1000, "万元", "持平"), (1001, 1000, "万元", "+0.1%"), (900, 1000, "个", "-10.0%"),
    # Nothing to compare: no delta at all.
    (100, None, "万元", None), (None, 100, "万元", None), (100, math.nan, "%", None),
    (5, 0, "个", None),
    # Rounded half up on the decimal difference: 88.3 - 80.05 is 8.25 (8.249999999999986 as doubles).
    (88.3, 80.05, "分", "+8.3分"), (80.05, 88.3, "%", "-8.3个百分点"), (103941, 4019, "人次", "+2,486.2%"),
])
def test_fmt_delta(now, before, unit, text):
    assert fmt_delta(now, before, unit) == text


# --------------------------------------------------------------------------- axes

@pytest.mark.parametrize("values, unit, tickvals, ticktext, title", [
    # 227.15亿元 at the top: the axis counts in 亿元 (steps of 50亿 = 500,000万元), never "2.5M".
    ([2271500, 300000, 12.5], "万元", [0, 5e5, 1e6, 1.5e6, 2e6, 2.5e6],
     ["0", "50", "100", "150", "200", "250"], "亿元"),
    # 5.2万人次: steps of 2万, never "50k".
    ([52000, 8000], "人次", [0, 2e4, 4e4, 6e4], ["0", "2", "4", "6"], "万人次"),
    ([12000, 8500], "人次", [0, 5e3, 1e4, 1.5e4], ["0", "0.5", "1", "1.5"], "万人次"),
    ([100, 86.5], "%", [0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100"], "%"),
    ([89.8, 87.1], "分", [0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100"], "分"),
    ([88.41, 20.22], "万元", [0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100"], "万元"),
    ([4205, 296.9, 204.9], "万元", [0, 1000, 2000, 3000, 4000, 5000],
     ["0", "1,000", "2,000", "3,000", "4,000", "5,000"], "万元"),
    ([16300, 900], "万元", [0, 5000, 10000, 15000, 20000], ["0", "0.5", "1", "1.5", "2"], "亿元"),
    ([7409, 352], "个", [0, 2000, 4000, 6000, 8000], ["0", "2,000", "4,000", "6,000", "8,000"], "个"),
    ([3], "个", [0, 1, 2, 3], ["0", "1", "2", "3"], "个"),
    ([0, 0], "个", [0, 0.2, 0.4, 0.6, 0.8, 1], ["0", "0.2", "0.4", "0.6", "0.8", "1"], "个"),
])
def test_axis_ticks(values, unit, tickvals, ticktext, title):
    vals, text, got_title = axis_ticks(values, unit)
    assert vals == pytest.approx(tickvals)
    assert text == ticktext
    assert got_title == title


def test_axis_ticks_ignore_missing_values():
    assert axis_ticks([None, math.nan, 52000], "人次") == axis_ticks([52000], "人次")


# --------------------------------------------------------------------------- periods

LAST = date(2026, 10, 31)  # the newest month with data in the demo


@pytest.mark.parametrize("key, kind, expected", [
    ("2025-03", "year", "2025"), ("2025-03", "quarter", "2025Q1"), ("2025-03", "month", "2025-03"),
    ("2025", "month", "2025-12"), ("2026", "month", "2026-10"),     # the last month with data
    ("2025", "quarter", "2025Q4"), ("2026", "quarter", "2026Q4"),
    ("2026Q4", "month", "2026-10"), ("2025Q2", "month", "2025-06"), ("2026Q4", "year", "2026"),
    ("2025-06~2026-03", "year", "2026"), ("2025-06~2026-03", "quarter", "2026Q1"),
    ("2025Q3", "range", "2025Q3"), ("2025-03", "range", "2025-03"),
])
def test_as_kind_keeps_the_chosen_period(key, kind, expected):
    assert as_kind(Period.parse(key), kind, LAST).key == expected


@pytest.mark.parametrize("chosen, shown, note", [
    ("2026Q4", "2026-10", "数据截至2026年10月，2026年第四季度只含10月。"),
    ("2026", "2026-01~2026-10", "数据截至2026年10月，2026年只含1—10月。"),
    ("2025-06~2026-12", "2025-06~2026-10", "数据截至2026年10月，所选期间只含2025年6月—2026年10月。"),
    ("2026Q3", "2026Q3", None), ("2026-10", "2026-10", None),
])
def test_cut_note_says_what_is_shown_and_why(chosen, shown, note):
    assert cut_note(Period.parse(chosen), Period.parse(shown)) == note


def test_bar_figure_escapes_region_names_and_counts_in_chinese_units():
    import pandas as pd

    from tongzhan.overview import bar_figure
    table = pd.DataFrame({"region_code": ["1", "2"], "region_name": ["<b>甲</b>村", "乙村"],
                          "value": [2271500.0, None], "text": ["227.15亿元", "—"]})
    fig = bar_figure(table, "<i>上级</i>各下级", "万元")
    assert list(fig.data[0].x) == ["&lt;b&gt;甲&lt;/b&gt;村"]        # shown as typed, not bold
    assert fig.layout.title.text == "&lt;i&gt;上级&lt;/i&gt;各下级"
    assert list(fig.layout.yaxis.ticktext) == ["0", "50", "100", "150", "200", "250"]
    assert fig.layout.yaxis.title.text == "亿元"
