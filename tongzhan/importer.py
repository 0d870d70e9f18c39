"""Reading an uploaded CSV or Excel file into facts, new villages and problems.

`parse_file` is a pure function of the file's bytes, the division tree and the catalog: it never
touches the database and never raises for a mistake in the file. Every problem is collected, in
Chinese, with the row number and the column header as the user sees them in the file.

    bytes ─→ grid (tongzhan.sheets: rows of cells; merged cells filled with their value)
          ─→ header (the first row with two known column names; a second header row is joined)
          ─→ columns (region / code / period / indicator / value / unit / one per indicator)
          ─→ rows column by column: skipped rows; region, period and value of each distinct
             cell (or combination of cells), spread over the rows ─→ candidate facts
          ─→ checks across rows as frame operations (duplicates, two period lengths of one
             unit's indicator, numerator > denominator, parent with descendant for overlapping
             periods)
          ─→ ParseResult (facts that passed every check, new villages, skipped rows, problems)

A fact involved in a problem is left out of `facts`, so a caller that imports despite problems
imports only clean cells; the intended use is to import when `problems` is empty.
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from .catalog import Catalog, Indicator
from .fmt import COUNT_UNITS, exact
from .periods import Period
from .regions import ROOT_CODE, Tree
from .sheets import FileError, sheets

FACT_COLUMNS = ["region_code", "indicator_id", "period_start", "period_end", "months", "value", "row"]
HEADER_SEARCH_ROWS = 30       # the header must start within the first rows of the sheet
SUBTOTAL_WORDS = ("合计", "总计", "小计")
NOTE_ROW = re.compile(r"(注\d*|说明|备注|填表人?|填报人|填报单位|制表人?|审核人?|联系人|联系电话|"
                      r"(单位|统计)?负责人|数据来源)\s*:")   # footers like 注：… 填表人：… (text after NFKC)
BLANK_MARKS = {"-", "--", "—", "——", "–", "/", "\\"}   # "not reported" in Chinese statistical tables


# --------------------------------------------------------------------------- the contract

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


def problems_frame(problems) -> pd.DataFrame:
    """The problems as a table for the downloadable error report: 行号, 列, 问题."""
    return pd.DataFrame({
        "行号": pd.array([p.row for p in problems], dtype="Int64"),
        "列": [p.column or "" for p in problems],
        "问题": [p.message for p in problems],
    })


# --------------------------------------------------------------------------- text of a cell

def _text(value) -> str:
    """A cell as normalised text: NFKC (full-width digits, letters and brackets become ASCII),
    trimmed; whole floats lose their '.0' (Excel stores 420302 and 202603 as floats)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text[2:-1] if text.startswith('="') and text.endswith('"') else text   # Excel's ="0012"


