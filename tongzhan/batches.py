"""Committing parsed uploads as batches: preview, one-transaction commit, history and undo.

Nothing lost, nothing doubled: a batch is written in one DuckDB transaction; a cell written again
replaces the old value, which is kept in fact_history so that undoing the batch restores it.
A targets file (ParseResult.kind "targets") is a batch of its own kind the same way: its targets
replace stored ones, kept in target_history for undo; no fact, county sum or report is touched.
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import accounts, audit, buckets
from .accounts import User
from .build import add_facts
from .fmt import exact
from .importer import Omitted, ParseResult, Problem, capped, granularity_reason, overlap_note, problem_count
from .periods import FREQUENCY_MONTHS, GRAIN_NAMES, Period
from .regions import ROOT_CODE
from .store import StoreError, arrow_table, execute, query, registered, rows, transaction

FACT_COLUMNS = ["region_code", "indicator_id", "period_start", "period_end", "months", "value", "row"]
VILLAGE_COLUMNS = ["code", "name", "parent_code"]
TARGET_COLUMNS = ["region_code", "indicator_id", "year", "quarter", "value"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _scannable(facts: pd.DataFrame) -> pd.DataFrame:
    """The facts with Arrow dates: DuckDB reads a column of Python date objects ~50x slower."""
    return facts[FACT_COLUMNS].assign(**{c: pd.arrays.ArrowExtensionArray(pa.array(facts[c].to_numpy(), pa.date32()))
                                         for c in ("period_start", "period_end")})


class Rejected(StoreError):
    """A file that contradicts stored data; nothing was written."""

    def __init__(self, problems: list[Problem], what: str = "与已导入的数据矛盾"):
        super().__init__(f"文件有 {problem_count(problems):,} 处{what}，未导入任何数据：" +
                         "；".join(f"第 {p.row} 行：{p.message}" for p in problems[:3]))
        self.problems = problems


@contextlib.contextmanager
def _upload(con, parsed: ParseResult):
    """The parsed file readable by the SQL inside the block: new_facts, new_villages, and temp
    table file_regions (the file's regions with their ancestors, new villages included)."""
    with registered(con, "new_facts", _scannable(parsed.facts)), \
            registered(con, "new_villages", parsed.villages[VILLAGE_COLUMNS].astype(str)):
        execute(con, "file_regions")
        try:
            yield
        finally:
            con.execute("DROP TABLE IF EXISTS file_regions")


def _conflicts(con, allow_subtotals: bool) -> list[Problem]:
    """Contradictions of the upload (see _upload) with stored data: ratio parts, two period
    lengths of one unit's indicator and, unless the file holds units' own numbers, subtotals."""
    problems = _ratio_problems(con) + _granularity_problems(con)
    if not allow_subtotals:
        problems += _subtotal_problems(con)
    return sorted(problems, key=lambda p: p.row)


def file_problems(con, parsed: ParseResult) -> list[Problem]:
    """The problems of a file with problems of its own, and with them, by row, the contradictions
    with stored data that its clean cells show one at a time (two period lengths of a unit's
    indicator; subtotals), so that one round of corrections fixes both. The ratio check waits
    for a clean file (a part on a row with a problem would be missing from the pairs), and a
    list already capped is left as it is. Read only."""
    if parsed.kind == "targets" or parsed.facts.empty or any(isinstance(p, Omitted) for p in parsed.problems):
        return parsed.problems
    with _upload(con, parsed):
        found = _granularity_problems(con) + ([] if parsed.allow_subtotals else _subtotal_problems(con))
    return capped(sorted(parsed.problems + found, key=lambda p: p.row or 0))


def _ratio_problems(con) -> list[Problem]:
    """A ratio's numerator above the denominator in effect at the same time in the same region
    (each holds until the region's next report of it), one of the two from the file."""
    problems = []
    for row, name, num_name, den_name, num, den, num_row, den_row, *ends in rows(con, "ratio_conflicts"):
        a, b = Period(ends[0], ends[1]), Period(ends[2], ends[3])
        if num_row is None:
            text = f"「{den_name}」{exact(den)}（{b.label}）小于已导入的「{num_name}」{exact(num)}（{a.label}）"
        else:
            where = "已导入的" if den_row is None else f"第 {den_row} 行的"
            text = f"「{num_name}」{exact(num)}（{a.label}）大于{where}「{den_name}」{exact(den)}（{b.label}）"
        when = max(a.end, b.end)
        problems.append(Problem(row, den_name if num_row is None else num_name,
                                f"{text}：{when.year}年{when.month}月同一区域的{name}会超过 100%（分子、分母在下次上报之前"
                                "一直有效）。请核对；若总数或已建数有变化，请在同一文件中一并上报新的数。"))
    return problems


_GRAIN_OF_LENGTH = {months: GRAIN_NAMES[g] for g, months in FREQUENCY_MONTHS.items()}   # 3 → 季度


def _granularity_problems(con) -> list[Problem]:
    """The file's cells overlapping a stored period of another length of the same unit and indicator."""
    problems = []
    for row, name, unit, flow, start, end, ex, n in rows(con, "granularity_conflicts"):
        stored, batch = Period(ex["start"], ex["end"]), ex["batch_id"]
        more = f"等 {n} 条" if n > 1 else ""
        how = "重叠" if flow else "期末相同"
        problems.append(Problem(row, name, f"已导入了{stored.label}的「{name}」{exact(ex['value'])}{unit}（批次 {batch}）{more}，"
                                f"与本行的{Period(start, end).label}{how}：{granularity_reason(flow)}。同一区域的同一指标请只按"
                                f"一种期间（月度、季度或年度）上报：请把本行改按{_GRAIN_OF_LENGTH[stored.length]}上报（会覆盖已导入的数），"
                                f"或在“导入记录”中撤销批次 {batch} 后再导入本文件（只能撤销本人导入的批次，"
                                "该批次的其他数据也会一并撤销）。"))
    return problems


def _subtotal_problems(con) -> list[Problem]:
    """A unit above or below a file region with the same indicator stored for an overlapping
    period: a subtotal that would count twice."""
    [(stored,)] = rows(con, "subtotal_stored")
    try:
        found = rows(con, "subtotal_conflicts") if stored else []   # no unit above or below: none
    finally:
        con.execute("DROP TABLE subtotal_stored")
    problems = []
    confirm = "若确实只是本级的数、不含下级，请勾选“文件中上下级同时出现的数据不是小计”（命令行加 --allow-subtotals）。"
    for row, name, flow, start, end, above, ex, units, several in found:
        this, other = Period(start, end), Period(ex["start"], ex["end"])
        others = f"「{ex['name']}」" + (f"等 {units} 个单位" if units > 1 else "")
        when = other.label + ("等期间" if several else "")
        note = "" if this == other else f"（{overlap_note(flow, this, other)}）"
        if above:
            text = (f"已导入的上级{others}也有{when}的「{name}」{note}：若上级的数是下级的合计，与本行一起汇总会"
                    f"重复计算。请核对后撤销其中一方；{confirm}")
        else:
            text = (f"已导入了下级{others}{when}的「{name}」{note}：本行若是下级的合计，汇总时会重复计算，"
                    f"请删除本行（上级的数由系统从下级汇总）；{confirm}")
        problems.append(Problem(row, name, text))
    return problems


def duplicate_message(batch_id: int) -> str:
    return f"该文件已作为批次 {batch_id} 导入，无需重复上传；如需重新导入，请先在“导入记录”中撤销该批次。"


@dataclass
class Preview:
    insert: pd.DataFrame     # new cells
    replace: pd.DataFrame    # cells with another value stored: old_value → value
    unchanged: pd.DataFrame  # cells already holding the same value (skipped)
    villages: pd.DataFrame   # villages to create
    skipped: pd.DataFrame    # rows the parser skipped (合计 rows, blank rows), with the reason
    duplicate_of: int | None  # a batch still in effect that imported the same file
    problems: list[Problem]   # contradictions with stored data (see _conflicts)
    warnings: list[Problem]   # values far outside their unit's history (see _outliers): check, may import
    kind: str = "facts"       # "targets" for a 目标值 file (ParseResult.kind)


def preview(con, parsed: ParseResult, data: bytes) -> Preview:
    """What committing `parsed` would do, read from the database without writing to it."""
    if parsed.kind == "targets":
        return _preview_targets(con, parsed, data)
    with _upload(con, parsed):
        cells = query(con, "preview_cells").sort_values(["row", "indicator_id"], ignore_index=True)
        problems = _conflicts(con, parsed.allow_subtotals)
        warnings = _outliers(con)
    stored = cells["old_value"].notna()
    same = stored & (cells["old_value"] == cells["value"])
    dup = query(con, "batch_by_sha256", sha256=sha256(data))
    return Preview(insert=cells[~stored].reset_index(drop=True),
                   replace=cells[stored & ~same].reset_index(drop=True),
                   unchanged=cells[same].reset_index(drop=True),
                   villages=parsed.villages, skipped=parsed.skipped,
                   duplicate_of=int(dup["batch_id"].iloc[0]) if len(dup) else None,
                   problems=capped(problems), warnings=capped(warnings))


def _outliers(con) -> list[Problem]:
    """The upload's values over 100 times the largest stored value of their region and indicator,
    or under 1/100 of the smallest positive one: often a slip of 元 for 万元 or the reverse."""
    warnings = []
    catalog = query(con, "indicators_all").set_index("id")
    names, units = catalog["name_zh"], catalog["unit"]
    for row, _, ind, start, end, value, high, low in rows(con, "value_outliers"):
        what = (f"是该单位以往最大值 {exact(high)}{units[ind]} 的 {float(value) / float(high):,.0f} 倍" if value > 100 * high else
                f"不到该单位以往最小值 {exact(low)}{units[ind]} 的百分之一")
        warnings.append(Problem(row, names[ind], f"{Period(start, end).label}的「{names[ind]}」{exact(value)}{units[ind]}"
                                f"{what}：请核对数值和单位（如万元与元）；确认无误可以照常导入。"))
    return warnings


def write_scope(user: User) -> str:
    """The region whose subtree user may write: everywhere for an admin, else the account's scope."""
    return ROOT_CODE if user.role == "admin" else user.scope


def _outside(found: list[tuple], scope: str) -> Rejected | None:
    """The rows of regions outside scope's subtree, one problem each, as a Rejected (None: none)."""
    if not found:
        return None
    return Rejected(capped([Problem(int(row), "区域", f"区域 {code} 不在您的上报范围（{scope}）之内：只能导入本辖区的数据。")
                            for row, code in found]), "不在您的上报范围之内")


def commit(con, parsed: ParseResult, data: bytes, file_name: str, user: User,
           dedupe: bool = True) -> int | None:
    """Write a problem-free upload as one batch in one transaction, as `user` (accounts.User: staff
    or admin; every region of the file inside the user's scope, else each such row is rejected and
    nothing written); returns the batch id, or None when every cell already holds the file's value
    (nothing written, no batch). dedupe=False (a target entered on the page, not a file): no check
    for the same file imported before. Audited in the same transaction; a refused or failed
    commit is audited as failed afterwards, with the reason."""
    kind = "targets" if parsed.kind == "targets" else "import"
    try:
        if parsed.problems:
            raise StoreError(f"文件有 {problem_count(parsed.problems):,} 处问题，未导入任何数据。")
        if parsed.kind == "targets":
            return _commit_targets(con, parsed, data if dedupe else None, file_name, user)
        return _commit_facts(con, parsed, data, file_name, user)
    except StoreError as e:
        audit.record_failure(con, getattr(user, "name", None), kind, None, str(e), file_name, sha256(data))
        raise


def _commit_facts(con, parsed: ParseResult, data: bytes, file_name: str, user: User) -> int | None:
    with transaction(con):
        who = accounts.require(con, user, "staff")
        dup = query(con, "batch_by_sha256", sha256=sha256(data))
        if len(dup):
            raise StoreError(duplicate_message(int(dup["batch_id"].iloc[0])))
        with _upload(con, parsed):
            if refused := _outside(rows(con, "facts_outside_scope", scope=write_scope(who)), write_scope(who)):
                raise refused
            if problems := _conflicts(con, parsed.allow_subtotals):
                raise Rejected(capped(problems))
            # the preview's cells, as Arrow: only the cells to write are needed, not three frames
            cells = arrow_table(con, "preview_cells").select([*FACT_COLUMNS, "old_value"])
            insert = cells.filter(pc.is_null(cells["old_value"])).select(FACT_COLUMNS)
            replace = cells.filter(pc.not_equal(cells["old_value"], cells["value"])).select(FACT_COLUMNS)
            if not (len(insert) or len(replace)):
                return None   # nothing written: the empty transaction commits
            batch_id = int(query(con, "next_batch_id")["batch_id"].iloc[0])
            execute(con, "insert_villages", batch_id=batch_id)
        if len(replace):   # (joining the facts with no rows still read them: ~0.2 s at national scale)
            with registered(con, "new_facts", replace):   # of the cells to write, only these are stored
                execute(con, "save_replaced", batch_id=batch_id)
                execute(con, "delete_replaced")
        execute(con, "insert_batch", batch_id=batch_id, file_name=file_name, sha256=sha256(data),
                uploader=who.name, inserted=len(insert), replaced=len(replace),
                skipped=len(cells) - len(insert) - len(replace) + len(parsed.skipped),
                villages=len(parsed.villages))
        add_facts(con, pa.concat_tables([insert, replace]).to_pandas(types_mapper=pd.ArrowDtype), batch_id)
        audit.record(con, who.name, "import", f"批次 {batch_id}",
                     {"inserted": len(insert), "replaced": len(replace), "villages": len(parsed.villages)},
                     file_name, sha256(data))
    return batch_id


def undo(con, batch_id: int, user: User) -> None:
    """Remove a batch's facts and villages and restore the values it replaced, in one transaction,
    as `user`: an admin any batch, staff only their own batches inside their scope. Audited (the
    audit rows of the batch stay: undo adds one)."""
    try:
        _undo(con, batch_id, user)
    except StoreError as e:
        audit.record_failure(con, getattr(user, "name", None), "undo", f"批次 {batch_id}", str(e))
        raise


def _may_undo(con, batch: pd.DataFrame, user: User) -> User:
    """The user, when it may undo the batch: admin, or staff who committed it inside their scope."""
    who = accounts.require(con, user, "staff")
    batch_id = int(batch["batch_id"].iloc[0])
    if who.role != "admin":
        if batch["uploader"].iloc[0] != who.name:
            raise accounts.Denied(f"批次 {batch_id} 不是您导入的（导入人：{batch['uploader'].iloc[0]}），"
                                  "只有管理员可以撤销别人的批次。")
        if rows(con, "batch_regions_outside", batch_id=batch_id, scope=who.scope)[0][0]:
            raise accounts.Denied(f"批次 {batch_id} 有区域不在您现在的权限范围（{who.scope}）之内，请联系管理员撤销。")
    return who


def _undo(con, batch_id: int, user: User) -> None:
    with transaction(con):
        batch = query(con, "batch_get", batch_id=batch_id)
        if batch.empty:
            raise StoreError(f"没有批次 {batch_id}。")
        who = _may_undo(con, batch, user)
        if pd.notna(batch["undone_at"].iloc[0]):
            raise StoreError(f"批次 {batch_id} 已于 {batch['undone_at'].iloc[0]:%Y-%m-%d %H:%M} 撤销。")
        audit.record(con, who.name, "undo", f"批次 {batch_id}", f"{batch['kind'].iloc[0]}：{batch['file_name'].iloc[0]}",
                     batch["file_name"].iloc[0])
        if batch["kind"].iloc[0] == "targets":
            return _undo_targets(con, batch_id)
        _blocked(con, "batch_blockers", batch_id)
        touched = query(con, "batch_touched", batch_id=batch_id)
        restored = query(con, "batch_replaced", batch_id=batch_id)
        buckets.mark(con, touched)   # before the batch's villages are gone
        for step in ("undo_delete_facts", "undo_forget_history", "undo_delete_villages", "undo_mark_batch"):
            execute(con, step, batch_id=batch_id)
        # Stored facts only are updated: the restored rows get their validity as they are
        # inserted (DuckDB 2.0 crashes now and then updating rows inserted in the transaction).
        keys = set(touched["region_code"] + "/" + touched["indicator_id"])
        keys -= set(restored["region_code"] + "/" + restored["indicator_id"])
        if keys:
            execute(con, "refresh_validity", keys=sorted(keys),
                    indicators=sorted({k.split("/")[1] for k in keys}))
        if len(restored):
            add_facts(con, restored)   # refreshes the marked buckets too
        else:
            buckets.refresh(con)


def history(con) -> pd.DataFrame:
    return query(con, "batches_all")


def _blocked(con, name: str, batch_id: int) -> None:
    """A StoreError when later batches still in effect replaced what batch_id wrote."""
    if blockers := query(con, name, batch_id=batch_id)["batch_id"].tolist():
        raise StoreError(f"批次 {batch_id} 的部分数据已被之后的批次 "
                         f"{'、'.join(map(str, blockers))} 覆盖，请先撤销这些批次。")


def _new_targets(facts: pd.DataFrame) -> pd.DataFrame:
    """A targets file's rows (parsed like facts) as targets: year, quarter (NULL for a year)."""
    start = pd.to_datetime(pd.Series(facts["period_start"], dtype=object))
    quarter = ((start.dt.month - 1) // 3 + 1).astype("Int64").where(facts["months"].to_numpy() == 3)
    return facts.assign(year=start.dt.year.astype(int).to_numpy(), quarter=quarter.to_numpy())


def _target_cells(con, parsed: ParseResult) -> pd.DataFrame:
    with registered(con, "new_targets", _new_targets(parsed.facts)):
        return query(con, "preview_target_cells").sort_values(["row", "indicator_id"], ignore_index=True)


def _preview_targets(con, parsed: ParseResult, data: bytes) -> Preview:
    cells = _target_cells(con, parsed)
    stored = cells["old_value"].notna()
    dup = query(con, "batch_by_sha256", sha256=sha256(data))
    return Preview(insert=cells[~stored].reset_index(drop=True),
                   replace=cells[stored & ~cells["same"]].reset_index(drop=True),
                   unchanged=cells[cells["same"]].reset_index(drop=True),
                   villages=parsed.villages, skipped=parsed.skipped,
                   duplicate_of=int(dup["batch_id"].iloc[0]) if len(dup) else None, problems=[], warnings=[],
                   kind="targets")


def _commit_targets(con, parsed: ParseResult, data: bytes | None, file_name: str, user: User) -> int | None:
    """A targets batch (see commit); data None: no duplicate check, no sha256 kept."""
    with transaction(con):
        who = accounts.require(con, user, "staff")
        digest = data and sha256(data)
        if digest and len(dup := query(con, "batch_by_sha256", sha256=digest)):
            raise StoreError(duplicate_message(int(dup["batch_id"].iloc[0])))
        with registered(con, "new_targets", parsed.facts[["row", "region_code"]]):
            if refused := _outside(rows(con, "targets_outside_scope", scope=write_scope(who)), write_scope(who)):
                raise refused
        cells = _target_cells(con, parsed)
        insert, replace = cells["old_value"].isna(), cells["old_value"].notna() & ~cells["same"]
        if not (insert.any() or replace.any()):
            return None
        batch_id = int(query(con, "next_batch_id")["batch_id"].iloc[0])
        with registered(con, "new_targets", cells[insert | replace][TARGET_COLUMNS].assign(batch_id=batch_id)):
            execute(con, "save_replaced_targets", batch_id=batch_id)
            execute(con, "delete_replaced_targets")
            execute(con, "insert_targets")
        execute(con, "insert_target_batch", batch_id=batch_id, file_name=file_name, sha256=digest,
                uploader=who.name, inserted=int(insert.sum()), replaced=int(replace.sum()),
                skipped=int(cells["same"].sum()) + len(parsed.skipped))
        audit.record(con, who.name, "targets", f"批次 {batch_id}",
                     {"inserted": int(insert.sum()), "replaced": int(replace.sum())}, file_name, digest)
    return batch_id


def _undo_targets(con, batch_id: int) -> None:
    """Inside undo's transaction: remove a targets batch's targets, put back those it replaced."""
    _blocked(con, "target_batch_blockers", batch_id)
    restored = query(con, "target_batch_replaced", batch_id=batch_id)
    for step in ("undo_delete_targets", "undo_forget_target_history", "undo_mark_batch"):
        execute(con, step, batch_id=batch_id)
    with registered(con, "new_targets", restored):
        execute(con, "insert_targets")
