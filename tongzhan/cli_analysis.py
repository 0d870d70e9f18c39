"""The leaders' commands: rank, trend, targets, index, reporting, sources and export (each the
package function its page calls, written as CSV or JSON)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from . import completeness, index, targets
from .cli_reading import check_level, cut_at_newest, parse_period, reading, write
from .league import LEVELS, PER, RANK_COLUMNS, league, per_options
from .regions import LEVEL_NAMES
from .sources import sources
from .store import StoreError
from .trend import GRAINS, series


EXPORT_FORMATS = ["pptx", "xlsx", "png"]   # deck.FORMATS (test_deck checks they agree)
LEVEL_HELP = "单位的层级：province 省、city 市(州)、county 县(市、区)、township 乡镇(街道)、village 村(社区)"


def add_parsers(sub) -> None:
    """The leaders' analysis commands: rank, trend, targets, index, reporting, export, sources."""
    r = sub.add_parser("rank", help="排名：区域内某一级的全部单位按指标排名，含上期名次")
    r.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    r.add_argument("--level", required=True, choices=list(LEVELS), help=LEVEL_HELP)
    r.add_argument("--indicator", required=True, help="指标 id，如 funds_raised")
    r.add_argument("--period", required=True, help="期间：2026-10、2026Q3、2026 或 2025-11~2026-10")
    r.add_argument("--per", choices=list(PER), help="按村(社区)或乡镇(街道)数折算（流量和存量指标）")
    r.add_argument("--format", choices=["csv", "json"], default="csv")
    t = sub.add_parser("trend", help="趋势：按月、季度或年度的数值、同比、环比、本年累计（流量）")
    t.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    t.add_argument("--indicator", required=True, help="指标 id，如 funds_raised")
    t.add_argument("--from", dest="start", required=True, help="起始月份 YYYY-MM")
    t.add_argument("--to", dest="end", required=True, help="结束月份 YYYY-MM")
    t.add_argument("--grain", choices=list(GRAINS), default="month", help="粒度：月、季度或年度")
    t.add_argument("--by", choices=["self", "children"], default="self")
    t.add_argument("--format", choices=["csv", "json"], default="csv")
    g = sub.add_parser("targets", help="目标完成情况：目标、实际、应完成、完成率、进度灯")
    g.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    g.add_argument("--year", required=True, help="目标年度，如 2026")
    g.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="季度目标（默认年度目标）")
    g.add_argument("--indicator", help="只看一个指标 id，如 funds_raised")
    g.add_argument("--by", choices=["self", "children"], default="self")
    g.add_argument("--format", choices=["csv", "json"], default="csv")
    x = sub.add_parser("index", help="综合指数（百分考核）：某一级全部单位的总分、分类得分与排名")
    x.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    x.add_argument("--level", required=True, choices=list(LEVELS), help=LEVEL_HELP)
    x.add_argument("--period", required=True, help="期间：2026-10、2026Q3、2026 或 2025-11~2026-10")
    x.add_argument("--breakdown", action="store_true", help="每个单位每个计分项一行：数值、得分率、权重、得分、说明")
    x.add_argument("--config", default=str(index.INDEX_CSV), help="计分配置（默认 data/index.csv）")
    x.add_argument("--format", choices=["csv", "json"], default="csv")
    p = sub.add_parser("reporting", help="报送情况：应报单位、全部报送、报送率、全部未报，各下级区域，未报送单位清单")
    p.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    p.add_argument("--period", required=True, help="期间：2026-10、2026Q3、2026 或 2025-11~2026-10")
    p.add_argument("--table", choices=list(REPORTING_TABLES), default="totals",
                   help="totals 合计一行（含期末月份的报送单位数及上月数），children 各下级区域，missing 未报送单位")
    p.add_argument("--all-indicators", action="store_true", help="也统计本期不需报送的指标（按季度、年度报送的）")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    e = sub.add_parser("export", help="导出一个视图：PPT 演示文稿（原生图表，可编辑）、Excel（各表一个工作表）或 PNG 图片（1920×1080）")
    e.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    e.add_argument("--period", required=True, help="期间：2026-10、2026Q3、2026 或 2025-11~2026-10")
    e.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="pptx、xlsx 或 png")
    e.add_argument("--out", required=True,
                   help="输出文件；给一个已有的文件夹时，文件名按内容生成，如 十堰市_募集资金_2026年10月.xlsx")
    e.add_argument("--indicator", help="图表和表格的指标 id（默认第一个重点指标）")
    s = sub.add_parser("sources", help="数据来源：一个数字由哪些上报数据构成（期间、批次、文件、上传人、时间、是否沿用）")
    s.add_argument("--region", required=True, help="区划代码，如 420300；全国为 000000")
    s.add_argument("--indicator", required=True, help="指标 id，如 funds_raised")
    s.add_argument("--period", required=True, help="期间：2026-10、2026Q3、2026 或 2025-11~2026-10（按给出的期间计算，不截取）")
    s.add_argument("--format", choices=["csv", "json"], default="csv")


