"""Settling the columns of a parse (part of _Parser): region or unit, units, unusable columns."""
from __future__ import annotations

from ..catalog import Indicator
from .header import _Column, _looks_like_data, _Spec
from .text import _Cells, _col_letter, _key
from .values import _ALL_UNIT_TEXTS, unit_scale


_ROLE_NAMES = {"code": "区划代码列", "region": "区域名称列", "period": "期间列", "indicator": "指标名称列",
               "value": "数值列", "unit": "计量单位列"}


def _one_column_role(spec: _Spec, label: str) -> tuple | None:
    """What at most one column may name: the region code, a region level, each period word (年份
    and 月份 together are one period), the indicator, value and unit columns of the long layout."""
    if spec.role == "period":
        return ("period", _key(label))
    return (spec.role, spec.level) if spec.role in _ROLE_NAMES else None


class _Columns:
    """The column methods of _Parser (see parser.py for the state they share)."""

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
            if (key := _one_column_role(spec, c.label)) in seen:
                self.problem(header_row, c.label, f"「{seen[key].label}」（第 {_col_letter(seen[key].index)} 列）和「{c.label}」"
                             f"（第 {_col_letter(c.index)} 列）都是{_ROLE_NAMES[key[0]]}：无法确定以哪一列为准，请删除其中一列或改正表头。")
                continue
            if key:
                seen[key] = c
            if spec.role == "measure":
                ind = self.catalog[spec.indicator]
                if ind.kind == "ratio" and not self.targets:   # a ratio's target is a level (%)
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
                    self.problem(header_row, c.label, f"「{seen[spec.indicator].label}」和「{c.label}」都是指标"
                                 f"「{ind.name_zh}」：同一指标只能有一列，请删除其中一列。")
                    continue
                seen[spec.indicator] = c
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
