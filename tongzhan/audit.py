"""The append-only audit log: logins (success and failure), imports, undos, targets, settings and
account changes: who, when, what, from which file (name and sha256), and whether it succeeded.
Only queries/audit_insert.sql writes it; nothing updates or deletes its rows (an undo adds a row)."""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from .store import StoreError, execute, query, transaction

COLUMNS = {"id": "序号", "logged_at": "时间", "user_name": "用户", "action": "操作", "object": "对象",
           "detail": "详情", "file_name": "文件名", "file_sha256": "文件 SHA-256", "ok": "成功"}
ACTIONS = {"login": "登录", "logout": "退出", "import": "导入", "undo": "撤销", "targets": "目标",
           "user_add": "新建用户", "user_disable": "停用用户", "user_enable": "启用用户",
           "user_scope": "修改权限", "user_password": "重设密码", "password_change": "修改密码",
           "user_token": "命令行令牌", "setting": "设置", "demo": "演示数据",
           "compact": "整理存储"}


def record(con, user_name: str | None, action: str, object_: str | None = None, detail=None,
           file_name: str | None = None, file_sha256: str | None = None, ok: bool = True,
           at: datetime | None = None) -> None:
    """Append one row, inside the caller's transaction (a write is audited with it or not at
    all). detail: text, or a dict/list kept as JSON."""
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, default=str)
    execute(con, "audit_insert", at=at or datetime.now().replace(microsecond=0), user_name=user_name,
            action=action, object=object_, detail=detail, file_name=file_name, file_sha256=file_sha256, ok=ok)


def record_failure(con, user_name: str | None, action: str, object_: str | None, reason: str,
                   file_name: str | None = None, file_sha256: str | None = None) -> None:
    """A write that failed and was rolled back, audited afterwards in a transaction of its own
    (nothing when the database cannot be written: then nothing was either)."""
    try:
        with transaction(con):
            record(con, user_name, action, object_, reason, file_name, file_sha256, ok=False)
    except StoreError:
        pass


def log(con, by) -> pd.DataFrame:
    """The audit log, newest first (admin only)."""
    from .accounts import require   # accounts records into the log: imported here, not at the top
    require(con, by, "admin")
    return query(con, "audit_all")


def shown(log_: pd.DataFrame) -> pd.DataFrame:
    """The log with Chinese headers and action names, for the admin page and its Excel export."""
    return log_.assign(action=log_["action"].map(ACTIONS).fillna(log_["action"]),
                       ok=log_["ok"].map({True: "是", False: "否"})).rename(columns=COLUMNS)