def run_sources(args) -> None:
    with reading(args) as (con, tree, catalog):
        table = sources(con, tree, catalog, args.region, args.indicator, parse_period(args.period))
    stamps = [t.isoformat(sep=" ", timespec="seconds") if pd.notna(t) else None for t in table["committed_at"]]
    write(table.assign(committed_at=stamps), args.format)


def run_rank(args) -> None:
    with reading(args) as (con, tree, catalog):
        level = check_level(tree, args.region, args.level)
        if args.per and args.per not in per_options(catalog, args.indicator, level):
            raise StoreError(f"{LEVEL_NAMES[level]}的{catalog[args.indicator].name_zh}不能按每{PER[args.per]}折算"
                             "（只用于流量和存量指标，且只折算到更低一级）")
        table = league(con, tree, catalog, args.region, args.indicator, parse_period(args.period),
                       level, args.per)
    write(table[RANK_COLUMNS], args.format)


TREND_COLUMNS = ["period", "region_code", "region_name", "value", "yoy", "mom", "ytd", "label",
                 "partial"]


def run_trend(args) -> None:
    with reading(args) as (con, tree, catalog):
        span = parse_period(args.start, args.end)
        table = series(con, tree, catalog, args.region, args.indicator, span, args.grain, args.by)
    write(table[TREND_COLUMNS], args.format)


def run_targets(args) -> None:
    with reading(args) as (con, tree, catalog):
        if not re.fullmatch(r"[0-9]{4}", args.year):
            raise StoreError(f"年度有误：「{args.year}」，应为四位数字，如 2026")
        table = targets.completion(con, tree, catalog, args.region, int(args.year), args.quarter,
                                   args.indicator, args.by)
    write(table[targets.COLUMNS], args.format)


def run_index(args) -> None:
    with reading(args) as (con, tree, catalog):
        level = check_level(tree, args.region, args.level)
        config = index.load_config(args.config, catalog)
        scored = index.scored(con, tree, catalog, config, args.region, level, parse_period(args.period))
    table = index.breakdown(scored) if args.breakdown else index.totals(scored)
    write(table.drop(columns="parent_name"), args.format)


REPORTING_TABLES = {"totals": ["region_code", "region_name", "indicators", "units", "full", "partial", "none",
                               "rate", "month", "month_units", "month_units_before"],
                    "children": completeness.SUMMARY_COLUMNS, "missing": completeness.MISSING_COLUMNS}


def run_reporting(args) -> None:
    """报送情况 as the page works it out: the period cut at the newest month with data (ui.
    region_and_period), by default the indicators due in it (completeness.report), and the count
    of units that reported its last month (the note under every page's heading)."""
    with reading(args) as (con, tree, catalog):
        period = cut_at_newest(con, parse_period(args.period))
        due = set(completeness.due_indicators(con, catalog, period))
        ids = [i for i in catalog.stored_ids() if args.all_indicators or i in due]
        if not ids:
            raise StoreError(f"{period.label}没有应报送的指标（加 --all-indicators 统计全部指标）")
        rep = completeness.report(con, tree, catalog, args.region, period, ids)
        counts = completeness.month_reporting(con, tree, args.region, period.end) or (None, None)
    if args.table == "totals":
        table = pd.DataFrame([{"region_code": args.region, "region_name": tree.name[args.region],
                               "indicators": len(ids), **rep.totals, "month": f"{period.end:%Y-%m}",
                               "month_units": counts[0], "month_units_before": counts[1]}])
    elif args.table == "children":
        table = rep.summary
    else:
        table = rep.missing.assign(missing_ids=["|".join(ids) for ids in rep.missing["missing_ids"]])
    write(table[REPORTING_TABLES[args.table]], args.format)


def run_export(args) -> None:
    # Imported here, not at the top: python-pptx, openpyxl and kaleido cost ~0.5 s, which every
    # command (an import of 100,000 rows too) would otherwise pay at start.
    from . import deck, exports, snapshot
    out = Path(args.out)
    folder = out if out.is_dir() else out.parent
    if not folder.is_dir():
        raise StoreError(f"输出文件夹不存在：{folder}")
    with reading(args) as (con, tree, catalog):
        snap = snapshot.take(con, tree, catalog, args.region, parse_period(args.period), args.indicator)
    data = deck.FORMATS[args.format](snap)
    if out.is_dir():
        out = out / exports.file_name(snap.short_name, snap.indicator_name, snap.period, ext=args.format)
    try:
        out.write_bytes(data)
    except OSError as e:
        raise StoreError(f"无法写入 {out}：{e.strerror or e}") from e
    print(f"已导出：{out}（{len(data) / 1024:,.0f} KB）")


REPORTS = {"rank": run_rank, "trend": run_trend, "targets": run_targets, "index": run_index,
           "reporting": run_reporting, "export": run_export, "sources": run_sources}
