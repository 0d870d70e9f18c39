"""Command line: python -m tongzhan [--db PATH] demo | init | query | kpis | trend | rank | targets | index
| reporting | export | sources | import | batches | undo | users | audit; every command takes --user / --token (cli_users)."""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

from . import accounts, batches, cli_analysis, cli_users
from .build import build_db, build_demo, compact, ensure_db, storage_state
from .cli_analysis import REPORTS as ANALYSIS
from .cli_reading import check_region, open_db, parse_period, reading, write
from .fmt import exact
from .importer import parse_file, problem_count, problems_frame
from .overview import KPI_COLUMNS, kpis
from .periods import Period
from .regions import ROOT_CODE, Tree
from .rollup import indicator_table
from .store import StoreError, connect, db_path, max_upload_bytes

OUT_COLUMNS = ["region_code", "region_name", "value", "numerator", "denominator", "units",
               "carried_units", "excluded_units", "oldest"]


# argparse's own messages (Python 3.11), said in Chinese; anything else is shown as argparse says it.
ARGPARSE_ZH = [
    (r"argument command: invalid choice: (.*) \(choose from (.*)\)", r"没有命令 \1，可用的命令：\2"),
    (r"argument ([^:]+): invalid choice: (.*) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效，可选：\3"),
    (r"the following arguments are required: (.*)", r"缺少参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"argument ([^:]+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument ([^:]+): invalid (\w+) value: (.*)", r"参数 \1 的取值 \3 无效"),
    (r"argument ([^:]+): not allowed with argument (.*)", r"参数 \1 不能与 \2 同时使用"),
    (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 不明确，可能是：\2"),
]


class Parser(argparse.ArgumentParser):
    """argparse with its errors in Chinese (exit code 2, usage first, as argparse does)."""

    def error(self, message: str):
        for pattern, zh in ARGPARSE_ZH:
            if m := re.fullmatch(pattern, message):
                message = m.expand(zh)
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m tongzhan", description="同心数据看板 命令行工具")
    p.add_argument("--db", help="数据库文件（默认 data/tongzhan.duckdb，或环境变量 TONGZHAN_DB）")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="生成演示数据库（覆盖已有文件）")
    sub.add_parser("init", help="新建空数据库（只含区划和指标目录），用于正式数据；文件已存在时不做任何改动")
    q = sub.add_parser("query", help="按区域和期间汇总一个指标")
    q.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    q.add_argument("--indicator", required=True, help="指标 id，如 village_org_coverage")
    q.add_argument("--from", dest="start", required=True, help="起始月份 YYYY-MM")
    q.add_argument("--to", dest="end", required=True, help="结束月份 YYYY-MM")
    q.add_argument("--by", choices=["self", "children"], default="self")
    q.add_argument("--format", choices=["csv", "json"], default="csv")
    k = sub.add_parser("kpis", help="总览页指标卡：本期、同比期间、同比变化、沿用与未计入的单位")
    k.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    k.add_argument("--period", required=True, help="期间：2026-10、2026Q3、2026 或 2025-11~2026-10")
    k.add_argument("--format", choices=["csv", "json"], default="csv")
    cli_analysis.add_parsers(sub)
    i = sub.add_parser("import", help="导入 CSV/Excel 文件（整个文件一次事务，有错则不导入）")
    i.add_argument("file", help="CSV、XLSX 或 XLS 文件")
    i.add_argument("--dry-run", action="store_true", help="只检查并预览，不写入")
    i.add_argument("--sheet", help="Excel 工作表名称（默认第一个有表头的工作表）")
    i.add_argument("--period", help="文件没有期间列时，整份文件的期间，如 2026-03、2026Q1、2026")
    i.add_argument("--scope",
                   help="导入范围的区划代码（默认为账号的上报范围）：须在账号的范围之内；文件中的区域须在其内，区域名称在其内查找")
    i.add_argument("--allow-subtotals", action="store_true",
                   help="确认文件中上下级同时出现的数据不是小计（不会重复计算）")
    sub.add_parser("batches", help="列出导入批次")
    c = sub.add_parser("compact", help="整理存储（管理员）：按区划重排全部数据，多次导入之后查询恢复原有速度；看板须先停止")
    c.add_argument("--check", action="store_true", help="只显示上次整理以来导入写入了多少数据、是否建议整理，不做改动")
    u = sub.add_parser("undo", help="撤销一个批次，恢复它覆盖的原值（工作人员只能撤销自己的批次）")
    u.add_argument("batch_id", type=int)
    parent = cli_users.auth_parent()
    for command in sub.choices.values():   # every command acts as --user / --token
        command.add_argument("--user", help=cli_users.USER_HELP)
        command.add_argument("--token", help=cli_users.TOKEN_HELP)
    cli_users.add_parsers(sub, parent)
    return p


def run_query(args) -> None:
    with reading(args) as (con, tree, catalog):
        period = parse_period(args.start, args.end)
        table = indicator_table(con, tree, catalog, args.region, args.indicator, period, args.by)
    table["oldest"] = [Period(a, b).key if pd.notna(b) else None
                       for a, b in zip(table["oldest_start"], table["oldest_end"])]
    write(table[OUT_COLUMNS], args.format)


def run_kpis(args) -> None:
    with reading(args) as (con, tree, catalog):
        table = kpis(con, tree, catalog, args.region, parse_period(args.period))[KPI_COLUMNS]
    write(table.assign(**{c: [d.isoformat() for d in table[c]]
                          for c in ("from", "to", "compare_from", "compare_to")}), args.format)


def reject(name: str, problems) -> int:
    """Every problem of a rejected file, as a CSV table on stderr; the exit code."""
    print(f"错误：文件 {name} 有 {problem_count(problems):,} 处问题，未导入任何数据：", file=sys.stderr)
    problems_frame(problems).to_csv(sys.stderr, index=False, lineterminator="\n")
    return 1


def import_scope(con, tree: Tree, user, scope: str | None) -> str:
    """--scope, which must lie in the user's scope; by default the user's scope (全国 for a dry
    run without an account)."""
    own = batches.write_scope(user) if user else ROOT_CODE
    if scope is None:
        return own
    check_region(tree, scope)
    if not accounts.within(con, scope, own):
        raise accounts.Denied(f"导入范围 {scope} 不在账号「{user.name}」的上报范围（{own}）之内。")
    return scope


def run_import(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise StoreError(f"找不到文件：{path}")
    data = path.read_bytes()
    con, tree, catalog = open_db(args, read_only=args.dry_run)
    try:
        user = cli_users.acting_user(args, con, required=not args.dry_run)
        parsed = parse_file(data, path.name, tree, catalog, today=date.today(), period=args.period,
                            sheet=args.sheet, scope=import_scope(con, tree, user, args.scope),
                            allow_subtotals=args.allow_subtotals, max_bytes=max_upload_bytes())
        if parsed.problems:
            return reject(path.name, batches.file_problems(con, parsed))
        if not args.dry_run:
            try:
                batch_id = batches.commit(con, parsed, data, path.name, user)
            except batches.Rejected as e:   # contradicts stored data
                return reject(path.name, e.problems)
            if batch_id is None:
                print(f"文件中的 {len(parsed.facts)} 条数据与已导入的完全相同，无需导入，未创建批次。")
                return 0
            b = batches.history(con).set_index("batch_id").loc[batch_id]
            print(f"已导入为批次 {batch_id}：新增 {b.inserted} 条，覆盖 {b.replaced} 条，"
                  f"相同或跳过 {b.skipped} 条，新建村(社区) {b.villages} 个。")
            return 0
        p = batches.preview(con, parsed, data)
        if p.problems:
            return reject(path.name, p.problems)
        if p.kind == "targets":
            print("这是一份目标值文件：导入的是目标，不是实际数据，不参与汇总。")
        print(f"新增 {len(p.insert)} 条，覆盖 {len(p.replace)} 条，与现有相同 {len(p.unchanged)} 条，"
              f"跳过 {len(p.skipped)} 行，新建村(社区) {len(p.villages)} 个。")
        for r in p.replace.head(20).itertuples():
            print(f"  覆盖 第{r.row}行 {tree.full_name(r.region_code)} {catalog[r.indicator_id].name_zh} "
                  f"{Period(r.period_start, r.period_end).label}: {exact(r.old_value)} → {exact(r.value)}")
        for r in p.skipped.itertuples():
            print(f"  跳过 第{r.row}行：{r.reason}")
        for w in p.warnings:
            print(f"  提醒 第{w.row}行 {w.column}：{w.message}" if w.row else f"  提醒 {w.message}")
        if p.duplicate_of is not None:
            raise StoreError(batches.duplicate_message(p.duplicate_of))
        print("检查通过（--dry-run，未写入）。")
        return 0
    finally:
        con.close()


def run_batches(args) -> None:
    con, _, _ = open_db(args, read_only=True)
    try:
        cli_users.acting_user(args, con, required=accounts.read_login_required(con))
        batches.history(con).drop(columns=["sha256"]).to_csv(
            sys.stdout, index=False, lineterminator="\n", date_format="%Y-%m-%d %H:%M:%S")
    finally:
        con.close()


def run_undo(args) -> None:
    con, _, _ = open_db(args, read_only=False)
    try:
        batches.undo(con, args.batch_id, cli_users.acting_user(args, con))
        print(f"批次 {args.batch_id} 已撤销，被它覆盖的数据已恢复。")
    finally:
        con.close()


def run_compact(args) -> None:
    con, _, _ = open_db(args, read_only=args.check)
    try:
        user = accounts.require(con, cli_users.acting_user(args, con), "admin")   # like 用户管理's tab
        if args.check:
            print("\n".join(storage_state(con).lines()))
            return
        # DuckDB would hold the rows being sorted in memory (2.3 GB at national scale); with a
        # limit it spills to disk: 1.2 GB and ~20 % slower. No progress bar: DuckDB draws it in
        # English on a terminal.
        con.execute("SET memory_limit = '1GB'")
        con.execute("SET enable_progress_bar = false")
        print("正在整理存储（全国规模约 20 秒）……", flush=True)
        started = time.perf_counter()
        n = compact(con, user)
        print(f"存储已整理：{n:,} 条数据按区划重排，用时 {time.perf_counter() - started:.1f} 秒。")
    finally:
        con.close()


def run_init(path: Path) -> None:
    if path.exists():
        raise StoreError(f"{path} 已存在，未做任何改动（init 只新建数据库，不会覆盖已有数据）。")
    build_db(path, demo=False)
    ensure_db(path)   # the first admin account (a one-time password printed once)
    print(f"空数据库已建立：{path}（只含区划和指标目录），可以导入数据了。")


def run_demo(args) -> None:
    """The demo database; an existing file with accounts other than the demo logins needs its admin."""
    path, user = db_path(args.db), None
    if path.exists() and (args.user or args.token or os.environ.get("TONGZHAN_TOKEN")):
        con = connect(path)
        try:
            user = cli_users.acting_user(args, con)
        finally:
            con.close()
    build_demo(path, user)
    print(f"演示数据库已生成：{path}（演示账号见 README“账号与权限”）")


def run_accounts(args) -> None:
    """users and audit: admin commands on a writable database."""
    con, _, _ = open_db(args, read_only=False)   # the admin's login is audited
    try:
        run = cli_users.run_users if args.command == "users" else cli_users.run_audit
        run(args, con, write)
    finally:
        con.close()


REPORTS = {"query": run_query, "kpis": run_kpis, **ANALYSIS, "batches": run_batches, "undo": run_undo,
           "compact": run_compact, "demo": run_demo, "users": run_accounts, "audit": run_accounts}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            run_init(db_path(args.db))
        elif args.command == "import":
            return run_import(args)
        else:
            REPORTS[args.command](args)
    except StoreError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # the reader stopped early (… | head): no traceback, and none at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
