"""One sync at a time per data directory, across threads and processes: an OS file lock.

The lock dies with the process that holds it (no stale lock after a crash or a power cut).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from inspector.errors import UserError


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def sync_lock(path: Path) -> Iterator[None]:
    """Hold `path` exclusively for the duration, or refuse at once if another sync holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd):
            raise UserError("Đang có một lần đồng bộ khác chạy trên máy này.",
                            hint="Chờ lần đồng bộ đó kết thúc rồi thử lại.")
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
