"""The one retry policy (waits end at once on cancel, refusals are not retried) and the sync lock
across processes (a lock held by another process refuses; it dies with its process)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inspector.errors import UserError
from inspector.sync.progress import SyncCancelled
from inspector.sync.retry import RetryPolicy
from tests.sync.conftest import DeviceFactory
from tests.sync.harness import LiveServer, wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_transient_failures_are_retried_and_refusals_are_not() -> None:
    calls: list[int] = []

    def flaky(attempt: int) -> str:
        calls.append(attempt)
        if attempt < 3:
            raise ConnectionError("cut")
        return "ok"

    policy = RetryPolicy(attempts=4, initial_s=0.001, max_s=0.01, jitter_s=0)
    assert policy.call(flaky, retry_if=lambda e: isinstance(e, ConnectionError)) == "ok"
    assert calls == [1, 2, 3]
    calls.clear()
    with pytest.raises(ValueError):
        policy.call(lambda n: calls.append(n) or (_ for _ in ()).throw(ValueError("refused")),
                    retry_if=lambda e: isinstance(e, ConnectionError))
    assert calls == [1]
    with pytest.raises(ConnectionError):  # attempts run out: the last error, as it is
        policy.call(lambda n: (_ for _ in ()).throw(ConnectionError(str(n))),
                    retry_if=lambda e: isinstance(e, ConnectionError))


def test_cancel_ends_a_back_off_wait_at_once(server: LiveServer, make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    cancel = threading.Event()
    url = f"http://127.0.0.1:{_free_port()}"  # nobody listens: every attempt fails at once
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(SyncCancelled):
        ws.services.sync.sync(cancel=cancel, server_url=url, retries=5, backoff_s=20.0)
    assert time.monotonic() - started < 5.0  # not the 20 s back-off


def test_the_sync_lock_holds_across_processes_and_dies_with_its_holder(server: LiveServer,
                                                                        make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    lock_path = ws.store.path.with_name("sync.lock")
    code = ("import sys, time; from pathlib import Path; from inspector.sync.lock import sync_lock\n"
            f"with sync_lock(Path({str(lock_path)!r})):\n    print('held', flush=True); time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match="khác chạy"):
            ws.services.sync.sync()
    finally:
        holder.kill()  # as a crash or a power cut would: no stale lock stays behind
        holder.wait(timeout=30)
    assert wait_until(lambda: _syncs(ws), 10)


def _syncs(ws: object) -> bool:
    try:
        ws.services.sync.sync()  # type: ignore[attr-defined]
    except UserError:
        return False
    return True
