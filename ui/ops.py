"""Operations: the only way the desktop app reaches the core (Anki's CollectionOp/QueryOp shape).

- `query` runs a read on a pool of threads whose connections are `PRAGMA query_only=ON`.
- `write` runs one service call on the single writer thread: its transaction and nothing else.
  "Đã lưu" (saved) is announced only after that commit has returned.
- `long` runs slow work (render, sign, timestamp, network, copying files) on the pool and hands
  it a `Committer` for its short database steps, which run on the writer between other writes.
  Rendering, signing and timestamping run further away still, in the signing child process that
  every thread's services share (`inspector.worker`): the pool thread only waits for it, without
  holding the interpreter lock the GUI thread and the writer need.
- After every commit, what it changed (`inspector.ops.Changes`, read back from the event log) is
  broadcast by `changed`; views refresh what they show from that signal, nobody tells them by hand.

Results and progress reach the GUI thread through a queued signal, so callbacks only ever touch
widgets on the GUI thread. A callback whose `owner` widget has been deleted is dropped.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal

from inspector.changes import Changes
from inspector.clock import Clock, SystemClock, to_rfc3339
from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.ops import Committer, Outcome, run_write
from inspector.services.context import Session
from inspector.worker import Worker
from inspector.workspace import Services, Unlocker, Workspace, unlock

T = TypeVar("T")
R = TypeVar("R")
Failed = Callable[[BaseException], None]


class Cancelled(Exception):
    """Raised inside a task when the user pressed Cancel."""


class TaskContext:
    """Handed to a running task: report progress, notice cancellation."""

    def __init__(self, handle: OpHandle[Any]) -> None:
        self._handle = handle

    @property
    def cancelled(self) -> bool:
        return self._handle.cancel_event.is_set()

    @property
    def cancel_event(self) -> threading.Event:
        """For core calls that take a cancel event (sync, bundle export)."""
        return self._handle.cancel_event

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def report(self, done: int, total: int, text: str = "") -> None:
        self._handle.progressed.emit(done, total, text)


class OpHandle(QObject, Generic[T]):
    """A queued or running operation: progress, cancel, and its outcome once delivered."""

    progressed = Signal(int, int, str)
    finished = Signal()  # after the callbacks ran, success or failure (progress dialogs close on it)

    def __init__(self, owner: QObject | None) -> None:
        super().__init__()
        self.cancel_event = threading.Event()
        self.done = False
        self.error: BaseException | None = None
        self._owner = owner

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def owner_alive(self) -> bool:
        return self._owner is None or shiboken6.isValid(self._owner)


class _Bridge(QObject):
    """Runs callables on the GUI thread (the thread that created the bridge)."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, fn: Callable[[], None]) -> None:
        fn()


class _Lane:
    """Threads that each own one Workspace (SQLite connections stay in the thread that opened them)."""

    def __init__(self, name: str, workers: int, opener: Callable[[], Workspace]) -> None:
        self._opener = opener
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._workers = workers

    def services(self) -> Services:
        ws: Workspace | None = getattr(self._local, "workspace", None)
        if ws is None:
            ws = self._opener()
            self._local.workspace = ws
        return ws.services

    def submit(self, fn: Callable[[Services], R]) -> Future[R]:
        return self._pool.submit(lambda: fn(self.services()))

    def _close_current(self) -> None:
        ws: Workspace | None = getattr(self._local, "workspace", None)
        if ws is not None:
            ws.close()
            self._local.workspace = None

    def shutdown(self) -> None:
        barrier = threading.Barrier(self._workers)  # one closer per thread: every connection closes

        def close() -> None:
            barrier.wait(timeout=30)
            self._close_current()

        closers = [self._pool.submit(close) for _ in range(self._workers)]
        for c in closers:
            c.result(timeout=60)
        self._pool.shutdown(wait=True)


class MainThreadCollector(QObject):
    """Python's cyclic garbage collector, run on the GUI thread only.

    Left automatic, a collection starts in whichever thread happens to allocate, so a pool thread
    rendering a PDF may free a cycle holding a widget and run its C++ destructor off the GUI
    thread: a crash (seen in this suite). So automatic collection is off while operations run,
    and this timer collects generation by generation on the GUI thread (pyqtgraph and Anki do
    the same).
    """

    def __init__(self, interval_ms: int = 500) -> None:
        super().__init__()
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        first, second, third = gc.get_count()
        if first > self._threshold[0]:
            gc.collect(0)
            if second > self._threshold[1]:
                gc.collect(1)
                if third > self._threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()


