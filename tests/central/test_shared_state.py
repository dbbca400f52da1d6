"""Several server processes over one PostgreSQL database: nothing that matters lives in one
process. A signed request replayed to another process is refused; refused enrollment attempts
count across processes; a token is used once whichever process sees it first."""

from __future__ import annotations

import contextlib
import hashlib
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from inspector import canonical
from inspector.central import admin as central_admin
from inspector.central.auth import create_token
from inspector.central.server import Central
from inspector.central.storage import Database
from inspector.central.storage.audit import verify_central_store
from inspector.errors import UserError
from inspector.ids import uuid7
from inspector.sync.httpsig import sign_request
from inspector.sync.keys import Signer
from inspector.sync.wire import PROTOCOL
from inspector.workspace import Workspace
from tests.central.pg import PgServer
from tests.sync.data import record
from tests.sync.forge import batch, chain, raw_request, status_of
from tests.sync.harness import ServerProcess, device_events, wait_until
from tests.sync.test_attacks import _fresh_signer, raw_enroll
from tests.sync.test_upload_race import HALF, _patch_head


@pytest.fixture
def two_processes(tmp_path: Path, pg_server: PgServer) -> Iterator[tuple[ServerProcess, ServerProcess, Central]]:
    database = Database(url=pg_server.create_database("shared"))
    admin = Central(tmp_path / "server", database=database)  # creates the store and the server identity
    try:
        with ServerProcess(tmp_path / "server", database=database) as a, \
                ServerProcess(tmp_path / "server", database=database) as b:
            yield a, b, admin
    finally:
        admin.close()


