"""Issue 11, defect 9: the server bounds what clients can hold — connections, time and memory.

Idle and half-sent connections are closed after the header and read timeouts; connections above
the limit are turned away at once; the request bodies the server buffers are bounded in total,
so many large pushes at once cannot take the machine's memory."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx

from inspector.central.app import ServerLimits
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from tests.sync.conftest import DeviceFactory
from tests.sync.data import signed
from tests.sync.harness import LiveServer, ServerProcess

LIMITS = ServerLimits(header_timeout_s=1.0, read_timeout_s=1.0, max_connections=64,
                      buffered_body_bytes=48 * 1024 * 1024)


def _closed_by_server(sock: socket.socket, wait: float) -> bool:
    sock.settimeout(wait)
    try:
        return sock.recv(1024) in (b"",) or True  # any answer (408) followed by close counts
    except TimeoutError:
        return False
    except OSError:
        return True


def test_idle_connections_are_closed_after_the_header_timeout(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "server", limits=LIMITS) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        try:
            time.sleep(LIMITS.header_timeout_s + 1.0)
            assert all(_closed_by_server(s, 1.0) for s in [*idle, slow])
            assert httpx.get(server.url + "/health", timeout=5).status_code == 200
        finally:
            for s in [*idle, slow]:
                s.close()


def test_connections_beyond_the_limit_are_turned_away(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "server", limits=LIMITS) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(LIMITS.max_connections)]
        try:
            time.sleep(0.2)
            extra = socket.create_connection(("127.0.0.1", server.port))
            try:
                extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                extra.settimeout(5)
                answer = extra.recv(4096)
            except ConnectionResetError:
                answer = b""  # closed at once: turned away
            finally:
                extra.close()
            assert answer == b"" or answer.startswith(b"HTTP/1.1 503"), answer[:100]
        finally:
            for s in held:
                s.close()
        time.sleep(0.3)
        assert httpx.get(server.url + "/health", timeout=5).status_code == 200


def test_a_body_that_stops_arriving_is_dropped_after_the_read_timeout(tmp_path: Path,
                                                                     make_device: DeviceFactory) -> None:
    with LiveServer(tmp_path / "server", limits=LIMITS) as server:
        ws = make_device()
        server.enroll(ws)
        body = b"x" * 1_000_000
        auth = sign_request(Signer.of(ws.services.ctx.device), "POST", "/sync/v1/events", body,
                            created=int(time.time()))
        head = ("POST /sync/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                f"Content-Length: {len(body)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in auth.items())
                + "\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", server.port))
        try:
            sock.sendall(head + body[:1000])
            start = time.monotonic()
            sock.settimeout(10)
            answer = b""
            try:
                while chunk := sock.recv(4096):
                    answer += chunk
            except OSError:
                pass
            waited = time.monotonic() - start
        finally:
            sock.close()
        assert waited < LIMITS.read_timeout_s + 3, waited
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert signed(ws, server.url, "POST", "/sync/v1/session",
                      b'{"protocol":0,"chains":[]}').status_code == 426  # the server is fine


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_many_large_pushes_at_once_keep_memory_bounded(tmp_path: Path, make_device: DeviceFactory) -> None:
    with ServerProcess(tmp_path / "server", limits=LIMITS) as server:
        ws = make_device()
        server.enroll(ws)
        start_mb = _rss_mb(server.proc.pid)
        body = b'{"format":"inspector.events"}\n' + b"x" * (30 * 1024 * 1024)
        signer = Signer.of(ws.services.ctx.device)
        statuses: list[int] = []

        def push() -> None:
            auth = sign_request(signer, "POST", "/sync/v1/events", body, created=int(time.time()))
            try:
                answer = httpx.post(server.url + "/sync/v1/events", content=body, timeout=120,
                                    headers={**auth, "Content-Type": "application/x-ndjson"})
                statuses.append(answer.status_code)
            except httpx.HTTPError:
                statuses.append(0)

        threads = [threading.Thread(target=push) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = _peak_rss_mb(server.proc.pid)
        assert statuses and all(s in (422, 503) for s in statuses), statuses
        assert peak - start_mb < 200, f"peak {peak:.0f} MB from {start_mb:.0f} MB"
        assert httpx.get(server.url + "/health", timeout=5).status_code == 200
