"""Periods of cells (2026-03, 2026年第一季度, 2026) and how two periods of one indicator overlap."""
from __future__ import annotations

import calendar
import datetime as dt
import re

from ..periods import Period, first_year
from .text import _key, _text


_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
PERIOD_HELP = "请写成 2026-03、2026年3月、202603、2026Q1、2026年第一季度 或 2026年"


def parse_period(value) -> Period:
    """A month, quarter or year from a cell: an Excel date, '2026-03', '2026/3', '2026.3',
    '2026年3月', '202603', '2026Q1', '2026年第一季度', '2026年1季度', '2026', '2026年'.
    ValueError (Chinese) for anything else, including ranges that are not one of those."""
    text = value.isoformat() if isinstance(value, dt.date) else _text(value)
    text = re.sub(r"[\sT]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)   # a date written with its time
    if any(c.isdigit() and not c.isascii() for c in text):
        raise ValueError(f"期间「{_text(value)}」含有其他文字的数字：请用阿拉伯数字 0—9 填写，{PERIOD_HELP[1:]}。")
    if (year := re.match(r"[0-9]{4}", text)) and int(year.group()) < first_year():
        raise ValueError(f"期间「{_text(value)}」早于 {first_year()} 年：只能导入 {first_year()} 年以来的数据，请核对年份。")
    try:
        period = _match_period(_key(text).upper().replace("年度", "年"))
    except ValueError as e:   # month 13, a range that ends before it starts
        raise ValueError(f"期间「{_text(value)}」无效（{e}）：{PERIOD_HELP}。") from None
    if period is None:
        raise ValueError(f"无法识别期间「{_text(value)}」：{PERIOD_HELP}。")
    if "~" in period.key:
        raise ValueError(f"期间「{_text(value)}」不是一个月、一个季度或一年：每行只能填一个月、季度或年度。")
    return period


def _match_period(text: str) -> Period | None:
    if m := re.fullmatch(r"(\d{4})(?:[-/.年](\d{1,2})(?:月份?)?(?:[-/.]?(\d{1,2})日?)?|(\d{2}))", text):
        year, month = int(m.group(1)), int(m.group(2) or m.group(4))
        if m.group(3) and 1 <= month <= 12 and not 1 <= int(m.group(3)) <= calendar.monthrange(year, month)[1]:
            raise ValueError(f"{year}年{month}月没有{int(m.group(3))}日")
        return Period.months(year, month, year, month)
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})[-—~至到](\d{1,2})月(?:份)?", text):   # 2026年1-3月
        year, first, last = map(int, m.groups())
        return Period.months(year, first, year, last)
    if m := (re.fullmatch(r"(\d{4})年?-?第?([1-4一二三四])季度?", text)
             if "季" in text else re.fullmatch(r"(\d{4})年?-?Q([1-4])", text)):
        year, q = int(m.group(1)), _CN_DIGIT[m.group(2)]
        return Period.months(year, 3 * q - 2, year, 3 * q)
    if m := re.fullmatch(r"(\d{4})年?", text):
        return Period.months(int(m.group(1)), 1, int(m.group(1)), 12)
    if re.fullmatch(r"\d{4}-\d{1,2}~\d{4}-\d{1,2}", text):
        return Period.parse(text)
    return None


def not_over(period: Period, today: dt.date) -> str | None:
    """Why a period cannot be imported yet: it ends after the current month (the current month
    itself may be reported); None when it can."""
    if (period.end.year, period.end.month) <= (today.year, today.month):
        return None
    now = f"（今天是 {today.year}年{today.month}月{today.day}日）"
    if (period.start.year, period.start.month) > (today.year, today.month):
        return f"期间「{period.label}」还没有到{now}：不能导入未来的数据，请核对年份和月份。"
    return (f"期间「{period.label}」还没有结束{now}：季度、年度数据请在期末之后填报，"
            "或改按已经结束的月份填报。")


def _not_target_period(period: Period, today: dt.date) -> str | None:
    """Why a period cannot hold a target: a target is for a year or a calendar quarter, at most
    next year's; None when it can."""
    if "Q" not in period.key and "-" in period.key:
        return (f"期间「{period.label}」不是年度或季度：目标值只能按年度（如 2026）或季度（如 2026Q1、"
                "2026年第一季度）填写。")
    if period.start.year > today.year + 1:
        return f"期间「{period.label}」太远：目标值最多填到明年（{today.year + 1}年）。"
    return None


def _join_period_parts(parts: list[str]) -> str:
    """Separate year and month (or quarter) columns: ['2026', '3'] → '2026-3'."""
    if len(parts) == 2 and re.fullmatch(r"\d{4}年?", parts[0]) and re.fullmatch(r"\d{1,2}月?", parts[1]):
        return f"{parts[0].rstrip('年')}-{parts[1].rstrip('月')}"
    return "".join(parts)


def overlap_note(flow: bool, a: Period, b: Period) -> str:
    """How the periods a and b of one indicator overlap, for messages: flows share a month;
    stocks (and scores) hold from their period end until the next report, so both are in effect
    at the later period end."""
    if flow:
        return f"{a.label}与{b.label}有重叠的月份"
    later = max(a.end, b.end)
    return f"存量的数在下次上报之前一直有效，{a.label}与{b.label}的数在{later.year}年{later.month}月同时有效"


def granularity_reason(flow: bool) -> str:
    """Why one unit may not report an indicator for overlapping periods of different lengths."""
    if flow:
        return "两个期间有重叠的月份，汇总时会重复计算或只计入其中一个"
    return "两者是同一时点（期末）的数，汇总时只会取其中一个"


def _months(p: Period) -> int:
    return (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1
