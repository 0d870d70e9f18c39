"""Upload templates: the child regions of a region, one column per indicator, units in headers."""
from __future__ import annotations

import io

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
                   indicator_ids: list[str]) -> pd.DataFrame:
    units = tree.children(region) or [region]
    frame = pd.DataFrame({"区划代码": units, "名称": [tree.name[u] for u in units],
                          "期间": period.label})
    for col in template_columns(catalog, indicator_ids):
        frame[col] = None
    return frame


def to_excel(frame: pd.DataFrame, sheet: str = "填报") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, index=False, sheet_name=sheet)
        ws = xl.sheets[sheet]
        for col in ws.columns:
            ws.column_dimensions[col[0].column_letter].width = max(12, 2 * len(str(col[0].value)) + 2)
        # Codes stay text so that leading digits and length survive a round trip through Excel.
        for cell in ws["A"][1:]:
            cell.number_format = "@"
    return buf.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM: Excel on Chinese Windows opens it without garbling."""
    return frame.to_csv(index=False).encode("utf-8-sig")
