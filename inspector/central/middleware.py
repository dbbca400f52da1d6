"""Middleware and exception handlers of the central server's Starlette app.

`JsonLog` writes one JSON line per request; `Guard` bounds requests in progress and pauses
inside a body, and finds the client's address (believing `X-Forwarded-For` only from configured
proxies); the exception handlers turn every refusal into a JSON answer with a Vietnamese message;
`lifespan` runs the housekeeping while the server runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inspector.central.errors import ApiError, refuse
from inspector.central.runtime import Runtime, ServerLimits
from inspector.central.server import wire_refusal
from inspector.errors import UserError
from inspector.sync.wire import WireError

LogSink = Callable[[dict[str, Any]], None]
_log = logging.getLogger("inspector.central")


def stderr_log(record: dict[str, Any]) -> None:
    sys.stderr.write(json.dumps(record, ensure_ascii=False) + "\n")


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), exc.status, headers=exc.headers)


REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return str(text)
            break
    return secrets.token_hex(8)


# -- refusals as answers ------------------------------------------------------------------------
class BodyTimeout(Exception):
    """The client stopped sending the body it announced."""


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _wire_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WireError)
    return error_response(wire_refusal(exc))


async def _user_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UserError)
    return JSONResponse({"error": "refused", "message": exc.message(), "hint": exc.hint()}, 400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = refuse(404, "not_found", "Không có địa chỉ này trên máy chủ.", hint="Xem /openapi.json.")
    elif exc.status_code == 405:
        error = refuse(405, "method", "Địa chỉ này không nhận phương thức {method}.", hint="Xem /openapi.json.",
                       method=request.method[:10])
    else:
        error = refuse(exc.status_code, "invalid", "Yêu cầu không hợp lệ.", hint="Xem /openapi.json.")
    return JSONResponse(error.body(), exc.status_code, headers=dict(exc.headers or {}))


async def _body_timeout(request: Request, exc: Exception) -> Response:
    error = refuse(408, "timeout", "Dữ liệu gửi lên bị ngừng giữa chừng quá lâu.", hint="Đồng bộ lại.")
    return JSONResponse(error.body(), 408, headers={"Connection": "close"})


async def _disconnected(request: Request, exc: Exception) -> Response:
    return Response(status_code=400)


async def _internal(request: Request, exc: Exception) -> Response:
    _log.error("unexpected error (request %s)", REQUEST_ID.get(), exc_info=exc)
    return JSONResponse({"error": "internal", "message": "Lỗi không mong đợi ở máy chủ.",
                         "hint": "Dữ liệu đã lưu vẫn an toàn; báo cho quản trị viên."}, 500)


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Any]] = {
    ApiError: _api_error, WireError: _wire_error, UserError: _user_error, HTTPException: _http_error,
    BodyTimeout: _body_timeout, ClientDisconnect: _disconnected, Exception: _internal,
}


# -- middleware ---------------------------------------------------------------------------------
class JsonLog:
    """One JSON line per request: time, request id, process, method, path, status, device, duration.

    The request id is the client's or proxy's `X-Request-ID` when it is a short token (letters,
    digits, `.-_`, at most 64), else a new random one; it is sent back in `X-Request-ID` and
    logged with any unexpected error, so one request can be followed through the proxy's log,
    every server process's log and the database's."""

    def __init__(self, app: ASGIApp, sink: LogSink) -> None:
        self.app = app
        self.sink = sink
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)

        async def tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode("ascii"))]}
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        finally:
            REQUEST_ID.reset(token)
            state = scope.get("state") or {}
            self.sink({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "request_id": request_id,
                       "pid": self.pid, "method": scope["method"], "path": scope["path"], "status": status,
                       "device": state.get("device"),
                       "duration_ms": round((time.perf_counter() - start) * 1000, 2)})


class Guard:
    """Requests in progress (beyond `max_requests`: 503), the pause allowed inside a body
    (`read_timeout_s`: 408), and the client's address (`X-Forwarded-For` is believed only from a
    configured proxy)."""

    def __init__(self, app: ASGIApp, limits: ServerLimits, trusted_proxies: frozenset[str]) -> None:
        self.app = app
        self.limits = limits
        self.trusted = trusted_proxies
        self.active = 0

    def _address(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = client[0] if client else "?"
        if peer not in self.trusted:
            return str(peer)
        forwarded = [v for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
        hops = [h.strip() for h in b",".join(forwarded).decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):  # the nearest hop not one of our proxies is the client
            if hop not in self.trusted:
                return hop[:64]
        return str(peer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["client_address"] = self._address(scope)
        client = scope.get("client")
        if client and client[0] in self.trusted:  # the TLS proxy says how the browser reached it
            proto = [v for k, v in scope.get("headers", []) if k == b"x-forwarded-proto"]
            state["forwarded_https"] = bool(proto) and proto[-1].strip().lower() == b"https"
        if self.active >= self.limits.max_requests:
            busy = refuse(503, "busy", "Máy chủ đang xử lý quá nhiều yêu cầu.", hint="Thử lại sau ít phút.",
                          headers={"Retry-After": "10"})
            await error_response(busy)(scope, receive, send)
            return
        seconds = self.limits.read_timeout_s

        async def timed_receive() -> Message:
            try:
                with anyio.fail_after(seconds):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout() from None

        self.active += 1
        try:
            await self.app(scope, timed_receive, send)
        finally:
            self.active -= 1


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """While the server runs: a read-only connection of the event loop's own for `/health` (a
    `SELECT 1` takes microseconds; answering it on the loop needs no thread hand-over, so it
    stays quick while other threads are busy), and stale partial uploads collected on a schedule."""
    runtime: Runtime = app.state.runtime
    app.state.health_store = runtime.database.open(read_only=True)

    async def collect() -> None:
        while True:
            try:
                await runtime.write(runtime.central.uploads.collect)
            except Exception:  # housekeeping must never stop the server
                _log.exception("collecting stale uploads failed")
            await anyio.sleep(runtime.limits.collect_every_s)

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(collect)
            yield
            tasks.cancel_scope.cancel()
    finally:
        app.state.health_store.close()