def _label(value) -> str:
    """A header cell as written (line breaks and runs of spaces collapsed), for messages."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if _is_blank(value) else re.sub(r"\s+", " ", str(value)).strip()


def _key(value) -> str:
    """Text for matching names: _text without any whitespace, lower case, no '*' markers."""
    return re.sub(r"\s+", "", _text(value)).lower().strip("*")


def _is_blank(value) -> bool:
    return _text(value) == ""


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


# --------------------------------------------------------------------------- units and values

_MONEY_SCALE = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1), "万": Decimal(1),
                "百万元": Decimal(100), "亿元": Decimal(10000), "亿": Decimal(10000)}
_UNIT_WORDS = {"个": {"个", "项", "家", "处"}, "人": {"人", "名"}, "人次": {"人次"},
               "场次": {"场次", "场", "次"}, "对": {"对"}, "分": {"分"}, "%": {"%"}}
_MULTIPLIER = {"": Decimal(1), "万": Decimal(10**4), "亿": Decimal(10**8)}
_ALL_UNIT_TEXTS = sorted(set(_MONEY_SCALE) | {p + w for ws in _UNIT_WORDS.values() for w in ws
                                              for p in ("", "万", "亿")}, key=len, reverse=True)
_NUMBER = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(.*)")
VALUE_LIMIT = Decimal(10**12)   # the store keeps values as DECIMAL(18,6): below 10^12, 6 decimals
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
        digits = re.match(r"[+-]?[\d,]*", text).group()
        if not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", digits):
            raise ValueError(f"「{text}」的千分位逗号位置不对（应每三位一个，如 1,234）：请核对这个数。")
        text = text.replace(",", "")
    if text in BLANK_MARKS or not text:
        return None
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
    if not result.is_finite() or abs(result) >= VALUE_LIMIT:
        raise ValueError(f"「{text}」数值过大：换算为「{ind.name_zh}」的单位{ind.unit}后达到或超过 1 万亿（10^12），"
                         "请核对数值和单位。")
    return result.quantize(DECIMALS, ROUND_HALF_UP)


@functools.cache
def _plain_number(ind: Indicator, unit: str) -> re.Pattern | None:
    """The cells parse_value reads as the number itself: up to 12 digits, with up to 6 decimals
    unless the indicator counts, where no unit applies, no check can fail and nothing is rounded
    (None for scores)."""
    if ind.kind == "score" or unit_scale(unit, ind.unit) != 1:
        return None
    return re.compile(r"[0-9]{1,12}" if ind.unit in COUNT_UNITS else r"[0-9]{1,12}(?:\.[0-9]{1,6})?")


def _example(ind: Indicator) -> str:
    if ind.unit == "万元":
        return "212、212万、1.63亿元"
    if ind.unit in COUNT_UNITS:
        return f"35000、3.5万{ind.unit}"
    return f"95{ind.unit}" if ind.unit != "%" else "95%"


# --------------------------------------------------------------------------- periods

_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
PERIOD_HELP = "请写成 2026-03、2026年3月、202603、2026Q1、2026年第一季度 或 2026年"


def parse_period(value) -> Period:
    """A month, quarter or year from a cell: an Excel date, '2026-03', '2026/3', '2026.3',
    '2026年3月', '202603', '2026Q1', '2026年第一季度', '2026年1季度', '2026', '2026年'.
    ValueError (Chinese) for anything else, including ranges that are not one of those."""
    if isinstance(value, dt.date):
        return Period.months(value.year, value.month, value.year, value.month)
    text = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", _text(value))   # a date written with its time
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
    if m := re.fullmatch(r"(\d{4})(?:[-/.年](\d{1,2})(?:月份?)?(?:[-/.]?\d{1,2}日?)?|(\d{2}))", text):
        year, month = int(m.group(1)), int(m.group(2) or m.group(3))
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


def _not_over(period: Period, today: dt.date) -> str | None:
    """Why a period cannot be imported yet: it ends after the current month (the current month
    itself may be reported); None when it can."""
    if (period.end.year, period.end.month) <= (today.year, today.month):
        return None
    now = f"（今天是 {today.year}年{today.month}月{today.day}日）"
    if (period.start.year, period.start.month) > (today.year, today.month):
        return f"期间「{period.label}」还没有到{now}：不能导入未来的数据，请核对年份和月份。"
    return (f"期间「{period.label}」还没有结束{now}：季度、年度数据请在期末之后填报，"
            "或改按已经结束的月份填报。")


def _join_period_parts(parts: list[str]) -> str:
    """Separate year and month (or quarter) columns: ['2026', '3'] → '2026-3'."""
    if len(parts) == 2 and re.fullmatch(r"\d{4}年?", parts[0]) and re.fullmatch(r"\d{1,2}月?", parts[1]):
        return f"{parts[0].rstrip('年')}-{parts[1].rstrip('月')}"
    return "".join(parts)


# --------------------------------------------------------------------------- column names

@dataclass(frozen=True)
class _Spec:
    """What a header names: role is code, region, region_or_unit, period, indicator, value, unit,
    ignore, measure (one indicator per column) or cumulative (a year-to-date column)."""
    role: str
    level: int | None = None        # region columns: 1 province … 5 village; None = any level
    indicator: str | None = None    # measure columns
    unit: str = ""                  # unit written in the header, e.g. 亿元 in 募集资金(亿元)


_ROLE_WORDS = {
    ("code", None): "区划代码 行政区划代码 统计用区划代码 统计代码 区域代码 地区代码 单位代码 代码 编码 "
                    "code regioncode region_code",
    ("region", None): "区域 地区 区划 行政区划 名称 单位名称 区域名称 地区名称 区划名称 行政区划名称 "
                      "region region_name regionname name area",
    ("region", 1): "省 省份 省(区、市) 省区市 province",
    ("region", 2): "市 市(州) 市州 地市 市(州、盟) city",
    ("region", 3): "县 县(市、区) 县市区 区县 县区 县(市) 县(区) county district",
    ("region", 4): "乡镇 乡镇(街道) 乡镇街道 街道 乡(镇、街道) 乡镇(街道办事处) township town street",
    ("region", 5): "村 社区 村(社区) 村社区 村(居) 村居 村(居)委会 village community",
    ("region_or_unit", None): "单位",
    ("period", None): "期间 时间 月份 统计期 报告期 统计期间 报告期间 统计时间 统计月份 年月 日期 年份 年度 "
                      "季度 period month date time year quarter",
    ("indicator", None): "指标 指标名称 统计指标 指标项 indicator indicator_id item",
    ("value", None): "数值 值 数量 数据 指标值 value amount",
    ("unit", None): "计量单位 unit",
    ("ignore", None): "序号 编号 备注 说明 填报人 联系人 联系电话 审核人 no no. 序",
}
_CURRENT = {"本月", "当月", "本期", "当期", "本季", "本季度", "当季", "本年", "当年", "本年度", "全年",
            "数", "数量", "金额", "数值", "合计"}
_UNIT_IN_BRACKETS = re.compile(r"(.+?)[(\[【](?:单位[:：]?)?([^()\[\]【】]*)[)\]】]")


class _Vocabulary:
    """Header text → _Spec, from the fixed column words and the catalog (id, name_zh, aliases)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.words = {_key(w): _Spec(role, level) for (role, level), ws in _ROLE_WORDS.items()
                      for w in ws.split()}
        self.indicators: dict[str, str] = {}
        for ind in catalog.by_id.values():
            for name in (ind.id, ind.name_zh, *ind.aliases):
                self.indicators.setdefault(_key(name), ind.id)
        self.names = sorted({ind.name_zh for ind in catalog.by_id.values()}
                            | {a for ind in catalog.by_id.values() for a in ind.aliases})

    def indicator(self, text) -> tuple[str, str] | None:
        """(indicator id, unit) of '募集资金', '募集资金(亿元)', '募集资金（单位：亿元）', '募集资金万元'."""
        k = _key(text)
        if k in self.indicators:
            return self.indicators[k], ""
        if m := _UNIT_IN_BRACKETS.fullmatch(k):
            if m.group(1) in self.indicators:
                return self.indicators[m.group(1)], m.group(2)
        for unit in _ALL_UNIT_TEXTS:
            if k.endswith(unit) and k[: -len(unit)] in self.indicators:
                return self.indicators[k[: -len(unit)]], unit
        return None

    def classify(self, text) -> _Spec | None:
        k = _key(text)
        if not k:
            return None
        if k in self.words:
            return self.words[k]
        for suffix, role in (("名称", None), ("代码", "code"), ("编码", "code")):
            spec = self.words.get(k.removesuffix(suffix)) if k.endswith(suffix) else None
            if spec and spec.role in ("region", "region_or_unit"):
                return _Spec(role or "region", spec.level if role is None else None)
        if found := self.indicator(k):
            return _Spec("measure", indicator=found[0], unit=found[1])
        if (m := _UNIT_IN_BRACKETS.fullmatch(k)) and self.words.get(m.group(1)) == _Spec("value"):
            return _Spec("value", unit=m.group(2))        # 数值(万元)
        return None

    def classify_pair(self, top: str, bottom: str) -> _Spec | None:
        """A column under a two-row header: the lower cell alone, both joined ('募集资金' over
        '(万元)'), or the upper cell qualified by the lower ('募集资金' over '本月' / '本年累计')."""
        if spec := self.classify(bottom) or self.classify(_key(top) + _key(bottom)):
            return spec
        upper = self.classify(top)
        if upper is None or upper.role != "measure":
            return None
        qualifier, unit = _key(bottom), upper.unit
        if m := _UNIT_IN_BRACKETS.fullmatch(qualifier):
            qualifier, unit = m.group(1), m.group(2)
        if qualifier in _CURRENT:
            return _Spec("measure", indicator=upper.indicator, unit=unit)
        if "累计" in qualifier:
            return _Spec("cumulative", indicator=upper.indicator)
        return None

    def close_names(self, text, n: int = 3) -> list[str]:
        return difflib.get_close_matches(_text(text), self.names, n=n, cutoff=0.5)


@dataclass
class _Column:
    index: int
    label: str            # as shown to the user in problems
    spec: _Spec | None


