"""Region cells: names and codes resolved to a code inside the scope; new villages."""
from __future__ import annotations

import difflib
import functools
import re
import weakref
from collections import defaultdict

from ..regions import ROOT_CODE, Tree
from .header import _Column
from .text import _key, _text, name_problem


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
        village = next(((c, t) for level in (5, None) for c, t in names if c.spec.level == level), None)
        if codes:
            code = self._by_code(*codes[0], village)
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
                return self._new_village(column, text, context)
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

    def _by_code(self, column: _Column, text: str, village: tuple[_Column, str] | None) -> str:
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
            name = village[1] if village else self.new_villages.get(code, ("", ""))[0]
            if not name:
                raise _RegionError(column.label, f"区划代码「{text}」是「{tree.full_name(township)}」下新的村(社区)，"
                                   "系统里还没有它：请加一列「村(社区)」填写村(社区)名称。")
            if why := name_problem(name, "新村(社区)的名称"):
                raise _RegionError(village[0].label, why)
            self.new_villages.setdefault(code, (name, township))
            return code
        raise _RegionError(column.label, f"区划代码「{text}」不存在：请核对代码（6 位县级、9 位乡镇级或 12 位统计用代码），"
                           "或改填区域名称。")

    def _new_village(self, column: _Column, name: str, township: str) -> str:
        """Code of a village not in the tree: township code + 'V' + the next free 3-digit number."""
        if why := name_problem(name, "新村(社区)的名称"):
            raise _RegionError(column.label, why)
        if (township, name) not in self._by_name:
            while True:
                self._next[township] += 1
                code = f"{township}V{self._next[township]:03d}"
                if code not in self.tree and code not in self.new_villages:
                    break
            self._by_name[township, name] = code
            self.new_villages[code] = (name, township)
        return self._by_name[township, name]
