"""Reading the rows of a parse (part of _Parser): skipped rows; region, period and value cells."""
from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

from .period_cells import _join_period_parts, parse_period
from .region_names import _CODE, _RegionError
from .text import _Cells, _key, _objects, _text
from .values import BLANK_MARKS, _plain_number, parse_value

SUBTOTAL_WORDS = ("合计", "总计", "小计")
NOTE_ROW = re.compile(r"(注\d*|说明|备注|填表人?|填报人|填报单位|制表人?|审核人?|联系人|联系电话|"
                      r"(单位|统计)?负责人|数据来源)\s*:")   # footers like 注：… 填表人：… (text after NFKC)


class _Rows:
    """The row methods of _Parser: read_rows sets cells, found, sources, decs, region_codes,
    region_column and periods, which the checks read."""

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
        if ind.kind == "ratio" and not self.targets:   # a ratio's target is a level (%)
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
        if why := self.period_problem(period):
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
