"""Faults on the wire: connections reset at random byte offsets in both directions (so requests
are cut mid-body and responses are lost after the server committed), corrupted chunks, and an
interrupted reference-data pull. Pass criteria: 0 duplicates, 0 gaps, acknowledged ⇒ stored,
uploads resume at the server's offset and no byte is accepted twice."""

from __future__ import annotations

import contextlib
import random
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from inspector.errors import UserError
from inspector.services.registry import RegistryService
from inspector.workspace import Workspace
from tests.storage import raw_connect
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.harness import CutProxy, LiveServer, device_events

MIN_CUTS = 200
# Bounds, never reached by a working client: a loop that cannot finish fails with its seed.
MAX_ROUNDS = 5_000
MAX_ATTEMPTS = 2_000


def _acked(ws: Workspace) -> dict[tuple[str, int], tuple[int, str]]:
    conn = raw_connect(ws.store.path, read_only=True)
    try:
        return {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(
            "SELECT device_id, epoch, seq, hash FROM sync_acks")}
    finally:
        conn.close()


def _check_prefix(server: LiveServer, ws: Workspace, seed: int) -> int:
    """The server holds a gap-free, duplicate-free prefix of the device's chain, and the device
    never believes the server holds more than it does."""
    device_id = ws.services.ctx.device.device_id
    held = device_events(server.database, device_id)
    local = device_events(ws.store.path, device_id)
    assert held == local[:len(held)], f"seed {seed}: server chain is not a prefix of the device's"
    for (device, _epoch), (seq, hash_) in _acked(ws).items():
        if device == device_id:
            assert seq <= len(held) and held[seq - 1][3] == hash_, f"seed {seed}: ack ahead of server"
    return len(held)


def _attempt(ws: Workspace, proxy: CutProxy, **options: Any) -> bool:
    try:
        ws.services.sync.sync(server_url=proxy.url, retries=0, **options)
        return True
    except UserError:
        return False


def test_push_survives_resets_at_random_offsets(server: LiveServer, make_device: DeviceFactory,
                                               rng: random.Random) -> None:
    seed = rng.randrange(2**32)
    ws = make_device()
    server.enroll(ws)
    insp = record(ws, 120, seed=seed)
    proxy = CutProxy(server.port)
    try:
        push_cuts = rounds = 0
        while push_cuts < MIN_CUTS:
            rounds += 1
            assert rounds <= MAX_ROUNDS, f"seed {seed}: only {push_cuts} cuts in {MAX_ROUNDS} rounds"
            for _attempt_no in range(MAX_ATTEMPTS):
                pending = len(device_events(ws.store.path, ws.services.ctx.device.device_id))
                before = _check_prefix(server, ws, seed)
                if rng.random() < 0.6:
                    proxy.arm(up=rng.randrange(0, 9000))
                else:
                    proxy.arm(down=rng.randrange(0, 2500))
                cuts = proxy.cuts
                ok = _attempt(ws, proxy, batch_events=8)
                if proxy.cuts > cuts and before < pending:
                    push_cuts += 1
                _check_prefix(server, ws, seed)
                if ok and _check_prefix(server, ws, seed) == pending:
                    break
            else:
                pytest.fail(f"seed {seed}: the push never completed in {MAX_ATTEMPTS} attempts")
            subject = insp.subjects[rounds % len(insp.subjects)].id
            with ws.store.batch():
                for n in range(40):
                    ws.services.findings.record(insp.id, f"LD-0{1 + n % 9}", subject, level=n % 4,
                                                note=f"vòng {rounds} lần {n}")
        assert ws.services.sync.sync(server_url=proxy.url).attempts == 1
    finally:
        proxy.close()
    device_id = ws.services.ctx.device.device_id
    held = device_events(server.database, device_id)
    assert held == device_events(ws.store.path, device_id), f"seed {seed}"
    assert _acked(ws)[(device_id, 1)] == (held[-1][2], held[-1][3]), f"seed {seed}"
    assert proxy.plan.up_cuts and proxy.plan.down_cuts
    print(f"push: {push_cuts} cuts while events were pending, {rounds} rounds")


