"""Server-side login for the dashboard: routes of serve.py's st.App (never under /auth/*, which is
Streamlit's) and the pages' view of who is logged in.

    GET  /session/login     a small Chinese login page (served here: no script, nothing external)
    POST /session/login     checks name and password (accounts.login), sets an HttpOnly,
                            SameSite=Strict cookie with a random token, redirects back
    GET|POST /session/password   the one-time password changed at first login
    GET|POST /session/logout     ends the session server-side and clears the cookie

Only the token's SHA-256 is stored (accounts). Pages resolve the cookie on every run through
accounts.resolve: an expired, logged-out or replayed token is anonymous.
"""
from __future__ import annotations

import html
from urllib.parse import quote, urlencode, urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import accounts
from .accounts import User
from .store import StoreError, cursor

COOKIE = "tongzhan_session"
TOKEN_KEY = "login_token"   # session_state key AppTest uses instead of the cookie it cannot send

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · 同心数据看板</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f5f6f8;margin:0}}
main{{max-width:360px;margin:12vh auto;background:#fff;padding:28px 32px;border-radius:8px;box-shadow:0 1px 4px #0002}}
h1{{font-size:22px;margin:0 0 18px}}label{{display:block;margin:12px 0 4px;font-size:14px}}
input{{width:100%;box-sizing:border-box;padding:8px;font-size:15px;border:1px solid #ccc;border-radius:4px}}
button{{margin-top:18px;width:100%;padding:9px;font-size:16px;background:#c8161d;color:#fff;border:0;border-radius:4px}}
.error{{color:#b00;font-size:14px;margin:8px 0}}.note{{color:#666;font-size:13px;margin-top:14px}}a{{color:#555}}</style>
</head><body><main><h1>{title}</h1>{error}<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}">{fields}<button type="submit">{button}</button></form>
<p class="note">{note}</p></main></body></html>"""
LOGIN_FIELDS = ('<label for="name">用户名</label><input id="name" name="name" autocomplete="username" required autofocus>'
                '<label for="password">密码</label><input id="password" name="password" type="password" '
                'autocomplete="current-password" required>')
PASSWORD_FIELDS = ('<label for="name">用户名</label><input id="name" name="name" value="{name}" autocomplete="username" required>'
                   '<label for="old">原密码（一次性密码）</label><input id="old" name="old" type="password" required>'
                   '<label for="new">新密码（至少 {n} 个字符）</label><input id="new" name="new" type="password" '
                   'autocomplete="new-password" required><label for="again">再次输入新密码</label>'
                   '<input id="again" name="again" type="password" autocomplete="new-password" required>')


def _local(path: str | None) -> str:
    """A path on this server to go back to (never another site: //host or a scheme)."""
    path = path or "/"
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _page(title: str, action: str, fields: str, button: str, next_: str, error: str = "",
          note: str = '没有账号请联系管理员。<a href="/">返回看板</a>', status: int = 200) -> HTMLResponse:
    shown = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(PAGE.format(title=title, error=shown, action=action, next=html.escape(next_),
                                    fields=fields, button=button, note=note), status_code=status,
                        headers={"Cache-Control": "no-store"})


def _login_page(next_: str, error: str = "", status: int = 200) -> HTMLResponse:
    return _page("登录", "/session/login", LOGIN_FIELDS, "登录", next_, error, status=status)


def _password_page(next_: str, name: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    fields = PASSWORD_FIELDS.format(name=html.escape(name), n=accounts.MIN_PASSWORD)
    return _page("修改密码", "/session/password", fields, "修改并登录", next_, error,
                 note="首次登录须把一次性密码改为自己的密码。", status=status)


def _signed_in(token: str, next_: str, secure: bool) -> RedirectResponse:
    response = RedirectResponse(next_, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
    return response


def _connection():
    from . import ui   # the app's connection (imported here: ui needs a running Streamlit)
    return ui.connection()


async def login_route(request: Request) -> Response:
    if request.method == "GET":
        return _login_page(_local(request.query_params.get("next")))
    form = await request.form()
    next_ = _local(form.get("next"))
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    try:
        user, token = await run_in_threadpool(_login, name, password)
    except StoreError as e:
        return _login_page(next_, str(e), status=401)
    if user.must_change:
        return _password_page(next_, name)
    return _signed_in(token, next_, request.url.scheme == "https")


def _login(name: str, password: str) -> tuple[User, str]:
    with cursor(_connection()) as cur:
        return accounts.login(cur, name, password)


async def password_route(request: Request) -> Response:
    if request.method == "GET":
        return _password_page(_local(request.query_params.get("next")))
    form = await request.form()
    next_, name = _local(form.get("next")), str(form.get("name", "")).strip()
    new = str(form.get("new", ""))
    if new != str(form.get("again", "")):
        return _password_page(next_, name, "两次输入的新密码不一致。", status=400)
    try:
        token = await run_in_threadpool(_change, name, str(form.get("old", "")), new)
    except StoreError as e:
        return _password_page(next_, name, str(e), status=400)
    return _signed_in(token, next_, request.url.scheme == "https")


def _change(name: str, old: str, new: str) -> str:
    with cursor(_connection()) as cur:
        accounts.change_password(cur, name, old, new)
        return accounts.login(cur, name, new)[1]


async def logout_route(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    await run_in_threadpool(_logout, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _logout(token: str | None) -> None:
    with cursor(_connection()) as cur:
        accounts.logout(cur, token)


ROUTES = [Route("/session/login", login_route, methods=["GET", "POST"]),
          Route("/session/password", password_route, methods=["GET", "POST"]),
          Route("/session/logout", logout_route, methods=["GET", "POST"])]


# ---------------------------------------------------------------- pages

def current_user(con) -> User | None:
    """Who is logged in on this page run: the session cookie (or, in AppTest, which cannot send
    cookies, session_state[TOKEN_KEY]) resolved through accounts; None: anonymous."""
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str):   # AppTest's st.context has no real cookies
        token = st.session_state.get(TOKEN_KEY)
    with cursor(con) as cur:
        return accounts.resolve(cur, token)


def login_url() -> str:
    """/session/login, coming back to this page (path and query) afterwards."""
    query = urlencode(st.query_params.to_dict())
    path = (urlsplit(st.context.url or "/").path or "/") + (f"?{query}" if query else "")
    return f"/session/login?next={quote(_local(path), safe='')}"


def sidebar(user: User | None) -> None:
    """登录 link, or who is logged in and 退出 (a plain form: the server ends the session)."""
    if user is None:
        st.sidebar.html(f'<a href="{html.escape(login_url())}" target="_self">登录</a>'
                        '<span style="color:#888;font-size:13px">（上报数据、管理账号需登录）</span>')
        return
    st.sidebar.html(f'<div style="font-size:14px">当前用户：{html.escape(user.label)}</div>'
                    '<form method="post" action="/session/logout" style="margin-top:4px">'
                    '<button type="submit" style="padding:2px 12px">退出</button></form>')
