"""Real servers on loopback for the sync tests and benchmarks: uvicorn in a thread, a cutting
TCP proxy, and helpers to enroll devices and compare server state."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from inspector.central.app import create_app
from inspector.central.auth import create_token
from inspector.central.runtime import Runtime, ServerLimits
from inspector.central.serve import TlsFiles, uvicorn_config
from inspector.central.server import Central, Sizes
from inspector.central.storage import Database
from inspector.clock import Clock
from inspector.workspace import Workspace
from tests.storage import raw_connect


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.01) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds have passed; returns whether it held.
    Tests wait on a condition with a deadline, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def healthy(url: str) -> bool:
    try:
        httpx.get(url + "/health", timeout=1).raise_for_status()
    except httpx.HTTPError:
        return False
    return True


class LiveServer:
    """A real central server (Starlette + uvicorn) on a free loopback port, in this process."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, sizes: Sizes | None = None,
                 raw_upload: bool = False, limits: ServerLimits | None = None,
                 trusted_proxies: tuple[str, ...] = (), tls: TlsFiles | None = None,
                 database: Database | None = None) -> None:
        self.data_dir = data_dir
        self.tls = tls
        self.database = database or Database.of(None, data_dir)
        self.clock = clock
        self.sizes = sizes
        self.raw_upload = raw_upload
        self.limits = limits
        self.trusted_proxies = trusted_proxies
        self.logs: list[dict[str, Any]] = []

    def __enter__(self) -> LiveServer:
        self.runtime = Runtime(self.data_dir, clock=self.clock, sizes=self.sizes, limits=self.limits,
                               database=self.database)
        app = create_app(self.runtime, log=self.logs.append, raw_upload=self.raw_upload,
                         trusted_proxies=self.trusted_proxies)
        # uvicorn binds the port itself (port 0: a free one): sockets made by asyncio get
        # TCP_NODELAY, a socket handed in does not (and every response then waits ~40 ms)
        self.server = uvicorn.Server(uvicorn_config(app, self.runtime, host="127.0.0.1", port=0, tls=self.tls))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        if not wait_until(lambda: self.server.started or not self.thread.is_alive(), 10) or not self.server.started:
            raise RuntimeError("server did not start")
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.runtime.close()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def central(self) -> Central:
        return self.runtime.central

    def call(self, fn: Callable[[Central], Any]) -> Any:
        return self.runtime.call(lambda: fn(self.central))

    def token(self, team: str = "doan-1") -> str:
        return str(self.call(lambda c: create_token(c.store, team, c.clock).token))

    def enroll(self, ws: Workspace, team: str = "doan-1", url: str | None = None) -> None:
        ws.services.sync.enroll(url or self.url, self.token(team))


class ServerProcess:
    """The central server in its own process (as in production: no shared interpreter lock with
    the client), on a free loopback port. Used by the benchmarks."""

    def __init__(self, data_dir: Path, *, raw_upload: bool = False, limits: ServerLimits | None = None,
                 database: Database | None = None) -> None:
        self.data_dir = data_dir
        self.database = database or Database.of(None, data_dir)
        self.raw_upload = raw_upload
        self.limits = limits or ServerLimits()

    def __enter__(self) -> ServerProcess:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        limits = {f: getattr(self.limits, f) for f in self.limits.__dataclass_fields__}
        code = ("from pathlib import Path; from inspector.central.serve import serve; "
                "from inspector.central.runtime import ServerLimits; "
                "from inspector.central.storage import Database; "
                f"serve(Path({str(self.data_dir)!r}), port={self.port}, raw_upload={self.raw_upload},"
                f" limits=ServerLimits(**{limits!r}),"
                f" database=Database.of({self.database.url or str(self.database.path)!r}, Path('.')))")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[2])
        if not wait_until(lambda: self.proc.poll() is not None or healthy(self.url), 30, 0.05) or (
                self.proc.poll() is not None):
            self.proc.kill()
            raise RuntimeError("server process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def enroll(self, ws: Workspace, team: str = "doan-1") -> None:
        central = Central(self.data_dir, database=self.database)
        try:
            token = create_token(central.store, team, central.clock).token
        finally:
            central.close()
        ws.services.sync.enroll(self.url, token)


# What every signed request writes on PostgreSQL (its nonce; a refused enrollment's address):
# not part of "what the server holds".
REQUEST_BOOKKEEPING = frozenset({"seen_nonces", "enroll_failures"})


def _connect(source: Path | Database) -> sqlite3.Connection:
    """A read-only connection to a laptop's database file or a central database (either backend)."""
    if isinstance(source, Path):
        return raw_connect(source, read_only=True)
    if source.path is not None:
        return raw_connect(source.path, read_only=True)
    return source.open(read_only=True).conn


def server_state(database: Database, blob_root: Path) -> str:
    """A hash of everything durable on a server: every table's rows and every stored blob."""
    digest = hashlib.sha256()
    conn = _connect(database)
    try:
        if database.postgres:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                " ORDER BY table_name")]
        else:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            if table in REQUEST_BOOKKEEPING:
                continue
            digest.update(table.encode())
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
    finally:
        conn.close()
    for path in sorted(p for p in blob_root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(blob_root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def device_events(source: Path | Database, device_id: str) -> list[tuple[str, int, int, str]]:
    conn = _connect(source)
    try:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            "SELECT device_id, epoch, seq, hash FROM events WHERE device_id = ? ORDER BY epoch, seq",
            (device_id,))]
    finally:
        conn.close()


@dataclass
class CutPlan:
    """How to cut the next connections: each entry (after N client→server bytes, after N
    server→client bytes); None leaves that direction alone. A cut of the response direction
    means the server received the request (and committed) but the client never hears back."""

    connections: list[tuple[int | None, int | None]] = field(default_factory=list)
    up_cuts: int = 0
    down_cuts: int = 0


class CutProxy:
    """A TCP proxy on loopback that forwards bytes and resets connections where it is told to."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.plan = CutPlan()
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(self, up: int | None = None, down: int | None = None) -> None:
        with self.lock:
            self.plan.connections.append((up, down))

    @property
    def cuts(self) -> int:
        return self.plan.up_cuts + self.plan.down_cuts

    def close(self) -> None:
        self.closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                up, down = self.plan.connections.pop(0) if self.plan.connections else (None, None)
            threading.Thread(target=self._serve, args=(client, up, down), daemon=True).start()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the other pump, blocked in recv on it
        sock.close()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None, done: threading.Event,
              direction: str) -> None:
        moved = 0
        try:
            while not done.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if limit is not None and moved + len(data) >= limit:
                    dst.sendall(data[: max(0, limit - moved)])
                    with self.lock:
                        if direction == "up":
                            self.plan.up_cuts += 1
                        else:
                            self.plan.down_cuts += 1
                    break
                moved += len(data)
                dst.sendall(data)
        except OSError:
            pass
        done.set()

    def _serve(self, client: socket.socket, up: int | None, down: int | None) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            self._reset(client)
            return
        done = threading.Event()
        pumps = [threading.Thread(target=self._pump, args=(client, upstream, up, done, "up"), daemon=True),
                 threading.Thread(target=self._pump, args=(upstream, client, down, done, "down"),
                                  daemon=True)]
        for t in pumps:
            t.start()
        done.wait()
        self._reset(client)
        self._reset(upstream)
