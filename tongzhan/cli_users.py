"""Command line accounts: who acts (--user with a password, or --token), and the admin commands
`users add|list|disable|enable|scope|passwd|token|read-login` and `audit`."""
from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from . import accounts, audit
from .accounts import Denied, User
from .store import StoreError

USER_HELP = "以哪个账号操作（密码取环境变量 TONGZHAN_PASSWORD，否则在终端输入）"
TOKEN_HELP = "命令行令牌（users token 生成；也可用环境变量 TONGZHAN_TOKEN）"


def auth_parent() -> argparse.ArgumentParser:
    """--user and --token, for every command."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--user", help=USER_HELP)
    p.add_argument("--token", help=TOKEN_HELP)
    return p


def add_parsers(sub, parent: argparse.ArgumentParser) -> None:
    u = sub.add_parser("users", help="账号管理（管理员）：add、list、disable、enable、scope、passwd、token、read-login")
    act = u.add_subparsers(dest="action", required=True)
    a = act.add_parser("add", parents=[parent], help="新建账号（密码取环境变量 TONGZHAN_NEW_PASSWORD，否则生成一次性密码）")
    a.add_argument("name", help="用户名（登录用）")
    a.add_argument("--role", required=True, choices=list(accounts.ROLES), help="viewer 查看、staff 工作人员、admin 管理员")
    a.add_argument("--scope", required=True, help="可上报的区域（区划代码，其下各级都可），全国为 000000")
    a.add_argument("--read-scope", help="只能查看的区域（区划代码；默认不限）")
    a.add_argument("--display-name", help="显示名，如 张三（茅箭区统战部）")
    ls = act.add_parser("list", parents=[parent], help="列出账号")
    ls.add_argument("--format", choices=["csv", "json"], default="csv")
    for name, text in (("disable", "停用账号（其登录和令牌立即失效）"), ("enable", "启用账号"),
                       ("token", "为账号生成命令行令牌（之前的令牌失效）"),
                       ("passwd", "重设账号的密码（一次性，须在登录后修改）；给自己的用户名时修改本人密码")):
        x = act.add_parser(name, parents=[parent], help=text)
        x.add_argument("name")
    s = act.add_parser("scope", parents=[parent], help="修改账号的角色与范围")
    s.add_argument("name")
    s.add_argument("--role", choices=list(accounts.ROLES), help="新的角色（默认不变）")
    s.add_argument("--scope", required=True, help="可上报的区域（区划代码）")
    s.add_argument("--read-scope", help="只能查看的区域（区划代码；默认不限）")
    r = act.add_parser("read-login", parents=[parent], help="登录后才能查看：on 开、off 关")
    r.add_argument("state", choices=["on", "off"])
    g = sub.add_parser("audit", parents=[parent], help="审计日志（管理员）：登录、导入、撤销、目标、账号变更")
    g.add_argument("--format", choices=["csv", "json"], default="csv")


def acting_user(args, con, required: bool = True) -> User | None:
    """The account the command acts as: --token / TONGZHAN_TOKEN, else --user with the password of
    TONGZHAN_PASSWORD or typed at a prompt; None when neither is given and not required."""
    token = getattr(args, "token", None) or os.environ.get("TONGZHAN_TOKEN")
    if token:
        user = accounts.resolve(con, token)
        if user is None:
            raise Denied("令牌无效、已撤销或账号已停用。")
        return user
    name = getattr(args, "user", None)
    if not name:
        if required:
            raise Denied("此操作需要账号：请加 --user 用户名（密码取环境变量 TONGZHAN_PASSWORD 或在终端输入），"
                         "或 --token 令牌。")
        return None
    password = os.environ.get("TONGZHAN_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise Denied("没有密码：请设置环境变量 TONGZHAN_PASSWORD，或在终端中运行以输入密码，或改用 --token。")
        password = getpass.getpass(f"用户 {name} 的密码：")
    return accounts.verify(con, name, password)


def _new_password() -> tuple[str, bool]:
    """The new password (TONGZHAN_NEW_PASSWORD), else a generated one to print: (password, generated)."""
    given = os.environ.get("TONGZHAN_NEW_PASSWORD")
    return (given, False) if given else (secrets.token_urlsafe(12), True)


def run_users(args, con, write) -> None:
    by = acting_user(args, con)
    if args.action == "list":
        accounts.require(con, by, "admin")
        write(_timestamps_as_text(accounts.users(con)), args.format)
    elif args.action == "add":
        password, generated = _new_password()
        accounts.add_user(con, by, args.name, args.display_name or args.name, args.role, args.scope, password,
                          args.read_scope)
        print(f"已建立账号 {args.name}" + (f"，一次性密码：{password}（只显示这一次，首次登录后须修改）" if generated
                                          else "（密码为 TONGZHAN_NEW_PASSWORD，首次登录后须修改）"))
    elif args.action in ("disable", "enable"):
        accounts.set_disabled(con, by, args.name, args.action == "disable")
        print(f"账号 {args.name} 已{'停用' if args.action == 'disable' else '启用'}。")
    elif args.action == "scope":
        old = accounts.get(con, args.name)
        role = args.role or (old.role if old else "viewer")
        accounts.set_scope(con, by, args.name, role, args.scope, args.read_scope)
        print(f"账号 {args.name}：角色 {accounts.ROLES[role]}，范围 {args.scope}，查看范围 {args.read_scope or '不限'}。")
    elif args.action == "passwd":
        _passwd(args, con, by)
    elif args.action == "token":
        print(accounts.new_token(con, by, args.name))
    elif args.action == "read-login":
        accounts.set_read_login(con, by, args.state == "on")
        print("登录后才能查看：" + ("已开启" if args.state == "on" else "已关闭"))


def _passwd(args, con, by: User) -> None:
    if args.name == by.name and os.environ.get("TONGZHAN_NEW_PASSWORD"):
        accounts.change_password(con, by.name, os.environ["TONGZHAN_PASSWORD"], os.environ["TONGZHAN_NEW_PASSWORD"])
        print("密码已修改。")
        return
    if args.name == by.name:
        raise StoreError("修改本人密码：请设置环境变量 TONGZHAN_PASSWORD（原密码）和 TONGZHAN_NEW_PASSWORD（新密码）。")
    password, generated = _new_password()
    accounts.reset_password(con, by, args.name, password)
    print(f"账号 {args.name} 的密码已重设" + (f"，一次性密码：{password}" if generated else "") + "（登录后须修改）。")


def run_audit(args, con, write) -> None:
    write(_timestamps_as_text(audit.log(con, acting_user(args, con))), args.format)


def _timestamps_as_text(frame):
    """Timestamp columns as 'YYYY-MM-DD HH:MM:SS' text (blank stays blank), for CSV and JSON."""
    stamps = frame.select_dtypes("datetime").columns
    return frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(frame[c].notna(), None)
                           for c in stamps})
