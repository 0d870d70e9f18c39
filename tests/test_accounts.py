"""Accounts, roles scoped by the division tree, enforcement in every write path, the audit log
(issue 12): real DuckDB files, real CSV bytes, the real command line."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from people import PASSWORD, person
from test_batches import assert_same, csv_bytes, snapshot
from tongzhan import accounts, audit, batches, build, store, targets
from tongzhan import cli as tongzhan_cli
from tongzhan.importer import parse_file

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
SHIYAN, MAOJIAN, ZHANGWAN = "420300", "420302", "420303"
WUDANG, HUANGLONG = "420302001", "420303100"   # 武当路街道 (茅箭区), 黄龙镇 (张湾区)
FILE = ["区划代码,期间,募集资金(万元)", f"{WUDANG},2026-03,12.5", f"{HUANGLONG},2026-03,7.5",
        f"{WUDANG},2026-04,3"]


@pytest.fixture
def db(con, schema_db):
    return con, schema_db[1], schema_db[2]


def staff(con, name="茅箭干事", scope=MAOJIAN):
    return person(con, name, "staff", scope)


def audit_rows(con, action=None):
    rows = con.sql("SELECT user_name, action, object, detail, file_name, file_sha256, ok FROM audit ORDER BY id").fetchall()
    return [r for r in rows if action is None or r[1] == action]


def parsed(db, rows, scope="000000"):
    _, tree, catalog = db
    data = csv_bytes(rows)
    return parse_file(data, "上报.csv", tree, catalog, today=TODAY, scope=scope), data


# --------------------------------------------------------------------------- enforcement

def test_anonymous_cannot_call_any_write_function(db):
    con, tree, catalog = db
    p, data = parsed(db, FILE[:2])
    before = snapshot(con)
    with pytest.raises(accounts.Denied, match="请先登录"):
        batches.commit(con, p, data, "上报.csv", None)
    with pytest.raises(accounts.Denied, match="请先登录"):
        batches.commit(con, p, data, "上报.csv", "张三")   # a name is not an account
    with pytest.raises(accounts.Denied, match="请先登录"):
        targets.enter(con, tree, catalog, MAOJIAN, "funds_raised", 2026, None, "100", None, TODAY)
    with pytest.raises(accounts.Denied, match="请先登录"):
        accounts.add_user(con, None, "x", "x", "admin", "000000", PASSWORD)
    assert_same(snapshot(con), before)
    assert con.sql("SELECT count(*) FROM batches").fetchall() == [(0,)]
    failed = audit_rows(con, "import")
    assert [(r[0], r[4], r[6]) for r in failed] == [(None, "上报.csv", False), (None, "上报.csv", False)]
    assert "请先登录" in failed[0][3] and failed[0][5] == hashlib.sha256(data).hexdigest()


def test_staff_of_one_county_cannot_write_another_row_by_row_nothing_written(db):
    con, tree, catalog = db
    who = staff(con)
    # the page and the CLI import with the user's scope: the other county's row is a row problem
    p, data = parsed(db, FILE, scope=who.scope)
    assert [(x.row, "不在本次导入范围" in x.message) for x in p.problems] == [(3, True)]
    # a caller passing a wider scope to the importer is stopped by commit, row by row
    p, data = parsed(db, FILE + [f"{HUANGLONG},2026-04,1"])
    assert p.problems == []
    before = snapshot(con)
    with pytest.raises(batches.Rejected) as e:
        batches.commit(con, p, data, "上报.csv", who)
    assert [(x.row, x.column) for x in e.value.problems] == [(3, "区域"), (5, "区域")]
    assert all(f"区域 {HUANGLONG} 不在您的上报范围（{MAOJIAN}）之内" in x.message for x in e.value.problems)
    assert_same(snapshot(con), before)
    assert con.sql("SELECT count(*) FROM batches").fetchall() == [(0,)]
    [row] = audit_rows(con, "import")
    assert row[0] == "茅箭干事" and row[6] is False and "不在您的上报范围" in row[3]
    # inside the scope it lands, recorded under the account's name, audited with the file's hash
    p, data = parsed(db, [FILE[0], FILE[1], FILE[3]], scope=who.scope)
    b = batches.commit(con, p, data, "上报.csv", who)
    assert batches.history(con).set_index("batch_id").at[b, "uploader"] == "茅箭干事"
    assert audit_rows(con, "import")[-1][::6] == ("茅箭干事", True)
    assert audit_rows(con, "import")[-1][5] == hashlib.sha256(data).hexdigest()


def test_staff_targets_only_inside_their_scope(db):
    con, tree, catalog = db
    who = staff(con)
    with pytest.raises(batches.Rejected, match="不在您的上报范围"):
        targets.enter(con, tree, catalog, ZHANGWAN, "funds_raised", 2026, None, "100", who, TODAY)
    assert targets.enter(con, tree, catalog, SHIYAN, "funds_raised", 2026, None, "100", person(con), TODAY)
    with pytest.raises(batches.Rejected, match="不在您的上报范围"):   # a city's split reaches other counties
        targets.split_target(con, tree, catalog, SHIYAN, "funds_raised", 2026, None, None, who, TODAY)
    assert targets.enter(con, tree, catalog, MAOJIAN, "funds_raised", 2026, None, "100", who, TODAY)


def test_undo_viewer_never_staff_own_batches_only_admin_any(db):
    con, tree, catalog = db
    a, b = staff(con), staff(con, "另一干事")
    viewer = person(con, "领导", "viewer", SHIYAN)
    p, data = parsed(db, FILE[:2], scope=MAOJIAN)
    first = batches.commit(con, p, data, "a.csv", a)
    p, data = parsed(db, [FILE[0], FILE[3]], scope=MAOJIAN)
    second = batches.commit(con, p, data, "b.csv", a)
    before = snapshot(con)
    with pytest.raises(accounts.Denied, match="此操作需要工作人员权限"):
        batches.undo(con, second, viewer)
    with pytest.raises(accounts.Denied, match="不是您导入的"):
        batches.undo(con, second, b)
    with pytest.raises(accounts.Denied, match="请先登录"):
        batches.undo(con, second, None)
    assert_same(snapshot(con), before)
    assert batches.history(con)["undone_at"].isna().all()
    batches.undo(con, second, a)
    batches.undo(con, first, person(con))   # an admin undoes anyone's
    assert batches.history(con)["undone_at"].notna().all()
    undos = audit_rows(con, "undo")
    assert [(r[0], r[6]) for r in undos] == [("领导", False), ("另一干事", False), (None, False),
                                             ("茅箭干事", True), ("张三", True)]
    assert len(audit_rows(con, "import")) == 2   # undo removes no audit row


def test_a_disabled_or_rescoped_account_loses_its_rights_at_once(db):
    con, tree, catalog = db
    who, admin = staff(con), person(con)
    p, data = parsed(db, FILE[:2], scope=MAOJIAN)
    accounts.set_scope(con, admin, who.name, "staff", ZHANGWAN)
    with pytest.raises(batches.Rejected, match="不在您的上报范围"):
        batches.commit(con, p, data, "a.csv", who)   # the old User object says 茅箭区
    accounts.set_disabled(con, admin, who.name, True)
    with pytest.raises(accounts.Denied, match="不存在或已停用"):
        batches.commit(con, p, data, "a.csv", who)
    with pytest.raises(accounts.Denied, match="管理员"):
        accounts.set_disabled(con, staff(con, "x"), who.name, False)   # staff change no account
    # An admin neither disables nor demotes themselves (the last admin would be gone).
    with pytest.raises(store.StoreError, match="不能停用自己"):
        accounts.set_disabled(con, admin, admin.name, True)
    with pytest.raises(store.StoreError, match="不能取消自己的管理员角色"):
        accounts.set_scope(con, admin, admin.name, "staff", MAOJIAN)
    assert accounts.get(con, admin.name).role == "admin"


# --------------------------------------------------------------------------- passwords and sessions

def test_the_database_holds_argon2id_hashes_never_the_password(db, tmp_path):
    con, _, _ = db
    secret = "Very-Secret-口令-4711"
    accounts.add_user(con, person(con), "新人", "新人", "viewer", "000000", secret)
    user, token = accounts.login(con, "新人", secret)
    assert user.must_change   # an admin-set password is a one-time password
    (stored,), = con.sql("SELECT password_hash FROM users WHERE name = '新人'").fetchall()
    assert stored.startswith("$argon2id$")
    con.execute("CHECKPOINT")
    path = Path(con.sql("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0])
    raw = path.read_bytes() + (Path(f"{path}.wal").read_bytes() if Path(f"{path}.wal").exists() else b"")
    assert stored.encode() in raw   # the file is readable as bytes: the hash is there …
    for text in (secret, token):     # … the password and the session token never are
        assert text.encode() not in raw and text.encode("utf-16-le") not in raw


def test_failed_logins_are_audited_and_the_fifth_locks_for_five_minutes(db):
    con, _, _ = db
    staff(con)
    t0 = accounts.now()
    with pytest.raises(accounts.LoginFailed, match="用户名或密码错误"):
        accounts.login(con, "没有这个人", "whatever", at=t0)
    for i in range(5):
        with pytest.raises(accounts.LoginFailed, match="用户名或密码错误"):
            accounts.login(con, "茅箭干事", "wrong", at=t0 + timedelta(seconds=i))
    with pytest.raises(accounts.LoginFailed, match="已暂时锁定"):   # the right password, locked
        accounts.login(con, "茅箭干事", PASSWORD, at=t0 + timedelta(minutes=4))
    user, _ = accounts.login(con, "茅箭干事", PASSWORD, at=t0 + timedelta(minutes=5, seconds=5))
    assert user.name == "茅箭干事"
    logins = audit_rows(con, "login")
    assert [(r[0], r[6]) for r in logins] == [("没有这个人", False)] + [("茅箭干事", False)] * 6 + [("茅箭干事", True)]
    assert "已暂时锁定" in logins[6][3]


def test_a_token_whose_random_part_starts_with_a_dash_is_read_by_the_cli(db, monkeypatch):
    # secrets.token_urlsafe begins with "-" one time in 64: `--token -…` would be an option.
    con, _, _ = db
    staff(con)
    monkeypatch.setattr(accounts.secrets, "token_urlsafe", lambda n: "-Ab_" + "x" * (n - 4))
    token = accounts.new_token(con, person(con), "茅箭干事")
    assert accounts.resolve(con, token).name == "茅箭干事"
    args = tongzhan_cli._parser().parse_args(["import", "上报.csv", "--token", token])
    assert args.token == token


def test_a_logged_out_or_expired_token_is_refused(db, monkeypatch):
    con, _, _ = db
    staff(con)
    t0 = accounts.now()
    user, token = accounts.login(con, "茅箭干事", PASSWORD, at=t0)
    assert accounts.resolve(con, token, at=t0 + timedelta(minutes=29)) == user
    assert accounts.resolve(con, token, at=t0 + timedelta(minutes=58)) == user   # touched at 29
    accounts.logout(con, token)
    assert accounts.resolve(con, token, at=t0 + timedelta(minutes=59)) is None   # replayed after logout
    monkeypatch.setenv("TONGZHAN_SESSION_MINUTES", "10")
    _, token = accounts.login(con, "茅箭干事", PASSWORD, at=t0)
    assert accounts.resolve(con, token, at=t0 + timedelta(minutes=11)) is None   # inactive too long
    assert accounts.resolve(con, token, at=t0 + timedelta(minutes=1)) is None    # and ended for good
    assert accounts.resolve(con, "made-up", at=t0) is None
    assert con.execute("SELECT count(*) FROM sessions WHERE token_sha256 = ?", [token]).fetchall() == [(0,)]


def test_first_run_admin_from_env_or_a_one_time_password(tmp_path, monkeypatch, capsys):
    path = build.build_db(tmp_path / "new.duckdb", demo=False)
    build.ensure_db(path)
    password = capsys.readouterr().err.split("一次性密码：")[1].split()[0]
    con = store.connect(path)
    try:
        user = accounts.verify(con, "admin", password)
        assert user.role == "admin" and user.must_change
        with pytest.raises(accounts.Denied, match="一次性密码"):
            accounts.require(con, user, "admin")
        accounts.change_password(con, "admin", password, "a-new-password")
        assert accounts.require(con, user, "admin").name == "admin"
    finally:
        con.close()
    build.ensure_db(path)
    assert "一次性密码" not in capsys.readouterr().err   # once only
    monkeypatch.setenv("TONGZHAN_ADMIN_PASSWORD", "from-the-environment")
    other = build.build_db(tmp_path / "other.duckdb", demo=False)
    build.ensure_db(other)
    assert capsys.readouterr().err == ""
    con = store.connect(other)
    try:
        assert not accounts.verify(con, "admin", "from-the-environment").must_change
    finally:
        con.close()


def test_a_database_made_before_accounts_is_upgraded(schema_db, tmp_path, monkeypatch):
    path = Path(shutil.copyfile(schema_db[0], tmp_path / "old.duckdb"))
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE users; DROP TABLE sessions; DROP TABLE audit; DROP SEQUENCE audit_ids;"
                "DELETE FROM meta WHERE key = 'schema_checked'")   # made before the stamp
    con.close()
    monkeypatch.setenv("TONGZHAN_ADMIN_PASSWORD", "upgrade-password")
    build.ensure_db(path)
    con = store.connect(path)
    try:
        assert accounts.verify(con, "admin", "upgrade-password").role == "admin"
        assert [r[1] for r in audit_rows(con)] == ["user_add", "login"]
    finally:
        con.close()


# --------------------------------------------------------------------------- reading

def test_read_scope_and_login_to_read(db):
    con, _, _ = db
    leader = person(con, "茅箭领导", "viewer", MAOJIAN, read_scope=MAOJIAN)
    assert accounts.may_read(con, None, SHIYAN)   # anonymous reading is open by default
    assert accounts.may_read(con, leader, WUDANG) and not accounts.may_read(con, leader, SHIYAN)
    with pytest.raises(accounts.Denied):
        accounts.set_read_login(con, leader, True)
    accounts.set_read_login(con, person(con), True)
    assert not accounts.may_read(con, None, SHIYAN) and accounts.may_read(con, leader, MAOJIAN)


# --------------------------------------------------------------------------- command line

def cli(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGZHAN_")} | env
    return subprocess.run([sys.executable, "-m", "tongzhan", "--db", str(db), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_cli_accounts_token_and_audit(schema_db, tmp_path):
    db = Path(shutil.copyfile(schema_db[0], tmp_path / "cli.duckdb"))
    admin = {"TONGZHAN_PASSWORD": PASSWORD}
    res = cli(db, "users", "add", "茅箭干事", "--role", "staff", "--scope", MAOJIAN, "--user", "张三", **admin)
    assert res.returncode == 0 and "一次性密码" in res.stdout, res.stderr
    once = res.stdout.split("一次性密码：")[1].split("（")[0]
    res = cli(db, "users", "passwd", "茅箭干事", "--user", "茅箭干事", TONGZHAN_PASSWORD=once,
              TONGZHAN_NEW_PASSWORD="my-own-password")
    assert res.returncode == 0 and "密码已修改" in res.stdout, res.stderr
    res = cli(db, "users", "add", "坏人", "--role", "admin", "--scope", "000000", "--user", "张三",
              TONGZHAN_PASSWORD="wrong")
    assert res.returncode == 2 and "用户名或密码错误" in res.stderr
    res = cli(db, "users", "add", "x", "--role", "boss", "--scope", "000000")
    assert res.returncode == 2 and "参数 --role 的取值 'boss' 无效" in res.stderr
    res = cli(db, "users", "list", "--format", "json", "--user", "张三", **admin)
    assert res.returncode == 0 and '"name": "茅箭干事"' in res.stdout and "argon2" not in res.stdout, res.stderr
    token = cli(db, "users", "token", "茅箭干事", "--user", "张三", **admin).stdout.strip()
    f = tmp_path / "上报.csv"
    f.write_bytes(csv_bytes(FILE))
    res = cli(db, "import", str(f))
    assert res.returncode == 2 and "此操作需要账号" in res.stderr
    res = cli(db, "import", str(f), "--token", token)   # scope: the account's 茅箭区
    assert res.returncode == 1 and f"3,区划代码,区划代码「{HUANGLONG}」" in res.stderr, res.stderr
    res = cli(db, "import", str(f), "--token", token, "--scope", "000000")
    assert res.returncode == 2 and "不在账号「茅箭干事」的上报范围" in res.stderr
    f.write_bytes(csv_bytes([FILE[0], FILE[1]]))
    res = cli(db, "import", str(f), TONGZHAN_TOKEN=token)
    assert res.returncode == 0 and "批次 1" in res.stdout, res.stderr
    res = cli(db, "audit", "--token", token)
    assert res.returncode == 2 and "管理员" in res.stderr
    res = cli(db, "users", "disable", "茅箭干事", "--user", "张三", **admin)
    assert res.returncode == 0, res.stderr
    res = cli(db, "undo", "1", "--token", token)
    assert res.returncode == 2 and "令牌无效" in res.stderr
    res = cli(db, "audit", "--format", "csv", "--user", "张三", **admin)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "id,logged_at,user_name,action,object,detail,file_name,file_sha256,ok"
    body = "\n".join(lines)
    assert "茅箭干事,import,批次 1," in body and "张三,user_disable,茅箭干事" in body
    assert "张三,login,张三,用户名或密码错误。" in body


def test_demo_refuses_a_database_with_real_batches(tmp_path):
    db = tmp_path / "real.duckdb"
    assert cli(db, "demo").returncode == 0
    assert cli(db, "demo").returncode == 0   # a demo database may be made anew
    f = tmp_path / "上报.csv"
    f.write_bytes(csv_bytes(["区划代码,期间,服务群众人次", f"{WUDANG},2026-11,5"]))
    res = cli(db, "import", str(f), "--user", "demo-maojian", TONGZHAN_PASSWORD="demo-maojian-2026")
    assert res.returncode == 0, res.stderr
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    res = cli(db, "demo")
    assert res.returncode == 2 and "不是演示数据的导入批次，demo 不会覆盖它" in res.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_demo_over_a_database_with_real_accounts_needs_its_admin(schema_db, tmp_path):
    db = Path(shutil.copyfile(schema_db[0], tmp_path / "accounts.duckdb"))
    res = cli(db, "demo")
    assert res.returncode == 2 and "请先登录" in res.stderr
    res = cli(db, "demo", "--user", "张三", TONGZHAN_PASSWORD=PASSWORD)
    assert res.returncode == 0, res.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.sql("SELECT name FROM users WHERE NOT demo").fetchall() == []
    con.close()


def test_audit_is_append_only_in_every_query():
    """No SQL file updates or deletes the audit table (only audit_insert.sql writes it)."""
    for f in (ROOT / "queries").glob("*.sql"):
        text = f.read_text(encoding="utf-8").lower()
        assert not any(f"{verb} audit" in text for verb in ("update", "delete from", "truncate", "drop table")), f.name
    assert audit.ACTIONS["login"] == "登录"
