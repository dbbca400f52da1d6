"""Power cuts while a plain data directory of an older version is encrypted in place.

Each round copies the same plain directory onto powerfs, forks a child that opens it (which
encrypts it), and cuts the power at a random moment of that migration (every other cut keeps a
random part of the unsynced writes). After the cut the directory must open, with every event and
every evidence file of the plain directory, nothing plain left behind once it has opened.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from inspector.store.db import is_plain_sqlite, open_store
from inspector.vault import Vault
from inspector.workspace import Workspace
from tests.core.test_at_rest import make_plain_data_dir
from tests.powerloss.powerfs import PowerFS

ROUNDS = int(os.environ.get("INSPECTOR_POWERLOSS_MIGRATION_CUTS", "24"))


def _migrate_in_child(data_dir: Path) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            Workspace.open(data_dir).close()
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    return pid


def _prepare(root: Path) -> tuple[Path, list[str], int]:
    plain = root / "plain"
    hashes = make_plain_data_dir(plain)
    vault = Vault(plain / "vault")  # more files, so that the migration takes a while
    extra = [vault.put_bytes(random.Random(n).randbytes(150_000)) for n in range(30)]
    store = open_store(plain / "inspector.db")
    with store.transaction() as conn:  # blobs the vault holds (as after a team merge), not referenced
        for blob in extra:
            conn.execute("INSERT INTO blobs (sha256, size, state, stored_at) VALUES (?, ?, 'ok', '2026-11-01')",
                         (blob.sha256, blob.size))
    store.close()
    return plain, hashes, 3 + len(extra)


@pytest.mark.slow
@pytest.mark.powerloss
def test_power_cuts_during_the_encryption_of_a_plain_directory(tmp_path: Path, powerfs_binary: Path) -> None:
    seed = int(os.environ.get("INSPECTOR_POWERLOSS_SEED", str(random.randrange(1 << 30))))
    print(f"migration power-loss seed {seed}")
    rng = random.Random(seed)
    plain, hashes, blob_count = _prepare(tmp_path)
    with PowerFS(powerfs_binary, tmp_path / "mnt") as fs:
        timing = fs.copy_in(plain, "timing")
        start = time.monotonic()
        Workspace.open(timing).close()
        duration = time.monotonic() - start
        completed = 0
        for n in range(ROUNDS):
            data_dir = fs.copy_in(plain, f"round-{n}")
            pid = _migrate_in_child(data_dir)
            deadline = time.monotonic() + rng.uniform(0, duration * 1.2)
            finished = False
            while time.monotonic() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"round {n}: migration failed"
                    finished = True
                    break
                time.sleep(0.002)
            if not finished:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            completed += finished
            fs.cut(rng.randrange(1 << 30) if n % 2 else None)
            where = f"round {n} (seed {seed})"
            with Workspace.open(data_dir) as ws:
                assert ws.store.scalar("PRAGMA integrity_check") == "ok", where
                got = [r[0] for r in ws.store.conn.execute("SELECT hash FROM events ORDER BY local_order")]
                assert got[:len(hashes)] == hashes, f"{where}: events lost in the migration"
                assert ws.services.verify_events().ok, where
                assert ws.services.evidence.verify_all().ok, where
                held = [r[0] for r in ws.store.conn.execute("SELECT sha256 FROM blobs")]
                assert len(held) >= blob_count and all(ws.services.ctx.vault.verify(s) for s in held), where
            assert not is_plain_sqlite(data_dir / "inspector.db") and not (data_dir / "vault").exists(), where
    print(f"{ROUNDS} cuts, {completed} migrations finished before their cut (whole migration {duration:.2f} s)")
    assert completed < ROUNDS, "every cut came after the migration: the test cut nothing"
