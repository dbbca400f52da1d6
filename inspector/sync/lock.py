"""One sync at a time per data directory, across threads and processes: an OS file lock
(`filelock`: flock on Unix, LockFileEx on Windows, the same primitives this module used to call
itself, with their portability corners handled by a library every Python packaging tool uses).

The lock dies with the process that holds it (no stale lock after a crash or a power cut).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import filelock

from inspector.errors import UserError


@contextlib.contextmanager
def sync_lock(path: Path) -> Iterator[None]:
    """Hold `path` exclusively for the duration, or refuse at once if another sync holds it."""
    lock = filelock.FileLock(path, timeout=0, thread_local=False, mode=0o600, fallback_to_soft=False)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise UserError("Đang có một lần đồng bộ khác chạy trên máy này.",
                        hint="Chờ lần đồng bộ đó kết thúc rồi thử lại.") from exc
    try:
        yield
    finally:
        lock.release()
