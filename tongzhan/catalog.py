"""The indicator catalog: data/indicators.csv, loaded into DuckDB and read back as a frame."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from .periods import FREQUENCY_MONTHS
from .store import ROOT

CATALOG_CSV = ROOT / "data" / "indicators.csv"
KINDS = {"flow", "stock", "ratio", "score"}


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    unit: str
    kind: str
    numerator: str | None
    denominator: str | None
    category: str
    description: str
    aliases: tuple[str, ...]
    months: int = 1            # reporting frequency: months per report (1 month, 3 quarter, 12 year)
    carry: int | None = None   # stocks and scores: how many reporting periods a value may be carried
    max_value: Decimal | None = None   # the largest plausible value (a national total for a year): above is a slip


def read_catalog_csv(path=CATALOG_CSV) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["headline"] = pd.to_numeric(df["headline"].replace("", None)).astype("Int8")
    df["sort_order"] = range(len(df))
    bad = set(df["kind"]) - KINDS
    if bad:
        raise ValueError(f"unknown indicator kind(s) {bad} in {path}")
    bad = set(df["frequency"]) - set(FREQUENCY_MONTHS)
    if bad:
        raise ValueError(f"unknown frequency {bad} in {path}: use {', '.join(FREQUENCY_MONTHS)}")
    kept = df["kind"].isin(["stock", "score"])
    if not df.loc[kept, "carry"].str.fullmatch(r"\d+").all():
        raise ValueError(f"every stock and score needs a carry (whole number of periods) in {path}")
    _check_max_values(df, path)
    ids = set(df["id"])
    rule = dict(zip(df["id"], zip(df["frequency"], df["carry"])))
    for row in df[df["kind"] == "ratio"].itertuples():
        if row.numerator not in ids or row.denominator not in ids:
            raise ValueError(f"ratio {row.id} refers to unknown parts")
        if rule[row.numerator] != rule[row.denominator]:
            raise ValueError(f"ratio {row.id}: both parts need the same frequency and carry")
    return df.replace({"": None})


def _check_max_values(df: pd.DataFrame, path) -> None:
    """Every stored indicator has a max_value above 0 and below 10^12 (the store keeps values as
    DECIMAL(18,6)); ratios have none (their parts do)."""
    for row in df.itertuples():
        try:
            ok = (row.max_value == "") if row.kind == "ratio" else 0 < Decimal(row.max_value) < 10**12
        except InvalidOperation:
            ok = False
        if not ok:
            raise ValueError(f"indicator {row.id}: max_value must be a number in (0, 1e12), empty for ratios, in {path}")


class Catalog:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame.reset_index(drop=True)
        self.by_id = {
            r["id"]: Indicator(r["id"], r["name_zh"], r["unit"], r["kind"], r["numerator"],
                               r["denominator"], r["category"] or "", r["description"] or "",
                               tuple(a for a in (r["aliases"] or "").split("|") if a),
                               FREQUENCY_MONTHS[r["frequency"]],
                               None if r["carry"] is None or pd.isna(r["carry"]) else int(r["carry"]),
                               None if r["max_value"] is None or pd.isna(r["max_value"]) else Decimal(r["max_value"]))
            for r in self.frame.to_dict("records")
        }
        self._headline = list(self.frame.dropna(subset=["headline"]).sort_values("headline")["id"])

    def __getitem__(self, ind_id: str) -> Indicator:
        return self.by_id[ind_id]

    def __contains__(self, ind_id: str) -> bool:
        return ind_id in self.by_id

    def ids(self) -> list[str]:
        return list(self.by_id)

    def headline(self) -> list[str]:
        """The indicators of the cards, in card order (worked out once: every page run asks)."""
        return list(self._headline)

    def stored_ids(self) -> list[str]:
        """Indicators that facts carry (ratios are computed from their parts)."""
        return [i for i, ind in self.by_id.items() if ind.kind != "ratio"]
