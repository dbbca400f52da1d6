"""The evidence vault: files stored once under their SHA-256, never modified, never renamed.

A file is streamed to a temporary name while hashing, flushed to disk, then moved to
`<root>/<ab>/<cd>/<sha256>`; only after that may a database row refer to it. A crash leaves at
worst an orphan file (removed by `collect_garbage`), never a reference to a missing one.
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


class Vault:
    def __init__(self, root: Path, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.max_size = max_size
        make_dirs(self.tmp)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise UserError("Mã băm tệp không hợp lệ: {sha}.", sha=sha256[:80])
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_stream(self, stream: BinaryIO, *, expected_sha256: str | None = None) -> StoredBlob:
        tmp = self.tmp / f"{secrets.token_hex(8)}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_size:
                        raise UserError(
                            "Tệp quá lớn (trên {limit} MB); không đính kèm được.",
                            hint="Giảm kích thước tệp (ví dụ chụp ảnh ở độ phân giải thấp hơn) rồi thử lại.",
                            limit=self.max_size // (1024 * 1024),
                        )
                    digest.update(chunk)
                    out.write(chunk)
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
        return self.path_for(sha256).read_bytes()

    def verify(self, sha256: str, size: int | None = None) -> bool:
        """Re-hash the stored file: True only if it exists and matches its name (and size)."""
        path = self.path_for(sha256)
        try:
            actual, actual_size = hash_file(path)
        except OSError:
            return False
        return actual == sha256 and (size is None or actual_size == size)

    def stored_hashes(self) -> Iterable[str]:
        for first in self.root.iterdir():
            if first == self.tmp or not first.is_dir() or len(first.name) != 2:
                continue
            for second in first.iterdir():
                for blob in second.iterdir():
                    yield blob.name

    def collect_garbage(self, referenced: set[str], *, older_than_s: float = 7 * 86400) -> list[str]:
        """Remove orphan blobs and stale temp files older than the grace period."""
        cutoff = time.time() - older_than_s
        removed: list[str] = []
        for tmp in self.tmp.iterdir():
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        for sha in list(self.stored_hashes()):
            if sha in referenced:
                continue
            path = self.path_for(sha)
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(sha)
        return removed
