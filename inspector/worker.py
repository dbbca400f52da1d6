"""Where the CPU-heavy steps of issuing a document run: inline, or in one child process.

Rendering the minutes (reportlab) and PAdES signing (pyHanko) are ~0.4 s of pure-Python work per
document. In the desktop app that work would hold the interpreter lock for the GUI thread and
the writer thread (a key press then waits ~100 ms for its commit), so the app runs it in a
persistent child process (`Worker.child()`); the CLI runs it where it is (`Worker.inline()`).
Callers do not know which: `call(fn, *args)` runs a module-level function with plain values
(bytes, dataclasses, credentials) and returns its plain result, the same either way.

The child is started with the *spawn* method (the only one on Windows; a forked copy of a process
running Qt threads is unsafe anyway), lazily on the first call or by `warm_up()` (the app calls it
once its main window is shown, so the first signature does not pay the child's imports). It
holds no database and no vault: bytes in, bytes out. A PIN or passphrase travels to it inside the
call's arguments over a local pipe and is dropped when the call returns. One call runs at a time.

A child that dies (killed, crashed in a token driver) fails the call in flight with
`WorkerStopped`, a Vietnamese message saying nothing was signed; the next call starts a new child.
A child found dead between calls is replaced before the call, so that call just works. An error
raised in the child (a wrong PIN, a refused certificate) is raised in the caller as it was raised
(see `InspectorError.__reduce__`); a bug carries the child's traceback as its cause.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from inspector.errors import BugError, UserError

if TYPE_CHECKING:  # multiprocessing itself is imported when the child starts: not at the app's start
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

T = TypeVar("T")

STOPPED_MESSAGE = "Tiến trình ký văn bản bị dừng đột ngột; văn bản chưa được ký, chưa có gì được lưu."
STOPPED_HINT = "Thử ký lại. Nếu lỗi lặp lại, rút token ra cắm lại hoặc khởi động lại Inspector."


class WorkerStopped(UserError):
    """The child process died during a call: nothing it was doing reached the caller."""

    def __init__(self) -> None:
        super().__init__(STOPPED_MESSAGE, hint=STOPPED_HINT)


class RemoteTraceback(Exception):
    """The child's traceback of an unexpected error, attached as the error's cause (crash reports)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def warm() -> int:
    """What the child imports and loads before its first real call; returns its process id."""
    from inspector.services import issue_work

    issue_work.warm()
    return os.getpid()


def _serve(conn: Connection) -> None:
    """The child's loop: one call at a time until the parent says stop or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the parent's to handle
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        try:
            fn, args = message
            del message  # the credential's PIN or passphrase goes away with the call
            reply: tuple[bool, Any, str] = (True, fn(*args), "")
        except BaseException as exc:  # every failure goes back to the caller
            reply = (False, exc, traceback.format_exc())
        finally:
            fn = args = None
        try:
            conn.send(reply)
        except Exception as exc:  # the value or the error does not pickle: a bug, said as one
            conn.send((False, BugError(f"signing worker reply did not pickle: {exc!r}"),
                       reply[2] or traceback.format_exc()))
        del reply


class _Child:
    __slots__ = ("conn", "process")

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn


class Worker:
    """Runs `call`s inline or in one persistent child process (see the module docstring)."""

    def __init__(self, *, in_child: bool) -> None:
        self.in_child = in_child
        self._call_lock = threading.Lock()   # one call at a time
        self._state_lock = threading.Lock()  # guards _child and _closed
        self._child: _Child | None = None
        self._closed = False
        self._warming = False
        self._in_flight = False

    @classmethod
    def inline(cls) -> Worker:
        return cls(in_child=False)

    @classmethod
    def child(cls) -> Worker:
        return cls(in_child=True)

    @property
    def pid(self) -> int | None:
        """The child's process id while one is running (tests, diagnostics)."""
        child = self._child
        return child.process.pid if child is not None and child.process.is_alive() else None

    @property
    def busy(self) -> bool:
        """A call is running in the child right now."""
        return self._in_flight

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)`, here or in the child. `fn` must be a module-level function and its
        arguments and result picklable plain values."""
        if not self.in_child:
            return fn(*args)
        with self._call_lock:
            child = self._running_child()
            from multiprocessing.connection import wait

            try:
                child.conn.send((fn, args))
                self._in_flight = True
                ready = wait([child.conn, child.process.sentinel])
                if child.conn not in ready:
                    raise EOFError
                ok, value, remote = child.conn.recv()
            except (EOFError, OSError) as exc:
                self._discard(child)
                raise WorkerStopped() from exc
            finally:
                self._in_flight = False
        if ok:
            result: T = value
            return result
        if isinstance(value, BaseException):
            if not isinstance(value, UserError) and remote:
                value.__cause__ = RemoteTraceback(remote)
            raise value
        raise BugError(f"signing worker returned a failure that is not an exception: {value!r}")

    def warm_up(self) -> None:
        """Start the child and load its modules in the background (returns at once)."""
        if not self.in_child or self._closed or self._child is not None or self._warming:
            return

        def run() -> None:
            try:
                self.call(warm)
            except Exception:  # a failed warm-up is retried by the first real call, which reports it
                pass
            finally:
                self._warming = False

        self._warming = True  # before the thread runs: a shutdown right after this call sees it
        threading.Thread(target=run, name="inspector-worker-warm-up", daemon=True).start()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the child (idempotent); a call after this is a bug. A warm-up still loading is
        cut short; a real call in flight is waited for up to `timeout` seconds."""
        with self._state_lock:
            self._closed = True
            child, self._child = self._child, None
        if child is None:
            return
        if self._warming:  # only an optimisation: not worth waiting for
            child.process.terminate()
        idle = self._call_lock.acquire(timeout=timeout)  # the pipe is the call's until it returns
        try:
            if idle and child.process.is_alive():
                with contextlib.suppress(OSError, ValueError):
                    child.conn.send(None)
                child.process.join(timeout)
            if child.process.is_alive():
                child.process.terminate()
                child.process.join(2)
            if child.process.is_alive():
                child.process.kill()
                child.process.join(2)
            if idle:
                child.conn.close()
        finally:
            if idle:
                self._call_lock.release()

    def _running_child(self) -> _Child:
        with self._state_lock:
            if self._closed:
                raise BugError("signing worker used after shutdown")
            child = self._child
            if child is not None and not child.process.is_alive():  # died between calls
                child.conn.close()
                child = self._child = None
            if child is None:
                child = self._child = self._start()
            return child

    def _discard(self, child: _Child) -> None:
        with self._state_lock:
            if self._child is child:
                self._child = None
        if child.process.is_alive():
            child.process.kill()
        child.process.join(2)
        child.conn.close()

    @staticmethod
    def _start() -> _Child:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(target=_serve, args=(child_end,), name="inspector-signing-worker",
                                  daemon=True)
        process.start()
        child_end.close()  # the child holds its own copy: the parent's EOF tells it to quit
        return _Child(process, parent_end)