def _looks_like_data(value) -> bool:
    """A number, possibly with a unit: what a data cell holds and a header cell does not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    m = _NUMBER.fullmatch(_key(value).replace(",", ""))
    return bool(m) and (m.group(2) in ("", "%") or m.group(2) in _ALL_UNIT_TEXTS)


def _find_header(grid: list[list], vocab: _Vocabulary) -> tuple[list[int], list[_Column]] | None:
    """The header rows (one or two) and the columns they name, or None when no row among the first
    HEADER_SEARCH_ROWS names two different known columns. A row of its own is a second header row
    when it holds no number and repeats (merged cells) or leaves blank the region and period cells
    of the row above; the row above is taken as an upper level when joining it names more columns."""
    def specs(row):
        return [vocab.classify(v) for v in row]

    top = next((h for h, row in enumerate(grid[:HEADER_SEARCH_ROWS])
                if len({s for s in specs(row) if s}) >= 2), None)
    if top is None:
        return None
    single = [_Column(j, _label(v), s) for j, (v, s) in enumerate(zip(grid[top], specs(grid[top])))]
    if top + 1 < len(grid) and _is_subheader(grid[top + 1], grid[top], single):
        return [top, top + 1], _join_header(grid[top], grid[top + 1], vocab)
    if top > 0 and not any(_looks_like_data(v) for v in grid[top - 1]):
        joined = _join_header(grid[top - 1], grid[top], vocab)
        if sum(c.spec is not None for c in joined) > sum(c.spec is not None for c in single):
            return [top - 1, top], joined
    return [top], single


def _is_subheader(row, above, columns: list[_Column]) -> bool:
    if any(_looks_like_data(v) for v in row):
        return False
    if not any(_text(v) and _text(v) != _text(a) for v, a in zip(row, above)):
        return False
    keys = [c.index for c in columns if c.spec and c.spec.role in ("code", "region", "period", "region_or_unit")]
    return all(_is_blank(row[j]) or _text(row[j]) == _text(above[j]) for j in keys if j < len(row))


def _join_header(upper: list, lower: list, vocab: _Vocabulary) -> list[_Column]:
    columns, last_top = [], ""
    for j in range(max(len(upper), len(lower))):
        top = _label(upper[j]) if j < len(upper) else ""
        bottom = _label(lower[j]) if j < len(lower) else ""
        if not top and bottom:
            top = last_top       # a merged group cell read without merge information (CSV)
        last_top = top or last_top
        if not bottom or bottom == top or not top:
            label = top or bottom
            columns.append(_Column(j, label, vocab.classify(label)))
        elif spec := vocab.classify(bottom):
            columns.append(_Column(j, bottom, spec))
        else:
            columns.append(_Column(j, f"{top}/{bottom}", vocab.classify_pair(top, bottom)))
    return columns


# --------------------------------------------------------------------------- region names and codes

_CODE = re.compile(r"\d{6}(?:\d{3}(?:\d{3}|V\d{3})?)?")


class _RegionIndex:
    """Every name of every unit: its own name and each tail of its path (十堰市茅箭区), built once
    per tree, when a name is first looked up (codes need none of it), and kept while the tree lives."""
    _cache: "weakref.WeakKeyDictionary[Tree, _RegionIndex]" = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, tree: Tree) -> "_RegionIndex":
        if tree not in cls._cache:
            cls._cache[tree] = cls(tree)
        return cls._cache[tree]

    def __init__(self, tree: Tree):
        self.tree = tree
        self._scope_names: dict[str, list[str]] = {}

    @functools.cached_property
    def by_name(self) -> dict[str, list[str]]:
        tree, by_name = self.tree, defaultdict(list)
        paths: dict[str, list[str]] = {ROOT_CODE: []}
        for code in sorted(tree.name, key=lambda c: tree.depth[c]):
            if code == ROOT_CODE:
                continue
            paths[code] = paths.get(tree.parent[code], []) + [_key(tree.name[code])]
            names = paths[code]
            for i in range(len(names)):
                by_name["".join(names[i:])].append(code)
        return by_name

    def within(self, code: str, scope: str) -> bool:
        return scope == ROOT_CODE or scope in self.tree.ancestors(code)

    def find(self, name: str, scope: str) -> list[str]:
        return [c for c in self.by_name.get(_key(name), []) if self.within(c, scope)]

    def close_names(self, name: str, scope: str) -> list[str]:
        if scope not in self._scope_names:
            names, todo = set(), [scope]
            while todo:
                code = todo.pop()
                names.add(self.tree.name[code])
                todo.extend(self.tree.children(code))
            self._scope_names[scope] = sorted(names)
        return difflib.get_close_matches(_text(name), self._scope_names[scope], n=3, cutoff=0.6)


class _RegionError(Exception):
    def __init__(self, column: str | None, message: str):
        super().__init__(message)
        self.column, self.message = column, message


class _Regions:
    """Resolves the region cells of a row to a code inside the scope; names new villages."""

    def __init__(self, tree: Tree, scope: str):
        self.tree, self.scope = tree, scope
        self.index = _RegionIndex.of(tree)
        self.new_villages: dict[str, tuple[str, str]] = {}     # code → (name, township code)
        self._by_name: dict[tuple[str, str], str] = {}        # (township, name) → new code
        self._next: dict[str, int] = defaultdict(int)
        self.suggestions_left = 20

    def scope_label(self) -> str:
        return self.tree.full_name(self.scope)

    def ancestors(self, code: str) -> list[str]:
        """Root first, the code itself last; for new villages too."""
        if code in self.new_villages:
            return self.tree.ancestors(self.new_villages[code][1]) + [code]
        return self.tree.ancestors(code)

    def resolve(self, cells: list[tuple[_Column, str]]) -> str:
        """The code named by the (non-blank) region cells of a row (code columns first, then names
        from general to specific); _RegionError(column, message) if they name none or several.
        Call it once per distinct combination of texts: it counts the suggestions it makes."""
        codes = [(c, t) for c, t in cells if c.spec.role == "code" or _CODE.fullmatch(t)]
        names = sorted([(c, t) for c, t in cells if (c, t) not in codes],   # general to specific
                       key=lambda ct: ct[0].spec.level or 0)
        village_name = next((t for level in (5, None) for c, t in names if c.spec.level == level), None)
        if codes:
            code = self._by_code(*codes[0], village_name)
            for column, text in names:
                if column.spec.level != 5 and not self._names_any_of(text, code):
                    raise _RegionError(column.label, f"区划代码「{codes[0][1]}」是「{self.tree.full_name(code)}」，"
                                       f"与「{text}」不符：请核对这一行的代码和名称。")
            return code
        context = self.scope
        for i, (column, text) in enumerate(names):
            last = i == len(names) - 1
            found = self.index.find(text, context)
            if len(found) == 1:
                context = found[0]
            elif len(found) > 1:
                listed = "、".join(self.tree.full_name(c) for c in found[:5])
                raise _RegionError(column.label, f"「{text}」在{self._within(context)}有 {len(found)} 个同名单位（{listed}）："
                                   "请改填区划代码，或写上级名称（如「茅箭区武当路街道」）以区分。")
            elif last and column.spec.level == 5 and self.tree.level.get(context) == 4:
                return self._new_village(text, context)
            else:
                raise _RegionError(column.label, self._unknown(text, context, column))
        return context

    def _names_any_of(self, text: str, code: str) -> bool:
        """Whether text names the unit or one of its ancestors, loosely: either name may contain
        the other (武当路 · 武当路街道 · 武当路街道办事处 · 十堰市茅箭区)."""
        k = _key(text)
        names = [_key(self.tree.name[c]) for c in self.ancestors(code) if c in self.tree and c != ROOT_CODE]
        names += [_key(self.new_villages[code][0])] if code in self.new_villages else []
        return any(k in n or n in k for n in names)

    def _within(self, context: str) -> str:
        return "全国范围内" if context == ROOT_CODE else f"「{self.tree.full_name(context)}」内"

    def _unknown(self, text: str, context: str, column: _Column) -> str:
        msg = f"找不到区域「{text}」（在{self._within(context)}）"
        if context == self.scope and self.scope != ROOT_CODE and self.index.find(text, ROOT_CODE):
            outside = "、".join(self.tree.full_name(c) for c in self.index.find(text, ROOT_CODE)[:3])
            return f"「{text}」（{outside}）不在本次导入范围「{self.scope_label()}」内：只能导入本辖区的数据。"
        if column.spec.level == 5:
            return msg + "：新的村(社区)须同时填写所属乡镇(街道)，请在「乡镇(街道)」列填写。"
        self.suggestions_left -= 1   # difflib over a whole country takes ~0.1 s a name: suggest for the first few
        if self.suggestions_left >= 0 and (close := self.index.close_names(text, context)):
            return msg + f"。您是不是要找：{'、'.join(close)}？请改为准确的名称或区划代码。"
        return msg + "：请填写准确的区划名称（如「茅箭区」）或区划代码（6 位、9 位或 12 位）。"

    def _by_code(self, column: _Column, text: str, village_name: str | None) -> str:
        code, tree = text, self.tree
        if re.fullmatch(r"\d(\.\d+)?E\+?\d+", text, re.IGNORECASE):
            raise _RegionError(column.label, f"区划代码「{text}」是科学计数法：Excel 把长数字显示成这样时，代码的后几位已经丢失。"
                               "请把代码列设置为“文本”格式后重新填写代码，或删除代码列、改填区域名称。")
        if code not in tree and len(code) == 12 and code.endswith("000000") and code[:6] in tree:
            code = code[:6]
        elif code not in tree and len(code) in (9, 12) and code.endswith("000") and code[:-3] in tree:
            code = code[:-3]
        if code in tree:
            if not self.index.within(code, self.scope):
                raise _RegionError(column.label, f"区划代码「{text}」（{tree.full_name(code)}）不在本次导入范围"
                                   f"「{self.scope_label()}」内：只能导入本辖区的数据。")
            return code
        township = code[:9]
        if re.fullmatch(r"\d{12}", code) and tree.level.get(township) == 4:
            if not self.index.within(township, self.scope):
                raise _RegionError(column.label, f"区划代码「{text}」所属的「{tree.full_name(township)}」"
                                   f"不在本次导入范围「{self.scope_label()}」内。")
            name = village_name or self.new_villages.get(code, ("", ""))[0]
            if not name:
                raise _RegionError(column.label, f"区划代码「{text}」是「{tree.full_name(township)}」下新的村(社区)，"
                                   "系统里还没有它：请加一列「村(社区)」填写村(社区)名称。")
            self.new_villages.setdefault(code, (name, township))
            return code
        raise _RegionError(column.label, f"区划代码「{text}」不存在：请核对代码（6 位县级、9 位乡镇级或 12 位统计用代码），"
                           "或改填区域名称。")

    def _new_village(self, name: str, township: str) -> str:
        """Code of a village not in the tree: township code + 'V' + the next free 3-digit number."""
        if (township, name) not in self._by_name:
            while True:
                self._next[township] += 1
                code = f"{township}V{self._next[township]:03d}"
                if code not in self.tree and code not in self.new_villages:
                    break
            self._by_name[township, name] = code
            self.new_villages[code] = (name, township)
        return self._by_name[township, name]


# --------------------------------------------------------------------------- the parse
# The rows are read column by column: each function of a cell (text, value) or of a row's cells
# (region, period) is evaluated once per distinct value or combination, then spread over the rows.

def _objects(items: list) -> np.ndarray:
    return np.fromiter(items, dtype=object, count=len(items))


def _distinct(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of a column of cells, in order of first appearance. Beyond text
    (CSV, mostly), values count as equal only with the same type: True == 1 == 1.0 in Python."""
    if pd.api.types.infer_dtype(cells) in ("string", "empty"):
        codes, uniques = pd.factorize(cells)   # None: code -1, made the code of a last unique
        return np.where(codes < 0, len(uniques), codes), np.append(uniques, None)
    seen: dict = {}
    codes = np.array([seen.setdefault((type(v), v), len(seen)) for v in cells], dtype=np.intp)
    return codes, _objects([v for _, v in seen])


