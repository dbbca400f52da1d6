"""Login, logout and password change. The login form carries its own CSRF token (a random
cookie echoed in the form: there is no session yet); the slow hash runs on a reader thread."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from inspector.central.console.web import (
    LOGIN_COOKIE,
    MAX_FORM_BYTES,
    Ctx,
    address_of,
    clear_session_cookie,
    current_session,
    refused,
    render,
    runtime_of,
    secure,
    set_session_cookie,
    state_of,
)
from inspector.errors import UserError

LOCKED = "Tài khoản tạm bị khoá đăng nhập vì nhập sai nhiều lần. Hãy thử lại sau 15 phút hoặc nhờ quản trị viên."
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng. Kiểm tra lại (chú ý bộ gõ tiếng Việt và phím Caps Lock)."


def _next(value: str) -> str:
    """Only a path of this site (never another host)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 500:
        return value
    return "/"


def _login_form(request: Request, status: int = 200, message: str | None = None, username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status, title="Đăng nhập", csrf=token, message=message,
                      username=username, next=_next(request.query_params.get("next", "/")))
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/login",
                        max_age=3600)
    return response


async def login_page(request: Request) -> Response:
    if await current_session(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_form(request)


async def login_submit(request: Request) -> Response:
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        return refused(request, 413, "Dữ liệu gửi lên quá lớn hoặc không rõ độ dài.")
    async with request.form(max_files=0, max_fields=10) as form:
        username, password, token, target = (str(form.get(k) or "") for k in ("username", "password", "csrf", "next"))
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), token.encode("utf-8", "replace")):
        return _login_form(request, 403, "Biểu mẫu đăng nhập đã hết hạn. Hãy nhập lại.", username[:40])
    state, runtime, address = state_of(request), runtime_of(request), address_of(request)
    attempt = await runtime.read(lambda store: state.accounts.attempt(store, username, password, address))
    outcome = await runtime.write(lambda: state.accounts.conclude(runtime.central.store, attempt))
    if outcome.session_token is None:
        return _login_form(request, 429 if outcome.locked else 401, LOCKED if outcome.locked else WRONG,
                           username[:40])
    response = RedirectResponse(_next(target), status_code=303)
    set_session_cookie(response, request, outcome.session_token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def logout(ctx: Ctx) -> Response:
    state, runtime = ctx.state, ctx.runtime
    await runtime.write(lambda: state.accounts.logout(runtime.central.store, ctx.session, ctx.address))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, ctx.request)
    return response


async def password_page(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return ctx.render("password.html", title="Đổi mật khẩu")
    old, new, again = ctx.field("old"), ctx.field("new"), ctx.field("again")
    if new != again:
        return ctx.render("password.html", 400, title="Đổi mật khẩu",
                          message="Hai lần nhập mật khẩu mới không giống nhau.")
    state, runtime = ctx.state, ctx.runtime
    try:
        await runtime.write(lambda: state.accounts.change_password(runtime.central.store, ctx.session, old, new,
                                                                   ctx.address))
    except UserError as exc:
        return ctx.render("password.html", 400, title="Đổi mật khẩu", message=exc.render())
    return RedirectResponse("/?notice=password", status_code=303)