def test_a_request_replayed_to_another_process_is_refused(
        two_processes: tuple[ServerProcess, ServerProcess, Central]) -> None:
    a, b, admin = two_processes
    who = _fresh_signer()
    assert raw_enroll(a.url, create_token(admin.store, "doan-1", admin.clock).token, signer=who).status_code == 200
    body = canonical.encode({"protocol": PROTOCOL, "chains": []})
    headers = sign_request(who, "POST", "/sync/v1/session", body, created=int(time.time()))
    first = httpx.post(a.url + "/sync/v1/session", content=body, headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    again = httpx.post(b.url + "/sync/v1/session", content=body, headers=headers, timeout=30)
    assert again.status_code == 401 and again.json()["error"] == "replay", again.text
    fresh = sign_request(who, "POST", "/sync/v1/session", body, created=int(time.time()))
    assert httpx.post(b.url + "/sync/v1/session", content=body, headers=fresh, timeout=30).status_code == 200


def test_refused_enrollments_count_across_processes_and_a_token_is_used_once(
        two_processes: tuple[ServerProcess, ServerProcess, Central]) -> None:
    a, b, admin = two_processes
    token = create_token(admin.store, "doan-1", admin.clock).token
    assert raw_enroll(a.url, token).status_code == 200
    assert raw_enroll(b.url, token).json()["error"] == "token_used"  # 1 failure (on b)
    for n in range(9):  # 10 failures in all, spread over both processes
        assert raw_enroll((a, b)[n % 2].url, "SAI-MA").status_code == 401
    limited = raw_enroll(a.url, create_token(admin.store, "doan-1", admin.clock).token)
    assert limited.status_code == 429 and limited.json()["message"], limited.text


def test_one_batch_pushed_through_two_processes_at_once_is_stored_once(
        tmp_path: Path, two_processes: tuple[ServerProcess, ServerProcess, Central]) -> None:
    """Writers are serialised across processes (the write lock): the second of two identical
    pushes finds the first's events and answers them as duplicates, never a 500."""
    a, b, admin = two_processes
    with Workspace.open(tmp_path / "laptop") as ws:
        ws.services.sync.enroll(a.url, create_token(admin.store, "doan-1", admin.clock).token)
        inspection = record(ws, 1)
        ws.services.sync.sync(server_url=a.url)
        device_id = ws.services.ctx.device.device_id
        for round_ in range(4):
            done = len(device_events(admin.database, device_id))
            record(ws, 150, seed=round_, inspection=inspection)
            events = [e for e in chain(ws) if e.seq > done]
            body = batch(ws, events)
            who = Signer.of(ws.services.ctx.device)
            requests = [(p.url, sign_request(who, "POST", "/sync/v1/events", body, created=int(time.time())))
                        for p in (a, b)]
            answers: list[httpx.Response] = []
            start = threading.Barrier(2)

            def push(url: str, headers: dict[str, str], start: threading.Barrier = start,
                     answers: list[httpx.Response] = answers, body: bytes = body) -> None:
                start.wait()
                answers.append(httpx.post(url + "/sync/v1/events", content=body, headers=headers, timeout=60))

            threads = [threading.Thread(target=push, args=r) for r in requests]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(r.status_code for r in answers) == [200, 200], [r.text[:300] for r in answers]
            assert device_events(admin.database, device_id) == device_events(ws.store.path, device_id)
    assert verify_central_store(admin.store).ok


def test_the_same_blob_uploaded_through_two_processes_at_once_ends_as_one_intact_blob(
        tmp_path: Path, two_processes: tuple[ServerProcess, ServerProcess, Central]) -> None:
    a, b, admin = two_processes
    data = random.Random(7).randbytes(20 * 1024 * 1024)  # three 8 MiB chunks each way
    sha = hashlib.sha256(data).hexdigest()
    tokens = [create_token(admin.store, "doan-1", admin.clock).token for _ in range(2)]
    ready = threading.Barrier(2)
    errors: list[BaseException] = []

    def laptop(n: int, server: ServerProcess) -> None:
        try:
            with Workspace.open(tmp_path / f"laptop-{n}") as ws:
                ws.services.sync.enroll(server.url, tokens[n])
                inspection = record(ws, 1, seed=n)
                blob = ws.services.ctx.vault.put_bytes(data)
                with ws.store.transaction() as conn:
                    ws.services.ctx.record(conn, "evidence.added", uuid7(), {
                        "inspection_id": inspection.id, "finding_id": None, "sha256": blob.sha256,
                        "size": blob.size, "file_name": "bien-ban.pdf", "media_type": "application/pdf",
                        "kind": "document", "caption": "", "captured_at": None})
                ready.wait(timeout=120)
                ws.services.sync.sync(server_url=server.url)
                assert ws.services.sync.sync(server_url=server.url).partial_inspections == 0
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [threading.Thread(target=laptop, args=(0, a)), threading.Thread(target=laptop, args=(1, b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    stored = admin.vault.path_for(sha)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert admin.store.scalar("SELECT count(*) FROM blobs WHERE sha256 = ? AND state = 'ok'", (sha,)) == 1
    assert admin.store.scalar("SELECT count(*) FROM uploads") == 0
    assert not list(admin.vault.tmp.glob("upload-*.part"))
    assert admin.store.scalar("SELECT count(*) FROM blobs") == 1 and central_admin.verify(admin).ok


def test_a_chunk_held_by_one_process_is_refused_by_another_and_freed_when_that_process_dies(
        tmp_path: Path, two_processes: tuple[ServerProcess, ServerProcess, Central]) -> None:
    """A device's retry reaches process B while process A still streams the same upload's chunk:
    B refuses it at once (the lock is in the database, not in A). A is killed mid-chunk: its
    database session ends with it, so B takes the upload over at once and the blob ends intact."""
    a, b, admin = two_processes
    with Workspace.open(tmp_path / "laptop") as ws:
        ws.services.sync.enroll(a.url, create_token(admin.store, "doan-1", admin.clock).token)
        insp = record(ws, 1)
        data = random.Random(3).randbytes(2 * HALF)
        ws.services.evidence.attach_bytes(insp.id, data, "anh.png")
        cancel = threading.Event()
        with pytest.raises(UserError):  # the event goes up and the upload starts; no chunk sent
            ws.services.sync.sync(lambda p: cancel.set() if p.phase == "blobs" else None, cancel,
                                  server_url=a.url)
        sha = hashlib.sha256(data).hexdigest()
        upload_id = admin.store.scalar("SELECT upload_id FROM uploads WHERE sha256 = ?", (sha,))
        part = admin.vault.tmp / f"upload-{upload_id}.part"
        def stream_slowly() -> None:  # ~8 s: A holds the upload meanwhile, until it is killed
            with contextlib.suppress(OSError):
                raw_request(a.port, _patch_head(ws, upload_id, 0, data[:HALF]),
                            iter([data[i:i + 4096] for i in range(0, HALF, 4096)]), pause=0.5)

        slow = threading.Thread(target=stream_slowly, daemon=True)
        slow.start()
        assert wait_until(lambda: part.exists() and part.stat().st_size > 0, 10), "A never wrote"
        busy = raw_request(b.port, _patch_head(ws, upload_id, 0, data), data)
        assert status_of(busy) == 423, busy[:300]
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        answers: list[bytes] = []
        # B takes over as soon as the database has seen A's session end (at once: its socket closed)
        assert wait_until(lambda: status_of(answers.append(raw_request(
            b.port, _patch_head(ws, upload_id, 0, data), data)) or answers[-1]) != 423, 10), answers[-1][:300]
        assert status_of(answers[-1]) == 204 and b"upload-complete: ?1" in answers[-1].lower(), answers[-1][:300]
        slow.join(timeout=30)
    assert hashlib.sha256(admin.vault.path_for(sha).read_bytes()).hexdigest() == sha
    assert admin.store.scalar("SELECT count(*) FROM uploads") == 0 and central_admin.verify(admin).ok
