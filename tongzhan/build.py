"""Creating a database: schema, division tree, catalog; the demo database; adding facts."""
from __future__ import annotations

import hashlib
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from . import accounts, audit, buckets, demo, store
from .catalog import Catalog, read_catalog_csv
from .regions import Tree, official_divisions, with_paths
from .store import StoreError, connect, create_schema, execute, query, registered, rows


# What a current database looks like is written in these files. A database that passed
# schema_outdated.sql with this text of them holds its hash (meta key schema_checked) and skips
# that check (40-60 ms of every command-line start) until a version changes one of them.
SCHEMA_STAMP = hashlib.sha256("".join(store.sql(n) for n in ("schema", "schema_outdated")).encode()).hexdigest()


def init_db(con) -> None:
    """Schema, the official division tree and the catalog, in one transaction."""
    con.execute("BEGIN")
    create_schema(con)
    execute(con, "set_meta", key="buckets_built", value="1")   # no facts yet
    execute(con, "set_meta", key="schema_checked", value=SCHEMA_STAMP)
    with registered(con, "new_regions", with_paths(official_divisions())):
        execute(con, "insert_regions")
    load_catalog(con)
    con.execute("COMMIT")


def load_catalog(con) -> None:
    with registered(con, "new_indicators", read_catalog_csv()):
        execute(con, "insert_indicators")


def add_facts(con, facts: pd.DataFrame, batch_id: int | None = None) -> None:
    """Append facts (region_code, indicator_id, period_start, period_end, months, value, and
    batch_id unless given here) with the stock validity (valid_to) of new and stored reports kept
    right, then refresh the county sums of the marked buckets and of the new facts' (buckets.py).
    The caller owns the transaction."""
    with registered(con, "new_facts", facts if batch_id is None else facts.assign(batch_id=batch_id)):
        execute(con, "validity_window")
        execute(con, "validity_before_insert")
        execute(con, "insert_facts")
        con.execute("DROP TABLE validity_window")
    buckets.mark(con, facts)
    buckets.refresh(con)


def build_db(path: str | os.PathLike, demo: bool) -> Path:
    """A new database at path: schema, division tree, catalog and, with demo, the demo data and
    the demo logins (written aside and moved into place when complete). No account otherwise:
    ensure_db makes the first admin."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        with store.all_threads(con):
            init_db(con)
            if demo:
                add_demo_facts(con)
                add_demo_targets(con)
                execute(con, "set_meta", key="demo_last_batch", value=str(rows(con, "next_batch_id")[0][0] - 1))
            con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def build_demo(path: str | os.PathLike, user: accounts.User | None = None) -> Path:
    """The demo database at path. An existing file is replaced only when it holds no batch
    beyond the demo's own (else a StoreError, nothing changed) and, when it has accounts other
    than the demo logins, only by one of its admins (user)."""
    path = Path(path)
    if path.exists():
        con = connect(path)
        try:
            store.check_writable(con)
            upgrade(con)
            (extra, real_users), = rows(con, "non_demo_batches")
            if extra:
                raise StoreError(f"数据库 {path} 中有 {extra} 个不是演示数据的导入批次，demo 不会覆盖它："
                                 "请用 --db 指定另一个文件（或先备份、再删除该文件）。")
            if real_users:
                accounts.require(con, user, "admin")
        finally:
            con.close()
    return build_db(path, demo=True)


def add_demo_facts(con) -> None:
    """The demo facts as batch 0 and the demo logins (demo.LOGINS), in one transaction."""
    facts = demo.generate(query(con, "regions_paths"))
    con.execute("BEGIN")
    accounts.add_demo_users(con, demo.LOGINS)
    audit.record(con, None, "demo", "演示数据", "生成演示数据与演示账号")
    execute(con, "insert_batch", batch_id=0, file_name="演示数据（自动生成）", sha256=None,
            uploader="system", inserted=len(facts), replaced=0, skipped=0, villages=0)
    add_facts(con, facts, batch_id=0)
    execute(con, "set_meta", key="demo", value="1")
    con.execute("COMMIT")


def add_demo_targets(con) -> None:
    """The demo's 2026 targets, committed like an uploaded targets file (targets.add_demo_targets;
    imported here, not at the top: targets → batches → build)."""
    from .targets import add_demo_targets as add
    admin = accounts.get(con, demo.LOGINS[0][0])
    add(con, Tree(query(con, "regions_all")), Catalog(query(con, "indicators_all")), date.today(), admin)


def missing_message(path: Path) -> str:
    return (f"数据库文件 {path} 不存在。请检查路径（环境变量 TONGZHAN_DB 或 --db）是否写对；如需新建，"
            f"运行 python -m tongzhan init --db {path}（空数据库，只含区划和指标目录），"
            f"或 python -m tongzhan demo --db {path}（演示数据）。")


def ensure_db(path: str | os.PathLike, demo_if_missing: bool = False) -> Path:
    """The database at path brought up to this version's schema; when it does not exist, built
    with demo data if demo_if_missing, else a StoreError (a configured path must not silently get
    demo data). A read-only database must already be current."""
    path = Path(path)
    if not path.exists():
        if not demo_if_missing:
            raise StoreError(missing_message(path))
        return build_demo(path)
    con = connect(path)
    try:
        why = store.read_only(con)
        if not why:
            upgrade(con)
            first_admin(con)
        elif is_outdated(con):
            raise StoreError(f"数据库 {path} 是旧版本，需要先升级，但现在只能读取（{why}）：请在它可写时"
                             "运行一次 python -m tongzhan batches（会自动升级），再以只读方式使用。")
    finally:
        con.close()
    return path


def first_admin(con) -> None:
    """First run: an admin account when there is none (accounts.ensure_admin); a generated
    one-time password is printed once on the console."""
    if password := accounts.ensure_admin(con):
        print(f"首次运行：已建立管理员账号 admin，一次性密码：{password}\n"
              "（只显示这一次；首次登录后须修改。也可先设置环境变量 TONGZHAN_ADMIN_PASSWORD 指定密码。）",
              file=sys.stderr, flush=True)


def is_outdated(con) -> bool:
    return any(_outdated(con))


def _outdated(con) -> tuple[bool, bool, bool, bool]:
    """schema_outdated.sql's answers (outdated, unbuilt, untargeted, unaccounted); all False
    without asking for a database stamped with SCHEMA_STAMP."""
    return (False, False, False, False) if _stamped(con) else rows(con, "schema_outdated")[0]


def _stamped(con) -> bool:
    return rows(con, "meta_get", key="schema_checked") == [(SCHEMA_STAMP,)]


def upgrade(con) -> None:
    """Bring a database of an earlier version up to this schema (exact DECIMAL values; the
    catalog with reporting frequency and carry-forward; facts in the order of insert_facts.sql),
    then fill the county sums: two transactions, since reading 23 M rows inserted in the same
    transaction took DuckDB 50-90 s a province (0.7 s once committed). A database made before
    targets gets their tables and the batches' kind first (no fact read). Then stamped
    (SCHEMA_STAMP); no-op when stamped. On every core (store.all_threads)."""
    if _stamped(con):
        return
    outdated, unbuilt, untargeted, unaccounted = rows(con, "schema_outdated")[0]
    with store.all_threads(con):
        if unaccounted and not untargeted:   # accounts, sessions and audit (schema.sql adds them)
            con.execute("BEGIN")
            create_schema(con)
            con.execute("COMMIT")
        if untargeted:
            con.execute("BEGIN")
            execute(con, "upgrade_targets")
            create_schema(con)
            con.execute("COMMIT")
        if outdated:
            con.execute("BEGIN")
            execute(con, "upgrade_schema")
            _resort_facts(con)   # also creates the tables added since
            load_catalog(con)
            con.execute("COMMIT")
        if outdated or unbuilt:
            con.execute("BEGIN")
            buckets.rebuild(con, [None, *(c for c, in rows(con, "provinces"))])
            execute(con, "set_meta", key="buckets_built", value="1")
            con.execute("COMMIT")
        execute(con, "set_meta", key="schema_checked", value=SCHEMA_STAMP)


def _resort_facts(con) -> None:
    """Rewrite facts in the order insert_facts.sql gives a batch's rows (by indicator, then region
    code), one indicator at a time, inside the caller's transaction."""
    con.execute("ALTER TABLE facts RENAME TO facts_unsorted")
    create_schema(con)   # facts anew
    for (indicator,) in rows(con, "unsorted_indicators"):
        execute(con, "facts_resort", indicator=indicator)
    con.execute("DROP TABLE facts_unsorted")


