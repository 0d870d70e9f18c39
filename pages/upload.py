"""数据上报: upload → check → preview → confirm; batch history with undo; templates."""
import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import streamlit as st

from tongzhan import batches, login, ui
from tongzhan.exports import csv_bytes, file_name, xlsx_bytes
from tongzhan.importer import parse_file, problem_count, problems_frame
from tongzhan.importer.period_cells import not_over
from tongzhan.markup import md, text_cells
from tongzhan.periods import Period
from tongzhan.regions import LEVEL_NAMES
from tongzhan.sheets import excel_sheets
from tongzhan.store import StoreError, cursor, file_work, max_upload_bytes
from tongzhan.templates import template_frame

PREVIEW_ROWS = 1000   # cells listed per preview table; the counts above cover all of them


def show_problems(report) -> None:
    """Problems or warnings (行号, 列, 问题): a table wraps long messages, a long list scrolls."""
    shown = report.astype({"行号": "string"}).fillna("")
    if len(shown) <= 30:
        st.table(text_cells(shown, md).set_index("行号"))
    else:
        st.dataframe(shown, hide_index=True, width="stretch")


ctx = ui.context()
tree, catalog = ctx.tree, ctx.catalog
user = login.current_user(ctx.con)
if user is None or user.role not in ("staff", "admin"):   # hidden from the menu too; the package refuses anyway
    st.title("数据上报")
    st.error("数据上报须以工作人员或管理员账号登录。")
    st.html(f'<a href="{login.login_url()}" target="_self">登录</a>')
    st.stop()
scope = batches.write_scope(user)   # the import scope: the account's
region = ui.url_region(tree)   # the template's region, inside the scope (at first the scope itself)
if scope not in tree.ancestors(region):
    region = scope
ui.title_row("数据上报", ui.data_info(ctx.path, ctx.version, date.today())["demo"])
ui.breadcrumbs(tree, region)
if tree.children(region):
    ui.drill_down(tree, region, tree.children(region))
upload_tab, history_tab, template_tab = st.tabs(["上传数据", "导入记录", "下载模板"])

