"""Making file-system changes survive a power cut, not only a crash of the process.

POSIX makes a new name durable only when its directory is fsynced, and that directory's own name
only when its parent is: `mkdir -p` followed by an fsync of the last directory loses the whole
tree if the power goes before the kernel writes the parents back. The power-loss tests
(tests/powerloss, a FUSE file system that drops everything unsynced) hold every path here to that.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make the entries of a directory durable; Windows has no directory fsync (NTFS journals them)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """`mkdir -p` whose every new level is durable (each new directory, then its parent, synced)."""
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            if not directory.is_dir():
                raise
        fsync_dir(directory)
        fsync_dir(directory.parent)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(source: Path, target: Path) -> None:
    """Rename over `target` durably: the new name in its directory (and the old one gone from its own)."""
    os.replace(source, target)
    fsync_dir(target.parent)
    if source.parent != target.parent:
        fsync_dir(source.parent)


def write_bytes(target: Path, data: bytes) -> None:
    """Write a whole small file atomically and durably: temp file, fsync, rename, directory fsync."""
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    replace(tmp, target)
