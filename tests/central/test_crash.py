"""Three server processes on three ports over one PostgreSQL database and one blob directory;
30 devices sync round-robin through them with connections cut at random points, and one process
is killed with SIGKILL midway. Afterwards: 0 duplicate events, 0 gaps, 0 lost or damaged blobs,
and every device's acknowledged heads match the server's (issue 15)."""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from pathlib import Path

import pytest

from inspector.central import admin
from inspector.central.auth import create_token
from inspector.central.schema import missing_blobs
from inspector.central.server import Central
from inspector.central.storage import Database
from inspector.errors import UserError
from inspector.workspace import Workspace
from tests.central.pg import PgServer
from tests.storage import raw_connect
from tests.sync.data import record
from tests.sync.harness import CutProxy, ServerProcess, device_events

DEVICES = 30
ROUNDS = 3
WORKERS = 6


def _acked(ws: Workspace) -> dict[tuple[str, int], tuple[int, str]]:
    conn = raw_connect(ws.store.path, read_only=True)
    try:
        return {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT device_id, epoch, seq, hash FROM sync_acks")}
    finally:
        conn.close()


@pytest.mark.slow
def test_three_processes_thirty_devices_cuts_and_a_kill(tmp_path: Path, pg_server: PgServer) -> None:
    seed = int(os.environ.get("SYNC_SEED") or random.randrange(2**32))
    print(f"random seed: {seed} (replay with SYNC_SEED={seed})")
    rng = random.Random(seed)
    database = Database(url=pg_server.create_database("crash"))
    data_dir = tmp_path / "server"
    office = Central(data_dir, database=database)  # the store, the server identity, the tokens
    tokens = [create_token(office.store, f"doan-{n % 5}", office.clock).token for n in range(DEVICES)]
    with contextlib.ExitStack() as stack:
        procs = [stack.enter_context(ServerProcess(data_dir, database=database)) for _ in range(3)]
        proxies = [CutProxy(p.port) for p in procs]
        for proxy in proxies:
            stack.callback(proxy.close)
        alive = [True, True, True]
        cuts = [0]
        lock, opening = threading.Lock(), threading.Lock()
        results: dict[str, tuple[list[tuple[str, int, int, str]], tuple[int, str] | None]] = {}
        failures: list[BaseException] = []

        def attempt(ws: Workspace, n: int, round_: int, cut: bool) -> bool:
            choices = [i for i in range(3) if alive[i]]
            proxy = proxies[choices[(n + round_) % len(choices)]]
            with lock:
                if cut and rng.random() < 0.5:
                    if rng.random() < 0.6:
                        proxy.arm(up=rng.randrange(0, 40_000))
                    else:
                        proxy.arm(down=rng.randrange(0, 3_000))
                    cuts[0] += 1
            try:
                ws.services.sync.sync(server_url=proxy.url, retries=0)
                return True
            except UserError:
                return False

        def kill_one() -> None:
            def later() -> None:
                time.sleep(1.0)
                procs[1].proc.kill()  # SIGKILL in the middle of round 2
                procs[1].proc.wait()
                alive[1] = False
            threading.Thread(target=later, daemon=True).start()

        rounds = [threading.Barrier(WORKERS, action=kill_one if r == 1 else None) for r in range(ROUNDS)]

        def worker(w: int) -> None:  # a laptop's store is used by the thread that opened it
            mine: dict[int, Workspace] = {}
            try:
                inspections = {}
                for n in range(w, DEVICES, WORKERS):
                    with opening:  # the tests' file keyring is not safe for concurrent writers
                        mine[n] = Workspace.open(tmp_path / f"d{n}")
                    mine[n].services.sync.enroll(procs[n % 3].url, tokens[n])
                    inspections[n] = record(mine[n], 3, photos=1, photo_size=30_000, seed=n)
                for round_ in range(ROUNDS):
                    rounds[round_].wait(timeout=600)
                    for n, ws in mine.items():
                        attempt(ws, n, round_, cut=True)
                        record(ws, 2, photos=round_ % 2, photo_size=30_000, seed=100 * round_ + n,
                               inspection=inspections[n])
                for n, ws in mine.items():  # the last round: no cuts, until the device got through
                    for _ in range(5):
                        if attempt(ws, n, 0, cut=False):
                            break
                    device_id = ws.services.ctx.device.device_id
                    results[device_id] = (device_events(ws.store.path, device_id),
                                          _acked(ws).get((device_id, 1)))
            except BaseException as exc:
                failures.append(exc)
                for barrier in rounds:
                    barrier.abort()
                raise
            finally:
                for ws in mine.values():
                    ws.close()

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=900)
        assert not failures, failures
        assert len(results) == DEVICES
        assert not alive[1] and procs[1].proc.returncode == -9
        # the server holds every device's chain exactly, with no gap and no duplicate
        for device_id, (local, acked) in results.items():
            held = device_events(database, device_id)
            assert held == local
            assert [e[2] for e in held] == list(range(1, len(held) + 1))  # epoch 1: seq 1..n, no gap
            assert acked == (held[-1][2], held[-1][3])  # its receipt matches the server's head
        duplicates = office.store.scalar("SELECT count(*) FROM (SELECT device_id, epoch, seq FROM events"
                                         " GROUP BY device_id, epoch, seq HAVING count(*) > 1) AS d")
        assert duplicates == 0
        chains = [(device_id, 1) for device_id in results]
        assert missing_blobs(office.store.conn, chains) == []  # every referenced blob arrived
        report = admin.verify(office)  # chains, projections, every blob re-hashed
        assert report.ok and report.blobs_checked >= DEVICES, [p.render() for p in report.audit.chain_problems]
        assert cuts[0] > 10
        print(f"{cuts[0]} cuts armed, {report.audit.event_count} events, {report.blobs_checked} blobs")
    office.close()
