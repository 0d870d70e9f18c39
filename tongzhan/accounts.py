"""Accounts, roles scoped by the division tree, login sessions and command-line tokens.

Roles: viewer reads; staff write (upload, targets, undo of their own batches) inside the subtree
of their scope; admin may do everything (accounts, any batch, demo). A read scope limits what a
viewer or staff member sees to a subtree. Passwords are stored only as argon2id hashes
(argon2-cffi); sessions and tokens only as the SHA-256 of the token. A User is what the write
paths take: require() reads it again from the database, so a disabled or rescoped account loses
its rights at once. Every change is written to the audit log (audit.py) in the same transaction.
"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import argon2
import pandas as pd

from . import audit
from .importer import name_problem
from .regions import ROOT_CODE
from .store import StoreError, cursor, execute, positive_env, query, read_only, rows, transaction

ROLES = {"viewer": "查看", "staff": "工作人员", "admin": "管理员"}
MAX_FAILURES = 5                    # failed logins before the account is locked …
LOCK_MINUTES = 5                    # … for this long
MIN_PASSWORD = 8
READ_LOGIN_KEY = "read_login"       # meta key: "1" when reading needs a login (登录后才能查看)
_HASHER = argon2.PasswordHasher()   # argon2id with the library's maintained defaults


@functools.cache
def _dummy_hash() -> str:
    """A hash to check a password of an unknown name against (as long as a real check); made at
    the first such login, not on import: hashing takes ~0.2-0.5 s, which every command and the
    server's start paid."""
    return _HASHER.hash("dummy password for names that do not exist")


class Denied(StoreError):
    """An action the user may not take (Chinese message); nothing was written."""


class LoginFailed(StoreError):
    """A login refused: wrong name or password, disabled or locked account."""


@dataclass(frozen=True)
class User:
    name: str
    display_name: str
    role: str                 # viewer, staff or admin
    scope: str                # the region whose subtree the user may write
    read_scope: str | None    # the region whose subtree the user may read; None: every region
    must_change: bool = False
    demo: bool = False

    @property
    def label(self) -> str:
        return f"{self.display_name}（{ROLES[self.role]}）"


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def session_minutes() -> float:
    """Inactivity after which a login session ends: TONGZHAN_SESSION_MINUTES, default 30."""
    return positive_env("TONGZHAN_SESSION_MINUTES", "30", "分钟")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(con, name: str) -> tuple | None:
    found = rows(con, "user_get", account=name)
    return found[0] if found else None


def _as_user(row) -> User:
    name, display, _, role, scope, read_scope, _, _, _, must_change, demo = row
    return User(name, display, role, scope, read_scope, bool(must_change), bool(demo))


def get(con, name: str) -> User | None:
    """The enabled account of that name, or None."""
    row = _user(con, name)
    return None if row is None or row[6] else _as_user(row)


def users(con) -> pd.DataFrame:
    return query(con, "users_all")


def within(con, region: str, scope: str | None) -> bool:
    """Whether region lies in scope's subtree (None or 000000: everywhere)."""
    if scope in (None, ROOT_CODE):
        return True
    return bool(rows(con, "region_within", region=region, scope=scope)[0][0])


# ---------------------------------------------------------------- rights

def require(con, user: User | None, role: str, region: str | None = None) -> User:
    """The user as stored now, when it may act as `role` (staff: staff or admin) on region's
    subtree (region None: anywhere in its scope); else Denied. The caller's transaction, if any,
    is used: this only reads."""
    if not isinstance(user, User):
        raise Denied("请先登录：匿名用户不能修改数据。")
    fresh = get(con, user.name)
    if fresh is None:
        raise Denied(f"账号「{user.name}」不存在或已停用，不能修改数据。")
    rank = list(ROLES)
    if rank.index(fresh.role) < rank.index(role):
        raise Denied(f"账号「{fresh.name}」的角色是{ROLES[fresh.role]}，此操作需要{ROLES[role]}权限。")
    if fresh.must_change:
        raise Denied(f"账号「{fresh.name}」使用的是一次性密码，请先修改密码。")
    if region is not None and fresh.role != "admin" and not within(con, region, fresh.scope):
        raise Denied(f"区域 {region} 不在账号「{fresh.name}」的权限范围（{fresh.scope}）之内。")
    return fresh


def may_read(con, user: User | None, region: str) -> bool:
    """Whether user (None: anonymous) may read region: the read-login setting and the read scope."""
    if user is None:
        return not read_login_required(con)
    return user.role == "admin" or within(con, region, user.read_scope)


def read_login_required(con) -> bool:
    found = rows(con, "meta_get", key=READ_LOGIN_KEY)
    return bool(found) and found[0][0] == "1"


