"""Several server processes over one PostgreSQL database: nothing that matters lives in one
process. A signed request replayed to another process is refused; refused enrollment attempts
count across processes; a token is used once whichever process sees it first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from inspector import canonical
from inspector.central.auth import create_token
from inspector.central.server import Central
from inspector.central.storage import Database
from inspector.sync.httpsig import sign_request
from inspector.sync.wire import PROTOCOL
from tests.central.pg import PgServer
from tests.sync.harness import ServerProcess
from tests.sync.test_attacks import _fresh_signer, raw_enroll


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
