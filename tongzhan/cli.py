"""Command line: python -m tongzhan [--db PATH] demo | query ..."""
from __future__ import annotations

import argparse
import json
import sys

import duckdb

from .build import build_demo
from .catalog import Catalog
from .periods import Period
from .regions import Tree
from .rollup import indicator_table
from .store import StoreError, connect, db_path, query

OUT_COLUMNS = ["region_code", "region_name", "value", "numerator", "denominator"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tongzhan", description="同心数据看板 命令行工具")
    p.add_argument("--db", help="数据库文件（默认 data/tongzhan.duckdb，或环境变量 TONGZHAN_DB）")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="生成演示数据库（覆盖已有文件）")
    q = sub.add_parser("query", help="按区域和期间汇总一个指标")
    q.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    q.add_argument("--indicator", required=True, help="指标 id，如 village_org_coverage")
    q.add_argument("--from", dest="start", required=True, help="起始月份 YYYY-MM")
    q.add_argument("--to", dest="end", required=True, help="结束月份 YYYY-MM")
    q.add_argument("--by", choices=["self", "children"], default="self")
    q.add_argument("--format", choices=["csv", "json"], default="csv")
    return p


def run_query(args) -> None:
    path = db_path(args.db)
    if not path.exists():
        raise StoreError(f"数据库 {path} 不存在，请先运行 python -m tongzhan demo 或导入数据。")
    con = connect(path, read_only=True)
    try:
        try:
            tree = Tree(query(con, "regions_all"))
            catalog = Catalog(query(con, "indicators_all"))
        except duckdb.CatalogException as e:
            raise StoreError(f"{path} 不是同心数据看板的数据库（缺少数据表），"
                             "请用 python -m tongzhan demo 生成或换一个文件。") from e
        if args.region not in tree:
            raise StoreError(f"未知的区划代码：{args.region}")
        if args.indicator not in catalog:
            raise StoreError(f"未知的指标：{args.indicator}（可用：{', '.join(catalog.ids())}）")
        try:
            p1, p2 = Period.parse(args.start), Period.parse(args.end)
            period = Period(p1.start, p2.end)
            if period.end < period.start:
                raise ValueError("期间的结束早于开始")
        except ValueError as e:
            raise StoreError(f"期间有误：{e}") from e
        table = indicator_table(con, tree, catalog, args.region, args.indicator, period, args.by)
    finally:
        con.close()
    table = table[OUT_COLUMNS].round({"value": 6, "numerator": 6, "denominator": 6})
    if args.format == "json":
        rows = [{k: (None if v != v else v) for k, v in r.items()} for r in table.to_dict("records")]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        table.to_csv(sys.stdout, index=False, lineterminator="\n",
                     float_format=lambda v: f"{v:.6f}".rstrip("0").rstrip("."))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            path = build_demo(db_path(args.db))
            print(f"演示数据库已生成：{path}")
        else:
            run_query(args)
    except StoreError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    return 0
