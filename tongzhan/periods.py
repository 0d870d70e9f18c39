"""Reporting periods: months, quarters, years and custom month ranges."""
from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass
from datetime import date


FREQUENCY_MONTHS = {"month": 1, "quarter": 3, "year": 12}  # catalog frequency → months per report
GRAIN_NAMES = {"month": "月度", "quarter": "季度", "year": "年度"}


def first_year() -> int:
    """The earliest year accepted (TONGZHAN_FIRST_YEAR, default 2000): 0001-01 or an Excel date
    of 1900 is a slip, and every page would have to show decades of nothing."""
    return int(os.environ.get("TONGZHAN_FIRST_YEAR", "2000"))


def plausible_window(today: date) -> tuple[date, date]:
    """The periods a page offers: from first_year() to the end of next year. A fact outside
    (year 0001 or 9999, say, stored by an older version) is left out of the pickers."""
    return date(first_year(), 1, 1), date(today.year + 1, 12, 31)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months_before(end: date, n: int) -> date:
    """The end of the month n months before the month of `end`."""
    i = end.year * 12 + end.month - 1 - n
    return month_end(i // 12, i % 12 + 1)


def due_end(end: date, months: int) -> date:
    """The end of the latest calendar period of `months` months (month, quarter, year) that is over
    by `end`: at 2026-11-30, quarterly reports are due up to 2026Q3 (2026-09-30)."""
    return months_before(end, end.month % months)


@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    end: date    # last day of the last month

    @classmethod
    def months(cls, y1: int, m1: int, y2: int, m2: int) -> "Period":
        if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
            raise ValueError("月份应在 1—12 之间")
        if (y2, m2) < (y1, m1):
            raise ValueError("期间的结束早于开始")
        return cls(date(y1, m1, 1), month_end(y2, m2))

    @classmethod
    def parse(cls, text: str) -> "Period":
        """'2026-03', '2026Q1', '2026', or a range 'YYYY-MM~YYYY-MM'."""
        t = text.strip()
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})~(\d{4})-(\d{1,2})", t):
            y1, m1, y2, m2 = map(int, m.groups())
            return cls.months(y1, m1, y2, m2)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", t):
            y, mo = map(int, m.groups())
            if 1 <= mo <= 12:
                return cls.months(y, mo, y, mo)
        if m := re.fullmatch(r"(\d{4})[Qq]([1-4])", t):
            y, q = map(int, m.groups())
            return cls.months(y, 3 * q - 2, y, 3 * q)
        if m := re.fullmatch(r"(\d{4})", t):
            y = int(m.group(1))
            return cls.months(y, 1, y, 12)
        raise ValueError(f"无法识别的期间：{text}")

    @property
    def key(self) -> str:
        """The inverse of parse: the shortest text naming this period."""
        (y1, m1), (y2, m2) = (self.start.year, self.start.month), (self.end.year, self.end.month)
        if (y1, m1) == (y2, m2):
            return f"{y1}-{m1:02d}"
        if y1 == y2 and m1 == 1 and m2 == 12:
            return f"{y1}"
        if y1 == y2 and m1 % 3 == 1 and m2 == m1 + 2:
            return f"{y1}Q{(m1 + 2) // 3}"
        return f"{y1}-{m1:02d}~{y2}-{m2:02d}"

    @property
    def label(self) -> str:
        """Chinese label: 2026年3月, 2026年第一季度, 2026年, 2025年1月—2026年10月."""
        k = self.key
        if "~" in k:
            return f"{self.start.year}年{self.start.month}月—{self.end.year}年{self.end.month}月"
        if "Q" in k:
            return f"{self.start.year}年第{'一二三四'[int(k[-1]) - 1]}季度"
        if "-" in k:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年"

    @property
    def months_label(self) -> str:
        """The months without the year when they lie in one year: 10月, 1—10月; else the label."""
        if self.start.year != self.end.year:
            return self.label
        m1, m2 = self.start.month, self.end.month
        return f"{m1}月" if m1 == m2 else f"{m1}—{m2}月"

    def clamp(self, last: date) -> "Period":
        """This period cut at the month of `last` (the newest data), so comparisons stay fair."""
        end = month_end(last.year, last.month)
        return self if self.end <= end or self.start > end else Period(self.start, end)

    @property
    def length(self) -> int:
        """The number of months."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def before(self) -> "Period":
        """The comparable period just before: the month, quarter or year before, or the months
        of a range's length just before it."""
        return Period(months_before(self.start, self.length).replace(day=1),
                      months_before(self.end, self.length))

    def first(self, n: int) -> "Period":
        """The first n months (all when n is longer)."""
        return Period(self.start, months_before(self.start, -min(n, self.length) + 1))

    def last_year(self) -> "Period":
        """The same months one year earlier."""
        return Period.months(self.start.year - 1, self.start.month, self.end.year - 1, self.end.month)


def as_kind(p: Period, kind: str, last: date) -> Period:
    """The period of another kind ("month", "quarter", "year", "range") that keeps p: the
    month, quarter or year of p's last month with data (p cut at `last`); a range is p itself.
    2025-03 → 2025Q1 → 2025; 2025 → 2025-12; 2026 → 2026-10 when October is the newest."""
    if kind == "range":
        return p
    end = p.clamp(last).end
    y, m = end.year, end.month
    if kind == "month":
        return Period.months(y, m, y, m)
    if kind == "quarter":
        q = (m - 1) // 3
        return Period.months(y, 3 * q + 1, y, 3 * q + 3)
    return Period.months(y, 1, y, 12)


def comparable(chosen: Period, shown: Period, kind: str) -> Period:
    """The period before `chosen` that `shown` (chosen cut at the newest data) is compared with,
    like for like: a flow sums as many months as shown has (2026 cut at October ↔ 2025 January
    to October, 2026Q4 cut at October ↔ July); a stock, rate or score takes the previous
    period's end value (the whole previous period)."""
    before = chosen.before()
    return before.first(shown.length) if kind == "flow" else before


def cut_note(chosen: Period, shown: Period) -> str | None:
    """Why `shown` is shorter than `chosen` (the data ends earlier), or None when they agree:
    数据截至2026年10月，2026年第四季度只含10月。"""
    if chosen == shown:
        return None
    end = shown.end
    if shown.start.year == end.year and chosen.start.year == chosen.end.year:
        what = f"{chosen.label}只含{shown.months_label}"
    else:
        what = f"所选期间只含{shown.label}"
    return f"数据截至{end.year}年{end.month}月，{what}。"
