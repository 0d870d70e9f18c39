"""Accounts in the dashboard (issue 12): anonymous visitors cannot reach 数据上报 or 用户管理; a
read scope limits the regions; and, in a real Chromium against `streamlit run serve.py`, a staff
member logs in through the login form, uploads, logs out, and can no longer reach the upload page,
not even by replaying the old session cookie in a fresh browser."""
from __future__ import annotations

import duckdb

from conftest import copy_db, open_app, run_streamlit
from people import TOKENS
from tongzhan.login import COOKIE, TOKEN_KEY
from tongzhan.markup import md



def upload_refused(page, app_ready) -> None:
    """No 数据上报 in the navigation; /upload (a bookmark, a link after 退出) says in Chinese who may
    use it, with no uploader and no Streamlit "Page not found" dialog."""
    app_ready(page, timeout=60_000)
    page.get_by_text("数据上报须以工作人员或管理员账号登录。").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("数据上报").count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_text("选择文件").count() == 0 and page.get_by_role("button", name="确认导入").count() == 0


def app_as(page: str, token: str | None = None, **params):
    from streamlit.testing.v1 import AppTest
    from pathlib import Path
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60)
    if token:
        at.session_state[TOKEN_KEY] = token
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page).run()


def test_anonymous_and_viewers_cannot_reach_upload_or_admin(db_copy, monkeypatch):
    """The pages are hidden from their navigation; opened anyway (a bookmark), each says in Chinese
    which account it needs and shows nothing else."""
    con = duckdb.connect(str(db_copy), read_only=True)
    (facts,), = con.sql("SELECT count(*) FROM facts").fetchall()
    con.close()
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    refused = {"pages/upload.py": "数据上报须以工作人员或管理员账号登录。", "pages/admin.py": "用户管理须以管理员账号登录。"}
    for token in (None, "not-a-token", TOKENS["茅箭领导"]):
        for page, message in refused.items():
            at = app_as(page, token)
            assert [e.value for e in at.error] == [message]
            assert not at.get("file_uploader") and not at.dataframe
    at = app_as("pages/upload.py", TOKENS["江山干事"])
    assert not at.error and at.get("file_uploader")
    # the page opens at the account's scope (it opened at 全国 with a 十堰市 account's scope below)
    assert [b.label for b in at.button][:3] == ["全国", "浙江省", "衢州市"] and "**江山市**" in [m.value for m in at.markdown]
    at = app_as("pages/admin.py", TOKENS["江山干事"])
    assert [e.value for e in at.error] == [refused["pages/admin.py"]] and not at.dataframe
    at = app_as("pages/admin.py", TOKENS["张三"])
    assert not at.error and "demo-maojian" in at.dataframe[0].value["用户名"].tolist()
    # 整理存储: the demo data was written in order, in one batch; nothing to advise
    assert md(f"共 {facts:,} 条数据；尚未整理过；此后 0 次导入写入 0 条（占 0.0%）。") in [m.value for m in at.markdown]
    assert [i.value for i in at.info] == [md("暂不需要整理（数据达到 1,000,000 条、且此后写入的超过 10% 时建议整理）。")]


def test_upload_template_of_a_city_defaults_to_its_townships(db_copy, monkeypatch):
    """下载模板 for 十堰市: one row per township (where data is reported; a county's totals would
    clash with its townships' data), or per county when chosen; a county has no choice to make."""
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    at = app_as("pages/upload.py", TOKENS["张三"], region="420300")
    level = at.radio(key="template_level_420300")
    assert level.options == ["县(市、区)", "乡镇(街道)"] and level.value == 4
    assert "共 119 行，每个填报单位一行（上表只列出前 8 行）。" in [c.value for c in at.caption]
    level.set_value(3).run()
    assert "共 8 行，每个填报单位一行（上表只列出前 8 行）。" in [c.value for c in at.caption]
    at = app_as("pages/upload.py", TOKENS["张三"], region="420302")
    assert not [r for r in at.radio if r.key.startswith("template_level")]
    assert "共 7 行，每个填报单位一行（上表只列出前 8 行）。" in [c.value for c in at.caption]
    # a period the import would refuse gives no template, and what to type is said
    for typed, said in (("2099-05", "还没有到"), ("", "无法识别的期间"), ("2026年", "无法识别的期间")):
        at.text_input(key="template_period").set_value(typed).run()
        assert not at.exception and len(at.error) == 1 and said in at.error[0].value, typed
        assert "期间可填月份（如 " in at.error[0].value and not any("共 7 行" in c.value for c in at.caption)


def test_import_history_shows_status_before_the_file_name(db_copy, monkeypatch):
    """导入记录: 状态 (有效/已撤销) and 类型 beside the batch number, before a file name that may be
    long enough to push what follows out of view."""
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    at = app_as("pages/upload.py", TOKENS["张三"], region="420300")
    history = next(d.value for d in at.dataframe if "批次" in d.value.columns)
    assert list(history.columns[:4]) == ["批次", "状态", "类型", "文件"] and set(history["状态"]) <= {"有效", "已撤销"}


def test_a_read_scope_refuses_regions_outside_it(db_copy, monkeypatch):
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    at = open_app(region="420300")
    assert not at.exception and at.metric   # anonymous reading stays open
    at = app_as("pages/overview.py", TOKENS["茅箭领导"], region="420300")
    assert "您没有查看「湖北省十堰市」的权限" in at.error[0].value and not at.metric
    at = app_as("pages/overview.py", TOKENS["茅箭领导"], region="420302001")
    assert not at.error and at.metric
    at = app_as("pages/overview.py", TOKENS["茅箭领导"])   # no region asked: the read scope's root
    assert at.query_params["region"] == "420302" and at.metric


