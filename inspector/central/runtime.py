"""The threads the server's work runs on, and the limits that keep clients from exhausting it.

* One writer thread owns the write connection and the `Central` use cases: SQLite has one writer
  at a time anyway, and this keeps every write transaction short and ordered.
* A small pool of reader threads, each with its own connection, answers what only reads (request
  authentication, upload offsets, `/health`): it never waits behind a write.
* An I/O pool writes and hashes upload chunks (those calls release the GIL).
* A checkpointer copies the write-ahead log into the database file after writes, on its own
  connection (`PRAGMA wal_checkpoint(PASSIVE)`: it blocks neither the writer nor readers). The
  writer's automatic checkpoint is off: run inside a COMMIT it copied every page the push had
  touched into a large file before the push could answer (3 of the 4 s of a 2,000-event push
  into a 1,000,000-event store). On PostgreSQL there is no checkpointer (the server does that).
The event loop only moves bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import anyio

from inspector.central.errors import refuse
from inspector.central.server import Central, Sizes
from inspector.central.storage import Database
from inspector.central.upload_locks import ServingLock
from inspector.clock import Clock
from inspector.store.db import Store

T = TypeVar("T")
READERS = 2


@dataclass(frozen=True)
class ServerLimits:
    """Bounds on what clients may hold. Documented in docs/sync-protocol.md (section "Limits")."""

    header_timeout_s: float = 10.0      # from connecting (or the previous answer) to complete headers
    read_timeout_s: float = 30.0        # the longest pause inside a request body
    keep_alive_s: int = 5               # an idle connection between two requests
    max_connections: int = 256          # open connections; more are closed at once
    max_requests: int = 128             # requests in progress; more are answered 503
    buffered_body_bytes: int = 160 * 1024 * 1024  # request bodies held in memory, all requests together
    budget_wait_s: float = 30.0         # how long a body waits for room in that budget before 503
    collect_every_s: float = 3600.0     # stale partial uploads are collected this often


class BodyBudget:
    """Bytes of request bodies the server holds in memory at once, over all requests. A request
    reserves its declared length before its body is read; it waits (the client's bytes stay in
    the client and the kernel) and gets 503 if no room frees up in time."""

    def __init__(self, total: int, wait_s: float) -> None:
        self.total = total
        self.wait_s = wait_s
        self.used = 0
        self._freed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def reserve(self, size: int) -> AsyncIterator[None]:
        if size > self.total:
            raise refuse(413, "too_large", "Dữ liệu gửi lên vượt giới hạn ({limit} byte).", limit=self.total)
        async with self._freed:
            try:
                with anyio.fail_after(self.wait_s):
                    await self._freed.wait_for(lambda: self.used + size <= self.total)
            except TimeoutError:
                raise refuse(503, "busy", "Máy chủ đang bận nhận dữ liệu của nhiều thiết bị.",
                             hint="Đồng bộ lại sau ít phút.", headers={"Retry-After": "30"}) from None
            self.used += size
        try:
            yield
        finally:
            async with self._freed:
                self.used -= size
                self._freed.notify_all()


class Runtime:
    """The writer thread with its `Central`, the reader pool, the I/O pool."""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, sizes: Sizes | None = None,
                 limits: ServerLimits | None = None, database: Database | None = None) -> None:
        self.limits = limits or ServerLimits()
        self.database = database or Database.of(None, data_dir)
        self.serving: ServingLock | None = None
        if self.database.path is not None:  # one process per SQLite store: refuse a second one
            self.serving = ServingLock(self.database.path)
            self.serving.acquire()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="central-db")
        self.io = ThreadPoolExecutor(max_workers=4, thread_name_prefix="central-io")
        self.readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="central-read")
        try:
            self.central: Central = self.writer.submit(
                lambda: self._open(data_dir, clock, sizes, self.database)).result()
        except BaseException:
            for pool in (self.writer, self.io, self.readers):
                pool.shutdown(wait=False)
            if self.serving is not None:
                self.serving.release()
            raise
        self.checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="central-wal")
        self._checkpoint_due = False
        self._local = threading.local()
        self.budget: BodyBudget | None = None  # made on the event loop (it owns an asyncio condition)

    @staticmethod
    def _open(data_dir: Path, clock: Clock | None, sizes: Sizes | None, database: Database) -> Central:
        central = Central(data_dir, clock=clock, sizes=sizes, database=database)
        if not database.postgres:
            central.store.conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer does it
        return central

    def _checkpoint(self) -> None:
        self._checkpoint_due = False
        store = self._thread_store()
        store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def after_write(self) -> None:
        """Schedule one checkpoint after writes (writes in the meantime share it)."""
        if not self._checkpoint_due and not self.database.postgres:
            self._checkpoint_due = True
            self.checkpointer.submit(self._checkpoint)

    def body_budget(self) -> BodyBudget:
        if self.budget is None:
            self.budget = BodyBudget(self.limits.buffered_body_bytes, self.limits.budget_wait_s)
        return self.budget

    def _thread_store(self) -> Store:
        """This thread's own connection (readers: query_only; the checkpointer: a plain one)."""
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self.database.open(read_only=threading.current_thread().name.startswith("central-read"))
            self._local.store = store
        return store

    async def write(self, fn: Callable[[], T]) -> T:
        """Run on the writer thread (the `Central` use cases)."""
        try:
            return await asyncio.wrap_future(self.writer.submit(fn))
        finally:
            self.after_write()

    async def read(self, fn: Callable[[Store], T]) -> T:
        """Run on a reader thread with its own read-only connection."""
        return await asyncio.wrap_future(self.readers.submit(lambda: fn(self._thread_store())))

    async def io_call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self.io.submit(fn))

    def call(self, fn: Callable[[], T]) -> T:
        """Run on the writer thread from any other thread (tests, admin in the same process)."""
        try:
            return self.writer.submit(fn).result()
        finally:
            self.after_write()

    def _close_reader(self, barrier: threading.Barrier) -> None:
        barrier.wait(timeout=10)  # one task per reader thread: each closes its own connection
        store: Store | None = getattr(self._local, "store", None)
        if store is not None:
            self._local.store = None
            store.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.submit(self.central.close).result()
        barrier = threading.Barrier(READERS)
        for future in [self.readers.submit(self._close_reader, barrier) for _ in range(READERS)]:
            with contextlib.suppress(Exception):
                future.result()
        with contextlib.suppress(Exception):
            self.checkpointer.submit(self._close_reader, threading.Barrier(1)).result()
        for pool in (self.writer, self.io, self.readers, self.checkpointer):
            pool.shutdown(wait=True)
        if self.serving is not None:
            self.serving.release()
