"""DuckDB store: opening the database, running the named queries in queries/*.sql."""
from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
DEFAULT_DB = ROOT / "data" / "tongzhan.duckdb"


class StoreError(Exception):
    """An error with a message meant for the user (Chinese)."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("TONGZHAN_DB") or DEFAULT_DB)


def max_upload_bytes() -> int:
    """The largest file accepted for import: TONGZHAN_MAX_UPLOAD_MB, default 50 MB."""
    text = os.environ.get("TONGZHAN_MAX_UPLOAD_MB", "50")
    try:
        mb = float(text)
    except ValueError:
        mb = 0
    if not mb > 0:
        raise StoreError(f"环境变量 TONGZHAN_MAX_UPLOAD_MB 应为正数（单位 MB，如 50），现在是「{text}」。")
    return int(mb * 2**20)


@functools.cache
def sql(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def connect(path: str | os.PathLike, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database; a lock held by another process becomes a clear StoreError."""
    try:
        return duckdb.connect(str(path), read_only=read_only,
                              config={"autoinstall_known_extensions": False})
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise StoreError(
                f"数据库 {path} 正被另一个程序（例如正在运行的看板）占用，请先关闭它再试。") from e
        if "WAL" in str(e):
            raise StoreError(
                f"数据库 {path} 旁边的日志文件 {path}.wal 与它不匹配（多半是复制或替换数据库文件时留下的）："
                f"请只复制 .duckdb 文件，或把这个 .wal 文件移走后再试。（{e}）") from e
        raise StoreError(f"无法打开数据库 {path}：{e}") from e


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


def query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run queries/<name>.sql and fetch the (aggregated) result as a frame."""
    return con.execute(sql(name), params or None).df()


def rows(con: duckdb.DuckDBPyConnection, name: str, **params) -> list[tuple]:
    """Run queries/<name>.sql and fetch the (small) result as tuples: the fastest way for the
    few rows a roll-up returns."""
    return con.execute(sql(name), params or None).fetchall()


def execute(con: duckdb.DuckDBPyConnection, name: str, **params) -> None:
    con.execute(sql(name), params or None)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql("schema"))
