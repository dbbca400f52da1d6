"""Upload locks (inspector/central/upload_locks.py): one request per upload at a time, across
processes on PostgreSQL (session advisory locks), in memory for the one process serving a SQLite
store; and that one process is enforced."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from inspector.central.runtime import Runtime
from inspector.central.storage import Database
from inspector.central.upload_locks import Lease, PgUploadLocks, ProcessUploadLocks
from inspector.errors import StorageError
from tests.central.pg import PgServer
from tests.sync.harness import wait_until


def _id() -> str:
    return secrets.token_hex(16)


def _acquired(locks: PgUploadLocks, upload: str) -> Lease:
    """The lock, as soon as the server has ended the session that held it (bounded wait)."""
    got: list[Lease] = []

    def attempt() -> bool:
        lease = locks.try_acquire(upload)
        if lease is not None:
            got.append(lease)
        return lease is not None

    assert wait_until(attempt, 10), "the lock was never released"
    return got[0]


def test_in_memory_locks_refuse_a_second_holder_until_released() -> None:
    locks = ProcessUploadLocks()
    upload = _id()
    lease = locks.try_acquire(upload)
    assert lease is not None and locks.held(lease)
    assert locks.try_acquire(upload) is None
    assert locks.try_acquire(_id()) is not None  # other uploads are independent
    locks.release(lease)
    assert not locks.held(lease)
    assert locks.try_acquire(upload) is not None


def test_advisory_locks_hold_across_sessions_and_end_with_the_session(pg_server: PgServer) -> None:
    url = pg_server.create_database("locks")
    one, two = PgUploadLocks(url), PgUploadLocks(url)  # two server processes
    try:
        upload = _id()
        lease = one.try_acquire(upload)
        assert lease is not None and one.held(lease)
        assert two.try_acquire(upload) is None  # the other process is refused, it does not wait
        assert one.try_acquire(upload) is None  # and so is a second request in the same process
        one.release(lease)
        second = two.try_acquire(upload)
        assert second is not None
        two.close()  # the process holding it dies: its session ends, the lock with it
        _acquired(one, upload)
    finally:
        one.close()
        two.close()


def test_a_lock_lost_with_its_session_is_reported_lost_and_taken_again(pg_server: PgServer) -> None:
    url = pg_server.create_database("locks")
    locks, other = PgUploadLocks(url), PgUploadLocks(url)
    try:
        upload = _id()
        lease = locks.try_acquire(upload)
        assert lease is not None
        with psycopg.connect(url, autocommit=True) as admin:  # a database restart, seen by one session
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'inspector-central-uploads' AND pid <> pg_backend_pid()")
        # the request holding it must not acknowledge anything now (once the backend has gone)
        assert wait_until(lambda: not locks.held(lease), 10)
        taken = _acquired(other, upload)  # and another process may take the upload over
        locks.release(lease)  # releasing a lost lease does not release the new holder's lock
        assert locks.try_acquire(upload) is None
        other.release(taken)
        fresh = locks.try_acquire(upload)  # the broken session was replaced
        assert fresh is not None and fresh.generation > lease.generation and locks.held(fresh)
    finally:
        locks.close()
        other.close()


def test_a_second_server_process_on_one_sqlite_store_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "server"
    first = Runtime(data, database=Database(path=data / "central.db"))
    try:
        with pytest.raises(StorageError) as refused:
            Runtime(data, database=Database(path=data / "central.db"))
        assert "đang được một tiến trình máy chủ khác phục vụ" in refused.value.message()
        assert "PostgreSQL" in refused.value.hint()
    finally:
        first.close()
    Runtime(data, database=Database(path=data / "central.db")).close()  # free again once it stopped


def test_the_command_line_refuses_a_second_server_without_saying_it_listens(tmp_path: Path) -> None:
    data = tmp_path / "server"
    first = Runtime(data, database=Database(path=data / "central.db"))
    try:
        second = subprocess.run([sys.executable, "-m", "inspector", "central", "serve", "--data-dir", str(data),
                                 "--port", "0"], capture_output=True, text=True, timeout=60,
                                cwd=Path(__file__).resolve().parents[2])
    finally:
        first.close()
    assert second.returncode == 1
    assert "đang được một tiến trình máy chủ khác phục vụ" in second.stderr, second.stderr
    assert "lắng nghe" not in second.stdout and "Traceback" not in second.stderr
