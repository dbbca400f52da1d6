"""Running the central server with uvicorn, with the connection limits uvicorn does not have.

uvicorn closes a connection idle *between* requests (`timeout_keep_alive`), but a client that
connects and never finishes its request headers is kept forever, and the number of connections is
not bounded. `GuardedH11Protocol` adds both: headers must be complete within
`ServerLimits.header_timeout_s` of connecting (or of the previous answer), and connections beyond
`max_connections` are closed at once. Everything else is uvicorn's own h11 protocol.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from inspector.central.app import LogSink, create_app, stderr_log
from inspector.central.enrollment import record_served_certificate
from inspector.central.runtime import Runtime, ServerLimits
from inspector.central.server import Sizes
from inspector.central.storage import Database
from inspector.clock import Clock
from inspector.sync.tls import CertificateError, certificate_fingerprint


class GuardedH11Protocol(H11Protocol):
    def __init__(self, *args: Any, limits: ServerLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.abort()
            return
        self._arm()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.limits.header_timeout_s, self._on_header_timeout)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing() and self.conn.their_state in (h11.IDLE, h11.DONE):
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still waiting for a complete request head
            self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # uvicorn's keep-alive timer takes over until the next request starts

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


@dataclass(frozen=True)
class TlsFiles:
    """`serve --tls-cert FILE --tls-key FILE`: HTTPS served by uvicorn itself (no proxy needed)."""

    cert: Path
    key: Path

    def check(self) -> str:
        """Both files load and belong together; returns the certificate's SHA-256 fingerprint."""
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise CertificateError(
                "Không dùng được chứng chỉ TLS {cert} với khóa {key}: tệp không đọc được, sai định dạng"
                " (cần PEM) hoặc khóa không khớp chứng chỉ.", cert=str(self.cert), key=str(self.key),
                hint="Kiểm tra hai tệp chứng chỉ và khóa riêng của máy chủ.") from exc
        return certificate_fingerprint(self.cert)


def uvicorn_config(app: Any, runtime: Runtime, *, host: str, port: int, log_level: str = "warning",
                   tls: TlsFiles | None = None) -> uvicorn.Config:
    """Our uvicorn settings: the guarded protocol, no proxy headers (`Guard` handles trusted
    proxies), lifespan on (the upload collector), limits from the runtime, TLS if given."""
    limits = runtime.limits
    ssl_options: dict[str, Any] = {} if tls is None else {"ssl_certfile": str(tls.cert), "ssl_keyfile": str(tls.key)}
    return uvicorn.Config(app, host=host, port=port, access_log=False, log_level=log_level, lifespan="on",
                          http=functools.partial(GuardedH11Protocol, limits=limits),  # type: ignore[arg-type]
                          proxy_headers=False, timeout_keep_alive=limits.keep_alive_s,
                          h11_max_incomplete_event_size=64 * 1024, **ssl_options)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8765, *, clock: Clock | None = None,
          raw_upload: bool = False, limits: ServerLimits | None = None, sizes: Sizes | None = None,
          trusted_proxies: tuple[str, ...] = (), log: LogSink = stderr_log, tls: TlsFiles | None = None,
          database: Database | None = None, on_ready: Callable[[], None] | None = None) -> None:
    """`inspector central serve`: run until interrupted (`raw_upload`: benchmarks only). With
    `tls`, HTTPS; the certificate is recorded so that enrollment tokens and files carry its
    fingerprint (without TLS the record is removed: no stale pin goes out). `on_ready` is called
    once the store is open and this process may serve it (a refused start changes nothing)."""
    fingerprint = tls.check() if tls else None
    # The event loop shares the interpreter with the writer thread projecting a big push: let it
    # take the lock back every millisecond (default 5 ms), so /health and small requests stay quick.
    sys.setswitchinterval(0.001)
    runtime = Runtime(data_dir, clock=clock, sizes=sizes, limits=limits, database=database)
    try:
        record_served_certificate(data_dir, tls.cert if tls else None, fingerprint)
        if on_ready is not None:
            on_ready()
        app = create_app(runtime, log=log, raw_upload=raw_upload, trusted_proxies=trusted_proxies)
        uvicorn.Server(uvicorn_config(app, runtime, host=host, port=port, tls=tls)).run()
    finally:
        runtime.close()