def compact(con, user: accounts.User | None) -> int:
    """整理存储 (admin only): rewrite the facts, and the county and city sums, in the order their
    zone maps need. Each import appends its rows after those before, so after months of uploads
    a region's rows lie in every upload's row groups, and every view reads more of them (national
    database in arrival order: a county's chart 2.2× and a township's 12-month cards 1.7× slower;
    bench/bench_layout.py). One transaction, audited; values, batches and undo stay as they were.
    The number of facts rewritten."""
    with store.transaction(con):
        user = accounts.require(con, user, "admin")
        _resort_facts(con)
        execute(con, "buckets_resort")
        (last,), = rows(con, "next_batch_id")
        execute(con, "set_meta", key="compacted_batch", value=str(last - 1))   # storage_state counts from here
        (n,), = rows(con, "fact_count")
        audit.record(con, user.name, "compact", detail={"facts": n})
    return n


# When storage_state advises compact: a national or provincial database (below, a region's rows
# lie in a few row groups whatever their order) with a tenth of its rows written out of order.
# bench/bench_layout.py: all rows in arrival order made the pages 1.4× slower at the median.
ADVISE_FACTS, ADVISE_SHARE = 1_000_000, 0.1


class StorageState(NamedTuple):
    facts: int
    written: int            # rows imports wrote since the last compact (appended out of order)
    batches: int            # the imports that wrote them
    compacted_at: datetime | None

    @property
    def advised(self) -> bool:
        return self.facts >= ADVISE_FACTS and self.written >= ADVISE_SHARE * self.facts

    def lines(self) -> list[str]:
        """The state and the advice in Chinese, as the admin page and `compact --check` show them."""
        when = f"上次整理：{self.compacted_at:%Y-%m-%d %H:%M}" if self.compacted_at else "尚未整理过"
        out = [f"共 {self.facts:,} 条数据；{when}；此后 {self.batches} 次导入写入 {self.written:,} 条"
               f"（占 {self.written / max(self.facts, 1):.1%}）。"]
        if self.advised:
            out.append("建议整理存储：导入的数据接在已有数据之后存放，查询因此变慢。请停止看板后运行 "
                       "python -m tongzhan compact --user 管理员用户名（全国规模约 20 秒），再启动看板。")
        else:
            out.append(f"暂不需要整理（数据达到 {ADVISE_FACTS:,} 条、且此后写入的超过 {ADVISE_SHARE:.0%} 时建议整理）。")
        return out


def storage_state(con) -> StorageState:
    """What compact would put back in order (storage_state.sql) and whether it is advised."""
    (facts, written, n, at), = rows(con, "storage_state")
    return StorageState(facts, written, n, at)
