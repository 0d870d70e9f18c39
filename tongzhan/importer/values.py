"""Values of cells: numbers with units (212万, 1.63亿元, 3.5万人次) in the catalog unit."""
from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal

from ..catalog import Indicator
from ..fmt import COUNT_UNITS, fmt_value
from .text import _text

BLANK_MARKS = {"-", "--", "—", "——", "–", "/", "\\"}   # "not reported" in Chinese statistical tables


_MONEY_SCALE = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1), "万": Decimal(1),
                "百万元": Decimal(100), "亿元": Decimal(10000), "亿": Decimal(10000)}
_UNIT_WORDS = {"个": {"个", "项", "家", "处"}, "人": {"人", "名"}, "人次": {"人次"},
               "场次": {"场次", "场", "次"}, "对": {"对"}, "分": {"分"}, "%": {"%"}}
_MULTIPLIER = {"": Decimal(1), "万": Decimal(10**4), "亿": Decimal(10**8)}
_ALL_UNIT_TEXTS = sorted(set(_MONEY_SCALE) | {p + w for ws in _UNIT_WORDS.values() for w in ws
                                              for p in ("", "万", "亿")}, key=len, reverse=True)
_NUMBER = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(.*)")
DECIMALS = Decimal("0.000001")


def unit_scale(unit: str, catalog_unit: str) -> Decimal | None:
    """How many catalog units one `unit` is (万元 → 亿元 = 10000, 人次 → 万人次 = 10000);
    None if the unit does not fit the indicator (元 for 人次)."""
    if not unit:
        return Decimal(1)
    if catalog_unit == "万元":
        return _MONEY_SCALE.get(unit)
    prefix, word = re.fullmatch(r"(万|亿)?(.*)", unit).groups()
    if word and word not in _UNIT_WORDS.get(catalog_unit, {catalog_unit}):
        return None
    if prefix and catalog_unit not in COUNT_UNITS:
        return None
    return _MULTIPLIER[prefix or ""]


def parse_value(value, ind: Indicator, unit: str = "") -> Decimal | None:
    """A cell as a number in the catalog unit of `ind`; None for a blank (not reported) cell.
    `unit` is the unit of the column (header) or of the row (unit column), used for plain numbers;
    a unit written in the cell itself wins. ValueError (Chinese) for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"「{value}」不是数字：「{ind.name_zh}」应填写数字。")
    text = re.sub(r"\s", "", _text(value))
    if "," in text:
        digits = re.match(r"[+-]?[0-9,]*", text).group()
        if not re.fullmatch(r"[+-]?[0-9]{1,3}(,[0-9]{3})+", digits):
            raise ValueError(f"「{text}」的千分位逗号位置不对（应每三位一个，如 1,234）：请核对这个数。")
        text = text.replace(",", "")
    if text in BLANK_MARKS or not text:
        return None
    if any(c.isdigit() and not c.isascii() for c in text):   # ١٢٣ or १२३: Python would read them as 123
        raise ValueError(f"「{text}」含有其他文字的数字：「{ind.name_zh}」请用阿拉伯数字 0—9 填写。")
    m = _NUMBER.fullmatch(text)
    if not m:
        raise ValueError(f"「{text}」不是数字：「{ind.name_zh}」应填写数字（单位{ind.unit}），"
                         f"可带单位，例如 {_example(ind)}。")
    number, own_unit = Decimal(m.group(1)), m.group(2)
    scale = unit_scale(own_unit or unit, ind.unit)
    if scale is None:
        if (own_unit or unit) == "%":
            raise ValueError(f"「{text}」是百分比，但「{ind.name_zh}」的单位是{ind.unit}：请填写{ind.unit}数。")
        raise ValueError(f"「{text}」的单位「{own_unit or unit}」与「{ind.name_zh}」的单位{ind.unit}不符："
                         f"请填写{ind.unit}数，例如 {_example(ind)}。")
    result = number * scale
    if result < 0:
        raise ValueError(f"「{text}」是负数：「{ind.name_zh}」不能为负，请核对。")
    if ind.unit in COUNT_UNITS and result != result.to_integral_value():
        raise ValueError(f"「{text}」不是整数：「{ind.name_zh}」是计数（单位{ind.unit}），应为整数。")
    if ind.kind == "score" and result > 100:
        raise ValueError(f"「{text}」超出范围：「{ind.name_zh}」应在 0—100 分之间。")
    if ind.kind == "ratio" and result > 100:   # a ratio's target, in %
        raise ValueError(f"「{text}」超出范围：「{ind.name_zh}」的目标是百分比，应在 0—100% 之间。")
    if ind.max_value is not None and result > ind.max_value:
        raise ValueError(f"「{text}」数值过大：「{ind.name_zh}」超过 {fmt_value(float(ind.max_value), ind.unit)}（全国一年的合计也到不了），"
                         "请核对数值和单位。")
    return result.quantize(DECIMALS, ROUND_HALF_UP)


@functools.cache
def _plain_number(ind: Indicator, unit: str) -> re.Pattern | None:
    """The cells parse_value reads as the number itself: fewer digits than the indicator's
    maximum, with up to 6 decimals unless the indicator counts, where no unit
    applies, no check can fail and nothing is rounded (None for scores and ratios' targets)."""
    if ind.kind in ("score", "ratio") or unit_scale(unit, ind.unit) != 1:
        return None
    digits = len(str(int(ind.max_value))) - 1
    return re.compile(rf"[0-9]{{1,{digits}}}" if ind.unit in COUNT_UNITS else rf"[0-9]{{1,{digits}}}(?:\.[0-9]{{1,6}})?")


def _example(ind: Indicator) -> str:
    if ind.unit == "万元":
        return "212、212万、1.63亿元"
    if ind.unit in COUNT_UNITS:
        return f"35000、3.5万{ind.unit}"
    return f"95{ind.unit}" if ind.unit != "%" else "95%"
