"""Issue 5 benchmarks: push over loopback against a raw upload of the same bytes to the same server,
a sync with nothing new, bundle export+import against a plain file copy, and merging late foreign
events (scoped re-projection) against a full rebuild."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import httpx

from inspector.central.bundles import import_bundle
from inspector.store.db import open_scratch
from inspector.sync.keys import Signer
from inspector.sync.merge import ingest, rebuild_all
from inspector.workspace import Workspace
from tests.benchmarks.harness import Result, percentile, timed
from tests.sync.data import record
from tests.sync.harness import LiveServer, ServerProcess
from tests.sync.test_merge import _deliver, _snapshot

MB = 1024 * 1024


def _evidence(ws: Workspace, total: int, size: int) -> None:
    insp = ws.store.scalar("SELECT id FROM inspections")
    for n in range(total // size):
        ws.services.evidence.attach_bytes(insp, b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8), f"anh-{n}.png")


def _raw_upload(url: str, files: list[Path], events: bytes) -> float:
    """Baseline: the same bytes, streamed to the same server with no protocol at all."""
    start = time.perf_counter()
    with httpx.Client(timeout=120, verify=False) as client:
        client.post(url + "/bench/raw", content=events).raise_for_status()
        for path in files:
            with path.open("rb") as fh:
                client.post(url + "/bench/raw", content=iter(lambda fh=fh: fh.read(MB), b"")).raise_for_status()
    return time.perf_counter() - start


def bench_push(root: Path, quick: bool) -> list[Result]:
    """Best of two rounds (each: a fresh server and a fresh copy of the same device) against the
    best of two raw uploads: the machine is shared, so single runs are noisy."""
    findings, total, size = (100, 4 * MB, MB) if quick else (1000, 200 * MB, 5 * MB)
    with Workspace.open(root / "dev") as ws:
        record(ws, findings)
        _evidence(ws, total, size)
        files = [ws.services.ctx.vault.path_for(r[0]) for r in ws.store.conn.execute(
            "SELECT sha256 FROM evidence")]
        events = b"".join(r[0].encode() for r in ws.store.conn.execute("SELECT payload FROM events"))
    payload = sum(p.stat().st_size for p in files) + len(events)
    ours: list[float] = []
    raw: list[float] = []
    idle: list[float] = []
    for n in range(2):
        shutil.copytree(root / "dev", root / f"dev{n}")
        with ServerProcess(root / f"server{n}", raw_upload=True) as server, \
                Workspace.open(root / f"dev{n}") as device:
            server.enroll(device)
            start = time.perf_counter()
            result = device.services.sync.sync()
            ours.append(time.perf_counter() - start)
            assert result.blobs_uploaded == len(files)
            raw.append(_raw_upload(server.url, files, events))
            idle += timed(lambda device=device: device.services.sync.sync(), 5 if quick else 10)
            with httpx.Client(verify=False) as client:
                ping = timed(lambda client=client, url=server.url: client.get(url + "/health"), 20)
    ours_mbs, raw_mbs = payload / MB / min(ours), payload / MB / min(raw)
    idle_p50 = percentile(idle, 50)
    label = f"{findings} findings + {total // MB} MB evidence"
    return [
        Result(f"push {label}", ours_mbs, raw_mbs, "MB/s", "raw streaming POST of the same bytes",
               "(quick: too small to judge)" if quick else "≥ 0.5× raw",
               quick or ours_mbs >= 0.5 * raw_mbs),
        Result("sync with nothing new, p50", idle_p50, percentile(ping, 50), "ms",
               "GET /health round trip", "≤ 200 ms", idle_p50 <= 200),
    ]


def bench_bundle(root: Path, quick: bool) -> list[Result]:
    findings, total, size = (100, 4 * MB, MB) if quick else (1000, 100 * MB, 5 * MB)
    with LiveServer(root / "bserver") as server, Workspace.open(root / "bdev") as ws:
        server.enroll(ws)
        record(ws, findings)
        _evidence(ws, total, size)
        stick = root / "stick"
        stick.mkdir()
        start = time.perf_counter()
        exported = ws.services.sync.export_bundle(stick / "goi.inspb")
        export_s = time.perf_counter() - start
        start = time.perf_counter()
        server.call(lambda c: import_bundle(c, stick / "goi.inspb"))
        import_s = time.perf_counter() - start
        start = time.perf_counter()
        for target in (stick / "copy.bin", root / "copy-back.bin"):  # to the stick, then off it
            shutil.copyfile(stick / "goi.inspb", target)
            with target.open("rb+") as fh:
                os.fsync(fh.fileno())
        copy_s = time.perf_counter() - start
    mb = exported.bytes / MB
    return [Result(f"bundle export+import {mb:.0f} MB (read back, verified)", (export_s + import_s) * 1000,
                   copy_s * 1000, "ms", "plain file copy there and back, fsynced", "(reported)", True)]


def bench_merge(root: Path, quick: bool) -> list[Result]:
    """A late device's events sort before everything already applied: scoped re-projection."""
    inspections, findings = (3, 40) if quick else (20, 200)
    late = Workspace.open(root / "late")
    record(late, findings, subjects=3)
    busy = Workspace.open(root / "busy")
    first = record(busy, findings, subjects=3)
    for n in range(1, inspections):
        record(busy, findings, seed=n, inspection=busy.services.inspections.duplicate(first.id))
    signers = {ws.services.ctx.device.device_id: Signer.of(ws.services.ctx.device) for ws in (late, busy)}
    keys = {d: s.public_key for d, s in signers.items()}
    receiver = open_scratch(root / "receiver.db")
    _deliver(receiver, _snapshot(busy, signers), keys)
    batch = _snapshot(late, signers)
    start = time.perf_counter()
    with receiver.transaction() as conn:
        result = ingest(conn, batch, keys=keys.get, server_id=None)
    scoped = time.perf_counter() - start
    assert result.scopes_rebuilt and not result.full_rebuild
    start = time.perf_counter()
    with receiver.transaction() as conn:
        rebuild_all(conn)
    full = time.perf_counter() - start
    count = receiver.scalar("SELECT count(*) FROM events")
    for closing in (receiver, late, busy):
        closing.close()
    return [Result(f"merge late device into {count} events (scoped)", scoped * 1000, full * 1000, "ms",
                   "full rebuild of the projection", "(reported)", True)]


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        return bench_push(root, quick) + bench_bundle(root, quick) + bench_merge(root, quick)
