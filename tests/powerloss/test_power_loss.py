"""Power loss: the laptop's data directory, its vault, the central store and the USB stick all
live on powerfs, which forgets every unsynced write at a cut (in part, with reordering, every
other cut). A child records findings, evidence, signed minutes and sync rounds; the power goes at
random moments (sometimes while it is still opening the data directory). After every cut:

* every action the child reported as committed is there;
* `PRAGMA integrity_check` is ok on both databases and `events verify` passes on the laptop;
* no evidence or document references a missing or damaged file;
* the central store holds everything a receipt promised, and the laptop's acknowledgements never
  go back.

INSPECTOR_POWERLOSS_CUTS sets the number of cuts (default 200, in batches of 25 per mount);
INSPECTOR_POWERLOSS_SEED replays a run.
"""

from __future__ import annotations

import os
import random
import select
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from inspector.central.server import Central
from inspector.store.audit import verify_store
from inspector.workspace import Workspace
from tests.factories import make_inspection
from tests.powerloss.powerfs import PowerFS
from tests.powerloss.worker import spawn
from tests.signing.pki import PASSPHRASE, make_pki
from tests.sync.harness import LiveServer

CUTS = int(os.environ.get("INSPECTOR_POWERLOSS_CUTS", "200"))
BATCH = 25


@dataclass
class Promises:
    findings: set[str] = field(default_factory=set)
    evidence: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    central_chains: dict[tuple[str, int], int] = field(default_factory=dict)
    central_blobs: set[str] = field(default_factory=set)
    acks: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, lines: list[str]) -> None:
        for line in lines:
            kind, *rest = line.split()
            if kind == "FINDING":
                self.findings.add(rest[0])
            elif kind == "EVIDENCE":
                self.evidence[rest[0]] = rest[1]
            elif kind == "DOCUMENT":
                self.documents[rest[0]] = rest[1]
            elif kind == "CENTRAL":
                chain = (rest[0], int(rest[1]))
                self.central_chains[chain] = max(self.central_chains.get(chain, 0), int(rest[2]))
                self.central_blobs.update(b for b in rest[3].split(",") if b != "-")
            elif kind == "ACK":
                chain = (rest[0], int(rest[1]))
                self.acks[chain] = max(self.acks.get(chain, 0), int(rest[2]))

    def count(self) -> int:
        return len(self.findings) + len(self.evidence) + len(self.documents) + len(self.acks)


def prepare(tmp: Path) -> tuple[Path, Path]:
    """A laptop data directory with an open inspection, enrolled on a central store (on disk)."""
    template = tmp / "template"
    p12 = tmp / "nguyen-van-hung.p12"
    p12.write_bytes(make_pki().signer.pkcs12(PASSPHRASE))
    with Workspace.open(template / "laptop") as ws, LiveServer(template / "central") as server:
        make_inspection(ws.services, subjects=6)
        server.enroll(ws)
    (template / "stick").mkdir()
    return template, p12


def _read_lines(fd: int, until: float, stop_at_ready: bool) -> tuple[bytes, bool]:
    """Read the worker's pipe until `until` (monotonic), or until READY when asked."""
    data = b""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return data, False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return data, False
        chunk = os.read(fd, 65536)
        if not chunk:
            return data, True
        data += chunk
        if stop_at_ready and b"READY\n" in data:
            return data, False


def run_child(root: Path, seed: int, p12: Path, rng: random.Random) -> list[str]:
    pid, fd = spawn(root, seed, p12, PASSPHRASE)
    try:
        data = b""
        ended = False
        if rng.random() < 0.1:  # the power goes while the app is still opening its data
            data, ended = _read_lines(fd, time.monotonic() + rng.uniform(0.0, 0.4), stop_at_ready=False)
        else:
            data, ended = _read_lines(fd, time.monotonic() + 60, stop_at_ready=True)
            assert b"READY\n" in data, f"the worker did not start: {data.decode()}"
            if not ended:
                # Mostly short runs; one in eight long enough to issue signed minutes (render + PAdES).
                window = rng.uniform(0.6, 2.5) if rng.random() < 0.125 else rng.uniform(0.02, 0.6)
                more, ended = _read_lines(fd, time.monotonic() + window, stop_at_ready=False)
                data += more
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        while chunk := os.read(fd, 65536):
            data += chunk
    finally:
        os.close(fd)
    text = data.decode()
    assert "ERROR" not in text and os.WIFSIGNALED(status), f"the worker failed before the cut:\n{text}"
    # Only complete lines count: a line cut by the power was never acknowledged.
    return [line for line in text.splitlines(keepends=True) if line.endswith("\n") and line.strip() != "READY"]


