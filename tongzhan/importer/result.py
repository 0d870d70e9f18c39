"""The contract of a parse: the facts, problems and skipped rows handed to the callers."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

FACT_COLUMNS = ["region_code", "indicator_id", "period_start", "period_end", "months", "value", "row"]
MAX_PROBLEMS = 1_000   # the first thousand show what is wrong; a list of 100,000 only slows the page


@dataclass
class Problem:
    row: int | None      # row number as seen in the file (1-based, title and header rows counted)
    column: str | None   # the column header as written in the file; None for a row or the file
    message: str         # Chinese: what is wrong and how to fix it


@dataclass
class ParseResult:
    facts: pd.DataFrame     # FACT_COLUMNS; value in the catalog unit; row = source row
    villages: pd.DataFrame  # code, name, parent_code: villages to create (not yet in the tree)
    skipped: pd.DataFrame   # row, reason: rows skipped on purpose (合计 rows, blank rows, notes)
    problems: list[Problem]
    layout: str             # "long" or "wide" ("" when no header was found)
    sheet: str | None       # the Excel sheet read (None for CSV)
    allow_subtotals: bool = False   # a parent and a descendant may both report (own numbers)
    kind: str = "facts"     # "facts", or "targets": a 目标值 file (facts then holds targets)


@dataclass
class Omitted(Problem):
    """The line that closes a capped list: how many problems it leaves out."""
    count: int = 0


def capped(problems: list[Problem]) -> list[Problem]:
    """The first MAX_PROBLEMS problems and a line saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Omitted(None, None, f"另有 {more:,} 个问题未列出：请先改正以上问题，再重新上传检查。", more)]


def problem_count(problems: list[Problem]) -> int:
    """How many problems a (capped) list stands for."""
    return sum(p.count if isinstance(p, Omitted) else 1 for p in problems)


def problems_frame(problems) -> pd.DataFrame:
    """The problems as a table for the downloadable error report: 行号, 列, 问题."""
    return pd.DataFrame({
        "行号": pd.array([p.row for p in problems], dtype="Int64"),
        "列": [p.column or "" for p in problems],
        "问题": [p.message for p in problems],
    })


def _empty_result(problems, layout="", sheet=None) -> ParseResult:
    return ParseResult(facts=pd.DataFrame(columns=FACT_COLUMNS),
                       villages=pd.DataFrame(columns=["code", "name", "parent_code"]),
                       skipped=pd.DataFrame(columns=["row", "reason"]),
                       problems=problems, layout=layout, sheet=sheet)
