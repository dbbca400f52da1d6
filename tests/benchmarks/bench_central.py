"""Issue 11 benchmarks: the central server as its store grows and while it is under attack.

* A push of 2,000 events from an offline device (its events are older than the newest stored:
  the scoped re-projection path) into a store of 1,000,000 events, against the same push into an
  empty store, in the same run. Target: ≤ 2× (the push costs what it touches, not the store).
* `/health` while a big push and a hostile enrollment body (64 KiB, quadratic for a regex) are
  being processed, against `/health` on the idle server. Target: ≤ 100 ms.
The server runs in its own process, as in production. `--quick` uses a 20,000-event store.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inspector.store.device import device_id_for
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from inspector.sync.push import EventPusher
from inspector.workspace import Workspace
from tests.benchmarks.central_store import copy_of
from tests.benchmarks.harness import Result, percentile
from tests.sync.conftest import ShiftClock
from tests.sync.data import record
from tests.sync.harness import ServerProcess

OFFLINE = ShiftClock(timedelta(days=-1))  # recorded a day ago, offline: older than the store's newest


def _device(root: Path, events: int) -> Path:
    """A laptop holding `events` events of its own (an inspection recorded a day ago)."""
    with Workspace.open(root, clock=OFFLINE) as ws:
        have = ws.store.scalar("SELECT count(*) FROM events")
        record(ws, max(1, events - have - 25), subjects=10)
        return root


def _push_once(server_dir: Path, device_src: Path, work: Path, name: str) -> float:
    """Seconds for the device's push alone (session, batches, acknowledgements) to this server:
    the reference data a big store sends back on the first sync is not what is measured here."""
    device_dir = work / f"device-{name}"
    shutil.copytree(device_src, device_dir)
    with ServerProcess(server_dir) as server, Workspace.open(device_dir, clock=OFFLINE) as ws:
        server.enroll(ws)
        client = ws.services.sync.client()
        link = ws.services.sync.link()
        assert link is not None
        with client._transport_for(server.url, link) as http:
            pusher = EventPusher(client.ctx, http, link)
            session = pusher.open_session()
            start = time.perf_counter()
            sent, _ = pusher.push(session, lambda p: None, threading.Event())
            took = time.perf_counter() - start
        assert sent > 0
        ws.services.sync.sync()  # and the whole sync goes through
        assert all(s.state == "complete" for s in ws.services.sync.inspection_statuses().values())
    return took


def bench_push_into_big_store(root: Path, quick: bool) -> list[Result]:
    store_events, push = (20_000, 500) if quick else (1_000_000, 2_000)
    device = _device(root / "device", push)
    empty, big = [], []
    for n in range(1 if quick else 2):  # best of two: the machine is shared
        empty.append(_push_once(root / f"empty-{n}", device, root, f"e{n}"))
        big.append(_push_once(copy_of(store_events, root / f"big-{n}"), device, root, f"b{n}"))
        shutil.rmtree(root / f"big-{n}")
    ours, base = min(big) * 1000, min(empty) * 1000
    return [Result(f"push {push} offline events into {store_events:,} events", ours, base, "ms",
                   "the same push into an empty store", "≤ 2×", ours <= 2 * base)]


def _hostile_enroll(url: str) -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    body = b"[" * 40 + b'\\"' * 32_000
    auth = sign_request(Signer(device_id_for(public), public, private), "POST", "/sync/v1/enroll", body,
                        created=int(time.time()))
    httpx.post(url + "/sync/v1/enroll", content=body, headers=auth, timeout=120)


_PROBE = """
import json, pathlib, sys, time
import httpx
url, stop = sys.argv[1], pathlib.Path(sys.argv[2])
out = []
with httpx.Client(timeout=30) as client:
    while not stop.exists():
        start = time.perf_counter()
        client.get(url + "/health").raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
        time.sleep(0.01)
print(json.dumps(out))
"""


def _probe(url: str, seconds: float | None, stop: Path, work: Callable[[], None] | None = None) -> list[float]:
    """`/health` latencies measured from a process of its own (the pushing client in this process
    competes for this interpreter's lock, not the server's), while `work` runs or for `seconds`."""
    prober = subprocess.Popen([sys.executable, "-c", _PROBE, url, str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        if work is not None:
            work()
        if seconds:
            time.sleep(seconds)
    finally:
        stop.touch()
        out, _ = prober.communicate(timeout=60)
    return [float(v) for v in json.loads(out)]


def bench_health_under_load(root: Path, quick: bool) -> list[Result]:
    push = 2_000 if quick else 20_000
    device_dir = _device(root / "loaded-device", push)
    with ServerProcess(copy_of(20_000, root / "loaded-server")) as server, \
            Workspace.open(device_dir, clock=OFFLINE) as ws:
        server.enroll(ws)
        idle = _probe(server.url, 1.0, root / "stop-idle")
        done = threading.Event()

        def attack() -> None:
            while not done.is_set():
                _hostile_enroll(server.url)

        def push_under_attack() -> None:
            attackers = [threading.Thread(target=attack) for _ in range(3)]
            for a in attackers:
                a.start()
            try:
                ws.services.sync.sync(batch_events=2_000)  # the big push: requests of 2,000 events
            finally:
                done.set()
                for a in attackers:
                    a.join()

        busy = _probe(server.url, None, root / "stop-busy", push_under_attack)
    worst, typical = max(busy), statistics.median(idle)
    return [Result(f"/health during a {push}-event push + hostile bodies, max", worst, typical, "ms",
                   f"/health on the idle server, median (busy p99 {percentile(busy, 99):.1f} ms)",
                   "≤ 100 ms", worst <= 100)]


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp:
        root = Path(tmp)
        return bench_push_into_big_store(root, quick) + bench_health_under_load(root, quick)
