"""Checks across rows of a parse (part of _Parser): duplicates, two period lengths of one unit's
indicator, numerator above denominator, parent with descendant for overlapping periods."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import Indicator
from ..fmt import exact
from .period_cells import _months, granularity_reason, overlap_note


class _Checks:
    """The checks of _Parser, over the frame of read_rows (index = position in the file's order)."""

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
        if self.targets:   # a year and its quarters, parents and children: targets side by side
            return ok
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