def set_read_login(con, by: User, on: bool) -> None:
    """登录后才能查看: reading needs a login (admin only)."""
    with transaction(con):
        admin = require(con, by, "admin")
        execute(con, "set_meta", key=READ_LOGIN_KEY, value="1" if on else "0")
        audit.record(con, admin.name, "setting", READ_LOGIN_KEY, "登录后才能查看：" + ("开" if on else "关"))


# ---------------------------------------------------------------- accounts

def _check_new(con, name: str, display_name: str, role: str, scope: str, read_scope: str | None) -> None:
    if not name or not name.strip() or name != name.strip():
        raise StoreError("用户名不能为空，首尾不能有空格。")
    for text, what in ((name, "用户名"), (display_name, "显示名")):
        if why := name_problem(text, what):
            raise StoreError(why)
    if role not in ROLES:
        raise StoreError(f"未知的角色「{role}」，应为 viewer（查看）、staff（工作人员）或 admin（管理员）。")
    for code in (scope, read_scope):
        if code is not None and not _exists(con, code):
            raise StoreError(f"未知的区划代码：{code}")


def _exists(con, code: str) -> bool:
    return code == ROOT_CODE or bool(rows(con, "region_within", region=code, scope=ROOT_CODE)[0][0])


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise StoreError(f"密码至少 {MIN_PASSWORD} 个字符。")


def _insert(con, name, display_name, role, scope, read_scope, password, must_change=False, demo=False):
    """Inside the caller's transaction: a new account (checked), its password hashed."""
    _check_new(con, name, display_name, role, scope, read_scope)
    _check_password(password)
    if _user(con, name) is not None:
        raise StoreError(f"用户名「{name}」已存在。")
    execute(con, "user_insert", account=name, display_name=display_name, password_hash=_HASHER.hash(password),
            role=role, scope=scope, read_scope=read_scope, must_change=must_change, demo=demo, now=now())


def add_user(con, by: User, name: str, display_name: str, role: str, scope: str, password: str,
             read_scope: str | None = None, must_change: bool = True) -> None:
    """A new account (admin only); by default its password must be changed at first login."""
    with transaction(con):
        admin = require(con, by, "admin")
        _insert(con, name, display_name or name, role, scope, read_scope, password, must_change)
        audit.record(con, admin.name, "user_add", name, f"角色 {role}，范围 {scope}，查看范围 {read_scope or '全部'}")


def _changed(con, by: User, name: str, action: str, detail: str, step: str, **params) -> None:
    """One admin change of an existing account, its sessions ended, audited."""
    with transaction(con):
        admin = require(con, by, "admin")
        if _user(con, name) is None:
            raise StoreError(f"没有用户「{name}」。")
        execute(con, step, account=name, now=now(), **params)
        execute(con, "sessions_end_user", account=name, now=now(), tokens=action == "user_disable")
        audit.record(con, admin.name, action, name, detail)


def set_disabled(con, by: User, name: str, disabled: bool) -> None:
    if disabled and by.name == name:
        raise StoreError("不能停用自己的账号。")
    _changed(con, by, name, "user_disable" if disabled else "user_enable", "停用" if disabled else "启用",
             "user_set_disabled", disabled=disabled)


def set_scope(con, by: User, name: str, role: str, scope: str, read_scope: str | None = None) -> None:
    if by.name == name and role != "admin":   # like disabling oneself: the last admin could go
        raise StoreError("不能取消自己的管理员角色，请由另一位管理员修改。")
    _check_new(con, name, name, role, scope, read_scope)
    _changed(con, by, name, "user_scope", f"角色 {role}，范围 {scope}，查看范围 {read_scope or '全部'}",
             "user_set_scope", role=role, scope=scope, read_scope=read_scope)


def reset_password(con, by: User, name: str, password: str) -> None:
    """An admin sets a one-time password: the user must change it at the next login."""
    _check_password(password)
    _changed(con, by, name, "user_password", "管理员重设密码（一次性）", "user_set_password",
             password_hash=_HASHER.hash(password), must_change=True)


def change_password(con, name: str, old: str, new: str) -> User:
    """The user changes their own password (the old one verified); other sessions end."""
    user = verify(con, name, old)
    _check_password(new)
    if new == old:
        raise StoreError("新密码不能与原密码相同。")
    with transaction(con):
        execute(con, "user_set_password", account=name, password_hash=_HASHER.hash(new), must_change=False, now=now())
        execute(con, "sessions_end_user", account=name, now=now(), tokens=False)
        audit.record(con, name, "password_change", name, "本人修改密码")
    return User(**{**user.__dict__, "must_change": False})


