"""Upload templates: the child regions of a region (or its units of one level), one column per
indicator, units in headers."""
from __future__ import annotations

import pandas as pd

from .catalog import Catalog
from .periods import Period
from .regions import Tree


def template_columns(catalog: Catalog, indicator_ids: list[str]) -> list[str]:
    """Headers for the chosen indicators; a ratio asks for its numerator and denominator."""
    ids: list[str] = []
    for i in indicator_ids:
        ind = catalog[i]
        parts = [ind.numerator, ind.denominator] if ind.kind == "ratio" else [i]
        ids += [p for p in parts if p not in ids]
    return [f"{catalog[i].name_zh}({catalog[i].unit})" for i in ids]


def template_frame(tree: Tree, catalog: Catalog, region: str, period: Period,
                   indicator_ids: list[str], level: int | None = None) -> pd.DataFrame:
    """One row per unit to report: region's units of administrative `level` (4: every township of
    a city, where data is reported), by default its children (the region itself when it has none)."""
    units = (tree.at_level(region, level) if level is not None else tree.children(region)) or [region]
    frame = pd.DataFrame({"区划代码": units, "名称": [tree.name[u] for u in units],
                          "期间": period.label})
    for col in template_columns(catalog, indicator_ids):
        frame[col] = None
    return frame
