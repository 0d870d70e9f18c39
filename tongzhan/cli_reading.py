"""What the command line's reading commands share: the database of --db opened (and upgraded
once when it is of an earlier version), --region, --level, --indicator and periods checked with
Chinese errors, the reader's account checked, and a result table written as CSV or JSON."""
from __future__ import annotations

import contextlib
import json
import sys
from datetime import date

import duckdb
import pandas as pd

from . import accounts, cli_users
from .build import ensure_db, is_outdated, missing_message
from .catalog import Catalog
from .exports import formula_safe
from .fmt import is_missing
from .league import LEVELS
from .periods import Period, plausible_window
from .regions import LEVEL_NAMES, Tree
from .store import StoreError, connect, db_path, query, rows


def open_db(args, read_only: bool):
    """The connection, tree and catalog of the database named by --db / TONGZHAN_DB."""
    path = db_path(args.db)
    if not path.exists():
        raise StoreError(missing_message(path))
    con = connect(path, read_only=read_only)
    try:
        if is_outdated(con):   # a database of an earlier version: upgrade it once, read-write
            con.close()
            ensure_db(path)
            con = connect(path, read_only=read_only)
        return con, Tree(query(con, "regions_all")), Catalog(query(con, "indicators_all"))
    except duckdb.CatalogException as e:
        con.close()
        raise StoreError(f"{path} 不是同心数据看板的数据库（缺少数据表），"
                         "请用 python -m tongzhan demo 生成或换一个文件。") from e


def check_reader(args, con, region: str) -> None:
    """Reading is open unless the admin turned on 登录后才能查看; a read scope limits the regions."""
    user = cli_users.acting_user(args, con, required=accounts.read_login_required(con))
    if not accounts.may_read(con, user, region):
        raise accounts.Denied(f"账号「{user.name}」不能查看区域 {region}（查看范围：{user.read_scope}）。")


def check_region(tree: Tree, code: str) -> None:
    if code not in tree:
        raise StoreError(f"未知的区划代码：{code}")


def check_level(tree: Tree, region: str, name: str) -> int:
    """The administrative level named by --level, which must lie below region."""
    level = LEVELS[name]
    if level <= tree.level[region]:
        raise StoreError(f"{tree.name[region]}是{LEVEL_NAMES[tree.level[region]]}，"
                         f"其下没有{LEVEL_NAMES[level]}一级")
    return level


def check_indicator(catalog: Catalog, indicator_id: str) -> None:
    if indicator_id not in catalog:
        raise StoreError(f"未知的指标：{indicator_id}（可用：{', '.join(catalog.ids())}）")


def parse_period(start: str, end: str | None = None) -> Period:
    """A period key, or the span from the start of one to the end of another, as a StoreError."""
    try:
        p1, p2 = Period.parse(start), Period.parse(end or start)
        if p2.end < p1.start:
            raise ValueError("期间的结束早于开始")
        return Period(p1.start, p2.end)
    except ValueError as e:
        raise StoreError(f"期间有误：{e}") from e


def cut_at_newest(con, period: Period) -> Period:
    """The period cut at the newest month with data, as the pages cut it (ui.region_and_period);
    a StoreError when it begins after that month (the pages offer no such period)."""
    earliest, latest = plausible_window(date.today())
    [(_, last, *_)] = rows(con, "data_span", earliest=earliest, latest=latest)
    if last is None:
        raise StoreError("数据库中还没有任何数据。")
    if period.start > last:
        raise StoreError(f"期间{period.label}晚于数据库中最新的数据（{last.year}年{last.month}月）。")
    return period.clamp(last)


@contextlib.contextmanager
def reading(args):
    """The connection, tree and catalog of --db, read-only, with --region (and --indicator,
    where the command has one and it is given) checked; closed afterwards."""
    con, tree, catalog = open_db(args, read_only=True)
    try:
        check_region(tree, args.region)
        check_reader(args, con, args.region)
        if getattr(args, "indicator", None) is not None:
            check_indicator(catalog, args.indicator)
        yield con, tree, catalog
    finally:
        con.close()


def write(table: pd.DataFrame, fmt: str) -> None:
    """A result table on stdout as CSV or JSON; numbers rounded to 6 decimals, blanks as null. In
    CSV (opened in a spreadsheet as often as read by a script), text that a spreadsheet would take
    for a formula starts with ' (exports.formula_safe); JSON keeps text as it is."""
    table = table.round(6)
    if fmt == "json":
        rows = [{k: (None if is_missing(v) or v is pd.NA else v) for k, v in r.items()}
                for r in table.astype(object).to_dict("records")]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        formula_safe(table).to_csv(sys.stdout, index=False, lineterminator="\n",
                     float_format=lambda v: f"{v:.6f}".rstrip("0").rstrip("."))
