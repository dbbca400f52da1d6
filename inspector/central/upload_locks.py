"""Who may write into a partial upload right now: one request at a time, across server processes.

A chunk request holds its upload's lock from the offset check to the acknowledgement. Nothing
waits for a lock: a second request for the same upload is answered 423 at once, so no
bookkeeping can drop a lock under a waiting request. A lock ends when its request ends, or when
the process holding it dies.

* PostgreSQL (several processes over one database): a session-level advisory lock,
  `pg_try_advisory_lock(UPLOAD_LOCKS, key)`, taken on one dedicated connection per process. The
  server releases a session's locks when the session ends, so a process killed mid-chunk frees
  its uploads at once. If that connection breaks (a database restart), every lock it held is
  gone: the connection is replaced, its generation counted, and a request whose lock belongs to
  an earlier generation is refused before it acknowledges anything (`held`).
* SQLite (one server process per store file, see `ServingLock`): the same rule in memory.

The lock is the fast path, not the last defence: the offset is acknowledged only if the row
still has the offset the request started from, and a finished file is stored only after it
was read back from the disk and hashed to its name.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
from filelock import FileLock, Timeout

from inspector.errors import StorageError

UPLOAD_LOCKS = 0x1A5ED0  # the first key of every upload's advisory lock (the second: from its id)


@dataclass(frozen=True)
class Lease:
    upload_id: str
    generation: int


class UploadLocks(Protocol):
    def try_acquire(self, upload_id: str) -> Lease | None:
        """The upload's lock for this request, or None when another request holds it."""

    def held(self, lease: Lease) -> bool:
        """Whether the lease still holds its lock (False after the lock connection broke)."""

    def release(self, lease: Lease) -> None: ...

    def close(self) -> None: ...


class ProcessUploadLocks:
    """In memory: right when one process serves the store (SQLite)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()

    def try_acquire(self, upload_id: str) -> Lease | None:
        with self._lock:
            if upload_id in self._held:
                return None
            self._held.add(upload_id)
        return Lease(upload_id, 0)

    def held(self, lease: Lease) -> bool:
        with self._lock:
            return lease.upload_id in self._held

    def release(self, lease: Lease) -> None:
        with self._lock:
            self._held.discard(lease.upload_id)

    def close(self) -> None:
        with self._lock:
            self._held.clear()


def lock_key(upload_id: str) -> int:
    """The advisory lock's second key: 31 bits of the (random, hex) upload id. Two uploads whose
    ids share them only answer each other 423 now and then; they never share a file."""
    return int(upload_id[:8], 16) & 0x7FFFFFFF


class PgUploadLocks:
    """Advisory locks on one session of this process (opened on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._generation = 0
        self._held: set[str] = set()

    def _session(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is None or conn.broken or conn.closed:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
                self._held.clear()  # the server released them with the old session
                self._generation += 1
            try:
                conn = psycopg.connect(self.url, autocommit=True, application_name="inspector-central-uploads",
                                       connect_timeout=10)
            except psycopg.Error as exc:
                self._conn = None
                raise StorageError("Máy chủ không giữ được khóa phiên tải lên trong cơ sở dữ liệu.",
                                   hint="Kiểm tra kết nối tới PostgreSQL rồi thử lại.") from exc
            self._conn = conn
        return conn

    def _lock_call(self, sql: str, upload_id: str) -> bool:
        """One lock call; a broken session is replaced once and the call asked again."""
        for attempt in (1, 2):
            conn = self._session()
            try:
                row = conn.execute(sql, (UPLOAD_LOCKS, lock_key(upload_id))).fetchone()
                return bool(row and row[0])
            except psycopg.OperationalError:
                if attempt == 2 or not (conn.broken or conn.closed):
                    raise
        return False  # pragma: no cover - the loop returns or raises

    def try_acquire(self, upload_id: str) -> Lease | None:
        with self._lock:
            if upload_id in self._held:  # a session's advisory locks are re-entrant: check here
                return None
            if not self._lock_call("SELECT pg_try_advisory_lock(%s, %s)", upload_id):
                return None
            self._held.add(upload_id)
            return Lease(upload_id, self._generation)

    def held(self, lease: Lease) -> bool:
        with self._lock:
            conn = self._conn
            if conn is None or lease.generation != self._generation or lease.upload_id not in self._held:
                return False
            try:
                conn.execute("SELECT 1").fetchone()  # a session that died since has lost the lock
            except psycopg.Error:
                return False
            return True

    def release(self, lease: Lease) -> None:
        with self._lock:
            if lease.generation != self._generation or lease.upload_id not in self._held:
                return  # its session is gone, and the lock with it
            self._held.discard(lease.upload_id)
            with contextlib.suppress(psycopg.Error):
                self._lock_call("SELECT pg_advisory_unlock(%s, %s)", lease.upload_id)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
            self._conn = None
            self._held.clear()


class ServingLock:
    """Only one server process may serve a SQLite store file: its replay nonces, rate limits and
    upload locks live in that process. A second `central serve` on the same file is refused
    (PostgreSQL is the way to run several)."""

    def __init__(self, database_path: Path) -> None:
        self.path = database_path.with_name(database_path.name + ".serving")
        self._lock = FileLock(str(self.path))

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StorageError("Kho trung tâm {path} đang được một tiến trình máy chủ khác phục vụ.",
                               hint="Dừng tiến trình kia trước; muốn chạy nhiều tiến trình máy chủ cùng lúc"
                                    " thì dùng PostgreSQL (--database postgresql://…).",
                               path=str(self.path.with_name(self.path.name.removesuffix(".serving")))) from None

    def release(self) -> None:
        self._lock.release()