with upload_tab:
    st.caption("支持 CSV（UTF-8 或 GBK）、Excel（.xlsx/.xls）；长表（区域、指标、期间、数值）或宽表"
               "（区域、期间、每个指标一列）。检查通过并确认后才写入，整份文件一次写入，可随时撤销。")
    st.write(f"上传人：**{md(user.label)}**；导入范围：**{md(tree.full_name(scope))}**（账号的上报范围：文件中的区域须在"
             "此范围内，区域名称在此范围内查找）")
    done = st.empty()
    if ctx.read_only:
        st.warning(f"数据库为只读（{ctx.read_only}），不能上报或撤销；可以查看导入记录和下载模板。")
    try:   # the server refuses bodies above server.maxUploadSize before reading them
        max_bytes = min(max_upload_bytes(), st.get_option("server.maxUploadSize") * 2**20)
    except StoreError as e:
        st.error(str(e))
        st.stop()
    limit_mb = max_bytes / 2**20
    # The widget refuses a larger file in English ("File must be … or smaller"; Streamlit has no
    # translation for it), so the caption says the limit in Chinese. Between a fractional limit
    # and the widget's whole MB, the importer's Chinese message applies. A new key after each
    # commit empties the uploader for the next file.
    file = st.file_uploader("选择文件（CSV、Excel）", type=["csv", "txt", "xlsx", "xls"],
                            key=f"upload_file_{st.session_state.get('uploads', 0)}",
                            max_upload_size=math.ceil(limit_mb), disabled=bool(ctx.read_only))
    st.caption(f"单个文件不超过 {limit_mb:g} MB。更大的文件会被拒收（文件名前显示红色感叹号），"
               "请按区域或期间拆成几个文件分别上传。")
    if file is not None:
        st.session_state.pop("committed", None)
    elif "committed" in st.session_state:
        batch_id, name, counts = st.session_state["committed"]
        done.success(f"{md(name)} 已导入为批次 {batch_id}：{counts}。总览页已显示新数据；"
                     "如有错误，可在“导入记录”中撤销。")
    period = st.text_input("文件中没有期间列时，整份文件的期间", key="upload_period",
                              placeholder="如 2026-03、2026Q1、2026")
    allow_subtotals = st.checkbox("文件中上下级同时出现的数据不是小计（确认不会重复计算）",
                                  key="allow_subtotals")
    if file is not None:
        data = file.getvalue()
        # a file is read and checked once, not again on every rerun (typing the period)
        sheets = ui.remember("upload_sheets", file.file_id, lambda: excel_sheets(data, file.name))
        sheet = st.selectbox("工作表", [None, *sheets], key="upload_sheet",
                             format_func=lambda s: "自动（第一个有表头的工作表）" if s is None else s,
                             ) if len(sheets) > 1 else None
        options = dict(today=date.today(), period=period or None, sheet=sheet,
                       scope=scope, allow_subtotals=allow_subtotals,
                       max_bytes=max_bytes)
        key = (file.file_id, ctx.version, *options.values())

        def check():
            """The file's problems, else its preview with PREVIEW_ROWS cells of each table and the
            counts of all: no big frame is kept in the session (a 100k-row file's parse and preview
            take ~100 MB); the commit parses the file again."""
            with file_work(ctx.con):
                parsed = parse_file(data, file.name, tree, catalog, **options)
                with cursor(ctx.con) as cur:
                    if parsed.problems:
                        return batches.file_problems(cur, parsed), None, {}
                    p = batches.preview(cur, parsed, data)
            n = {k: len(getattr(p, k)) for k in ("insert", "replace", "unchanged", "skipped", "villages")}
            return p.problems, replace(p, insert=p.insert.head(PREVIEW_ROWS), replace=p.replace.head(PREVIEW_ROWS),
                                       unchanged=p.unchanged.head(0)), n
        problems, p, n = ui.remember("upload_check", key, check)   # the file's own, else against stored data
        if problems:
            report = problems_frame(problems)
            st.error(f"文件有 {problem_count(problems):,} 处问题，未导入任何数据。请修改后重新上传：")
            show_problems(report)
            a, b = st.columns(2)
            a.download_button("下载问题清单（Excel）", xlsx_bytes(report, "问题清单"),
                              file_name("问题清单", Path(file.name).stem, ext="xlsx"), key="problems_xlsx")
            b.download_button("下载问题清单（CSV）", csv_bytes(report), file_name("问题清单", Path(file.name).stem, ext="csv"),
                              key="problems_csv")
        else:
            if p.kind == "targets":
                st.info("这是一份**目标值**文件：导入的是各单位的目标，不是实际数据，不参与任何汇总；"
                        "导入后在“目标”页查看完成情况，也可在“导入记录”中撤销。")
            if p.duplicate_of is not None:
                st.warning(batches.duplicate_message(p.duplicate_of))
            if p.warnings:
                st.warning(f"有 {len(p.warnings)} 个数与本单位以往的数相差悬殊，请核对（不影响导入）：")
                show_problems(problems_frame(p.warnings))
            cols = st.columns(5, border=True)
            for col, (label, k) in zip(cols, [("新增", "insert"), ("覆盖", "replace"), ("与现有相同", "unchanged"),
                                              ("跳过的行", "skipped"), ("新建村(社区)", "villages")]):
                col.metric(label, f"{n[k]:,}")
            for title, cells, old, count in (("将覆盖的数据（原值 → 新值）", p.replace, True, n["replace"]),
                                             ("将新增的数据", p.insert, False, n["insert"])):
                if count:
                    more = f"，显示前 {PREVIEW_ROWS:,} 条" if count > PREVIEW_ROWS else ""
                    st.write(f"{title}：共 {count:,} 条{more}")
                    st.dataframe(ui.fact_rows(tree, catalog, cells, old),
                                 hide_index=True, placeholder="—", width="stretch", height=min(36 + 35 * len(cells), 280))
            if len(p.villages):
                st.write("将新建的村(社区)：")
                st.dataframe(p.villages.rename(columns={"code": "代码", "name": "名称",
                                                        "parent_code": "所属乡镇(街道)代码"}),
                             hide_index=True, placeholder="—")
            if len(p.skipped):
                st.markdown("跳过的行：\n" + "\n".join(
                    f"- 第 {r.row} 行：{md(r.reason)}" for r in p.skipped.itertuples()))
            can_commit = p.duplicate_of is None and n["insert"] + n["replace"] > 0
            if st.button("确认导入", type="primary", disabled=not can_commit, key="commit"):
                try:
                    with file_work(ctx.con):
                        parsed = parse_file(data, file.name, tree, catalog, **options)
                        with cursor(ctx.con) as cur:
                            batch_id = batches.commit(cur, parsed, data, file.name, user)
                        del parsed
                except StoreError as e:
                    st.error(md(e))   # quotes the file's cells
                else:
                    if batch_id is None:   # the data changed since the preview: nothing left to write
                        st.session_state.pop("upload_check", None)
                        st.rerun()
                    st.session_state["committed"] = (
                        batch_id, file.name, f"新增 {n['insert']:,} 条，覆盖 {n['replace']:,} 条")
                    st.session_state["uploads"] = st.session_state.get("uploads", 0) + 1
                    for name in ("upload_sheets", "upload_check"):
                        st.session_state.pop(name, None)   # a big file's check is not kept around
                    st.rerun()

