"""Test accounts made through the real paths (accounts.ensure_admin, accounts.add_user), and the
User objects the write paths take. conftest's schema_db and demo_db already hold TEST_ADMINS."""
from __future__ import annotations

import os

from tongzhan import accounts
from tongzhan.regions import ROOT_CODE

PASSWORD = "test-password-1"
TEST_ADMINS = ("张三", "李四", "王五", "t")   # the names the older tests commit as: admins
# Command-line tokens of demo_db's accounts (add_test_admins(path, tokens=...)), by name: what a
# browser test puts in its session cookie (log_in) and an AppTest in session_state, instead of
# logging in through the form (tests/test_browser_accounts.py does that).
TOKENS: dict[str, str] = {}


def person(con, name: str = "张三", role: str = "admin", scope: str = ROOT_CODE,
           read_scope: str | None = None) -> accounts.User:
    """The account `name` of con's database, made (password PASSWORD) when missing."""
    if (found := accounts.get(con, name)) is not None:
        return found
    admin = _admin(con)
    if name == admin.name:
        return admin
    accounts.add_user(con, admin, name, name, role, scope, PASSWORD, read_scope, must_change=False)
    return accounts.get(con, name)


def _admin(con) -> accounts.User:
    """The database's first admin `admin`, made by ensure_admin with a known password (a demo
    database, which has accounts already: its demo admin)."""
    if (found := accounts.get(con, "admin")) is None:
        old = os.environ.get("TONGZHAN_ADMIN_PASSWORD")
        os.environ["TONGZHAN_ADMIN_PASSWORD"] = PASSWORD
        try:
            accounts.ensure_admin(con)
        finally:
            os.environ.pop("TONGZHAN_ADMIN_PASSWORD")
            if old is not None:
                os.environ["TONGZHAN_ADMIN_PASSWORD"] = old
        all_ = accounts.users(con)
        found = accounts.get(con, all_.loc[all_["role"].eq("admin") & ~all_["disabled"], "name"].iloc[0])
    return found


def add_test_admins(path, tokens: dict[str, tuple] | None = None) -> None:
    """TEST_ADMINS in the database file at path; with tokens (name → (role, scope[, read
    scope])), those accounts too, each with a command-line token in TOKENS."""
    from tongzhan import store
    con = store.connect(path)
    try:
        for name in TEST_ADMINS:
            person(con, name)
        for name, (role, scope, *read) in (tokens or {}).items():
            person(con, name, role, scope, *read)
            TOKENS[name] = accounts.new_token(con, person(con), name)
        con.execute("CHECKPOINT")
    finally:
        con.close()
