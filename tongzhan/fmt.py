"""Numbers the Chinese way: 万, 亿, 万元, %, 个百分点."""
from __future__ import annotations

import math
from decimal import Decimal

COUNT_UNITS = {"个", "人", "人次", "场次", "对"}


def _num(x: float, digits: int = 2) -> str:
    s = f"{x:,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def exact(v) -> str:
    """A value exactly as stored or uploaded (float or Decimal), for messages: no exponent, no
    trailing zeros: 30.000000 → '30', 1234567.5 → '1234567.5', 0.000001 → '0.000001'."""
    return f"{Decimal(str(v)).normalize():f}"


def is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_value(v, unit: str) -> str:
    """212 万元 → '212万元'; 16300 万元 → '1.63亿元'; 35000 人次 → '3.5万人次'; 93.75 % → '93.8%'."""
    if is_missing(v):
        return "—"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "分":
        return f"{_num(v, 1)}分"
    if unit == "万元":
        if abs(v) >= 10000:
            return f"{_num(v / 10000)}亿元"
        return f"{_num(v, 2 if abs(v) < 100 else 1 if abs(v) < 1000 else 0)}万元"
    if abs(v) >= 1e8:
        return f"{_num(v / 1e8)}亿{unit}"
    if abs(v) >= 1e4:
        return f"{_num(v / 1e4, 1)}万{unit}"
    return f"{_num(v, 0 if float(v).is_integer() else 2)}{unit}"


def fmt_delta(now, before, unit: str) -> str | None:
    """Change against the same period last year: percentage points for rates, else relative."""
    if is_missing(now) or is_missing(before):
        return None
    if unit in ("%", "分"):
        d = now - before
        return f"{d:+.1f}{'个百分点' if unit == '%' else '分'}"
    if before == 0:
        return None
    change = (now - before) / abs(before)
    return "持平" if abs(change) < 0.0005 else f"{change:+.1%}"
