"""Crash test: a child records findings and evidence and is SIGKILLed at random moments.

Every action it reported as committed must be present; the database must pass integrity_check;
`events verify` must pass; no evidence reference may point at a missing or mismatching file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("INSPECTOR_CRASH_RUNS", "50"))


def _run_and_kill(data_dir: Path, seed: int, rng: random.Random) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.core.crash_worker", str(data_dir), str(seed)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    ready = child.stdout.readline()
    assert ready.strip() == "READY", child.stderr.read() if child.stderr else ready
    time.sleep(rng.uniform(0.05, 0.8))
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err
    # Only complete lines count: a line cut by the kill was never acknowledged.
    return [line for line in out.splitlines(keepends=True) if line.endswith("\n")]


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_committed_action(tmp_path: Path) -> None:
    seed = int(os.environ.get("INSPECTOR_CRASH_SEED", str(random.randrange(1 << 30))))
    print(f"crash test seed {seed}")
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    acknowledged_events: set[str] = set()
    acknowledged_evidence: dict[str, str] = {}
    for run in range(RUNS):
        for line in _run_and_kill(data_dir, seed + run, rng):
            kind, *rest = line.split()
            if kind == "FINDING":
                acknowledged_events.add(rest[0])
            elif kind == "EVIDENCE":
                acknowledged_evidence[rest[0]] = rest[1]
        # Every restart must open cleanly, and every acknowledged action must be there.
        with Workspace.open(data_dir) as ws:
            store = ws.services.ctx.store
            assert store.scalar("PRAGMA integrity_check") == "ok", f"run {run}, seed {seed}"
            hashes = {r[0] for r in store.conn.execute("SELECT hash FROM events")}
            missing = acknowledged_events - hashes
            assert not missing, f"run {run}: {len(missing)} acknowledged findings lost (seed {seed})"
            stored = dict(store.conn.execute("SELECT id, sha256 FROM evidence").fetchall())
            for evidence_id, sha in acknowledged_evidence.items():
                assert stored.get(evidence_id) == sha, f"run {run}: evidence {evidence_id} lost"
    assert len(acknowledged_events) > RUNS, "the child should have committed many actions"
    assert acknowledged_evidence, "the child should have attached evidence"
    with Workspace.open(data_dir) as ws:
        report = ws.services.verify_events()
        assert report.ok, [p.render() for p in report.chain_problems + report.projection_problems]
        blobs = ws.services.evidence.verify_all()
        assert blobs.ok, blobs.bad  # no reference to a missing or mismatching file
        ws.services.evidence.collect_garbage(older_than_s=0)
        assert not list((data_dir / "evidence" / "tmp").iterdir())
        assert ws.services.evidence.verify_all().ok