class _Cells:
    """The data rows column by column: raw cells, codes of their distinct values, text, blankness."""

    def __init__(self, body: list[list], width: int):
        self.n, width = len(body), max([width, *map(len, body)])
        grid = np.empty((self.n, width), dtype=object)
        if body:
            grid[:] = [r if len(r) == width else list(r) + [None] * (width - len(r)) for r in body]
        self.raw = list(grid.T.copy())
        self.codes, self.texts = [], []
        for raw in self.raw:
            codes, uniques = _distinct(raw)
            self.codes.append(codes)
            self.texts.append(_objects([_text(u) for u in uniques]))
        self.text = [t[c] for t, c in zip(self.texts, self.codes)]
        self.blank = [t == "" for t in self.text]
        self.text_codes = [pd.factorize(t)[0][c] for t, c in zip(self.texts, self.codes)]

    def test(self, j: int, predicate) -> np.ndarray:
        """predicate(text) of every cell of column j."""
        return np.array([bool(predicate(t)) for t in self.texts[j]], dtype=bool)[self.codes[j]]


@dataclass
class _Parser:
    """The state of one parse: settles the columns, reads the rows, checks across rows."""
    catalog: Catalog
    vocab: _Vocabulary
    regions: _Regions
    today: dt.date
    default_period: Period | None
    allow_subtotals: bool
    sheet_unit: str = ""    # 单位：万元 written above the header: the unit of plain numbers where it fits
    role: dict[str, list[_Column]] = field(default_factory=dict)   # settled columns by role
    problems: list[Problem] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def problem(self, row, column, message):
        self.problems.append(Problem(row, column, message))

    # ---- columns

    def settle_columns(self, columns: list[_Column], body: _Cells, header_row: int) -> list[_Column]:
        """Decide 单位 (region or unit, by content), report columns that cannot be imported."""
        def cells(c):   # the distinct texts of the non-blank cells
            return [t for t in body.texts[c.index] if t]

        settled, seen = [], {}
        for c in columns:
            spec, values = c.spec, None
            if spec and spec.role == "region_or_unit":
                values = cells(c)
                is_unit = values and all(_key(v) in _ALL_UNIT_TEXTS for v in values)
                spec = _Spec("unit") if is_unit else _Spec("region")
            if spec is None or spec.role == "cumulative":
                if any(_looks_like_data(v) for v in (cells(c) if values is None else values)):
                    self.unusable_column(c, spec, header_row)
                continue
            if spec.role == "measure":
                ind = self.catalog[spec.indicator]
                if ind.kind == "ratio":
                    if cells(c):
                        self.ratio_column(c, ind, columns, header_row)
                    continue
                if not spec.unit:
                    spec = _Spec("measure", indicator=ind.id, unit=self.default_unit(ind))
                if unit_scale(spec.unit, ind.unit) is None:
                    self.problem(header_row, c.label, f"表头单位「{spec.unit}」与「{ind.name_zh}」的单位{ind.unit}不符："
                                 f"请把表头改为「{ind.name_zh}({ind.unit})」并填写{ind.unit}数。")
                    continue
                if spec.indicator in seen:
                    self.problem(header_row, c.label, f"「{seen[spec.indicator]}」和「{c.label}」都是指标"
                                 f"「{ind.name_zh}」：同一指标只能有一列，请删除其中一列。")
                    continue
                seen[spec.indicator] = c.label
            settled.append(_Column(c.index, c.label, spec))
        return settled

    def default_unit(self, ind: Indicator) -> str:
        return self.sheet_unit if unit_scale(self.sheet_unit, ind.unit) is not None else ""

    def unusable_column(self, c: _Column, spec: _Spec | None, header_row: int):
        if spec is not None:  # cumulative
            name = self.catalog[spec.indicator].name_zh
            self.problem(header_row, c.label, f"「{c.label}」是累计数：系统按月、季度、年度保存当期数，累计数由系统汇总得出，"
                         f"请删除这一列，只保留「{name}」的当期（本月）数。")
        elif not c.label:
            self.problem(header_row, None, f"第 {_col_letter(c.index)} 列有数据但没有表头：请填写指标名称作为表头，或删除这一列。")
        else:
            close = self.vocab.close_names(c.label)
            hint = f"您是不是要找：{'、'.join(close)}？" if close else ""
            self.problem(header_row, c.label, f"无法识别的列「{c.label}」：它不是已知的指标或列名。{hint}"
                         "请把表头改为指标目录中的指标名称（如「募集资金(万元)」「服务群众人次」），不需要导入的列请删除。")

    def ratio_message(self, ind: Indicator, have_parts: bool) -> str:
        num, den = self.catalog[ind.numerator].name_zh, self.catalog[ind.denominator].name_zh
        fix = (f"请删除这一列，系统会由「{num}」÷「{den}」自动计算。" if have_parts else
               f"请改为上传它的分子「{num}」和分母「{den}」两项，系统会自动计算比率。")
        return f"「{ind.name_zh}」是比率，不能直接导入：{fix}"

    def ratio_column(self, c: _Column, ind: Indicator, columns: list[_Column], header_row: int):
        present = {x.spec.indicator for x in columns if x.spec and x.spec.role == "measure"}
        self.problem(header_row, c.label, self.ratio_message(ind, {ind.numerator, ind.denominator} <= present))

    @property
    def layout(self) -> str:
        return "long" if self.role["indicator"] and self.role["value"] else "wide"

    @property
    def region_columns(self) -> list[_Column]:
        return self.role["code"] + self.role["region"]

    # ---- rows

    def read_rows(self, cells: _Cells, first_row: int) -> pd.DataFrame:
        """Skip blank, 合计 and note rows; read the values of the others with their region and
        period. Returns the cells that make a fact, in file order (their value, and codes into the
        lists it sets: sources, decs, region_codes, region_column, periods). Problems by row are
        collected in `found` as (row index, order in the row, column, message), then recorded."""
        g, n, rc, self.cells, self.found = cells, cells.n, self.region_columns, cells, []
        filled, subtotal, first = ~np.logical_and.reduce(g.blank), np.full(n, None), np.full(n, "", dtype=object)
        for c in reversed(rc):   # the first region cell naming a 合计 row; the first non-blank cell
            is_sub = g.test(c.index, lambda t: any(w in t for w in SUBTOTAL_WORDS))
            subtotal = np.where(is_sub, g.text[c.index], subtotal)
        for j in reversed(range(len(g.text))):
            first = np.where(g.blank[j], first, g.text[j])
        codes, texts = pd.factorize(first)
        no_region = np.logical_and.reduce([g.blank[c.index] for c in rc])
        labelled = np.array([any(w in t for w in SUBTOTAL_WORDS) for t in texts], dtype=bool)[codes]
        subtotal = np.where(pd.isna(subtotal) & no_region & labelled, first, subtotal)  # 合计 under 序号
        note, is_sub = np.array([bool(NOTE_ROW.match(t)) for t in texts], dtype=bool)[codes], pd.notna(subtotal)
        self.skipped = [(first_row + int(i), "空行" if not filled[i] else
                         f"合计行「{subtotal[i]}」：合计由系统从各单位汇总，不导入" if is_sub[i] else
                         f"表尾说明「{first[i][:20]}」") for i in np.flatnonzero(~filled | is_sub | note)]
        live = filled & ~is_sub & ~note
        has_region = live & ~no_region

        # the value cells: row i, source s = (column label, indicator, unit, column index), value code
        if self.layout == "wide":
            sources = [(c.label, c.spec.indicator, c.spec.unit, c.index) for c in self.role["measure"]]
            i, s = np.nonzero(np.reshape([live & ~g.blank[j] for *_, j in sources], (len(sources), n)).T)
            code = np.reshape([g.codes[j] for *_, j in sources], (len(sources), n)).T[i, s]
        else:
            i, s, sources = self.long_cells(live)
            code = g.codes[sources[0][3]][i] if sources else i
        has_values = np.isin(np.arange(n), i)
        self.found += [(r, 1, rc[0].label, "缺少区域：请填写区域名称或区划代码。")
                       for r in np.flatnonzero(live & ~has_region & has_values)]

        rows = np.flatnonzero(has_region)
        got, group = self.each(lambda k: self.region_of(rows[k]), rows, 1,
                               *[g.text_codes[c.index][rows] for c in rc])
        rid, rg = np.full(n, -1), np.full(n, -1)
        ids, self.region_codes = pd.factorize(_objects([x[0] for x in got]))
        rid[rows], rg[rows], self.region_column = ids[group], group, [x[1] for x in got]

        rows = np.flatnonzero(has_region & has_values)
        got, group = self.each(lambda k: self.period_of(rows[k]), rows, 2,
                               *[g.codes[c.index][rows] for c in self.role["period"]])
        pid = np.full(n, -1)
        ids, self.periods = pd.factorize(_objects([x[0] for x in got]))
        pid[rows] = ids[group]

        i, s, code = i[has_region[i]], s[has_region[i]], code[has_region[i]]
        got, group = self.each(lambda k: self.cell_value(g.raw[sources[s[k]][3]][i[k]], *sources[s[k]][:3]),
                               i, 3 + s, s, code)
        for r, _, column, message in sorted(self.found, key=lambda x: x[:2]):
            self.problem(first_row + int(r), column, message)

        self.sources, self.decs = sources, [d for d, _ in got]
        value = np.array([np.nan if d is None else float(d) for d in self.decs])[group]
        ok = ~np.isnan(value) & (rid[i] >= 0) & (pid[i] >= 0)
        i, s = i[ok], s[ok]
        ind = np.array([self.catalog.ids().index(x[1]) for x in sources], dtype=int)
        return pd.DataFrame({"row": first_row + i, "s": s, "ind": ind[s], "rid": rid[i], "pid": pid[i], "rg": rg[i],
                             "vg": group[ok], "value": value[ok]})

    def each(self, fn, rows: np.ndarray, order, *keys: np.ndarray) -> tuple[list, np.ndarray]:
        """fn(k) once per group of rows with the same keys (integer codes), k the index of the
        group's first row: (results, group of each row). The last field of a result, a problem
        (column, message) or None, is recorded for each of its rows, `order` its place in the row."""
        group = np.zeros(len(rows), dtype=int)
        for key in keys:
            group = pd.factorize(group * (int(key.max(initial=0)) + 1) + key)[0]
        got = [fn(k) for k in np.unique(group, return_index=True)[1]]
        bad = np.array([x[-1] is not None for x in got], dtype=bool)[group]
        order = np.broadcast_to(order, len(rows))
        self.found += [(r, o, *got[k][-1]) for r, o, k in zip(rows[bad], order[bad], group[bad])]
        return got, group

    def long_cells(self, live: np.ndarray):
        """The value cells of the long layout: rows, sources and [(column, indicator, unit, index)]."""
        g, ind_col, val_col = self.cells, self.role["indicator"][0], self.role["value"][0]
        rows = np.flatnonzero(live & ~g.test(val_col.index, lambda t: not t or t in BLANK_MARKS))
        got, group = self.each(lambda k: self.long_value(rows[k]), rows, 0,
                               *[g.codes[c.index][rows] for c in [ind_col, *self.role["unit"][:1]]])
        found: dict[tuple, int] = {}
        s = np.array([found.setdefault(x, len(found)) if x else -1 for x, _ in got], dtype=int)[group]
        return rows[s >= 0], s[s >= 0], [(val_col.label, ind, unit, val_col.index) for ind, unit in found]

    def long_value(self, i: int):
        """((indicator, unit), None) of row i of the long layout, or (None, problem)."""
        g, ind_col, val_col = self.cells, self.role["indicator"][0], self.role["value"][0]
        name = g.raw[ind_col.index][i]
        if g.blank[ind_col.index][i]:
            return None, (ind_col.label, "缺少指标名称：请填写指标，如「募集资金」「落地项目数」。")
        if (found := self.vocab.indicator(name)) is None:
            close = self.vocab.close_names(name)
            hint = (f"您是不是要找：{'、'.join(close)}？" if close else
                    "请使用指标目录中的名称（如「募集资金」「服务群众人次」）。")
            return None, (ind_col.label, f"无法识别的指标「{_text(name)}」。{hint}")
        ind = self.catalog[found[0]]
        if ind.kind == "ratio":
            return None, (ind_col.label, self.ratio_message(ind, False))
        unit = next((u for u in (_key(g.raw[c.index][i]) for c in self.role["unit"][:1]) if u), "")
        return (ind.id, unit or found[1] or val_col.spec.unit or self.default_unit(ind)), None

    def region_of(self, i: int):
        """(code or None, the column that named the region, problem or None) of row i."""
        g = self.cells
        cells = [(c, g.text[c.index][i]) for c in self.region_columns if not g.blank[c.index][i]]
        label = next((c.label for c, t in cells if c.spec.role == "code" or _CODE.fullmatch(t)), cells[-1][0].label)
        try:
            return self.regions.resolve(cells), label, None
        except _RegionError as e:
            return None, label, (e.column, e.message)

    def period_of(self, i: int):
        """(period or None, problem or None) of row i."""
        g, period_columns = self.cells, self.role["period"]
        parts = [(c, g.raw[c.index][i]) for c in period_columns if not g.blank[c.index][i]]
        if not parts:
            if self.default_period is None:
                label = period_columns[0].label if period_columns else None
                return None, (label, "缺少期间：请在「期间」列填写，如 2026-03、2026Q1 或 2026。")
            return self.default_period, None
        value = parts[0][1] if len(parts) == 1 else _join_period_parts([_key(v) for _, v in parts])
        label = "/".join(c.label for c, _ in parts)
        try:
            period = parse_period(value)
        except ValueError as e:
            return None, (label, str(e))
        if why := _not_over(period, self.today):
            return None, (label, why)
        return period, None

    def cell_value(self, raw, label: str, ind: str, unit: str):
        """(value or None, problem or None) of a value cell."""
        if isinstance(raw, str) and (plain := _plain_number(self.catalog[ind], unit)) and plain.fullmatch(raw):
            return Decimal(raw), None     # what parse_value would return, 10 times faster
        try:
            return parse_value(raw, self.catalog[ind], unit), None
        except ValueError as e:
            return None, (label, str(e))

    # ---- checks across rows (over the frame of read_rows; index = position in the file's order)

    def check_facts(self, f: pd.DataFrame) -> np.ndarray:
        """Which facts pass: a cell repeated with the same value is kept once; conflicts between
        rows are reported and leave out every fact involved."""
        cell = pd.Series((f.rid * len(self.catalog.by_id) + f.ind) * len(self.periods) + f.pid)
        ok, first, dec = ~cell.duplicated().to_numpy(), {}, self.decs
        for x in f[cell.duplicated(keep=False).to_numpy()].itertuples():
            other = first.setdefault((x.rid, x.ind, x.pid), x)
            if dec[other.vg] != dec[x.vg]:
                self.problem(x.row, self.sources[x.s][0], f"与第 {other.row} 行重复：同一区域、同一期间（{self.periods[x.pid].label}）"
                             f"的「{self.indicator(x.ind).name_zh}」填了两个不同的数（{exact(dec[other.vg])} 和 "
                             f"{exact(dec[x.vg])}）：请只保留正确的一行。")
                ok[[other.Index, x.Index]] = False
        self.check_granularity(f[ok], ok)
        parts = f[ok]
        for ind in self.catalog.by_id.values():
            if ind.kind == "ratio":
                self.check_ratio_parts(parts, ind, ok)
        if not self.allow_subtotals:
            ok[ok] = ~self.subtotal_rows(f[ok])
        return ok

    def with_spans(self, f: pd.DataFrame) -> pd.DataFrame:
        """The facts (index = position) with what the overlap checks need: flow (whether the
        indicator is a flow), first and last month of the period (numbered year * 12 + month)."""
        first = np.array([p.start.year * 12 + p.start.month for p in self.periods] or [0])
        last = np.array([p.end.year * 12 + p.end.month for p in self.periods] or [0])
        flows = np.array([ind.kind == "flow" for ind in self.catalog.by_id.values()])
        return f.reset_index().assign(flow=lambda c: flows[c.ind], first=lambda c: first[c.pid], last=lambda c: last[c.pid])

    def check_granularity(self, f: pd.DataFrame, ok: np.ndarray) -> None:
        """A unit's indicator reported for two overlapping periods of different lengths (flows:
        2026Q3 and 2026-08; stocks and scores: the same period end, 2026Q2 and 2026-06) would be
        counted twice or dropped by the roll-up: each later row is reported, both are left out."""
        if len({_months(p) for p in self.periods}) < 2:
            return
        c = self.with_spans(f)
        c = c[c.assign(months=c["last"] - c["first"]).groupby(["rid", "ind"])["months"].transform("nunique") > 1]
        m = c.merge(c, on=["rid", "ind", "flow"], suffixes=("", "_o"))
        overlap = np.where(m.flow, (m["first"] <= m.last_o) & (m.first_o <= m["last"]), m["last"] == m.last_o)
        m = m[overlap & (m.pid != m.pid_o) & (m["index"] > m.index_o)].drop_duplicates("index")
        for x in m.itertuples():
            this, other = self.periods[x.pid], self.periods[x.pid_o]
            self.problem(x.row, self.sources[x.s][0], f"同一区域第 {x.row_o} 行填了{other.label}的「{self.indicator(x.ind).name_zh}」"
                         f"{exact(self.decs[x.vg_o])}，本行又填了{this.label}的 {exact(self.decs[x.vg])}："
                         f"{granularity_reason(x.flow)}。同一区域的同一指标请只按一种期间（月度、季度或年度）上报，删除其中一行。")
            ok[[x.index, x.index_o]] = False

    def check_ratio_parts(self, f: pd.DataFrame, ind: Indicator, ok: np.ndarray) -> None:
        dec = self.decs
        num, den = (f.ind.to_numpy() == self.catalog.ids().index(part) for part in (ind.numerator, ind.denominator))
        if not (num.any() and den.any()):
            return
        pairs = f[num].reset_index().merge(f[den].reset_index(), on=["rid", "pid"], suffixes=("", "_d"))
        num_name, den_name = self.catalog[ind.numerator].name_zh, self.catalog[ind.denominator].name_zh
        for x in pairs[pairs.value >= pairs.value_d].sort_values("index").itertuples():
            if dec[x.vg] > dec[x.vg_d]:
                where = f"（第 {x.row_d} 行）" if x.row_d != x.row else ""
                self.problem(x.row, self.sources[x.s][0], f"「{num_name}」{exact(dec[x.vg])} 大于「{den_name}」"
                             f"{exact(dec[x.vg_d])}{where}：同一区域、同一期间的分子不能大于分母（{ind.name_zh}会超过 100%），"
                             "请核对这两个数。")
                ok[[x.index, x.index_d]] = False

    def subtotal_rows(self, f: pd.DataFrame) -> np.ndarray:
        """A parent and one of its descendants reported for the same indicator and overlapping
        periods would be counted twice (except scores, where the unit's own score simply wins):
        each row of such a parent is reported once (for its first conflict in file order) and
        left out entirely. Flows overlap when they share a month; stocks when their values are in
        effect at a common month end: a value holds from its period end until the unit's next
        report of the indicator in the file (`until`, inf when none)."""
        scores = [k for k, ind in enumerate(self.catalog.by_id.values()) if ind.kind == "score"]
        c = f[~f.ind.isin(scores)]
        rid_of = {self.region_codes[r]: r for r in pd.unique(c.rid)}
        pairs = pd.DataFrame([(r, rid_of[a], depth) for code, r in rid_of.items()
                              for depth, a in enumerate(self.regions.ancestors(code)[:-1]) if a in rid_of],
                             columns=["rid", "parent", "depth"], dtype=np.intp)
        if pairs.empty:
            return np.zeros(len(f), dtype=bool)
        c = self.with_spans(c[c.rid.isin(pairs.rid) | c.rid.isin(pairs.parent)])
        c = c.assign(until=c.sort_values("last").groupby(["rid", "ind"])["last"].shift(-1).fillna(np.inf))
        m = c.merge(pairs, on="rid").merge(c, left_on=["parent", "ind"], right_on=["rid", "ind"], suffixes=("", "_p"))
        overlap = np.where(m.flow, (m["first"] <= m.last_p) & (m.first_p <= m["last"]),
                           (m["last"] < m.until_p) & (m.last_p < m.until))
        m = m[overlap].sort_values(["index", "depth"]).drop_duplicates("row_p")
        name = self.regions.tree.name
        for x in m.itertuples():
            parent, child = self.region_codes[x.rid_p], self.region_codes[x.rid]
            this, other = self.periods[x.pid_p], self.periods[x.pid]
            when = this.label if this == other else f"（{overlap_note(x.flow, this, other)}）"
            self.problem(x.row_p, self.region_column[x.rg_p],
                         f"「{name[parent]}」和它的下级「{name.get(child) or self.regions.new_villages[child][0]}」"
                         f"（第 {x.row} 行）同时填报了「{self.indicator(x.ind).name_zh}」{when}："
                         "若上级的数是下级的合计，汇总时会重复计算。请删除上级这一行（上级的数由系统从下级汇总）；"
                         "若上级的数确实只是本级的、不含下级，请在导入页面勾选“文件中上下级同时出现的数据不是小计”"
                         "（命令行加 --allow-subtotals）后重新导入。")
        return f.row.isin(m.row_p).to_numpy()

    def indicator(self, k: int) -> Indicator:
        return self.catalog[self.catalog.ids()[k]]