def test_uploads_resume_at_the_server_offset(server: LiveServer, make_device: DeviceFactory,
                                            rng: random.Random) -> None:
    seed = rng.randrange(2**32)
    ws = make_device()
    server.enroll(ws)
    chunk = 32 * 1024
    insp = record(ws, 2, photos=3, photo_size=700_000, seed=seed)
    cancel = threading.Event()
    with contextlib.suppress(UserError):  # events first: stop as soon as uploads start
        ws.services.sync.sync(lambda p: cancel.set() if p.phase == "blobs" else None, cancel)
    proxy = CutProxy(server.port)
    upload_cuts = 0
    try:
        while upload_cuts < MIN_CUTS:
            while ws.services.sync.overview().unsent_blobs:
                if rng.random() < 0.7:
                    proxy.arm(up=rng.randrange(0, 3 * chunk))
                else:
                    proxy.arm(down=rng.randrange(0, 1500))
                cuts = proxy.cuts
                _attempt(ws, proxy, chunk_size=chunk)
                upload_cuts += proxy.cuts - cuts
            if upload_cuts < MIN_CUTS:
                record(ws, 1, photos=2, photo_size=500_000, seed=rng.randrange(2**32), inspection=insp)
    finally:
        proxy.close()
    ws.services.sync.sync()
    stats = server.central.uploads.stats
    sizes = {r[0]: r[1] for r in ws.store.conn.execute("SELECT sha256, size FROM evidence")}
    assert stats.conflicts == 0, f"seed {seed}: a chunk was sent at an offset the server did not hold"
    for sha, size in sizes.items():
        assert stats.received.get(sha, 0) <= size, f"seed {seed}: bytes of {sha[:12]} accepted twice"
        assert server.central.vault.verify(sha, size)
    assert not list(server.central.vault.tmp.glob("upload-*")), "leftover partial uploads"
    assert server.call(lambda c: c.store.scalar("SELECT count(*) FROM uploads")) == 0
    assert all(s.state == "complete" for s in ws.services.sync.inspection_statuses().values())
    print(f"upload: {upload_cuts} cuts")


class _Corrupting(httpx.HTTPTransport):
    """Flips one bit of some upload chunks after they were signed (corruption in transit)."""

    def __init__(self, rate: float, rng: random.Random) -> None:
        super().__init__()
        self.rate, self.rng, self.flipped = rate, rng, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.rng.random() < self.rate:
            body = bytearray(request.read())
            if body:
                body[self.rng.randrange(len(body))] ^= 1 << self.rng.randrange(8)
                self.flipped += 1
                request = httpx.Request(request.method, request.url, headers=request.headers,
                                        content=bytes(body))
        return super().handle_request(request)


def test_corrupted_chunks_are_caught_and_resent(server: LiveServer, make_device: DeviceFactory,
                                               rng: random.Random) -> None:
    ws = make_device()
    server.enroll(ws)
    record(ws, 2, photos=2, photo_size=600_000, seed=rng.randrange(2**32))
    transport = _Corrupting(0.2, rng)
    ws.services.sync.sync(chunk_size=16 * 1024, transport=transport)
    stats = server.central.uploads.stats
    assert transport.flipped > 0 and stats.checksum_failures == transport.flipped
    for sha, size in ws.store.conn.execute("SELECT sha256, size FROM evidence"):
        assert server.central.vault.verify(sha, size)
        assert stats.received[sha] == size


def test_reference_data_pull_survives_cuts(server: LiveServer, make_device: DeviceFactory,
                                          rng: random.Random) -> None:
    def add_units(central: Any) -> None:
        registry = RegistryService(central.ctx)
        parent = registry.add_unit("Thành phố Hà Nội", "city")
        for n in range(400):
            registry.add_unit(f"Phường số {n}", "ward", parent_id=parent.id)

    server.call(add_units)
    ws = make_device()
    server.enroll(ws)
    proxy = CutProxy(server.port)
    server_id = server.central.server_id
    expected = device_events(server.database, server_id)
    try:
        cuts = 0
        for _attempt_no in range(MAX_ATTEMPTS):
            proxy.arm(up=rng.randrange(0, 2000)) if rng.random() < 0.5 else proxy.arm(
                down=rng.randrange(0, 30_000))
            before = proxy.cuts
            done = _attempt(ws, proxy, page_size=25)
            cuts += proxy.cuts - before
            held = device_events(ws.store.path, server_id)
            assert held == expected[:len(held)]  # the cursor never passes applied data
            if done and len(held) == len(expected):
                break
        else:
            pytest.fail(f"the pull never completed in {MAX_ATTEMPTS} attempts")
    finally:
        proxy.close()
    assert cuts > 5
    report = ws.services.verify_events()
    assert report.ok, report.projection_problems
    names = {r[0] for r in ws.store.conn.execute("SELECT name FROM units")}
    assert {f"Phường số {n}" for n in range(400)} <= names
    assert Path(ws.store.path).exists()
