"""Numbers the Chinese way: 万, 亿, 万元, %, 个百分点, and chart axes that count in them."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

COUNT_UNITS = {"个", "人", "人次", "场次", "对"}


def exact(v) -> str:
    """A value exactly as stored or uploaded (float or Decimal), for messages: no exponent, no
    trailing zeros: 30.000000 → '30', 1234567.5 → '1234567.5', 0.000001 → '0.000001'."""
    return f"{Decimal(str(v)).normalize():f}"


def fixed(v, digits: int, sign: str = "") -> str:
    """v with `digits` decimals and thousands separators, rounded half up (四舍五入) on the decimal
    number it stands for, as Excel does: 88.25 → '88.3', 88.35 → '88.4', -2.5 → '-3' (Python's
    format rounds the binary double half to even: '88.2', '88.3', '-2'). sign='+': always signed.
    No number to show (infinite or NaN): '—'."""
    d = decimal(v)
    if not d.is_finite():
        return "—"
    d = d.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{d:{sign},.{digits}f}"


def trimmed(v, digits: int) -> str:
    """fixed() without trailing zeros: 101, 3.5, 1,234.56."""
    text = fixed(v, digits)
    return text.rstrip("0").rstrip(".") if "." in text else text


def decimal(v) -> Decimal:
    """The decimal number a float stands for (its shortest repr: 0.1 → Decimal('0.1'))."""
    return v if isinstance(v, Decimal) else Decimal(repr(float(v)))


def is_missing(v) -> bool:
    """None, NaN or an infinity: no number to show."""
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def scale(v: float, unit: str) -> tuple[float, str, int]:
    """How a value of this size is written: (divisor, shown unit, decimals). One rule per unit
    and scale, so labels side by side have the same precision: 万元 and 亿 with two decimals,
    万 of a count with one, plain counts whole, % and 分 with one."""
    a = abs(v)
    if unit in ("%", "分"):
        return 1, unit, 1
    if unit == "万元":
        return (1e4, "亿元", 2) if a >= 1e4 else (1, "万元", 2)
    if a >= 1e8:
        return 1e8, f"亿{unit}", 2
    if a >= 1e4:
        return 1e4, f"万{unit}", 1
    return 1, unit, 0


def fmt_value(v, unit: str) -> str:
    """212 万元 → '212.00万元'; 16300 万元 → '1.63亿元'; 35000 人次 → '3.5万人次'; 86 分 → '86.0分'."""
    if is_missing(v):
        return "—"
    divisor, shown, digits = scale(v, unit)
    return fixed(v / divisor, digits) + shown


def fmt_delta(now, before, unit: str) -> str | None:
    """Change against the same period last year: percentage points for rates and points for
    scores, else relative; 持平 when it rounds to zero as shown; None when there is nothing to
    compare."""
    if is_missing(now) or is_missing(before):
        return None
    if unit in ("%", "分"):
        text = fixed(decimal(now) - decimal(before), 1, "+")   # 88.3 - 80.05 = 8.25 → +8.3
        suffix = "个百分点" if unit == "%" else "分"
    elif before == 0:
        return None
    else:
        text = fixed((now - before) / abs(before) * 100, 1, "+")
        suffix = "%"
    return "持平" if float(text.replace(",", "")) == 0 else text + suffix


def _nice_step(span: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ that cuts span into at most five steps."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


class Axis(NamedTuple):
    """A value axis in the unit's own scale, as the labels are written (axis_scale)."""
    ticks: list[float]   # in the axis' unit
    texts: list[str]     # the ticks as written: 0.5, 1, 1.5 (not 1.0)
    divisor: float       # from the data's unit to the axis' unit
    title: str           # the axis' unit: 亿元, 万人次, …
    decimals: int        # how many decimals a value at this scale is written with (scale)


def axis_scale(values, unit: str) -> Axis:
    """2,271,500 万元 → 0, 50, …, 250 under 亿元 (divisor 10,000, values with 2 decimals);
    52,000 人次 → 0, 2, 4, 6 under 万人次."""
    vs = [float(v) for v in values if not is_missing(v)] or [0.0]
    lo, hi = min(0.0, *vs), max(0.0, *vs)
    divisor, title, decimals = scale(max(-lo, hi), unit)
    lo, hi = lo / divisor, (hi / divisor if hi > lo else lo + 1.0)  # all zero: 0 to 1
    step = _nice_step(hi - lo)
    digits = max(0, -math.floor(math.log10(step)))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [round(i * step, digits) for i in range(first, last + 1)]
    texts = [trimmed(t, digits) for t in ticks]   # 0.5, 1, 1.5 rather than 0.5, 1.0, 1.5
    return Axis(ticks, texts, divisor, title, decimals)


def axis_ticks(values, unit: str) -> tuple[list[float], list[str], str]:
    """axis_scale for plotly, whose d3 formats can only say k and M: (tick values in the data's
    unit, tick texts, axis title)."""
    a = axis_scale(values, unit)
    return [t * a.divisor for t in a.ticks], a.texts, a.title
