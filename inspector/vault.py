"""The evidence vault: files stored once under their SHA-256, never modified, never renamed.

A file is streamed to a temporary name while hashing, flushed to disk, then moved to
`<root>/<ab>/<cd>/<name>`; only after that may a database row refer to it. A crash or a power
cut leaves at worst an orphan file (removed by `collect_garbage`), never a reference to a missing
one. Content addresses are always the SHA-256 of the plaintext (events, sync and receipts use
them); how a file is kept on disk is the vault's business:

* `Vault` (the central store): the plain bytes, named by their SHA-256;
* `SealedVault` (`inspector.sealed`, the laptop): each file encrypted and authenticated, named by
  a keyed hash of its SHA-256 so a listing cannot confirm that a known photo is there.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from inspector.durable import fsync_dir as fsync_dir  # re-exported: uploads and bundles use it
from inspector.durable import make_dirs
from inspector.errors import StorageError, UserError
from inspector.store.db import translate_os_error

CHUNK = 1024 * 1024
DEFAULT_MAX_SIZE = 512 * 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    already_present: bool


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def check_sha(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise UserError("Mã băm tệp không hợp lệ: {sha}.", sha=sha256[:80])
    return sha256


class _Sink:
    """Where put_stream writes the bytes of a new file: plain here, encrypted in SealedVault."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, chunk: bytes) -> None:
        self.out.write(chunk)

    def close(self) -> None:
        pass


class Vault:
    def __init__(self, root: Path, max_size: int = DEFAULT_MAX_SIZE, *, read_only: bool = False) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.max_size = max_size
        if not read_only:  # a read-only view (a backup being checked) writes nothing
            make_dirs(self.tmp)

    # -- naming and format (overridden by SealedVault) -----------------------------------------
    def name_for(self, sha256: str) -> str:
        return check_sha(sha256)

    def _sink(self, out: BinaryIO) -> _Sink:
        return _Sink(out)

    def open_blob(self, sha256: str) -> BinaryIO:
        """The plaintext of a stored file, as a seekable binary stream."""
        return self.path_for(sha256).open("rb")

    def size_of(self, sha256: str) -> int | None:
        """The plaintext size of a stored file; None if it is not there."""
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            return None

    # -- shared --------------------------------------------------------------------------------
    def path_for(self, sha256: str) -> Path:
        """Where the file of `sha256` lives on disk (encrypted in a SealedVault)."""
        name = self.name_for(sha256)
        return self.root / name[:2] / name[2:4] / name

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_stream(self, stream: BinaryIO, *, expected_sha256: str | None = None) -> StoredBlob:
        tmp = self.tmp / f"{secrets.token_hex(8)}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as out:
                sink = self._sink(out)
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_size:
                        raise UserError(
                            "Tệp quá lớn (trên {limit} MB); không đính kèm được.",
                            hint="Giảm kích thước tệp (ví dụ chụp ảnh ở độ phân giải thấp hơn) rồi thử lại.",
                            limit=self.max_size // (1024 * 1024),
                        )
                    digest.update(chunk)
                    sink.write(chunk)
                sink.close()
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            if expected_sha256 is not None and sha != expected_sha256:
                raise StorageError(
                    "Nội dung tệp không khớp mã băm mong đợi; tệp không được lưu.",
                    hint="Tải hoặc sao chép lại tệp.",
                )
            final = self.path_for(sha)
            if final.is_file() and self.verify(sha, size):
                tmp.unlink()
                return StoredBlob(sha, size, already_present=True)
            make_dirs(final.parent)
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return StoredBlob(sha, size, already_present=False)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise translate_os_error(exc) or StorageError(
                "Không ghi được tệp vào kho minh chứng: {reason}.", reason=exc.strerror or str(exc)
            ) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def put_file(self, source: Path) -> StoredBlob:
        try:
            fh = source.open("rb")
        except FileNotFoundError as exc:
            raise UserError("Không tìm thấy tệp {path}.", hint="Chọn lại tệp.", path=str(source)) from exc
        except OSError as exc:
            raise UserError(
                "Không đọc được tệp {path}: {reason}.", hint="Kiểm tra quyền đọc tệp.",
                path=str(source), reason=exc.strerror or str(exc),
            ) from exc
        with fh:
            return self.put_stream(fh)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(io.BytesIO(data))

    def read_bytes(self, sha256: str) -> bytes:
        with self.open_blob(sha256) as fh:
            return fh.read()

    def verify(self, sha256: str, size: int | None = None) -> bool:
        """Re-hash the stored file: True only if it exists, reads back whole and matches its address."""
        try:
            with self.open_blob(sha256) as fh:
                actual, actual_size = hash_stream(fh)
        except (OSError, ValueError):
            return False
        return actual == sha256 and (size is None or actual_size == size)

    def stored_names(self) -> Iterable[str]:
        for first in self.root.iterdir():
            if first == self.tmp or not first.is_dir() or len(first.name) != 2:
                continue
            for second in first.iterdir():
                for blob in second.iterdir():
                    yield blob.name

    def collect_garbage(self, referenced: set[str], *, older_than_s: float = 7 * 86400) -> list[str]:
        """Remove orphan files and stale temp files older than the grace period (names removed)."""
        cutoff = time.time() - older_than_s
        keep = {self.name_for(sha) for sha in referenced}
        removed: list[str] = []
        for tmp in self.tmp.iterdir():
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        for name in list(self.stored_names()):
            if name in keep:
                continue
            path = self.root / name[:2] / name[2:4] / name
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(name)
        return removed