def check_laptop(path: Path, promises: Promises, where: str) -> None:
    with Workspace.open(path) as ws:
        store = ws.store
        assert store.scalar("PRAGMA integrity_check") == "ok", where
        hashes = {r[0] for r in store.conn.execute("SELECT hash FROM events")}
        lost = promises.findings - hashes
        assert not lost, f"{where}: {len(lost)} committed findings lost"
        evidence = dict(store.conn.execute("SELECT id, sha256 FROM evidence").fetchall())
        for evidence_id, sha in promises.evidence.items():
            assert evidence.get(evidence_id) == sha, f"{where}: evidence {evidence_id} lost"
        documents = dict(store.conn.execute("SELECT id, current_sha256 FROM documents").fetchall())
        for document_id, sha in promises.documents.items():
            assert documents.get(document_id) == sha, f"{where}: document {document_id} lost"
        prepared = {r[0] for r in store.conn.execute("SELECT prepared_sha256 FROM documents")}
        for sha in set(documents.values()) | prepared:
            assert ws.services.ctx.vault.verify(sha), f"{where}: a document's PDF is missing or damaged"
        acks = {(r[0], r[1]): r[2] for r in store.conn.execute("SELECT device_id, epoch, seq FROM sync_acks")}
        for chain, seq in promises.acks.items():
            assert acks.get(chain, 0) >= seq, f"{where}: the acknowledgement of {chain} went back"
        report = ws.services.verify_events()
        assert report.ok, [p.render() for p in report.chain_problems + report.projection_problems]
        blobs = ws.services.evidence.verify_all()
        assert blobs.ok, f"{where}: evidence references a missing or damaged file: {blobs.bad}"


def check_central(path: Path, promises: Promises, where: str, *, full: bool) -> None:
    central = Central(path)
    try:
        conn = central.store.conn
        assert central.store.scalar("PRAGMA integrity_check") == "ok", where
        for (device, epoch), seq in promises.central_chains.items():
            held = conn.execute("SELECT count(*), max(seq) FROM events WHERE device_id = ? AND epoch = ?",
                                (device, epoch)).fetchone()
            assert held[0] == held[1] and held[1] >= seq, f"{where}: the central store lost events of {device}"
        for sha in promises.central_blobs:
            assert central.vault.verify(sha), f"{where}: the central store lost blob {sha}"
        if full:
            report = verify_store(central.store, scratch_dir=central.vault.tmp)
            assert report.ok, [p.render() for p in report.chain_problems + report.projection_problems]
    finally:
        central.close()


@pytest.mark.slow
@pytest.mark.powerloss
def test_power_cuts_at_random_moments_lose_nothing_committed(tmp_path: Path, powerfs_binary: Path) -> None:
    seed = int(os.environ.get("INSPECTOR_POWERLOSS_SEED", str(random.randrange(1 << 30))))
    print(f"power-loss seed {seed}, {CUTS} cuts")
    rng = random.Random(seed)
    template, p12 = prepare(tmp_path)
    done = 0
    totals = Promises()
    batch = 0
    while done < CUTS:
        with PowerFS(powerfs_binary, tmp_path / f"mnt-{batch}") as fs:
            for name in ("laptop", "central", "stick"):
                fs.copy_in(template / name, name)
            promises = Promises()
            for _ in range(min(BATCH, CUTS - done)):
                where = f"cut {done + 1} (seed {seed})"
                promises.add(run_child(fs.root, rng.randrange(1 << 30), p12, rng))
                fs.cut(rng.randrange(1 << 30) if done % 2 else None)
                check_laptop(fs.root / "laptop", promises, where)
                check_central(fs.root / "central", promises, where, full=False)
                done += 1
            check_central(fs.root / "central", promises, f"batch {batch} (seed {seed})", full=True)
            counters = fs.counters()
            assert counters["cuts"] == min(BATCH, CUTS - BATCH * batch) and counters["fsync"] > 0
        for name in ("findings", "evidence", "documents", "acks"):
            getattr(totals, name).update(getattr(promises, name))
        batch += 1
    print(f"promises kept: {len(totals.findings)} findings, {len(totals.evidence)} evidence files, "
          f"{len(totals.documents)} documents, {len(totals.acks)} acknowledged chains")
    assert len(totals.findings) > CUTS, "the worker should have committed many findings"
    assert totals.evidence and totals.documents and totals.acks, "every kind of action should have run"
