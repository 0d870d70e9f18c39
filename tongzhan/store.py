"""DuckDB store: opening the database, running the named queries in queries/*.sql."""
from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

# arrow_table runs its statement through the DB-API on purpose (planned once); DuckDB warns that
# the rows are copied once more on the way to Arrow, which it measured cheaper than a second plan.
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
DEFAULT_DB = ROOT / "data" / "tongzhan.duckdb"


class StoreError(Exception):
    """An error with a message meant for the user (Chinese)."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("TONGZHAN_DB") or DEFAULT_DB)


def positive_env(name: str, default: str, what: str) -> float:
    """The positive number in environment variable `name` (default when unset), else a StoreError
    that says what it should be."""
    text = os.environ.get(name, default)
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise StoreError(f"环境变量 {name} 应为正数（{what}），现在是「{text}」。")
    return value


def max_upload_bytes() -> int:
    """The largest file accepted for import: TONGZHAN_MAX_UPLOAD_MB, default 50 MB."""
    return int(positive_env("TONGZHAN_MAX_UPLOAD_MB", "50", "单位 MB，如 50") * 2**20)


@functools.cache
def sql(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def read_only_reason(path: str | os.PathLike) -> str | None:
    """Why the database at path can only be read (TONGZHAN_READ_ONLY, no write permission on
    the file or on its folder, where DuckDB writes its .wal log), or None when it can be written."""
    path = Path(path).absolute()
    if os.environ.get("TONGZHAN_READ_ONLY", "") not in ("", "0"):
        return "环境变量 TONGZHAN_READ_ONLY 要求只读"
    if path.exists() and not os.access(path, os.W_OK):
        return f"没有写入文件 {path} 的权限"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"没有在文件夹 {path.parent} 中写入的权限，写入时要在那里建立日志文件"
    return None


@dataclass(frozen=True)
class _Opened:
    dev: int                # st_dev and st_ino of the file when it was opened: a file deleted
    ino: int                # or replaced since then is no longer the one written to
    read_only: str | None   # why it was opened read-only, None when read-write


_OPENED: dict[str, _Opened] = {}
# One write transaction, or all_threads block, at a time in this process (re-entrant: a build's
# all_threads block commits its demo targets through transaction).
_WRITER = threading.RLock()
# DuckDB's threads for reading: one. A view runs its statements side by side, each on a cursor of
# its own (side_by_side), and sessions run side by side; every statement on every core as well
# made them contend (national database, 2 cores: 全国's township league of a rate 158 → 128 ms,
# a township's 12-month cards 36 → 32 ms; bench/RESULTS.md, session 17). A write, one big
# statement after another, takes every core (all_threads).
READ_THREADS = 1


def connect(path: str | os.PathLike, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database, read-only when asked or when it cannot be written (read_only_reason);
    a lock held by another process becomes a clear StoreError."""
    why = "以只读方式打开" if read_only else read_only_reason(path)
    try:
        con = duckdb.connect(str(path), read_only=bool(why), config={"autoinstall_known_extensions": False})
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise StoreError(
                f"数据库 {path} 正被另一个程序（例如正在运行的看板）占用：看板运行期间请在它的“数据上报”页"
                "导入或撤销，或先停止看板再用命令行。") from e
        if "WAL" in str(e):
            raise StoreError(
                f"数据库 {path} 旁边的日志文件 {path}.wal 与它不匹配（多半是复制或替换数据库文件时留下的）："
                f"请只复制 .duckdb 文件，或把这个 .wal 文件移走后再试。（{e}）") from e
        raise StoreError(f"无法打开数据库 {path}：{e}") from e
    con.execute(f"SET threads = {READ_THREADS}")   # for the whole database, every cursor
    stat = os.stat(path)
    _OPENED[os.path.abspath(path)] = _Opened(stat.st_dev, stat.st_ino, why)
    return con


@contextlib.contextmanager
def all_threads(con: duckdb.DuckDBPyConnection):
    """DuckDB's threads at its default (every core) inside the block, then as they were: for a
    write (a 100,000-row import: 4.5 s on one thread, 3.4 s on two) and the benchmarks'
    hand-written queries. The setting is the database's, not the cursor's: one block at a time,
    and none beside a write transaction (one lock for both: no two locks taken in two orders)."""
    with _WRITER:
        (before,), = con.execute("SELECT current_setting('threads')").fetchall()
        con.execute("RESET threads")
        try:
            yield
        finally:
            con.execute(f"SET threads = {before}")