class Ops(QObject):
    """The app's background machinery and its change broadcast. Built once by `ui.app`."""

    changed = Signal(object, object)  # (Changes, initiator or None), after every commit
    saving = Signal()                 # a write was queued
    saved = Signal(str)               # a write committed (RFC 3339 time of the commit)
    save_failed = Signal(str)         # a write failed (message shown to the user, may be empty)

    def __init__(self, data_dir: Path, tr: Translator, clock: Clock | None = None, *,
                 default_error: Failed | None = None, readers: int = 2, unlocker: Unlocker | None = None) -> None:
        super().__init__()
        # A pool thread rendering or signing holds the GIL in long stretches; a short switch
        # interval hands it back to the GUI and the writer within a millisecond, so a key press
        # commits at once even then (measured by `./dev bench ui`).
        sys.setswitchinterval(0.001)
        self.data_dir = data_dir
        self._tr = tr
        self._clock = clock
        self._default_error = default_error
        self._bridge = _Bridge()
        self._collector = MainThreadCollector()
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        # The data directory's keys, unlocked once here (passphrase asked and derived once); every
        # thread opens its connections with the raw keys.
        unlocked = unlock(data_dir, unlocker)
        self.recovery_key = unlocked.recovery_key  # set only when the keys were just created
        keys = unlocked.keys
        # Rendering and signing documents run in one child process shared by every thread, so a
        # pool thread signing never holds this process's interpreter lock (`inspector.worker`).
        self.worker = Worker.child()
        self._writer = _Lane("inspector-writer", 1, lambda: Workspace.open(data_dir, clock=clock, keys=keys,
                                                                           worker=self.worker))
        # Opening the writer creates and migrates the database and the device: do it now, so a
        # data directory that cannot be opened fails at start-up with its message.
        self.session: Session = self._writer.submit(lambda s: s.session).result()
        self._readers = _Lane("inspector-read", readers, lambda: Workspace.open(
            data_dir, clock=clock, session=self.session, read_only=True, install_builtins=False, keys=keys,
            worker=self.worker))

    # -- public API ---------------------------------------------------------------------------
    def use_translator(self, tr: Translator) -> None:
        """Messages of failed saves in the user's language (read from the store after opening it)."""
        self._tr = tr

    def query(self, fn: Callable[[Services], T], on_done: Callable[[T], object] | None = None, *,
              on_error: Failed | None = None, owner: QObject | None = None) -> OpHandle[T]:
        """A read on the pool (read-only connection); `on_done` gets its result on the GUI thread."""
        handle: OpHandle[T] = OpHandle(owner)
        self._start(self._readers, fn, handle, self._done(handle, on_done), self._failed(handle, on_error))
        return handle

    def task(self, fn: Callable[[Services, TaskContext], T], on_done: Callable[[T], object] | None = None, *,
             on_error: Failed | None = None, owner: QObject | None = None) -> OpHandle[T]:
        """A long read (verify a PDF, render a preview) with progress and cancel, on the pool."""
        handle: OpHandle[T] = OpHandle(owner)
        ctx = TaskContext(handle)
        self._start(self._readers, lambda s: fn(s, ctx), handle, self._done(handle, on_done),
                    self._failed(handle, on_error))
        return handle

    def long(self, fn: Callable[[Services, TaskContext, Committer], T],
             on_done: Callable[[T], object] | None = None, *, on_error: Failed | None = None,
             owner: QObject | None = None, initiator: object = None) -> OpHandle[T]:
        """Slow work on the pool whose database steps go through the committer, to the writer."""
        handle: OpHandle[T] = OpHandle(owner)
        ctx = TaskContext(handle)
        commit = _PoolCommitter(self, initiator)
        self._start(self._readers, lambda s: fn(s, ctx, commit), handle, self._done(handle, on_done),
                    self._failed(handle, on_error))
        return handle

    def write(self, fn: Callable[[Services], T], on_done: Callable[[T], object] | None = None,
              on_error: Failed | None = None, *, initiator: object = None, show_errors: bool = True,
              owner: QObject | None = None) -> OpHandle[T]:
        """One service call on the writer. 'Đã lưu' and the broadcast follow its commit."""
        return self._write(lambda s, _ctx: fn(s), on_done, on_error, initiator, show_errors, owner)

    def write_task(self, fn: Callable[[Services, TaskContext], T], on_done: Callable[[T], object] | None = None,
                   on_error: Failed | None = None, *, initiator: object = None,
                   owner: QObject | None = None) -> OpHandle[T]:
        """A bulk write that is one transaction by nature (demo data, a catalog import), with progress."""
        return self._write(fn, on_done, on_error, initiator, True, owner)

    def warm_up_worker(self) -> None:
        """Start the signing process in the background (once the main window is shown), so the
        first signature does not wait for its imports."""
        if not self._closed:
            self.worker.warm_up()

    def read_blocking(self, fn: Callable[[Services], T], timeout: float = 30.0) -> T:
        """Start-up only (before any window exists): wait for one read, e.g. the language."""
        return self._readers.submit(fn).result(timeout=timeout)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Process events until every queued operation has delivered its result (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.001)
        QCoreApplication.processEvents()
        return not self.busy

    def shutdown(self) -> None:
        """Finish queued work, then close every thread's database connection (idempotent)."""
        if self._closed:
            return
        self.wait_idle()
        self._readers.shutdown()
        self._writer.shutdown()
        self.worker.shutdown()  # no signing process outlives the app's data directory
        self._collector.stop()  # no thread of ours is left to collect off the GUI thread
        self._closed = True

    # -- machinery ----------------------------------------------------------------------------
    def _done(self, handle: OpHandle[T], on_done: Callable[[T], object] | None) -> Callable[[T], None]:
        def deliver(value: T) -> None:
            if on_done is not None and handle.owner_alive:
                on_done(value)
        return deliver

    def _failed(self, handle: OpHandle[Any], on_error: Failed | None) -> Failed:
        report = on_error if on_error is not None else self._default_error

        def fail(exc: BaseException) -> None:
            if report is not None and (handle.owner_alive or report is self._default_error):
                report(exc)
        return fail

    def _start(self, lane: _Lane, fn: Callable[[Services], R], handle: OpHandle[Any],
               deliver: Callable[[R], None], fail: Failed) -> None:
        with self._lock:
            self._pending += 1

        def finish(future: Future[R]) -> None:
            with self._lock:
                self._pending -= 1
            handle.done = True
            try:
                exc = future.exception()
                if exc is None:
                    deliver(future.result())
                else:
                    handle.error = exc
                    fail(exc)
            finally:
                handle.finished.emit()

        future = lane.submit(fn)
        future.add_done_callback(lambda f: self._bridge.deliver.emit(lambda: finish(f)))

    def _write(self, fn: Callable[[Services, TaskContext], T], on_done: Callable[[T], object] | None,
               on_error: Failed | None, initiator: object, show_errors: bool,
               owner: QObject | None) -> OpHandle[T]:
        handle: OpHandle[T] = OpHandle(owner)
        ctx = TaskContext(handle)
        self.saving.emit()

        def done(outcome: Outcome[T]) -> None:
            self.saved.emit(to_rfc3339(SystemClock().now()))
            self._broadcast(outcome.changes, initiator)
            if on_done is not None and handle.owner_alive:
                on_done(outcome.value)

        def failed(exc: BaseException) -> None:
            self.save_failed.emit(exc.message(self._tr) if isinstance(exc, UserError) else "")
            if on_error is not None and handle.owner_alive:
                on_error(exc)
            if (show_errors or not isinstance(exc, UserError)) and self._default_error is not None:
                self._default_error(exc)

        self._start(self._writer, lambda s: run_write(s, lambda w: fn(w, ctx)), handle, done, failed)
        return handle

    def _broadcast(self, changes: Changes, initiator: object) -> None:
        if not changes.empty:
            self.changed.emit(changes, initiator)

    def _commit_from_pool(self, fn: Callable[[Services], T], initiator: object) -> T:
        """A long operation's database step: run it on the writer and wait (called on a pool thread)."""
        self._bridge.deliver.emit(self.saving.emit)
        try:
            outcome = self._writer.submit(lambda s: run_write(s, fn)).result()
        except BaseException as exc:
            message = exc.message(self._tr) if isinstance(exc, UserError) else ""
            self._bridge.deliver.emit(lambda: self.save_failed.emit(message))
            raise
        changes = outcome.changes

        def announce() -> None:
            self.saved.emit(to_rfc3339(SystemClock().now()))
            self._broadcast(changes, initiator)

        self._bridge.deliver.emit(announce)
        return outcome.value


class _PoolCommitter:
    """What a long operation calls for each short database step (see `inspector.ops.Committer`)."""

    def __init__(self, ops: Ops, initiator: object) -> None:
        self._ops = ops
        self._initiator = initiator

    def __call__(self, fn: Callable[[Services], T], /) -> T:
        return self._ops._commit_from_pool(fn, self._initiator)


