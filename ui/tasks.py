"""Work off the GUI thread: one writer thread owns database writes, a small pool runs long tasks.

Results and progress come back to the GUI thread through a queued signal, so widgets only ever
touch Qt objects on the GUI thread and never start threads themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from inspector.clock import Clock
from inspector.workspace import Services, Workspace

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]

if TYPE_CHECKING:
    from inspector.keys import DataKeys


class Cancelled(Exception):
    """Raised inside a task when the user pressed Cancel."""


class TaskContext:
    """Handed to a running task: report progress, notice cancellation."""

    def __init__(self, handle: TaskHandle) -> None:
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


class TaskHandle(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()
        self.done = False

    def cancel(self) -> None:
        self.cancel_event.set()


class _Bridge(QObject):
    """Runs callables on the GUI thread (the thread that created the bridge)."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, fn: Callable[[], None]) -> None:
        fn()


class _ThreadServices:
    """One Workspace per worker thread: SQLite connections stay in the thread that opened them."""

    def __init__(self, data_dir: Path, clock: Clock | None, keys: DataKeys | None = None) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.keys = keys  # the data directory's keys, unlocked once at start (no passphrase per thread)
        self._local = threading.local()
        self._all: list[Workspace] = []
        self._lock = threading.Lock()

    def get(self) -> Services:
        ws = getattr(self._local, "workspace", None)
        if ws is None:
            ws = Workspace.open(self.data_dir, clock=self.clock, install_builtins=False, keys=self.keys)
            self._local.workspace = ws
            with self._lock:
                self._all.append(ws)
        return ws.services

    def close_current(self) -> None:
        ws = getattr(self._local, "workspace", None)
        if ws is not None:
            ws.close()


class _Executor:
    def __init__(self, name: str, workers: int, data_dir: Path, clock: Clock | None,
                 keys: DataKeys | None = None) -> None:
        self._services = _ThreadServices(data_dir, clock, keys)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._bridge = _Bridge()
        self._pending = 0
        self._lock = threading.Lock()
        self._workers = workers

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, fn: Callable[[Services, TaskContext], Any], handle: TaskHandle) -> None:
        ctx = TaskContext(handle)
        with self._lock:
            self._pending += 1

        def job() -> None:
            try:
                result = fn(self._services.get(), ctx)
            except BaseException as exc:  # delivered to the GUI thread, never swallowed
                error = exc  # `exc` is unbound when the except block ends; the lambda runs later
                self._bridge.deliver.emit(lambda: self._finish(handle, None, error))
            else:
                self._bridge.deliver.emit(lambda: self._finish(handle, result, None))

        self._pool.submit(job)

    def _finish(self, handle: TaskHandle, result: Any, error: BaseException | None) -> None:
        with self._lock:
            self._pending -= 1
        handle.done = True
        if error is None:
            handle.finished.emit(result)
        else:
            handle.failed.emit(error)

    def shutdown(self) -> None:
        closers = [self._pool.submit(self._services.close_current) for _ in range(self._workers)]
        for c in closers:
            c.result(timeout=30)
        self._pool.shutdown(wait=True)


class Workers:
    """The app's background machinery: `write()` for database changes, `run()` for long tasks."""

    def __init__(self, data_dir: Path, clock: Clock | None = None, *,
                 default_error: Failed | None = None, keys: DataKeys | None = None) -> None:
        self._default_error = default_error
        self._writer = _Executor("inspector-writer", 1, data_dir, clock, keys)
        self._pool = _Executor("inspector-task", 2, data_dir, clock, keys)
        self._closed = False

    def write(self, fn: Callable[[Services], T], on_done: Done | None = None,
              on_error: Failed | None = None) -> TaskHandle:
        """Run a service call on the single writer thread; callbacks run on the GUI thread."""
        return self._submit(self._writer, lambda s, _ctx: fn(s), on_done, on_error)

    def write_task(self, fn: Callable[[Services, TaskContext], T], on_done: Done | None = None,
                   on_error: Failed | None = None) -> TaskHandle:
        """A long write (demo data, imports) with progress and cancel, still on the writer thread."""
        return self._submit(self._writer, fn, on_done, on_error)

    def run(self, fn: Callable[[Services, TaskContext], T], on_done: Done | None = None,
            on_error: Failed | None = None) -> TaskHandle:
        """A long read-only or CPU task (PDF rendering, big queries) on the task pool."""
        return self._submit(self._pool, fn, on_done, on_error)

    def _submit(self, executor: _Executor, fn: Callable[[Services, TaskContext], Any],
                on_done: Done | None, on_error: Failed | None) -> TaskHandle:
        handle = TaskHandle()
        if on_done is not None:
            handle.finished.connect(on_done)
        if on_error is None:
            on_error = self._default_error
        if on_error is not None:
            handle.failed.connect(on_error)
        executor.submit(fn, handle)
        return handle

    @property
    def busy(self) -> bool:
        return bool(self._writer.pending or self._pool.pending)

    @property
    def writes_pending(self) -> int:
        return self._writer.pending

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Process events until every queued job has delivered its result (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.001)
        QCoreApplication.processEvents()
        return not self.busy

    def shutdown(self) -> None:
        """Finish queued work, then close every worker thread's database connection (idempotent)."""
        if self._closed:
            return
        self.wait_idle()
        self._writer.shutdown()
        self._pool.shutdown()
        self._closed = True
