"""The state of one parse, with its column, row and check methods (columns.py, rows.py, checks.py)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..catalog import Catalog
from ..periods import Period
from .checks import _Checks
from .columns import _Columns
from .header import _Column, _Vocabulary
from .period_cells import not_over, _not_target_period
from .region_names import _Regions
from .result import Problem
from .rows import _Rows


@dataclass
class _Parser(_Columns, _Rows, _Checks):
    """The state of one parse: settles the columns, reads the rows, checks across rows."""
    catalog: Catalog
    vocab: _Vocabulary
    regions: _Regions
    today: dt.date
    default_period: Period | None
    targets: bool           # a file of targets (目标值): years or quarters, ratios allowed, no cross-row checks
    allow_subtotals: bool
    sheet_unit: str = ""    # 单位：万元 written above the header: the unit of plain numbers where it fits
    role: dict[str, list[_Column]] = field(default_factory=dict)   # settled columns by role
    problems: list[Problem] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def problem(self, row, column, message):
        self.problems.append(Problem(row, column, message))

    def period_problem(self, period: Period) -> str | None:
        """Why the period of a cell cannot be imported: facts need a period that is over,
        targets a year or a quarter (see period_cells)."""
        return _not_target_period(period, self.today) if self.targets else not_over(period, self.today)