def read_only(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why con's database is read-only, or None when it can be written."""
    opened = _opened(con)[1]
    return opened and opened.read_only


def _opened(con) -> tuple[str, _Opened | None]:
    """The path of con's database and how connect() opened it (None: opened otherwise)."""
    (path,), = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return os.path.abspath(path), _OPENED.get(os.path.abspath(path))


def file_changed(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why con's database file is no longer the one at its path (deleted or replaced since it
    was opened: what is written now would be lost), or None."""
    path, opened = _opened(con)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return (f"数据库文件 {path} 在打开之后被删除了，现在写入的数据会随之丢失。请把该文件恢复原处"
                f"（或用 python -m tongzhan init --db {path} 新建空数据库），然后重启看板。")
    if opened and (stat.st_dev, stat.st_ino) != (opened.dev, opened.ino):
        return (f"数据库文件 {path} 在打开之后被换成了另一个文件，现在写入的数据会写进已被替换的旧文件而丢失。"
                "请重启看板（命令行则重新运行），以打开新的文件。")
    return None


def check_writable(con: duckdb.DuckDBPyConnection) -> None:
    """A StoreError unless con's database may be written: opened read-write (read_only), and
    the file at its path still the one opened (file_changed)."""
    if why := read_only(con):
        raise StoreError(f"数据库为只读（{why}），不能上报或撤销。")
    if why := file_changed(con):
        raise StoreError(f"本次操作未写入任何数据：{why}")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """A write transaction, one at a time in this process (two at once on one database conflict:
    the second would fail), committed when the block ends, rolled back when it raises. Checked
    (check_writable) before it starts and again just before COMMIT. On every core (all_threads)."""
    with _WRITER, all_threads(con):
        check_writable(con)
        con.execute("BEGIN TRANSACTION")
        try:
            yield
            check_writable(con)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.TransactionException):   # a failed COMMIT already rolled back
                con.execute("ROLLBACK")
            raise


@contextlib.contextmanager
def registered(con, name: str, frame):
    """A frame readable as table `name` inside the block (the SQL files read new_facts and the like)."""
    con.register(name, frame)
    try:
        yield
    finally:
        con.unregister(name)


@contextlib.contextmanager
def cursor(con: duckdb.DuckDBPyConnection):
    """A cursor of its own for one query or transaction: a connection shared by Streamlit
    sessions must never run two sessions' statements at once."""
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


# The threads side_by_side hands statements to, started once, one fewer than the cores (its caller
# works too). A pool per call, as many threads as statements, started threads each time: 全国's
# townships' index 275–284 → 246–255 ms, its counties' 62–64 → 57–58 ms, 湖北省's township league
# 12.9 → 10.6 ms, a trend of 24 months 153–155 → 146–148 ms (session 20).
_SIDE = ThreadPoolExecutor(max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="side_by_side")


def side_by_side(con: duckdb.DuckDBPyConnection, fn, items: list) -> list:
    """[fn(cur, item) for item in items], each on a cursor of its own, side by side: the first in
    this thread, the others on the shared threads, except those none has started when this thread
    is free: it runs them itself, from the last (so a call inside fn never waits for a busy pool,
    and one thread per core is at work). DuckDB plans and runs the statements of two cursors side
    by side (a period and the one it is compared with: national townships' rates 224 → 147 ms, a
    county's cards 47 → 30 ms)."""
    def run(item):
        with cursor(con) as cur:
            return fn(cur, item)
    later = [_SIDE.submit(run, item) for item in items[1:]]
    out = [run(items[0])] if items else []
    mine = {i: run(items[i + 1]) for i, f in reversed(list(enumerate(later))) if f.cancel()}
    return out + [mine[i] if i in mine else f.result() for i, f in enumerate(later)]


_PARSED: dict[str, duckdb.Statement | str] = {}


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyConnection:
    """Run queries/<name>.sql, parsed once per process: DuckDB's parser takes about 1 ms per KB of
    SQL (4 ms for the 3.8 KB score roll-up), and each run copies the parsed statement
    instead. A file of several statements (schema, refreshes: writes, not read per view) is run
    as text."""
    parsed = _PARSED.get(name)
    if parsed is None:
        found = con.extract_statements(sql(name))
        parsed = _PARSED.setdefault(name, found[0] if len(found) == 1 else sql(name))
    return con.execute(parsed, params or None)


def query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run queries/<name>.sql and fetch the (aggregated) result as a frame."""
    return run(con, name, **params).df()


def arrow_table(con: duckdb.DuckDBPyConnection, name: str, **params) -> pa.Table:
    """queries/<name>.sql as an Arrow table: for results of tens of thousands of rows (every
    township), faster than query()'s .df() (bench/bench_analysis.py). Run as a DB-API statement,
    which DuckDB plans once: con.sql() plans it twice (to bind the relation, then to run it), 2-8 ms
    more for a roll-up; the extra copy of the rows it warns about costs less."""
    return run(con, name, **params).to_arrow_table()


def rows(con: duckdb.DuckDBPyConnection, name: str, **params) -> list[tuple]:
    """Run queries/<name>.sql and fetch the (small) result as tuples: the fastest way for the
    few rows a roll-up returns."""
    return run(con, name, **params).fetchall()


def execute(con: duckdb.DuckDBPyConnection, name: str, **params) -> None:
    run(con, name, **params)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql("schema"))


# Arrow's own allocator (mimalloc) keeps what Streamlit's short-lived script threads freed; with
# the system allocator, release_memory() can hand it back.
pa.set_memory_pool(pa.system_memory_pool())


_FILE_WORK = threading.Lock()


@contextlib.contextmanager
def file_work(con: duckdb.DuckDBPyConnection):
    """Reading and checking (or committing) an uploaded file, one file at a time in this process,
    its memory handed back after each: three 100k-row files checked at once took 1.1 GB and left
    ~180 MB that the allocators, their pieces interleaved, could not hand back."""
    with _FILE_WORK:
        try:
            yield
        finally:
            release_memory(con)


def release_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Hand the memory of a big upload's check back to the system once it is garbage: collect
    frames held in reference cycles (Streamlit's runner.postScriptGC is off), have DuckDB flush
    the memory its allocator keeps for reuse (setting memory_limit, even to the same value, does:
    ~150 MB after a 100k-row check), then have glibc return its free pages; else a server that
    checked a few 100k-row files stays ~300 MB larger."""
    gc.collect()
    with cursor(con) as cur:
        (limit,), = cur.execute("SELECT current_setting('memory_limit')").fetchall()
        cur.execute(f"SET memory_limit = '{limit}'")
    with contextlib.suppress(OSError, AttributeError):   # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