with history_tab:
    with cursor(ctx.con) as cur:
        hist = batches.history(cur)
    st.dataframe(ui.batch_rows(hist), hide_index=True, placeholder="—", width="stretch")
    active = hist[hist["undone_at"].isna() & (hist["batch_id"] > 0)
                  & (hist["uploader"].eq(user.name) | (user.role == "admin"))].set_index("batch_id")   # staff: their own
    if len(active) and not ctx.read_only:
        a, b = st.columns([3, 1], vertical_alignment="bottom")
        pick = a.selectbox("撤销批次", active.index.tolist(), key=f"undo_pick_{active.index[0]}",   # a new batch: offered first
                           format_func=lambda b: f"批次 {b}：{active.at[b, 'file_name']}")
        batch = active.loc[pick]
        with b.popover("撤销…"):
            st.write(f"撤销批次 {pick}（{md(batch.file_name)}，{md(batch.uploader)}）：删除它新增的 "
                     f"{batch.inserted:,} 条数据，把它覆盖的 {batch.replaced:,} 条恢复为原值"
                     f"{f'，删除它新建的 {batch.villages} 个村(社区)' if batch.villages else ''}。")
            confirmed = st.button("确认撤销", type="primary", key="undo")
        if confirmed:
            try:
                with cursor(ctx.con) as cur:
                    batches.undo(cur, int(pick), user)
            except StoreError as e:
                st.error(str(e))
            else:
                st.session_state.pop("committed", None)
                st.toast(f"批次 {pick} 已撤销，被它覆盖的数据已恢复。")
                st.rerun()

with template_tab:
    st.write(f"为 **{md(tree.full_name(region))}** 的下级单位生成填报模板（在页面顶部切换区域）。")
    levels = list(range(tree.child_level(region) or 5, 5))   # from the children down to the townships
    level = st.radio("填报单位", levels, index=len(levels) - 1, key=f"template_level_{region}", horizontal=True,
                     format_func=LEVEL_NAMES.get, help="数据一般在乡镇(街道)一级上报，县、市的数字由看板汇总；"
                     "已有乡镇数据的县、市再报合计会被拒绝。") if len(levels) > 1 else None
    a, b = st.columns(2)
    last_month = date.today().replace(day=1) - timedelta(days=1)   # the month most recently over
    month = a.text_input("期间", value=f"{last_month:%Y-%m}", key="template_period")
    chosen = b.multiselect("指标", catalog.ids(), default=catalog.headline(), key="template_ids",
                           format_func=lambda i: catalog[i].name_zh)
    try:
        period = Period.parse(month)
        if why := not_over(period, date.today()):   # a template the import would refuse
            raise ValueError(why)
        frame = template_frame(tree, catalog, region, period, chosen, level)
    except ValueError as e:   # the message quotes the period as typed
        st.error(md(f"{e} 期间可填月份（如 {last_month:%Y-%m}）、季度（如 {last_month.year}Q1）或年度（如 "
                    f"{last_month.year - 1}）。"))
    else:
        st.dataframe(frame.head(8).fillna(""), hide_index=True)   # blanks to fill in, not "None"
        st.caption(f"共 {len(frame):,} 行，每个填报单位一行（上表只列出前 8 行）。")
        name = [tree.name[region], *([LEVEL_NAMES[level]] if level else []), period]
        c, d = st.columns(2)
        c.download_button("下载 Excel 模板", xlsx_bytes(frame, "填报"), file_name("填报模板", *name, ext="xlsx"),
                          key="template_xlsx")
        d.download_button("下载 CSV 模板", csv_bytes(frame), file_name("填报模板", *name, ext="csv"),
                          key="template_csv")
