"""What every console page shares: the console's state in `app.state.console`, the staff session
from its cookie, CSRF on every form, role checks, rendering with Jinja2, security headers.

Every page and file URL goes through `page(...)`: no session → the login page (GET) or 403
(anything else); a role below what the URL needs → 403; a POST without the session's CSRF token
→ 403. Scope (the account's team) is applied by the queries (`store.Scope`); an inspection outside
it answers 404, like one that does not exist.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from argon2 import PasswordHasher
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inspector.central.console import summary
from inspector.central.console.accounts import Accounts, StaffSession
from inspector.central.console.store import Codes
from inspector.central.console.store import Scope as DataScope
from inspector.central.runtime import Runtime
from inspector.errors import NotFoundError, UserError
from inspector.paths import resources_dir
from inspector.text import ui_date, ui_datetime

COOKIE = "inspector_console"
LOGIN_COOKIE = "inspector_login"
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
CONSOLE_EXEMPT = ("/sync/", "/health", "/openapi.json", "/bench/")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self';"
       " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


EVENT_LABELS = {
    "inspection": "Đợt kiểm tra", "subject": "Đối tượng kiểm tra", "finding": "Kết quả đánh giá",
    "evidence": "Minh chứng", "requirement": "Yêu cầu khắc phục", "minutes": "Biên bản", "conclusion": "Kết luận",
    "document": "Văn bản", "remediation": "Theo dõi khắc phục",
}
EVENT_VERBS = {
    "created": "tạo", "updated": "sửa", "recorded": "ghi", "removed": "xóa", "added": "thêm", "started": "bắt đầu",
    "finished": "kết thúc", "sealed": "ký niêm phong", "signed": "ký", "issued": "ban hành", "timestamped":
    "gắn dấu thời gian", "status_changed": "đổi trạng thái", "cleared": "xóa đánh giá",
}


AUDIT_LABELS = {
    "login": "Đăng nhập", "login.failed": "Đăng nhập sai", "login.locked": "Đăng nhập khi đang bị khoá",
    "logout": "Đăng xuất", "password.change": "Đổi mật khẩu", "user.add": "Tạo tài khoản",
    "user.disable": "Khoá tài khoản", "user.reset": "Đặt lại mật khẩu", "document.download": "Tải văn bản",
    "evidence.download": "Tải minh chứng", "report.download": "Tải tệp báo cáo khắc phục",
    "export.xlsx": "Xuất XLSX", "report.xlsx": "Báo cáo tổng hợp (XLSX)", "report.pdf": "Báo cáo tổng hợp (PDF)",
    "remediation.reported": "Ghi báo cáo khắc phục", "remediation.accepted": "Chấp nhận kết quả khắc phục",
    "remediation.returned": "Trả lại báo cáo khắc phục", "device.token": "Cấp mã đăng ký thiết bị",
    "device.file": "Tải tệp đăng ký thiết bị",
    "device.revoke": "Thu hồi thiết bị", "catalog.publish": "Công bố danh mục",
}


CATALOG_SOURCES = {"builtin": "Có sẵn trong phần mềm", "central": "Văn phòng công bố", "file": "Nhập từ tệp"}


def source_label(source: str) -> str:
    return CATALOG_SOURCES.get(source, source)


def audit_label(action: str) -> str:
    return AUDIT_LABELS.get(action, action)


def event_label(event_type: str) -> str:
    kind, _, verb = event_type.partition(".")
    return f"{EVENT_LABELS.get(kind, kind)}: {EVENT_VERBS.get(verb, verb.replace('_', ' '))}"


def console_dir() -> Path:
    return resources_dir() / "console"


@dataclass
class ConsoleState:
    accounts: Accounts
    env: jinja2.Environment
    trust_dir: Path
    codes: Codes = field(default_factory=Codes)


def make_state(runtime: Runtime, hasher: PasswordHasher | None = None) -> ConsoleState:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(console_dir() / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["date"] = lambda v: ui_date(v) if v else ""
    env.filters["datetime"] = lambda v: ui_datetime(v) if v else ""
    env.filters["event"] = event_label
    env.filters["action"] = audit_label
    env.filters["source"] = source_label
    env.filters["number"] = lambda v: f"{int(v or 0):,}".replace(",", ".")
    central = runtime.central
    return ConsoleState(Accounts(central.clock, hasher), env, central.data_dir / "trust")


def state_of(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def address_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("client_address") or (
        request.client.host if request.client else "?"))


def secure(request: Request) -> bool:
    """HTTPS to the browser: directly, or through a trusted TLS proxy (`X-Forwarded-Proto`, see `Guard`)."""
    return request.url.scheme == "https" or bool(request.scope.get("state", {}).get("forwarded_https"))


class SecurityHeaders:
    """CSP, frame denial and friends on every console answer (not on the device API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONSOLE_EXEMPT) or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control"]
                headers += SECURITY_HEADERS
                headers.append((b"cache-control", b"public, max-age=3600" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass(frozen=True)
class Ctx:
    """One request of a signed-in staff member."""

    request: Request
    session: StaffSession
    state: ConsoleState
    runtime: Runtime
    form: FormData | None

    @property
    def user(self) -> Any:
        return self.session.user

    @property
    def scope(self) -> DataScope:
        return DataScope(self.session.user.team)

    @property
    def address(self) -> str:
        return address_of(self.request)

    @property
    def today(self) -> date:
        return self.runtime.central.clock.now().date()

    async def fresh_summary(self) -> None:
        """Bring the statistics' summary up to date with the event log (writer; cheap when nothing changed)."""
        store = self.runtime.central.store
        await self.runtime.write(lambda: summary.refresh(store))

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else default

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, template, status, session=self.session, **values)


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    state = state_of(request)
    values.setdefault("session", None)
    values.setdefault("message", None)
    values.setdefault("notice", None)
    html = state.env.get_template(template).render(path=request.url.path, **values)
    return HTMLResponse(html, status_code=status)


def refused(request: Request, status: int, message: str, session: StaffSession | None = None) -> HTMLResponse:
    return render(request, "error.html", status, session=session, title="Không thực hiện được", message=message)


async def current_session(request: Request) -> StaffSession | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    state, runtime = state_of(request), runtime_of(request)
    session = await runtime.read(lambda store: state.accounts.session(store, token))
    if session is not None and state.accounts.needs_touch(session):
        await runtime.write(lambda: state.accounts.touch(runtime.central.store, session))
    return session


Handler = Callable[[Ctx], Awaitable[Response]]


def page(handler: Handler, *, role: str = "viewer", upload: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint around a console handler: session, role, CSRF, bounded form, user errors."""
    needed = {"viewer": {"viewer", "clerk", "admin"}, "clerk": {"clerk", "admin"}, "admin": {"admin"}}[role]

    async def endpoint(request: Request) -> Response:
        session = await current_session(request)
        if session is None:
            if request.method == "GET":
                target = urllib.parse.quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                return RedirectResponse(f"/login?next={target}", status_code=303)
            return refused(request, 403, "Phiên làm việc đã hết. Hãy đăng nhập lại.")
        if session.user.must_change and request.url.path not in ("/password", "/logout"):
            return RedirectResponse("/password", status_code=303)
        if session.user.role not in needed:  # before reading any body
            return refused(request, 403, "Tài khoản của bạn không có quyền thực hiện việc này.", session)
        form = None
        if request.method == "POST":
            declared = request.headers.get("content-length", "")
            limit = MAX_UPLOAD_BYTES if upload else MAX_FORM_BYTES
            if not declared.isdigit() or int(declared) > limit:
                return refused(request, 413, "Dữ liệu gửi lên quá lớn hoặc không rõ độ dài.", session)
            form = await request.form(max_files=10 if upload else 0, max_fields=50)
            token = form.get("csrf")
            if not isinstance(token, str) or not session.csrf_ok(token):
                return refused(request, 403, "Biểu mẫu đã hết hạn hoặc không hợp lệ. Tải lại trang rồi thử lại.",
                               session)
        ctx = Ctx(request, session, state_of(request), runtime_of(request), form)
        try:
            return await handler(ctx)
        except UserError as exc:
            return refused(request, 404 if isinstance(exc, NotFoundError) else 400, exc.render(), session)
        finally:
            if form is not None:
                await form.close()

    return endpoint


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def html_http_errors(api: ExceptionHandler) -> ExceptionHandler:
    """Unknown console addresses and wrong methods answer an HTML page; the device API keeps `api`."""

    async def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(CONSOLE_EXEMPT) or not isinstance(exc, HTTPException) \
                or exc.status_code not in (404, 405):
            return await api(request, exc)
        message = ("Không có trang này." if exc.status_code == 404
                   else "Trang này không nhận thao tác đó.")
        return refused(request, exc.status_code, f"{message} Quay lại trang Tổng quan rồi chọn lại.")

    return handle


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/")


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure(request))