def test_staff_logs_in_uploads_logs_out_and_the_old_cookie_is_refused(demo_db, browser, app_ready, tmp_path,
                                                                      screenshot):
    db = copy_db(demo_db, tmp_path / "tongzhan.duckdb")
    csv = tmp_path / "茅箭11月.csv"
    csv.write_text("区划代码,期间,服务群众人次\n420302001,2026-11,321\n", encoding="utf-8")
    with run_streamlit(db, tmp_path, script="serve.py") as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{server.url}/upload")
        upload_refused(page, app_ready)
        assert page.locator('[data-testid="stSidebarNav"]').get_by_text("用户管理").count() == 0
        page.goto(f"{server.url}/?region=420302")
        app_ready(page, timeout=60_000)
        page.get_by_role("link", name="登录").first.click()
        page.wait_for_url("**/session/login**")
        page.fill("#name", "demo-maojian")
        page.fill("#password", "wrong-password")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("用户名或密码错误").wait_for()
        page.fill("#name", "demo-maojian")
        page.fill("#password", "demo-maojian-2026")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**region=420302**")   # back where the login started
        app_ready(page, timeout=60_000)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("数据上报").click()
        page.get_by_text("上传人：演示·茅箭区工作人员（工作人员）").wait_for(timeout=60_000)
        [cookie] = [c for c in context.cookies() if c["name"] == COOKIE]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie").find(COOKIE) < 0   # scripts cannot read it
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入为批次 2").wait_for(timeout=60_000)
        app_ready(page)
        screenshot(page, "accounts_staff_uploaded")
        page.get_by_role("button", name="退出").click()
        page.get_by_role("link", name="登录").first.wait_for(timeout=30_000)
        assert [c for c in context.cookies() if c["name"] == COOKIE] == []
        page.goto(f"{server.url}/upload")
        upload_refused(page, app_ready)
        context.close()
        replay = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        replay.add_cookies([{"name": COOKIE, "value": cookie["value"], "url": server.url}])
        page = replay.new_page()
        page.goto(f"{server.url}/upload")
        upload_refused(page, app_ready)
        # the old cookie logs no one in: the sidebar offers 登录 again
        assert page.locator('[data-testid="stSidebar"]').get_by_role("link", name="登录").count() == 1
        replay.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.sql("SELECT uploader FROM batches WHERE batch_id = 2").fetchall() == [("demo-maojian",)]
        got = con.sql("SELECT user_name, action, ok FROM audit WHERE user_name = 'demo-maojian' ORDER BY id").fetchall()
        assert got == [("demo-maojian", "login", False), ("demo-maojian", "login", True),
                       ("demo-maojian", "import", True), ("demo-maojian", "logout", True)]
    finally:
        con.close()


def test_login_routes_one_time_password_and_no_open_redirect(demo_db, tmp_path):
    """The login routes over HTTP (serve.py): a one-time password leads to the password form and
    sets no cookie; the changed password signs in (HttpOnly, SameSite=Strict); `next` never
    leaves the server."""
    import http.client
    import urllib.parse
    from people import person
    from tongzhan import accounts, store
    db = copy_db(demo_db, tmp_path / "tongzhan.duckdb")
    con = store.connect(db)
    accounts.add_user(con, person(con), "新干事", "新干事", "staff", "420302", "one-time-pass")
    con.close()

    def post(server, path, **form):
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        c.request("POST", path, urllib.parse.urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()

    with run_streamlit(db, tmp_path, script="serve.py") as server:
        status, headers, body = post(server, "/session/login", name="新干事", password="one-time-pass", next="/upload")
        assert status == 200 and "修改密码" in body and "set-cookie" not in {k.lower() for k in headers}
        status, _, body = post(server, "/session/password", name="新干事", old="one-time-pass", new="my-password-1",
                               again="other", next="/upload")
        assert status == 400 and "两次输入的新密码不一致" in body
        status, headers, _ = post(server, "/session/password", name="新干事", old="one-time-pass", new="my-password-1",
                                  again="my-password-1", next="//evil.example/x")
        headers = {k.lower(): v for k, v in headers.items()}
        assert status == 303 and headers["location"] == "/"
        assert "HttpOnly" in headers["set-cookie"] and "SameSite=strict" in headers["set-cookie"]
        status, _, body = post(server, "/session/login", name="新干事", password="one-time-pass")
        assert status == 401 and "用户名或密码错误" in body
        status, headers, _ = post(server, "/session/login", name="新干事", password="my-password-1",
                                  next="https://evil.example/")
        assert status == 303 and {k.lower(): v for k, v in headers.items()}["location"] == "/"


def test_login_to_read_when_the_admin_turns_it_on(db_copy, monkeypatch):
    """登录后才能查看: anonymous visitors see only the login prompt, the CLI's reads need an account."""
    import subprocess
    import sys
    from people import person
    from tongzhan import accounts, store
    con = store.connect(db_copy)
    accounts.set_read_login(con, person(con), True)
    con.close()
    args = [sys.executable, "-m", "tongzhan", "--db", str(db_copy), "kpis", "--region", "420302", "--period", "2026"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "此操作需要账号" in res.stderr
    res = subprocess.run([*args, "--token", TOKENS["茅箭领导"]], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.startswith("indicator_id,")
    args[args.index("420302")] = "420300"   # outside the viewer's read scope
    res = subprocess.run([*args, "--token", TOKENS["茅箭领导"]], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "不能查看区域 420300" in res.stderr
    monkeypatch.setenv("TONGZHAN_DB", str(db_copy))
    at = open_app(region="420302")
    assert "本看板须登录后才能查看" in at.info[0].value and not at.metric
    at = app_as("pages/overview.py", TOKENS["茅箭领导"], region="420302")
    assert not at.info and at.metric
