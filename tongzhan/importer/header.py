"""The header: column names (fixed words and the catalog's indicators) and the header rows."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..catalog import Catalog
from .text import _is_blank, _key, _label, _text
from .values import _ALL_UNIT_TEXTS, _NUMBER

HEADER_SEARCH_ROWS = 30       # the header must start within the first rows of the sheet


@dataclass(frozen=True)
class _Spec:
    """What a header names: role is code, region, region_or_unit, period, indicator, value, unit,
    ignore, measure (one indicator per column) or cumulative (a year-to-date column)."""
    role: str
    level: int | None = None        # region columns: 1 province … 5 village; None = any level
    indicator: str | None = None    # measure columns
    unit: str = ""                  # unit written in the header, e.g. 亿元 in 募集资金(亿元)
    target: bool = False            # a column of targets (目标值, 募集资金目标, 2026年目标)
    period: str = ""                # the period a target header names: 2026年 in 2026年目标


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
_TARGET = re.compile(r"([0-9]{4}年(?:第?[1-4一二三四]季度?|q[1-4])?|[0-9]{4}q[1-4])?(.*?)目标值?")
_WHOLE_YEAR = {"", "全年", "年", "年度", "本年"}   # 全年目标 names no indicator


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
        if "目标" in k:
            return self.target(k)
        if found := self.indicator(k):
            return _Spec("measure", indicator=found[0], unit=found[1])
        if (m := _UNIT_IN_BRACKETS.fullmatch(k)) and self.words.get(m.group(1)) == _Spec("value"):
            return _Spec("value", unit=m.group(2))        # 数值(万元)
        return None

    def target(self, k: str) -> _Spec | None:
        """A header of targets: 目标值, 目标值(万元), 2026年目标 (a value column), 募集资金目标(亿元),
        2026年第一季度募集资金目标 (one indicator's column); the period it names, if any."""
        unit = ""
        if m := _UNIT_IN_BRACKETS.fullmatch(k):
            k, unit = m.groups()
        if not (m := _TARGET.fullmatch(k.replace("年度", "年"))):
            return None
        period, name = m.group(1) or "", m.group(2)
        if name in _WHOLE_YEAR:
            return _Spec("value", unit=unit, target=True, period=period)
        if found := self.indicator(name):
            return _Spec("measure", indicator=found[0], unit=unit or found[1], target=True, period=period)
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


_UNIT_NOTE = re.compile("单位:(" + "|".join(map(re.escape, _ALL_UNIT_TEXTS)) + ")")


def _unit_note(title_rows: list[list]) -> str:
    """The unit of a note such as '单位：万元' above the header, or ''."""
    for row in title_rows:
        for v in row:
            if m := _UNIT_NOTE.search(_key(v)):
                return m.group(1)
    return ""
