"""用户管理 (admin): accounts, their roles and scopes, passwords, 登录后才能查看, the audit log, and
whether 整理存储 (compact) is due."""
import secrets

import streamlit as st

from tongzhan import accounts, audit, build, login, ui
from tongzhan.accounts import ROLES
from tongzhan.exports import xlsx_bytes
from tongzhan.markup import md
from tongzhan.store import StoreError, cursor

ctx = ui.context()
tree = ctx.tree
user = login.current_user(ctx.con)
st.title("用户管理")
if user is None or user.role != "admin":   # hidden from the menu too; the package refuses anyway
    st.error("用户管理须以管理员账号登录。")
    st.stop()


def scope_label(code) -> str:
    return "不限" if code is None or code != code else f"{tree.full_name(code)}（{code}）"


def act(done: str, step) -> None:
    """Run one account change as the admin; its result (or Chinese error) shown after the rerun."""
    try:
        with cursor(ctx.con) as cur:
            step(cur)
    except StoreError as e:
        st.error(md(e))
    else:
        st.session_state["admin_done"] = done
        st.rerun()


if done := st.session_state.pop("admin_done", None):
    st.success(md(done))
with cursor(ctx.con) as cur:
    people = accounts.users(cur)
    read_login = accounts.read_login_required(cur)
shown = people.assign(role=people["role"].map(ROLES), scope=people["scope"].map(scope_label),
                      read_scope=people["read_scope"].map(scope_label),
                      locked_until=people["locked_until"].dt.strftime("%Y-%m-%d %H:%M").fillna(""))
st.dataframe(shown.rename(columns={"name": "用户名", "display_name": "显示名", "role": "角色", "scope": "上报范围",
                                   "read_scope": "查看范围", "disabled": "已停用", "must_change": "须改密码",
                                   "demo": "演示账号", "failed_logins": "连续失败", "locked_until": "锁定至",
                                   "created_at": "建立时间", "updated_at": "修改时间"}),
             hide_index=True, placeholder="—", width="stretch")
if st.toggle("登录后才能查看", value=read_login, key="read_login",
             help="开启后，未登录的访问者只看到登录提示；命令行的查询也须 --user 或 --token。") != read_login:
    act("已更新“登录后才能查看”。", lambda cur: accounts.set_read_login(cur, user, not read_login))

new_tab, change_tab, audit_tab, storage_tab = st.tabs(["新建账号", "停用、范围、密码", "审计日志", "整理存储"])
codes = sorted(tree.name, key=lambda c: (len(c), c))
with new_tab, st.form("user_add"):
    a, b = st.columns(2)
    name = a.text_input("用户名（登录用）")
    display = b.text_input("显示名", placeholder="如 张三（茅箭区统战部）")
    role = a.selectbox("角色", list(ROLES), format_func=ROLES.get, index=1)
    scope = b.selectbox("上报范围", codes, format_func=scope_label)
    read_scope = a.selectbox("查看范围", [None, *codes], format_func=scope_label)
    if st.form_submit_button("建立账号（生成一次性密码）", type="primary"):
        password = secrets.token_urlsafe(12)
        act(f"已建立账号 {name}，一次性密码：{password}（只显示这一次，请转告本人；首次登录须修改）",
            lambda cur: accounts.add_user(cur, user, name.strip(), display.strip() or name.strip(), role,
                                          scope, password, read_scope))

with change_tab:
    if len(people):
        pick = st.selectbox("账号", people["name"].tolist(), key="admin_pick")
        row = people.set_index("name").loc[pick]
        a, b, c = st.columns(3)
        if a.button("启用" if row["disabled"] else "停用", key="admin_disable"):
            act(f"账号 {pick} 已{'启用' if row['disabled'] else '停用'}。",
                lambda cur: accounts.set_disabled(cur, user, pick, not row["disabled"]))
        if b.button("重设密码（一次性）", key="admin_password"):
            password = secrets.token_urlsafe(12)
            act(f"账号 {pick} 的一次性密码：{password}（只显示这一次；登录后须修改）",
                lambda cur: accounts.reset_password(cur, user, pick, password))
        with c.popover("修改角色与范围"):
            new_role = st.selectbox("角色", list(ROLES), index=list(ROLES).index(row["role"]),
                                    format_func=ROLES.get, key="admin_role")
            new_scope = st.selectbox("上报范围", codes, index=codes.index(row["scope"]), format_func=scope_label,
                                     key="admin_scope")
            new_read = st.selectbox("查看范围", [None, *codes], format_func=scope_label, key="admin_read")
            if st.button("保存", type="primary", key="admin_rescope"):
                act(f"账号 {pick} 的角色与范围已修改。",
                    lambda cur: accounts.set_scope(cur, user, pick, new_role, new_scope, new_read))

with audit_tab:
    with cursor(ctx.con) as cur:
        log = audit.shown(audit.log(cur, user))
    st.dataframe(log, hide_index=True, placeholder="—", width="stretch")
    st.download_button("下载审计日志（Excel）", lambda: xlsx_bytes(log, "审计日志"), on_click="ignore",
                       file_name="审计日志.xlsx", key="audit_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

with storage_tab:
    with cursor(ctx.con) as cur:
        state = build.storage_state(cur)
    summary, advice = state.lines()
    st.write(md(summary))
    (st.warning if state.advised else st.info)(md(advice))