_UNIT_NOTE = re.compile("单位:(" + "|".join(map(re.escape, _ALL_UNIT_TEXTS)) + ")")


def _unit_note(title_rows: list[list]) -> str:
    """The unit of a note such as '单位：万元' above the header, or ''."""
    for row in title_rows:
        for v in row:
            if m := _UNIT_NOTE.search(_key(v)):
                return m.group(1)
    return ""


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


def _empty_result(problems, layout="", sheet=None) -> ParseResult:
    return ParseResult(facts=pd.DataFrame(columns=FACT_COLUMNS),
                       villages=pd.DataFrame(columns=["code", "name", "parent_code"]),
                       skipped=pd.DataFrame(columns=["row", "reason"]),
                       problems=problems, layout=layout, sheet=sheet)


def parse_file(data: bytes, file_name: str, tree: Tree, catalog: Catalog, *, today: dt.date,
               period: str | None = None, sheet: str | None = None, scope: str = ROOT_CODE,
               allow_subtotals: bool = False, max_bytes: int = 50 * 2**20) -> ParseResult:
    """Normalised facts, new villages, skipped rows and every problem of an uploaded file.

    period: the period of the whole file (same syntaxes as a period cell), for a file without a
    period column; scope: the uploader's region, names resolve only inside it and codes must lie
    in it; today: periods starting after today's month are rejected; allow_subtotals: accept a
    parent and its descendant for the same indicator and period (the parent's own number)."""
    def file_problem(message, sheet_name=None, layout=""):
        return _empty_result([Problem(None, None, message)], layout, sheet_name)

    if scope not in tree:
        return file_problem(f"导入范围「{scope}」不是有效的区划代码。")
    default_period = None
    if period:
        try:
            default_period = parse_period(period)
        except ValueError as e:
            return file_problem(f"所选期间无效：{e}")
        if why := _not_over(default_period, today):
            return file_problem(f"所选期间无效：{why}")
    try:
        candidates = sheets(data, file_name, max_bytes, sheet)
    except FileError as e:
        return file_problem(str(e))

    vocab = _Vocabulary(catalog)
    first_name, anything = candidates[0][0], False
    for sheet_name, load in candidates:
        try:
            grid = load()
        except FileError as e:
            return file_problem(str(e), sheet_name)
        except Exception as e:  # a damaged sheet
            return file_problem(f"无法读取工作表「{sheet_name}」（{e}）：请在 Excel 中另存为 .xlsx 后再上传。", sheet_name)
        if (found := _find_header(grid, vocab)) is not None:
            break
        anything = anything or any(not _is_blank(v) for row in grid for v in row)
    else:
        where = f"工作表「{first_name}」" if first_name is not None else "文件"
        if not anything:
            return file_problem(f"{where}是空的，没有任何数据。", first_name)
        return file_problem(f"在{where}的前 {HEADER_SEARCH_ROWS} 行没有找到表头：表头一行至少要有两个能识别的列名，"
                            "如「区域」「期间」「指标名称」「数值」或指标名称「募集资金(万元)」「服务群众人次」。", first_name)

    header_rows, columns = found
    header_row = header_rows[-1] + 1
    body = grid[header_rows[-1] + 1:]
    while body and all(_is_blank(v) for v in body[-1]):
        body.pop()
    parser = _Parser(catalog, vocab, _Regions(tree, scope), today, default_period, allow_subtotals,
                     sheet_unit=_unit_note(grid[:header_rows[0]]))
    parser.role = defaultdict(list)
    cells = _Cells(body, len(columns))
    for c in parser.settle_columns(columns, cells, header_row):
        parser.role[c.spec.role].append(c)
    layout = parser.layout

    missing = []
    if not parser.region_columns:
        missing.append("没有区域列：请加一列「区域」，填写区域名称（如「茅箭区」）或区划代码")
    if layout == "wide" and not parser.role["measure"] and not parser.problems:
        missing.append("没有可导入的指标列：表头应为指标名称（如「募集资金(万元)」「落地项目数」），"
                       "或采用“区域、期间、指标名称、数值”四列的格式")
    if not parser.role["period"] and default_period is None:
        missing.append("文件中没有期间列，也没有选择期间：请在页面上选择这份数据的期间，或在文件中加一列「期间」（如 2026-03）")
    if not body:
        missing.append("文件只有表头，没有数据行")
    if missing:
        problems = [Problem(None, None, m + "。") for m in missing] + parser.problems
        return _empty_result(problems, layout, sheet_name)

    width, overlong = len(columns), []
    if sheet_name is None and max(map(len, body)) > width:   # CSV: an unquoted 1,200 splits a number
        overlong = [header_row + 1 + i for i, row in enumerate(body)
                    if len(row) > width and any(not _is_blank(v) for v in row[width:])]
    for r in overlong:
        parser.problem(r, None, f"这一行有 {len(body[r - header_row - 1])} 个值，比表头的 {width} 列多："
                       "多半是数字中的千分位逗号（如 1,200）把一个数拆成了两格。请去掉千分位逗号，"
                       "或把这个数用英文双引号括起来（\"1,200\"）。")
    f = parser.read_rows(cells, header_row + 1)
    f = f[~f["row"].isin(overlong)].reset_index(drop=True)   # check_facts counts by position
    f = f[parser.check_facts(f)]
    if f.empty and not parser.problems:
        parser.problem(None, None, "文件中没有任何可导入的数值：所有数值单元格都是空的。")
    regions, periods, pid = parser.region_codes[f.rid], parser.periods, f.pid.to_numpy()
    used = set(regions)
    villages = [(code, name, parent) for code, (name, parent) in parser.regions.new_villages.items() if code in used]
    parser.problems.sort(key=lambda p: (p.row or 0))
    return ParseResult(
        facts=pd.DataFrame({"region_code": regions, "indicator_id": _objects(catalog.ids())[f.ind],
                            "period_start": _objects([p.start for p in periods])[pid],
                            "period_end": _objects([p.end for p in periods])[pid],
                            "months": np.array([_months(p) for p in periods], dtype=int)[pid],
                            "value": f.value.to_numpy(), "row": f.row.to_numpy()}),
        villages=pd.DataFrame(villages, columns=["code", "name", "parent_code"]),
        skipped=pd.DataFrame(parser.skipped, columns=["row", "reason"]),
        problems=parser.problems, layout=layout, sheet=sheet_name, allow_subtotals=allow_subtotals)
