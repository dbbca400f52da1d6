"""What several server processes must agree on, kept in the database (PostgreSQL).

* Replay nonces (`DbNonces`): a signed request's nonce is inserted into `seen_nonces`; the
  primary key makes the insert the check, atomically across every process (`ON CONFLICT DO
  NOTHING`: 1 row inserted = first sight, 0 = a replay). Rows older than twice the clock-skew
  window are deleted now and then; a request that old is refused as stale anyway.
* Refused enrollment attempts per client address (`DbRateLimiter`): rows in `enroll_failures`,
  counted over the last minute.
* Enrollment tokens and upload offsets were already rows (`enroll_tokens`, `uploads`), changed
  under the store's write lock (an advisory lock on PostgreSQL); a chunk request's exclusive
  lock is a session-level advisory lock (`upload_locks.PgUploadLocks`).

On SQLite (one server process per store file, enforced by `upload_locks.ServingLock`) the
in-memory `NonceCache`, `RateLimiter` and `ProcessUploadLocks` do the same job without a write
per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from inspector.central.storage import Database
from inspector.clock import Clock
from inspector.store.db import Store
from inspector.sync.httpsig import MAX_SKEW_S

PURGE_EVERY = 1000  # inserts between two purges of old nonces (per process)


class DbNonces:
    """`NonceCache`'s `add`, in the database. Each thread gets its own writable connection
    (requests are authenticated on the read-only reader threads)."""

    def __init__(self, database: Database, window_s: int = MAX_SKEW_S) -> None:
        self.database = database
        self.window_s = window_s
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self._count = 0

    def _store(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self.database.open(read_only=False, migrate=False)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def add(self, nonce: str, now_s: int) -> bool:
        """Record a nonce; False when any process saw it before (a replay)."""
        conn = self._store().conn
        cur = conn.execute("INSERT INTO seen_nonces (nonce, seen_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
                           (nonce, now_s))
        fresh = cur.rowcount == 1
        with self._lock:
            self._count += 1
            purge = self._count % PURGE_EVERY == 0
        if purge:
            conn.execute("DELETE FROM seen_nonces WHERE seen_at < ?", (now_s - 2 * self.window_s,))
        return fresh

    def close(self) -> None:
        with self._lock:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()


@dataclass
class DbRateLimiter:
    """`RateLimiter` in the database: refused enrollment attempts per address, over all processes.
    Used on the writer thread, outside its transactions (each statement commits on its own)."""

    store: Store
    clock: Clock
    limit: int = 10
    window_s: float = 60.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def blocked(self, address: str) -> bool:
        since = self._now_ms() - int(self.window_s * 1000)
        count = self.store.scalar("SELECT count(*) FROM enroll_failures WHERE address = ? AND at_ms > ?",
                                  (address[:200], since))
        return int(count or 0) >= self.limit

    def failed(self, address: str) -> None:
        now = self._now_ms()
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM enroll_failures WHERE at_ms < ?", (now - int(self.window_s * 1000),))
            conn.execute("INSERT INTO enroll_failures (address, at_ms) VALUES (?, ?)", (address[:200], now))
