"""Signed HTTP requests to the central server, and what the user reads when one fails.

Every request carries an RFC 9421-style signature. A refusal for clock skew teaches the client
the server's time (the offset is kept, so a laptop with a wrong clock still syncs) and the request
is signed again once. Network failures and server errors are *retryable*: sync steps are
idempotent, so the caller simply runs the step again.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any

import httpx

from inspector.clock import Clock
from inspector.errors import UserError
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from inspector.sync.tls import CertificateError, is_https, mismatch, pinned_context

_OK = frozenset({200, 201, 204})


class TransportError(Exception):
    """A failed request: a user-facing error, whether retrying may help, and the server's answer."""

    def __init__(self, error: UserError, *, retryable: bool, status: int | None = None,
                 code: str = "", body: dict[str, Any] | None = None) -> None:
        self.error = error
        self.retryable = retryable
        self.status = status
        self.code = code
        self.body = body or {}
        super().__init__(error.render())

    def user_error(self) -> UserError:
        return self.error


def unreachable(url: str, reason: str) -> TransportError:
    return TransportError(UserError(
        "Không kết nối được máy chủ {url} ({reason}).",
        hint="Kiểm tra mạng hoặc địa chỉ máy chủ, rồi đồng bộ lại; nếu không có mạng, dùng gói dữ"
             " liệu qua USB (“Xuất gói dữ liệu ra USB”).", url=url, reason=reason), retryable=True)


def _from_server(status: int, body: dict[str, Any]) -> TransportError:
    code = str(body.get("error", ""))
    message = str(body.get("message") or f"Máy chủ từ chối yêu cầu (mã {status}).")
    hint = str(body.get("hint") or "")
    if status in (408, 503) and body.get("message"):  # busy, or our body stalled on the way: retry
        return TransportError(UserError(message, hint=hint), retryable=True, status=status, code=code, body=body)
    if status >= 500 and status != 507:
        return TransportError(UserError("Máy chủ gặp lỗi (mã {status}); dữ liệu trên máy vẫn an toàn.",
                                        hint="Thử đồng bộ lại sau ít phút.", status=status),
                              retryable=True, status=status, code=code, body=body)
    if code == "unknown_device":
        hint = "Đăng ký lại thiết bị bằng mã hoặc tệp đăng ký mới do văn phòng trung tâm cấp."
    error = UserError(message, hint=hint)  # already rendered by the server: no parameters
    return TransportError(error, retryable=False, status=status, code=code, body=body)


def _certificate_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: httpx.HTTPError) -> str:
    """What went wrong, in the user's words (never an exception class name)."""
    if isinstance(exc, httpx.ConnectError):
        return "không mở được kết nối"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "kết nối bị ngắt giữa chừng"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "địa chỉ máy chủ không hợp lệ"
    return "lỗi mạng"


class Transport:
    """Signed requests to one server. Writes nothing: a clock offset it learns is handed to
    `on_clock` (called only from the thread that made the transport), which may persist it."""

    def __init__(self, base_url: str, signer: Signer, clock: Clock, *, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None, offset_ms: int = 0,
                 on_clock: Callable[[int], None] | None = None, pinned: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.clock = clock
        self.offset_ms = offset_ms
        self.on_clock = on_clock
        self.requests = 0
        self._owner = threading.get_ident()
        # plain http (a site LAN) needs no certificate store; loading one costs ~25 ms per sync.
        # HTTPS with a pinned certificate trusts that certificate only (`sync.tls`), else public CAs.
        self.pinned = pinned is not None and is_https(self.base_url)
        verify: ssl.SSLContext | bool = (pinned_context(pinned) if pinned is not None and self.pinned
                                         else is_https(self.base_url))
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                 transport=transport, headers={"User-Agent": "inspector-sync/2"},
                                 verify=verify)

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.http.close()

    def _created(self) -> int:
        return int((self.clock.now().timestamp() * 1000 + self.offset_ms) // 1000)

    def _learn_clock(self, server_time: Any) -> bool:
        if not isinstance(server_time, int) or isinstance(server_time, bool):
            return False
        self.offset_ms = server_time * 1000 - int(self.clock.now().timestamp() * 1000)
        if self.on_clock is not None and threading.get_ident() == self._owner:
            self.on_clock(self.offset_ms)
        return True

    def request(self, method: str, path: str, body: bytes, *, headers: dict[str, str] | None = None,
                accept: Collection[int] = _OK, digest_header: str | None = None) -> httpx.Response:
        for attempt in (1, 2):
            signed = sign_request(self.signer, method, path, body, created=self._created(),
                                  digest_header=digest_header)
            self.requests += 1
            try:
                response = self.http.request(method, self.base_url + path, content=body,
                                             headers={**(headers or {}), **signed})
            except httpx.TimeoutException as exc:
                raise unreachable(self.base_url, "hết thời gian chờ") from exc
            except httpx.HTTPError as exc:
                if _certificate_refused(exc):
                    error = (mismatch(self.base_url) if self.pinned else CertificateError(
                        "Chứng chỉ bảo mật (TLS) của máy chủ {url} không được xác nhận; không gửi dữ liệu.",
                        hint="Đăng ký lại thiết bị bằng mã hoặc tệp đăng ký mới (có vân tay chứng chỉ của"
                             " máy chủ) do văn phòng trung tâm cấp.", url=self.base_url))
                    raise TransportError(error, retryable=False, code="tls") from exc
                raise unreachable(self.base_url, _reason(exc)) from exc
            if response.status_code in accept:
                return response
            data = self._error_body(response)
            if (response.status_code == 401 and data.get("error") in ("clock_skew", "stale")
                    and attempt == 1 and self._learn_clock(data.get("server_time"))):
                continue
            raise _from_server(response.status_code, data)
        raise AssertionError("unreachable")

    @staticmethod
    def _error_body(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except (ValueError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def json(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        response = self.request(method, path, body, headers={"Content-Type": "application/json"})
        try:
            data = response.json()
        except ValueError as exc:
            raise TransportError(UserError("Máy chủ trả lời không đúng định dạng."), retryable=True,
                                 status=response.status_code) from exc
        if not isinstance(data, dict):
            raise TransportError(UserError("Máy chủ trả lời không đúng định dạng."), retryable=True)
        return data