def ensure_admin(con) -> str | None:
    """First run: when there is no account, an `admin` with the password of env
    TONGZHAN_ADMIN_PASSWORD, or a random one-time password returned to be printed once (it must
    be changed at the first login). None when accounts exist or the password came from env."""
    if len(users(con)):
        return None
    given = os.environ.get("TONGZHAN_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    with transaction(con):
        _insert(con, "admin", "管理员", "admin", ROOT_CODE, None, password, must_change=not given)
        audit.record(con, None, "user_add", "admin", "首次运行建立管理员账号")
    return None if given else password


def add_demo_users(con, logins) -> None:
    """The demo database's documented logins (demo.LOGINS), marked demo, inside the caller's transaction."""
    for name, display, role, scope, password in logins:
        _insert(con, name, display, role, scope, None, password, demo=True)


# ---------------------------------------------------------------- logins and sessions

def verify(con, name: str, password: str, at: datetime | None = None) -> User:
    """The account when the password is right; else LoginFailed. Every attempt is audited; the
    fifth failure in a row locks the account for LOCK_MINUTES. An unknown name costs the same
    hash as a known one."""
    at = at or now()
    row = _user(con, name)
    try:
        ok = _HASHER.verify(row[2] if row else _dummy_hash(), password or "") and row is not None
    except argon2.exceptions.VerificationError:
        ok = False
    why = ("用户名或密码错误。" if not ok else "账号已停用，请联系管理员。" if row[6] else None)
    if row is not None and row[8] is not None and row[8] > at:
        why = f"连续登录失败 {MAX_FAILURES} 次，账号已暂时锁定，请在 {row[8]:%H:%M} 之后再试。"
    if not read_only(con):   # a read-only database judges the attempt but cannot record it
        _record_attempt(con, name, row, why, at)
    if why:
        raise LoginFailed(why)
    return _as_user(row)


def _record_attempt(con, name: str, row, why: str | None, at: datetime) -> None:
    """The failure count (and lock) or its reset, and the audit row of a login attempt."""
    with transaction(con):
        if why and row is not None and not (row[8] is not None and row[8] > at):
            execute(con, "user_login_failed", account=name, limit=MAX_FAILURES,
                    locked_until=at + timedelta(minutes=LOCK_MINUTES))
        elif not why:
            execute(con, "user_login_ok", account=name)
        audit.record(con, name, "login", name, why or "登录成功", ok=not why, at=at)


def login(con, name: str, password: str, at: datetime | None = None) -> tuple[User, str]:
    """verify(), then a new session: the user and the token (only its hash is stored)."""
    user = verify(con, name, password, at)
    token = secrets.token_urlsafe(32)
    with transaction(con):
        execute(con, "session_insert", token_sha256=token_hash(token), user_name=user.name, kind="session",
                now=at or now())
    return user, token


TOKEN_PREFIX = "tz_"   # a token never starts with "-", which argparse would read as an option


def new_token(con, by: User, name: str) -> str:
    """A command-line token for account `name` (admin only), until revoked; earlier tokens end.
    It starts with TOKEN_PREFIX: a bare random one began with "-" one time in 64, and then
    `--token TOKEN` was refused as an option without its value."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(con):
        admin = require(con, by, "admin")
        if get(con, name) is None:
            raise StoreError(f"没有启用的用户「{name}」。")
        execute(con, "tokens_end_user", account=name, now=now())
        execute(con, "session_insert", token_sha256=token_hash(token), user_name=name, kind="token", now=now())
        audit.record(con, admin.name, "user_token", name, "新建命令行令牌（之前的令牌失效）")
    return token


def resolve(con, token: str | None, at: datetime | None = None) -> User | None:
    """The account of a session or token still valid, else None (anonymous): unknown, ended
    (logout), expired (no use for session_minutes()), or its account disabled. A session seen
    again is touched (at most once a minute: a write)."""
    if not token:
        return None
    at = at or now()
    digest = token_hash(token)
    with cursor(con) as cur:
        found = rows(cur, "session_get", token_sha256=digest)
        if not found or found[0][3] is not None:
            return None
        name, kind, last_seen, _ = found[0]
        user = get(cur, name)
    expired = kind == "session" and at - last_seen > timedelta(minutes=session_minutes())
    if user is None or expired or at - last_seen > timedelta(minutes=1):
        try:
            with transaction(con):
                execute(con, "session_end" if user is None or expired else "session_touch",
                        token_sha256=digest, now=at)
        except StoreError:   # a read-only database: the session is judged, not recorded
            pass
    return None if user is None or expired else user


def logout(con, token: str | None) -> None:
    """End the session of token (a replayed token is refused from now on)."""
    if not token:
        return
    digest = token_hash(token)
    with transaction(con):
        found = rows(con, "session_get", token_sha256=digest)
        execute(con, "session_end", token_sha256=digest, now=now())
        if found and found[0][3] is None:
            audit.record(con, found[0][0], "logout", found[0][0], "退出登录")
