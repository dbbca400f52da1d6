"""Build, mount, cut and unmount `powerfs` (powerfs.c): the power-loss test file system."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

SOURCE = Path(__file__).with_name("powerfs.c")
CONTROL = ".powerfs-control"


def build(out_dir: Path) -> Path:
    """Compile powerfs.c with the machine's gcc against libfuse3 (once per source version)."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    binary = out_dir / f"powerfs-{digest}"
    if binary.exists():
        return binary
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "fuse3"], check=True, capture_output=True,
                           text=True).stdout.split()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = binary.with_suffix(".tmp")
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(tmp), str(SOURCE), *flags],
                   check=True, capture_output=True, text=True)
    tmp.replace(binary)
    return binary


class PowerFS:
    """One mount of powerfs: everything written under `root` lives in the daemon's memory."""

    def __init__(self, binary: Path, mountpoint: Path) -> None:
        self.binary = binary
        self.root = mountpoint
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PowerFS:
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [str(self.binary), str(self.root), "-f", "-s", "-o", "auto_unmount,fsname=powerfs"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not (self.root / CONTROL).exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"powerfs did not mount: {err}")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["fusermount3", "-u", str(self.root)], capture_output=True)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                subprocess.run(["fusermount3", "-uz", str(self.root)], capture_output=True)

    def _control(self, command: str) -> None:
        fd = os.open(self.root / CONTROL, os.O_WRONLY)
        try:
            os.write(fd, command.encode())
        finally:
            os.close(fd)

    def cut(self, seed: int | None = None) -> None:
        """The power goes: every unsynced write and directory change is lost (in part, with a seed).

        Every process using the file system must already be dead, as it would be.
        """
        self._control("cut" if seed is None else f"cut {seed}")

    def sync_all(self) -> None:
        """Make everything durable (after copying a prepared data directory in)."""
        self._control("syncall")

    def counters(self) -> dict[str, int]:
        text = (self.root / CONTROL).read_text()
        return {k: int(v) for k, v in (line.split() for line in text.splitlines())}

    def copy_in(self, source: Path, name: str) -> Path:
        target = self.root / name
        shutil.copytree(source, target)
        self.sync_all()
        return target
